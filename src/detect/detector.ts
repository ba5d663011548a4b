/**
 * What every detector shares: the `update(value, timestampMs) -> { score, anomaly }` contract, the
 * score calibration, and the alerting rules around it (warm-up, persistence, cooldown).
 *
 * Calibration: each detector turns what it saw into `ratio = ln(p) / ln(budget)`, where `p` is how
 * often a stable signal would produce a statistic at least this extreme per observation (a tail
 * probability, or 1 / ARL0 for the sequential charts) and `budget` is the share of the false-alarm
 * rate given to that statistic. The score is `1 - 2^-ratio`: 0 for nothing unusual, exactly 0.5 at
 * the budget, 0.75 at the budget squared, approaching 1 (reached in floating point only far out), so
 * it ranks observations by surprise on every signal alike. An observation is anomalous when its
 * score is at or above 0.5, so the expected number of false alarms of a stable signal is the budget
 * per observation, whatever its units.
 *
 * Alerting: no alert during the warm-up (the baseline is being learnt; score 0); an alert needs
 * `persistence` anomalous observations in a row; after an alert, `cooldown` observations pass before
 * the next one, so one incident is one alert.
 */
import { checkInteger, checkKeys, checkNumberIn, optionFailure, type OptionFailure } from '../lib/option-error.js';

/** The outcome of one observation. The object is reused by the detector: read it before the next `update`. */
export interface DetectorResult {
  /** How anomalous the observation is, in [0, 1]: 0.5 is the false-alarm budget. */
  score: number;
  /** True on the observation that raises an alert (after warm-up, persistence and cooldown). */
  anomaly: boolean;
}

/** Why a detector alerted (`range`: beyond every value seen, the `series` detector's only). */
export type AlertReason = 'point' | 'level_up' | 'level_down' | 'variance' | 'rate' | 'range' | 'none';

export type Direction = 'both' | 'up' | 'down';

export interface DetectorOptions {
  /**
   * False alarms allowed per observation of a stable signal. Default 1e-4: one false alarm per 10,000
   * observations, the ARL0 the quality benchmark checks.
   */
  falseAlarmRate?: number;
  /** Observations that teach the baseline before any alert. Default 60. */
  warmup?: number;
  /** How many observations the baseline remembers once warm (EWMA centre of mass). Default 500. */
  memory?: number;
  /** Anomalous observations in a row needed to alert. Default 1. */
  persistence?: number;
  /** Observations after an alert during which no new alert is raised. Default 30. */
  cooldown?: number;
  /**
   * `log` works on ln(value + logOffset): right for latencies, token counts and costs, whose spread
   * grows with their level (a 2 s call next to a 200 ms one is as unusual as 20 s next to 2 s).
   * Default `linear`.
   */
  scale?: 'linear' | 'log';
  /** Added before the logarithm, in the signal's units, so 0 stays finite. Default 1. */
  logOffset?: number;
  /** Which way of change to alert on. Default `both`. */
  direction?: Direction;
}

export type ResolvedDetectorOptions = Required<DetectorOptions>;

export const DETECTOR_DEFAULTS: ResolvedDetectorOptions = Object.freeze({
  falseAlarmRate: 1e-4,
  warmup: 60,
  memory: 500,
  persistence: 1,
  cooldown: 30,
  scale: 'linear',
  logOffset: 1,
  direction: 'both',
});

const DETECTOR_KEYS = Object.keys(DETECTOR_DEFAULTS);

export type Phase = 'warming_up' | 'watching' | 'cooling_down';

/** A detector's state, for `snapshot().detectors` and for tests. */
export interface DetectorState {
  detector: string;
  phase: Phase;
  /** Finite observations seen. */
  observations: number;
  alerts: number;
  /** The score of the latest observation. */
  score: number;
  /** The baseline's typical value, in the signal's own units (undefined while warming up). */
  expected: number | undefined;
  /** The baseline's spread, on the working scale (undefined while warming up). */
  spread: number | undefined;
  /** What drove the latest alert. */
  lastAlertReason: AlertReason;
  /** `timestampMs` of the latest alert, when updates carried one. */
  lastAlertTime: number | undefined;
}

