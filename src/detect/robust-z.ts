/**
 * Robust z-score: how far one observation lies from the baseline's median, in robust standard
 * deviations (1.4826 × MAD, followed with Huber-clipped updates), optionally on a log scale. It
 * catches point anomalies: a single latency spike, one call with ten times the usual output.
 *
 * p is the normal tail probability of z (two-sided unless a direction is given), so the score is 0.5
 * where a stable normal signal would be this far out once per `1 / falseAlarmRate` observations.
 * Defined in Iglewicz & Hoaglin (1993), "How to detect and handle outliers" (the modified z-score).
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

  protected test(z: number): number {
    this.reason = 'point';
    return logTailFor(this.options.direction, z) / this.lnBudget;
  }

  protected alerted(_reason: AlertReason): void {}
  protected clear(): void {}
}
