/**
 * Point test: how rare one observation is against the signal's own recent history, two-sided unless a
 * direction is given. It catches point anomalies: a single latency spike, one call with ten times
 * the usual output.
 *
 * p is the conservative rank of the value among the last `memory` values, with a peaks-over-threshold
 * tail beyond the most extreme tenth (ranks.ts): no normal assumption, so a skewed or heavy-tailed
 * signal keeps the budget, and a value equal to one seen often is never an outlier. The score is 0.5
 * where p is the false-alarm budget. The baseline (median and MAD, as the modified z-score of
 * Iglewicz & Hoaglin 1993) is what the detector reports as its typical value.
 */
import type { AlertReason, DetectorOptions } from './detector.js';
import { NumericDetector } from './numeric.js';
import { logNormalTwoSidedTail, logNormalUpperTail } from './stats.js';

/** ln of the one- or two-sided normal tail of z for a direction. */
export function logTailFor(direction: 'both' | 'up' | 'down', z: number): number {
  if (direction === 'both') return logNormalTwoSidedTail(z);
  if (direction === 'up') return z > 0 ? logNormalUpperTail(z) : 0;
  return z < 0 ? logNormalUpperTail(-z) : 0;
}

export class RobustZDetector extends NumericDetector {
  readonly name: string = 'robust-z';
  private readonly lnBudget: number;

  constructor(options?: DetectorOptions) {
    super(options);
    this.lnBudget = Math.log(this.options.falseAlarmRate);
  }

  protected test(_z: number, lnPoint: number): number {
    this.reason = 'point';
    return lnPoint / this.lnBudget;
  }

  protected alerted(_reason: AlertReason): void {}
  protected clear(): void {}
}
