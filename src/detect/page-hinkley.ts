/**
 * Page-Hinkley test: the cumulative deviation of each observation from the running mean of all
 * observations since the last alert, less a tolerance δ, against its running extreme:
 *
 *   m = Σ (z - mean(z) - δ),  PH = m - min(m)  (and the mirror image for decreases),  alarm when PH ≥ λ.
 *
 * It differs from CUSUM in comparing with the mean since the last reset rather than with the learnt
 * baseline, so it needs no stable reference, at the cost of a slower reaction. z is standardised by the
 * baseline's robust scale; λ comes from the budget with the same run-length approximation as CUSUM
 * (k = δ). Defined in Page (1954) and Hinkley (1971), "Inference about the change-point from
 * cumulative sum tests"; the streaming form in Gama et al. (2014), "A survey on concept drift
 * adaptation".
 */
import { CusumScale, CUSUM_CLIP } from './cusum.js';
import { detectorOptionFailure, type AlertReason, type DetectorOptions } from './detector.js';
import { checkNumberIn } from '../lib/option-error.js';
import { NumericDetector } from './numeric.js';

export interface PageHinkleyOptions extends DetectorOptions {
  /** Tolerated drift δ, in standard deviations. Default 0.5. */
  delta?: number;
}

export class PageHinkleyDetector extends NumericDetector {
  readonly name: string = 'page-hinkley';
  private readonly delta: number;
  private readonly upScale: CusumScale | undefined;
  private readonly downScale: CusumScale | undefined;
  private count = 0;
  private mean = 0;
  private upSum = 0;
  private upMin = 0;
  private downSum = 0;
  private downMin = 0;

  constructor(options?: PageHinkleyOptions) {
    super(options, ['delta']);
    const delta = options?.delta ?? 0.5;
    checkNumberIn(detectorOptionFailure, 'delta', delta, 0, 5);
    this.delta = delta;
    const sides = this.options.direction === 'both' ? 2 : 1;
    const rate = this.options.falseAlarmRate / sides;
    if (this.options.direction !== 'down') this.upScale = new CusumScale(rate, delta);
    if (this.options.direction !== 'up') this.downScale = new CusumScale(rate, delta);
  }

  protected test(z: number): number {
    const c = z > CUSUM_CLIP ? CUSUM_CLIP : z < -CUSUM_CLIP ? -CUSUM_CLIP : z;
    this.count++;
    this.mean += (c - this.mean) / this.count;
    let ratio = 0;
    if (this.upScale !== undefined) {
      this.upSum += c - this.mean - this.delta;
      if (this.upSum < this.upMin) this.upMin = this.upSum;
      ratio = this.upScale.ratio(this.upSum - this.upMin);
      this.reason = 'level_up';
    }
    if (this.downScale !== undefined) {
      this.downSum += this.mean - c - this.delta;
      if (this.downSum < this.downMin) this.downMin = this.downSum;
      const r = this.downScale.ratio(this.downSum - this.downMin);
      if (r > ratio) {
        ratio = r;
        this.reason = 'level_down';
      }
    }
    return ratio;
  }

  protected alerted(_reason: AlertReason): void {
    this.relearn();
  }

  protected clear(): void {
    this.count = 0;
    this.mean = 0;
    this.upSum = this.upMin = this.downSum = this.downMin = 0;
  }
}
