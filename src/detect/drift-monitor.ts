/**
 * What the two drift monitors (numeric-drift.ts, categorical-drift.ts) share: the result of one
 * comparison of the reference and current windows, the state they report, and the schedule that
 * compares the windows every `every` observations once the reference is ready, never per observation.
 * drift.ts describes drift as a whole.
 */
import { resolveDriftOptions, type DriftOptions } from './drift-options.js';

/** One comparison of the windows. */
export interface DriftResult {
  /** The statistic that decides: `psi` (numeric) or `js_distance` (categorical). */
  statistic: 'psi' | 'js_distance';
  /** Its value and threshold. */
  value: number;
  threshold: number;
  /** Drift score in [0, 1): value / (value + threshold), 0.5 exactly at the threshold. */
  score: number;
  /** True when the signal has drifted (past the threshold, and the p-value guard for categories). */
  drifted: boolean;
  /** Every statistic computed, by name. */
  statistics: Record<string, number>;
  /**
   * A summary of each window: the median for numeric signals (the current one exact in a drift
   * verdict, from the bins otherwise), the shares for categorical ones.
   */
  reference: number | Record<string, number>;
  current: number | Record<string, number>;
  /** Observations in each window. */
  referenceSize: number;
  currentSize: number;
}

export interface DriftState {
  phase: 'collecting_reference' | 'watching';
  observations: number;
  referenceSize: number;
  currentSize: number;
  /** The latest comparison, if any. */
  last: DriftResult | undefined;
  /** Comparisons that found drift. */
  drifts: number;
}

/** The comparison schedule and the reported state; a subclass keeps the windows and compares them. */
export abstract class DriftMonitor {
  protected readonly options: Required<DriftOptions>;
  protected observations = 0;
  protected referenceReady = false;
  protected last: DriftResult | undefined;
  private sinceEvaluation = 0;
  private drifts = 0;

  constructor(options: DriftOptions | undefined) {
    this.options = resolveDriftOptions(options);
  }

  /** The comparison when this observation completes an evaluation period, else undefined. */
  protected tick(): DriftResult | undefined {
    if (!this.referenceReady) return undefined;
    if (++this.sinceEvaluation < this.options.every) return undefined;
    this.sinceEvaluation = 0;
    const result = this.compare();
    if (result === undefined) return undefined;
    this.last = result;
    if (result.drifted) this.drifts++;
    return result;
  }

  state(): DriftState {
    return {
      phase: this.referenceReady ? 'watching' : 'collecting_reference',
      observations: this.observations,
      referenceSize: this.referenceSize(),
      currentSize: this.currentSize(),
      last: this.last,
      drifts: this.drifts,
    };
  }

  protected resetTicks(): void {
    this.sinceEvaluation = 0;
    this.last = undefined;
  }

  protected abstract compare(): DriftResult | undefined;
  protected abstract referenceSize(): number;
  protected abstract currentSize(): number;
}
