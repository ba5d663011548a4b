/**
 * An anomaly incident: what the detector sink reports instead of each detector alert. It opens on the
 * first alert of a signal in a family of label sets (a model's, `{ provider, model }`, and its
 * routes', `{ provider, model, route }`), is named after the most specific label set alerting on
 * that call, takes in every later alert of the family, and closes once every label set in it has
 * settled (`Recovery`). One `anomaly` event when it opens, one `anomaly_resolved` when it closes;
 * defined in docs/detection.md, "One incident, one alert".
 */
import type { AlertReason } from './detector.js';

/** Why an incident closed. */
export type IncidentCause = 'recovered' | 'new_baseline' | 'rebaselined';

/** One open incident of one signal; `M` is the sink's watch of one signal in one label set, `R` a call's record. */
export class Incident<M, R extends { id: string }> {
  /** The label sets it is in, the first one included. */
  readonly members: M[];
  /** The label sets listed besides the one it is named after. */
  readonly related: Record<string, string>[] = [];
  /** True once its `anomaly` event went out (label sets alerting after that only join `related`). */
  announced = false;
  /** Detector alerts it took in, its first included. */
  alerts = 1;
  closedAt = 0;
  cause: IncidentCause = 'recovered';

  constructor(
    readonly id: string,
    /** The watch it is named after: its labels, its counter. */
    public watch: M,
    public value: number,
    public score: number,
    readonly firedAt: number,
    public reason: AlertReason,
    /** The typical value before it, in the signal's units. */
    public firedBaseline: number | undefined,
    /** The call that opened it, which gets it in `record.alerts`. */
    readonly record: R | undefined,
  ) {
    this.members = [watch];
  }
}

/** What makes a label set of an incident settled: one rule for the whole sink. */
export interface RecoveryRule {
  /** Observations in a row its detector must score below 0.5 (the cooldown, at least 1). */
  quiet: number;
  /** The weight of each value in the short mean (an EWMA over `quiet` observations: 2 / (quiet + 1)). */
  weight: number;
  /** Observations after which a change still there is the detector's new baseline (`memory`). */
  memory: number;
}

/**
 * Where one label set of an incident stands. Settled when its detector has scored below 0.5 for
 * `rule.quiet` observations in a row (not counting those while it learns its baseline again: its
 * score is 0 then and says nothing), and either a short mean of its values is back within half a
 * spread of the typical value before the incident (`back`), or `rule.memory` observations have
 * passed since it alerted. Values are on the detector's working scale (the log for log-scale
 * signals); for a rate signal each is 1 for an event, 0 otherwise, and the spread is that of one
 * event, √(p0 (1 − p0)).
 */
export class Recovery {
  quiet = 0;
  /** Observations since it alerted. */
  since = 0;
  private level = Number.NaN;
  private band = 0;
  private recent = 0;

  constructor(private readonly rule: RecoveryRule) {}

  /** It alerted: `level` and `spread` are the detector's before the alert, `value` the alerting one. */
  start(level: number, spread: number | undefined, value: number): void {
    this.level = level;
    this.band = 0.5 * (spread ?? 0) + 1e-9 * Math.abs(level);
    this.recent = value;
    this.quiet = 0;
    this.since = 0;
  }

  /** One more observation while in the incident. */
  observe(value: number, anomalous: boolean, learning: boolean): void {
    this.since++;
    this.recent += this.rule.weight * (value - this.recent);
    if (anomalous) this.quiet = 0;
    else if (!learning) this.quiet++;
  }

  /** Its short mean is back near the typical value before the incident (always, when there was none). */
  get back(): boolean {
    return !(Math.abs(this.recent - this.level) > this.band);
  }

  /** `undefined` while not settled; else whether it is back (`recovered`) or the change stayed (`new_baseline`). */
  settled(): IncidentCause | undefined {
    if (this.quiet < this.rule.quiet) return undefined;
    if (this.back) return 'recovered';
    return this.since >= this.rule.memory ? 'new_baseline' : undefined;
  }
}
