/**
 * The numeric detectors score each value by its rank among the signal's recent values (ranks.ts); this
 * baseline is what they report as the typical value and its spread (and what `standardize` offers
 * where a normal z is wanted).
 *
 * The baseline a detector compares each observation with: a robust location and scale of the signal
 * (on the scale the detector works on), learnt from the first observations and then followed slowly.
 *
 * - Warm-up: the first `warmup` values are kept; location = their median, scale = 1.4826 × their
 *   median absolute deviation (the MAD, consistent with the standard deviation for normal data). Where
 *   the MAD is 0 (a flat or heavily quantised signal) the mean absolute deviation stands in, then a
 *   floor, so a signal that never moved still has a scale and its first move scores as surprising.
 * - Afterwards: weighted updates with Huber-clipped residuals (clipped at 3 scales): an outlier moves
 *   the baseline no more than a 3-sigma value would, so spikes do not mask the next one. The weight is
 *   1 / n while fewer than `memory` values have been seen (a running mean: every value counts alike),
 *   then 2 / (memory + 1), the EWMA with the same centre of mass as a `memory`-long window.
 * - Standardising: a baseline learnt from n values is itself uncertain, and a new value's residual
 *   then follows Student's t, not the normal (the predictive distribution): `standardize` maps the
 *   residual through t with n / 2 degrees of freedom (about the efficiency of the robust estimates)
 *   and sqrt(1 + 1/n) for the location's own error, back to a normal z (Wallace 1959), so the false
 *   alarm rate holds right after the warm-up as well as after thousands of values. This is the
 *   self-starting idea of Hawkins (1987), "Self-starting CUSUM charts for location and scale".
 *
 * Definitions: Huber (1964), "Robust estimation of a location parameter"; the MAD's 1.4826 factor is
 * 1 / Φ⁻¹(3/4) (Rousseeuw & Croux 1993).
 */
import { median } from './stats.js';

/** E[min(Z², 9)] for standard normal Z: rescales the clipped squared residuals to the variance. */
const CLIPPED_SECOND_MOMENT = 0.99501;
const CLIP = 3;
const MAD_TO_SD = 1.4826;
/** Mean absolute deviation to standard deviation for normal data: sqrt(π / 2). */
const MEAN_AD_TO_SD = 1.2533;

export class Baseline {
  /** Location (median) on the working scale. */
  location = 0;
  /** Scale (standard-deviation equivalent) on the working scale. */
  scale = 1;
  /** True once the warm-up is complete. */
  ready = false;
  private readonly warm: Float64Array;
  private warmCount = 0;
  /** Values the current warm-up fits on: `warmup`, or fewer when learning again after an alert. */
  private warmTarget: number;
  private readonly memory: number;
  /** Values the estimate rests on (warm-up included), capped at `memory`. */
  private support = 0;
  private rate = 1;
  /** Student-t to normal factors for the current support (see `standardize`). */
  private predictive = 1;
  private dof = 1;
  private wallace = 1;

  constructor(
    readonly warmup: number,
    memory: number,
    /** The smallest scale, absolute, on the working scale. */
    private readonly minScale = 1e-9,
  ) {
    this.warm = new Float64Array(Math.max(1, warmup));
    this.warmTarget = this.warm.length;
    this.memory = memory;
  }

  /** Count one value toward the warm-up; true when this value completed it. */
  learn(y: number): boolean {
    this.warm[this.warmCount++] = y;
    if (this.warmCount < this.warmTarget) return false;
    this.fit();
    return true;
  }

  /** Values learnt so far during the warm-up. */
  get learnt(): number {
    return this.ready ? this.warmTarget : this.warmCount;
  }

  /**
   * The normal z of value y (on the working scale) under the predictive distribution: for a large
   * support this is (y - location) / scale; for a small one it is pulled in as Student's t asks.
   */
  standardize(y: number): number {
    const t = ((y - this.location) / this.scale) * this.predictive;
    const dof = this.dof;
    // Wallace's (1959) normal approximation to the t distribution: z = sqrt(ν ln(1 + t²/ν)) (8ν+1)/(8ν+3).
    // For the usual small t, its series |t| (1 - x/4 + 0.1354 x²), x = t²/ν, saves a log and a root
    // (truncation error below 0.3% for x < 0.3).
    const x = (t * t) / dof;
    const z = x < 0.3 ? (t < 0 ? -t : t) * (1 - x / 4 + 0.1354 * x * x) * this.wallace : Math.sqrt(dof * Math.log1p(x)) * this.wallace;
    return t < 0 ? -z : z;
  }

  /** Follow the signal with one more value y (on the working scale). */
  follow(y: number): void {
    const r = (y - this.location) / this.scale;
    const c = r > CLIP ? CLIP : r < -CLIP ? -CLIP : r;
    if (this.support < this.memory) this.grow(this.support + 1);
    const rate = this.rate;
    const scale = this.scale;
    this.location += rate * scale * c;
    const variance = scale * scale * (1 - rate + (rate * c * c) / CLIPPED_SECOND_MOMENT);
    this.scale = Math.max(Math.sqrt(variance), this.floor());
  }

  /**
   * Forget everything and warm up again, on `values` values (at most `warmup`): after a level shift
   * was alerted the new level is the new normal, and a shorter warm-up keeps the detector blind for
   * less time (the predictive standardising makes up for the smaller fit).
   */
  restart(values = this.warm.length): void {
    this.warmTarget = Math.max(1, Math.min(values, this.warm.length));
    this.warmCount = 0;
    this.ready = false;
  }

  private grow(support: number): void {
    this.support = support;
    this.rate = support < this.memory ? 1 / support : 2 / (this.memory + 1);
    this.predictive = 1 / Math.sqrt(1 + 1 / support);
    this.dof = Math.max(2, support / 2);
    this.wallace = (8 * this.dof + 1) / (8 * this.dof + 3);
  }

  private fit(): void {
    const n = this.warmTarget;
    const m = median(this.warm, n);
    const deviations = new Float64Array(n);
    let absSum = 0;
    for (let i = 0; i < n; i++) {
      deviations[i] = Math.abs(this.warm[i] - m);
      absSum += deviations[i];
    }
    this.location = m;
    let scale = MAD_TO_SD * median(deviations, n);
    if (!(scale > 0)) scale = (MEAN_AD_TO_SD * absSum) / n;
    this.scale = Math.max(scale, this.floor());
    this.ready = true;
    this.warmCount = n;
    this.grow(n);
  }

  private floor(): number {
    // Relative to the level, so a flat signal at 1e6 and one at 1e-3 both get a sensible unit.
    return Math.max(this.minScale, Math.abs(this.location) * 1e-6);
  }
}
