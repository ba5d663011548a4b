/**
 * The default detector: three statistics on the same robust baseline, each given a share of the
 * false-alarm budget, the score being that of the strongest:
 *
 * - point (25% of the budget): the observation's tail probability among the signal's own recent
 *   values: one observation far out (a latency spike). See robust-z.ts and ranks.ts.
 * - level (50%, split between the directions watched): two-sided CUSUM tuned to a 1σ shift: a
 *   sustained move of the typical value (time to first chunk creeping up). See cusum.ts.
 * - variance (25%): a likelihood-ratio CUSUM for the spread growing by half,
 *   S = max(0, S + ½·min(z², 16)·(1 - 1/1.5²) - ln 1.5): calls becoming erratic without their typical
 *   value moving. Its in-control run length is ARL0 ≈ e^(S + 2.9), fitted by simulation of normal
 *   residuals (bench/detect.mjs measures the whole detector's ARL0).
 *
 * The level and variance charts run on the value's rank among the signal's recent history as a normal
 * score (ranks.ts), of mean 0 and variance 1 for a stable signal of any shape, so their normal run
 * lengths hold on token counts and skewed latencies too. As the shares add up to the budget, the detector's
 * false-alarm rate is about the budget (Bonferroni; measured within 1.2 × it on ten families of
 * stable signals, bench/detect-families.mjs).
 * After a level or variance alert the baseline is learnt again (over the cooldown, see numeric.ts),
 * so the new normal does not alert again; after a point alert it keeps its baseline (one spike says
 * nothing about the next call).
 */
import { CusumScale, CUSUM_CLIP } from './cusum.js';
import { detectorOptionFailure, type AlertReason, type DetectorOptions } from './detector.js';
import { checkNumberIn } from '../lib/option-error.js';
import { NumericDetector } from './numeric.js';

const POINT_SHARE = 0.25;
const LEVEL_SHARE = 0.5;
const VARIANCE_SHARE = 0.25;
/** The spread growth the variance chart is tuned to: 1.5 times the baseline's. */
const VARIANCE_RATIO = 1.5;
const VARIANCE_GAIN = 0.5 * (1 - 1 / (VARIANCE_RATIO * VARIANCE_RATIO));
const VARIANCE_COST = Math.log(VARIANCE_RATIO);
/** ln ARL0 - S of the variance chart, from simulation (2.8 to 3.0 for thresholds 3 to 7; the lower end kept). */
const VARIANCE_ARL_OFFSET = 2.8;
/**
 * The run-length approximations assume independent normal residuals. The residuals are ranks among a
 * sliding history (ranks.ts): exactly normal one by one, but the history they are ranked in moves
 * slowly, and the measured in-control run lengths came out shorter than the approximations: the
 * level chart's by about 1.5 (absorbed: it stays inside the 1.5 × budget the families benchmark
 * checks), the variance chart's by about 2, whose budget is scaled by this to make up for it
 * (bench/detect-families.mjs, 1,000,000 observations per family).
 */
const VARIANCE_ALLOWANCE = 0.5;
const VARIANCE_Z2_CLIP = CUSUM_CLIP * CUSUM_CLIP;

export interface CombinedOptions extends DetectorOptions {
  /** The level shift, in standard deviations, the CUSUM finds fastest. Default 1. */
  shift?: number;
}

export class CombinedDetector extends NumericDetector {
  readonly name: string = 'combined';
  private readonly lnPointBudget: number;
  private readonly k: number;
  private readonly upScale: CusumScale | undefined;
  private readonly downScale: CusumScale | undefined;
  private readonly varianceThreshold: number;
  private up = 0;
  private down = 0;
  private variance = 0;

  constructor(options?: CombinedOptions) {
    super(options, ['shift']);
    const shift = options?.shift ?? 1;
    checkNumberIn(detectorOptionFailure, 'shift', shift, 0, 10);
    const rate = this.options.falseAlarmRate;
    const direction = this.options.direction;
    this.lnPointBudget = Math.log(rate * POINT_SHARE);
    this.k = shift / 2;
    const levelRate = (rate * LEVEL_SHARE) / (direction === 'both' ? 2 : 1);
    if (direction !== 'down') this.upScale = new CusumScale(levelRate, this.k);
    if (direction !== 'up') this.downScale = new CusumScale(levelRate, this.k);
    this.varianceThreshold = Math.max(1, -Math.log(rate * VARIANCE_SHARE * VARIANCE_ALLOWANCE) - VARIANCE_ARL_OFFSET);
  }

  protected test(z: number, lnPoint: number): number {
    let ratio = lnPoint / this.lnPointBudget;
    let reason: AlertReason = 'point';
    const c = z > CUSUM_CLIP ? CUSUM_CLIP : z < -CUSUM_CLIP ? -CUSUM_CLIP : z;
    // Both sides share one scale: only the larger sum can be the stronger (one log and one exp fewer).
    let sum = 0;
    let sideReason: AlertReason = 'level_up';
    if (this.upScale !== undefined) {
      this.up = Math.max(0, this.up + c - this.k);
      sum = this.up;
    }
    if (this.downScale !== undefined) {
      this.down = Math.max(0, this.down - c - this.k);
      if (this.down > sum) {
        sum = this.down;
        sideReason = 'level_down';
      }
    }
    if (sum > 0) {
      const r = (this.upScale ?? this.downScale)!.ratio(sum);
      if (r > ratio) {
        ratio = r;
        reason = sideReason;
      }
    }
    // With a direction, only deviations that way count toward the spread (a latency chart does not
    // alert on calls getting faster); that only lengthens the in-control run.
    const d = this.options.direction;
    const side = d === 'both' ? z : d === 'up' ? (z > 0 ? z : 0) : z < 0 ? z : 0;
    const z2 = side * side;
    this.variance = Math.max(0, this.variance + VARIANCE_GAIN * (z2 < VARIANCE_Z2_CLIP ? z2 : VARIANCE_Z2_CLIP) - VARIANCE_COST);
    const r = this.variance / this.varianceThreshold;
    if (r > ratio) {
      ratio = r;
      reason = 'variance';
    }
    this.reason = reason;
    return ratio;
  }

  protected override follows(): boolean {
    return (
      (this.upScale === undefined || this.up < this.upScale.threshold / 2) &&
      (this.downScale === undefined || this.down < this.downScale.threshold / 2) &&
      this.variance < this.varianceThreshold / 2
    );
  }

  protected alerted(reason: AlertReason): void {
    if (reason !== 'point') this.relearn();
  }

  protected clear(): void {
    this.up = 0;
    this.down = 0;
    this.variance = 0;
  }
}
