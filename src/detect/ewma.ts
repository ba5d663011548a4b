/**
 * EWMA control chart: an exponentially weighted moving average of the standardised residual,
 *
 *   E = (1 - λ) E + λ z,   standardised by its in-control spread sqrt(λ / (2 - λ)),
 *
 * which averages noise away and so sees small sustained shifts (a 0.5σ creep in time to first chunk)
 * that a point test misses. The score uses the normal tail of the standardised average; consecutive
 * averages are strongly correlated, so the real in-control run length is longer than 1 / budget (the
 * benchmark reports it). Defined in Roberts (1959), "Control chart tests based on geometric moving
 * averages"; Lucas & Saccucci (1990) for its run lengths.
 *
 * Like CUSUM, the baseline stops following while the average is past half its limit, and is learnt
 * again after an alert.
 */
import { detectorOptionFailure, type AlertReason, type DetectorOptions } from './detector.js';
import { checkNumberIn } from '../lib/option-error.js';
import { NumericDetector } from './numeric.js';
import { logTailFor } from './robust-z.js';
import { normalQuantileUpper } from './stats.js';

export interface EwmaOptions extends DetectorOptions {
  /** Weight of the newest residual, in (0, 1]. Default 0.1 (memory of about 20 observations). */
  lambda?: number;
}

export class EwmaDetector extends NumericDetector {
  readonly name: string = 'ewma';
  private readonly lambda: number;
  private readonly spreadOfAverage: number;
  private readonly lnBudget: number;
  private readonly halfLimit: number;
  private average = 0;

  constructor(options?: EwmaOptions) {
    super(options, ['lambda']);
    const lambda = options?.lambda ?? 0.1;
    checkNumberIn(detectorOptionFailure, 'lambda', lambda, 0, 1);
    this.lambda = lambda;
    this.spreadOfAverage = Math.sqrt(lambda / (2 - lambda));
    this.lnBudget = Math.log(this.options.falseAlarmRate);
    const sides = this.options.direction === 'both' ? 2 : 1;
    this.halfLimit = normalQuantileUpper(this.options.falseAlarmRate / sides) / 2;
  }

  protected test(z: number): number {
    const c = z > 4 ? 4 : z < -4 ? -4 : z;
    this.average += this.lambda * (c - this.average);
    const u = this.average / this.spreadOfAverage;
    this.reason = u >= 0 ? 'level_up' : 'level_down';
    return logTailFor(this.options.direction, u) / this.lnBudget;
  }

  protected override follows(): boolean {
    const u = this.average / this.spreadOfAverage;
    return u < this.halfLimit && u > -this.halfLimit;
  }

  protected alerted(_reason: AlertReason): void {
    this.relearn();
  }

  protected clear(): void {
    this.average = 0;
  }
}