/** A detector of one signal. */
export interface Detector {
  readonly name: string;
  /** Feed one observation (non-finite values are ignored) and get its score and whether it alerts. */
  update(value: number, timestampMs?: number): DetectorResult;
  /** What the detector knows, as plain JSON. */
  state(): DetectorState;
  /** The typical value the latest observation was compared with, in the signal's units. */
  expected(): number | undefined;
  /** Forget everything and warm up again. */
  reset(): void;
}

/** Score in [0, 1] from the ratio ln(p) / ln(budget); 0.5 at ratio 1. */
export function scoreOfRatio(ratio: number): number {
  return ratio > 0 ? 1 - Math.pow(2, -ratio) : 0;
}

/** A result's score, read from its hidden ratio: one getter for every result, so they all share one map. */
function scoreOfResult(this: ResultObject): number {
  return scoreOfRatio(this.ratio);
}

/** A detector's reused result: `{ score, anomaly }` with the ratio behind the score as a hidden field. */
type ResultObject = DetectorResult & { ratio: number };

/**
 * A new result object. Every result is built the same way, with the same getter, so every detector's
 * has the same hidden class: the sink reads and writes `anomaly` on ten detectors' results per call at
 * one site, which a getter of its own per object (a map of its own) made megamorphic.
 */
function newResult(): ResultObject {
  const result = {} as ResultObject;
  Object.defineProperty(result, 'ratio', { value: 0, writable: true, enumerable: false });
  Object.defineProperty(result, 'score', { enumerable: true, get: scoreOfResult });
  result.anomaly = false;
  return result;
}

/** The score at which an observation is anomalous, by construction of the calibration. */
export const ANOMALY_SCORE = 0.5;

/** Fails a detector's own option (`detector: option "shift" must be ...`). */
export const detectorOptionFailure: OptionFailure = optionFailure('detector');

/**
 * Validate detector options; throws a TypeError naming the option, as `<where>: option
 * "<prefix><name>" must be ...` (`createMonitor` passes its scope and `detect.`).
 */
export function resolveDetectorOptions(
  options: DetectorOptions | undefined,
  where = 'detector',
  prefix = '',
  ownKeys: readonly string[] = [],
): ResolvedDetectorOptions {
  if (options === undefined) return DETECTOR_DEFAULTS;
  if (typeof options !== 'object' || options === null) throw new TypeError(`${where}: options must be an object`);
  checkKeys(where, options, ownKeys.length === 0 ? DETECTOR_KEYS : [...DETECTOR_KEYS, ...ownKeys], prefix);
  const o = { ...DETECTOR_DEFAULTS, ...stripUndefined(options) };
  const scoped = optionFailure(where);
  const fail: OptionFailure = (name, expected, got) => scoped(prefix + name, expected, got);
  checkNumberIn(fail, 'falseAlarmRate', o.falseAlarmRate, 0, 0.1);
  checkInteger(fail, 'warmup', o.warmup, 5, 100_000);
  checkInteger(fail, 'memory', o.memory, 10, 10_000_000);
  checkInteger(fail, 'persistence', o.persistence, 1, 1000);
  checkInteger(fail, 'cooldown', o.cooldown, 0, 10_000_000);
  if (o.scale !== 'linear' && o.scale !== 'log') fail('scale', '"linear" or "log"', o.scale);
  if (!(typeof o.logOffset === 'number' && o.logOffset > 0 && Number.isFinite(o.logOffset))) fail('logOffset', 'a positive number', o.logOffset);
  if (o.direction !== 'both' && o.direction !== 'up' && o.direction !== 'down') fail('direction', '"both", "up" or "down"', o.direction);
  return o;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const key of Object.keys(o) as (keyof T)[]) if (o[key] !== undefined) out[key] = o[key];
  return out;
}

/**
 * The alerting frame every detector runs in. A subclass implements `evidence(value)`: it updates its
 * statistics with the value and returns the ratio ln(p) / ln(budget) of its strongest statistic (or -1
 * while it is still warming up), setting `reason`.
 */
