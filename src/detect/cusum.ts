/**
 * CUSUM: the cumulative sum control chart for a sustained shift of the mean (a level shift), two
 * one-sided sums on the standardised residual z (clipped at ±4 so one wild point cannot make a level
 * shift on its own):
 *
 *   S⁺ = max(0, S⁺ + z - k),  S⁻ = max(0, S⁻ - z - k),  alarm when S ≥ h.
 *
 * k is half the shift it is tuned to find fastest (default a 1σ shift, k = 0.5). The threshold h is
 * set from the false-alarm budget with Siegmund's approximation of the in-control average run length,
 * ARL0(h) ≈ (e^{2kh'} - 2kh' - 1) / (2k²) with h' = h + 1.166, and the score of a sum S is
 * ln ARL0(S) measured against ln ARL0(h). Defined in Page (1954), "Continuous inspection schemes";
 * the approximation in Siegmund (1985), "Sequential Analysis", and Montgomery, "Introduction to
 * Statistical Quality Control", §9.1.
 *
 * While a sum is past half its threshold the baseline stops following the signal (the shift must not
 * be learnt as normal before it is reported); after an alert the baseline is learnt again from the
 * new level, so a lasting shift is one alert.
 */
import { detectorOptionFailure, type AlertReason, type DetectorOptions } from './detector.js';
import { checkNumberIn } from '../lib/option-error.js';
import { NumericDetector } from './numeric.js';

/** Siegmund's correction for the overshoot of a normal CUSUM over its threshold, in σ. */
const OVERSHOOT = 1.166;
/** Residuals are clipped here before summing: a level shift takes more than one point. */
export const CUSUM_CLIP = 4;

/** ln ARL0 of a one-sided normal CUSUM with reference k and threshold h (Siegmund). */
export function cusumLogArl0(h: number, k: number): number {
  const a = 2 * k * (h + OVERSHOOT);
  const lnDenominator = Math.log(2 * k * k);
  if (a > 30) return a - lnDenominator;
  return Math.log(Math.max(Math.expm1(a) - a, 1e-300)) - lnDenominator;
}

/** The threshold h whose ARL0 is 1 / rate for a one-sided CUSUM with reference k. */
export function cusumThreshold(rate: number, k: number): number {
  const target = -Math.log(rate);
  let lo = 0;
  let hi = 1;
  while (cusumLogArl0(hi, k) < target && hi < 1e6) hi *= 2;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (cusumLogArl0(mid, k) < target) lo = mid;
    else hi = mid;
  }
  return hi;
}

/**
 * One one-sided CUSUM calibrated to a budget: `ratio(sum)` is 0 at sum 0 and 1 at the threshold.
 */
export class CusumScale {
  readonly threshold: number;
  private readonly atZero: number;
  private readonly span: number;
  /** ratio() at sums 0, step, 2 step, ... up to twice the threshold, interpolated: no log per observation. */
  private readonly table: Float64Array;
  private readonly step: number;

  constructor(
    rate: number,
    readonly k: number,
  ) {
    this.threshold = cusumThreshold(rate, k);
    this.atZero = cusumLogArl0(0, k);
    this.span = -Math.log(rate) - this.atZero;
    this.step = this.threshold / 256;
    this.table = new Float64Array(513);
    for (let i = 0; i < this.table.length; i++) this.table[i] = this.exact(i * this.step);
  }

  ratio(sum: number): number {
    if (!(sum > 0)) return 0;
    const position = sum / this.step;
    const i = position | 0;
    if (i >= 512) return this.exact(sum);
    const table = this.table;
    return table[i] + (table[i + 1] - table[i]) * (position - i);
  }

  private exact(sum: number): number {
    return sum > 0 ? (cusumLogArl0(sum, this.k) - this.atZero) / this.span : 0;
  }
}

export interface CusumOptions extends DetectorOptions {
  /** The shift, in standard deviations, the chart finds fastest (k = shift / 2). Default 1. */
  shift?: number;
}

export class CusumDetector extends NumericDetector {
  readonly name: string = 'cusum';
  private readonly k: number;
  private readonly upScale: CusumScale | undefined;
  private readonly downScale: CusumScale | undefined;
  private up = 0;
  private down = 0;

  constructor(options?: CusumOptions) {
    super(options, ['shift']);
    const shift = options?.shift ?? 1;
    checkNumberIn(detectorOptionFailure, 'shift', shift, 0, 10);
    this.k = shift / 2;
    const direction = this.options.direction;
    const sides = direction === 'both' ? 2 : 1;
    const rate = this.options.falseAlarmRate / sides;
    if (direction !== 'down') this.upScale = new CusumScale(rate, this.k);
    if (direction !== 'up') this.downScale = new CusumScale(rate, this.k);
  }

  protected test(z: number): number {
    const c = z > CUSUM_CLIP ? CUSUM_CLIP : z < -CUSUM_CLIP ? -CUSUM_CLIP : z;
    let ratio = 0;
    if (this.upScale !== undefined) {
      this.up = Math.max(0, this.up + c - this.k);
      ratio = this.upScale.ratio(this.up);
      this.reason = 'level_up';
    }
    if (this.downScale !== undefined) {
      this.down = Math.max(0, this.down - c - this.k);
      const r = this.downScale.ratio(this.down);
      if (r > ratio) {
        ratio = r;
        this.reason = 'level_down';
      }
    }
    return ratio;
  }

  protected override follows(): boolean {
    return (
      (this.upScale === undefined || this.up < this.upScale.threshold / 2) &&
      (this.downScale === undefined || this.down < this.downScale.threshold / 2)
    );
  }

  protected alerted(_reason: AlertReason): void {
    this.relearn();
  }

  protected clear(): void {
    this.up = 0;
    this.down = 0;
  }
}
