/**
 * The monitor's `detect` option: its type, defaults and validation (TypeErrors that name the option,
 * as `createMonitor: option "detect.warmup" must be ...`).
 */
import { resolveDetectorOptions, type Direction } from './detector.js';
import { resolveDriftOptions, type DriftOptions } from './drift.js';
import { CALL_SIGNALS, QUALITY_SIGNALS, RESOURCE_SIGNALS } from './signals.js';
import { checkInteger, checkKeys, optionFailure, optionKeys, type OptionFailure } from '../lib/option-error.js';

const fail: OptionFailure = optionFailure('createMonitor');

/** Settings of a signal the app observes with `monitor.observe` (or of a built-in numeric signal). */
export interface SignalOptions {
  /** `log` for values whose spread grows with their level (durations, counts, costs). Default `linear` for custom signals. */
  scale?: 'linear' | 'log';
  /** Added before the logarithm. Default 1. */
  logOffset?: number;
  /** Which way of change is an incident. Default `both` for custom signals. */
  direction?: Direction;
  /** Watch the signal's distribution for drift too. Default true for custom signals. */
  drift?: boolean;
}

export interface DetectOptions {
  /**
   * False alarms allowed per observation of a stable signal, per signal and label set. Default 1e-4
   * (one per 10,000 observations), with which the benchmark finds a 1σ shift in about 19 observations.
   */
  falseAlarmRate?: number;
  /** Observations that teach a signal's baseline before it may alert. Default 60. */
  warmup?: number;
  /** Observations the baseline remembers once warm: how fast it follows slow change. Default 500. */
  memory?: number;
  /** Anomalous observations in a row needed to alert. Default 1. */
  persistence?: number;
  /** Observations after an alert before the same signal may alert again. Default 30. */
  cooldown?: number;
  /** Drift between a reference window and a sliding current window; `false` turns it off. */
  drift?: DriftOptions | false;
  /** Watch each route (`record.context['http.route']`, from the Express middleware) separately too. Default true. */
  perRoute?: boolean;
  /** Label sets watched at most; calls of later ones are watched together as one `other` set. Default 200. */
  maxGroups?: number;
  /** Built-in signals to leave out, by name (`cost`, `finish_reason`, ...). */
  ignore?: string[];
  /** Settings of signals observed with `monitor.observe`, by signal name. */
  signals?: Record<string, SignalOptions>;
}

export interface ResolvedDetectOptions {
  falseAlarmRate: number;
  warmup: number;
  memory: number;
  persistence: number;
  cooldown: number;
  drift: Required<DriftOptions> | false;
  perRoute: boolean;
  maxGroups: number;
  ignore: ReadonlySet<string>;
  signals: Record<string, SignalOptions>;
}

const KNOWN = optionKeys<DetectOptions>({
  falseAlarmRate: true,
  warmup: true,
  memory: true,
  persistence: true,
  cooldown: true,
  drift: true,
  perRoute: true,
  maxGroups: true,
  ignore: true,
  signals: true,
});
const SIGNAL_KNOWN = optionKeys<SignalOptions>({ scale: true, logOffset: true, direction: true, drift: true });
const BUILT_IN = new Set([...CALL_SIGNALS, ...RESOURCE_SIGNALS, ...QUALITY_SIGNALS].map((s) => s.name));

/** Validate the `detect` option: `false` turns detection off; `true`, undefined or an object turn it on. */
export function resolveDetectOptions(value: boolean | DetectOptions | undefined): ResolvedDetectOptions | false {
  if (value === false) return false;
  const o: DetectOptions = value === undefined || value === true ? {} : value;
  if (typeof o !== 'object' || o === null || Array.isArray(o)) fail('detect', 'a boolean or an object', value);
  checkKeys('createMonitor', o, KNOWN, 'detect.');
  const detector = resolveDetectorOptions(
    { falseAlarmRate: o.falseAlarmRate, warmup: o.warmup, memory: o.memory, persistence: o.persistence, cooldown: o.cooldown },
    'createMonitor',
    'detect.',
  );
  let drift: Required<DriftOptions> | false = false;
  if (o.drift !== false) {
    if (o.drift !== undefined && (typeof o.drift !== 'object' || o.drift === null || Array.isArray(o.drift))) {
      fail('detect.drift', 'an object or false', o.drift);
    }
    drift = resolveDriftOptions(o.drift, 'createMonitor', 'detect.drift.');
  }
  if (o.perRoute !== undefined && typeof o.perRoute !== 'boolean') fail('detect.perRoute', 'a boolean', o.perRoute);
  checkInteger(fail, 'detect.maxGroups', o.maxGroups, 1, 100_000);
  if (o.ignore !== undefined && !(Array.isArray(o.ignore) && o.ignore.every((s) => typeof s === 'string'))) {
    fail('detect.ignore', 'an array of signal names', o.ignore);
  }
  for (const name of o.ignore ?? []) {
    if (!BUILT_IN.has(name)) throw new TypeError(`createMonitor: option "detect.ignore" names an unknown signal "${name}" (built in: ${[...BUILT_IN].join(', ')})`);
  }
  const signals: Record<string, SignalOptions> = {};
  if (o.signals !== undefined) {
    if (typeof o.signals !== 'object' || o.signals === null || Array.isArray(o.signals)) fail('detect.signals', 'an object', o.signals);
    for (const [name, settings] of Object.entries(o.signals)) {
      const where = `detect.signals.${name}`;
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) fail('detect.signals', 'keyed by snake_case signal names', name);
      if (typeof settings !== 'object' || settings === null || Array.isArray(settings)) fail(where, 'an object', settings);
      checkKeys('createMonitor', settings, SIGNAL_KNOWN, `${where}.`);
      if (settings.scale !== undefined && settings.scale !== 'linear' && settings.scale !== 'log') fail(`${where}.scale`, '"linear" or "log"', settings.scale);
      if (settings.logOffset !== undefined && !(typeof settings.logOffset === 'number' && settings.logOffset > 0 && Number.isFinite(settings.logOffset))) {
        fail(`${where}.logOffset`, 'a positive number', settings.logOffset);
      }
      if (settings.direction !== undefined && !['both', 'up', 'down'].includes(settings.direction)) {
        fail(`${where}.direction`, '"both", "up" or "down"', settings.direction);
      }
      if (settings.drift !== undefined && typeof settings.drift !== 'boolean') fail(`${where}.drift`, 'a boolean', settings.drift);
      signals[name] = { ...settings };
    }
  }
  return {
    falseAlarmRate: detector.falseAlarmRate,
    warmup: detector.warmup,
    memory: detector.memory,
    persistence: detector.persistence,
    cooldown: detector.cooldown,
    drift,
    perRoute: o.perRoute ?? true,
    maxGroups: o.maxGroups ?? 200,
    ignore: new Set(o.ignore ?? []),
    signals,
  };
}