export abstract class StreamingDetector implements Detector {
  abstract readonly name: string;
  protected readonly options: ResolvedDetectorOptions;
  protected reason: AlertReason = 'none';
  /**
   * The result every update returns. Its `score` is worked out from the ratio when it is read (a pow
   * per observation saved: the monitor reads it only on an alert or during an incident), as an own
   * enumerable property, so the object still reads, spreads and compares as `{ score, anomaly }`; the
   * ratio (0 for a non-finite value) is its hidden field.
   */
  private readonly result: ResultObject = newResult();
  /** The ratio of the latest finite observation's score. */
  private lastRatio = 0;
  private observations = 0;
  private alerts = 0;
  private run = 0;
  private cooldownLeft = 0;
  private lastAlertReason: AlertReason = 'none';
  private lastAlertTime: number | undefined = undefined;
  private warming = true;
  /** The typical value the latest alert's observation was compared with (before the alert reset anything). */
  lastAlertExpected: number | undefined = undefined;
  /** The baseline's spread (working scale) when the latest alert was raised, likewise. */
  lastAlertSpread: number | undefined = undefined;

  /** `ownKeys`: the options a subclass adds to `DetectorOptions` (`shift`, `period`, ...). */
  constructor(options: DetectorOptions | undefined, ownKeys: readonly string[] = []) {
    this.options = resolveDetectorOptions(options, 'detector', '', ownKeys);
  }

  update(value: number, timestampMs?: number): DetectorResult {
    const result = this.result;
    result.anomaly = false;
    if (value - value !== 0) {
      // NaN or ±Infinity: bad data is not evidence.
      result.ratio = 0;
      return result;
    }
    this.observations++;
    const ratio = this.evidence(value);
    if (ratio < 0) {
      // Learning again after an alert counts toward its cooldown: both are time after the alert.
      if (this.cooldownLeft > 0) this.cooldownLeft--;
      this.warming = true;
      this.run = 0;
      result.ratio = this.lastRatio = 0;
      return result;
    }
    this.warming = false;
    result.ratio = this.lastRatio = ratio;
    if (ratio >= 1) this.run++;
    else this.run = 0;
    if (this.cooldownLeft > 0) this.cooldownLeft--;
    else if (this.run >= this.options.persistence) {
      result.anomaly = true;
      this.alerts++;
      this.run = 0;
      this.cooldownLeft = this.options.cooldown;
      this.lastAlertReason = this.reason;
      this.lastAlertTime = timestampMs;
      this.lastAlertExpected = this.expected();
      this.lastAlertSpread = this.spread();
      this.alerted(this.reason);
    }
    return result;
  }

  state(): DetectorState {
    const expected = this.warming ? undefined : this.expected();
    return {
      detector: this.name,
      phase: this.warming ? 'warming_up' : this.cooldownLeft > 0 ? 'cooling_down' : 'watching',
      observations: this.observations,
      alerts: this.alerts,
      score: scoreOfRatio(this.lastRatio),
      expected,
      spread: this.warming ? undefined : this.spread(),
      lastAlertReason: this.lastAlertReason,
      lastAlertTime: this.lastAlertTime,
    };
  }

  /** True while an alerted incident is cooling down (the latest observation raised or followed an alert). */
  get cooling(): boolean {
    return this.cooldownLeft > 0;
  }

  /** True while the detector learns its baseline (the warm-up, or again after a level or spread alert): its score says nothing. */
  get learning(): boolean {
    return this.warming;
  }

  /** What drove the latest alert (or the latest evidence). */
  get lastReason(): AlertReason {
    return this.lastAlertReason;
  }

  reset(): void {
    this.observations = 0;
    this.alerts = 0;
    this.run = 0;
    this.cooldownLeft = 0;
    this.lastRatio = 0;
    this.lastAlertReason = 'none';
    this.lastAlertTime = undefined;
    this.lastAlertExpected = undefined;
    this.lastAlertSpread = undefined;
    this.warming = true;
    this.restart();
  }

  abstract expected(): number | undefined;
  protected abstract spread(): number | undefined;
  /** Update the statistics with one finite value; the ratio of the strongest, or -1 while warming up. */
  protected abstract evidence(value: number): number;
  /** An alert was raised for `reason`: reset what the incident should not carry over. */
  protected abstract alerted(reason: AlertReason): void;
  /** Forget all statistics and the baseline. */
  protected abstract restart(): void;
}
