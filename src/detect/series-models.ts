/**
 * Pieces of the `series` detector (series.ts): the error scale each forecast keeps, the seasonal
 * model's period, and the mean-surprise window.
 */
import { SurpriseCalibrator, type Teach } from './calibration.js';
import { median } from './stats.js';

/** A normal's standard deviation over its mean absolute deviation, √(π/2). */
export const MEAN_AD_TO_SD = 1.2533;
const DAY_MS = 86_400_000;

/** One forecast's error scale: a mean absolute error, clipped at 4 scales, as a standard deviation. */
export class ErrorScale {
  constructor(
    private readonly rate: number,
    public scale = 1,
  ) {}
  follow(error: number): void {
    const a = error < 0 ? -error : error;
    const c = a < 4 * this.scale ? a : 4 * this.scale;
    this.scale += this.rate * (MEAN_AD_TO_SD * c - this.scale);
  }
}

/** The level model's start, fitted on the warm-up. */
export interface LevelStart {
  level: number;
  spreadVariance: number;
  covariance: number;
  levelScale: number;
}

/**
 * The level model's start from the warm-up w: its median, robust spread (MAD, or the mean absolute
 * deviation when most values are one), lag-1 autocovariance, and error scale: the typical step
 * between consecutive values.
 */
export function levelStart(w: readonly number[]): LevelStart {
  const n = w.length;
  const m = median(w);
  const deviations = w.map((x) => Math.abs(x - m));
  let sd = 1.4826 * median(deviations);
  if (!(sd > 0)) sd = (MEAN_AD_TO_SD * deviations.reduce((a, b) => a + b, 0)) / n;
  if (!(sd > 0)) sd = Math.max(1e-9, Math.abs(m) * 1e-6);
  let cov = 0;
  let variance = 0;
  for (let i = 1; i < n; i++) {
    cov += (w[i] - m) * (w[i - 1] - m);
    variance += (w[i - 1] - m) ** 2;
  }
  const phi = variance > 0 ? Math.max(0, Math.min(0.98, cov / variance)) : 0;
  const steps = w.slice(1).map((x, i) => Math.abs(x - w[i]));
  let stepScale = 1.4826 * median(steps);
  if (!(stepScale > 0)) stepScale = (MEAN_AD_TO_SD * steps.reduce((a, b) => a + b, 0)) / Math.max(1, steps.length);
  return { level: m, spreadVariance: sd * sd, covariance: phi * sd * sd, levelScale: Math.max(stepScale, sd * 0.05, 1e-9) };
}

/** The seasonal model's starting error scale: the warm-up's mean absolute change over a period, as a standard deviation. */
export function seasonalScale(w: readonly number[], period: number): number {
  let sum = 0;
  for (let i = period; i < w.length; i++) sum += Math.abs(w[i] - w[i - period]);
  return Math.max((MEAN_AD_TO_SD * sum) / (w.length - period), 1e-9);
}

/**
 * The seasonal period in observations, or 0 for none: the `period` option, or for `daily` a day over
 * the median spacing of the warm-up's timestamps (when a day is 4 to 5,000 of them); 0 unless the
 * warm-up holds a day and 10 values more, to forecast from and to know the forecast's error.
 */
export function seasonalPeriod(option: number | 'daily' | false, warmTimes: readonly number[]): number {
  const n = warmTimes.length;
  if (option === false) return 0;
  let period: number;
  if (option === 'daily') {
    const gaps: number[] = [];
    for (let i = 1; i < n; i++) if (Number.isFinite(warmTimes[i]) && Number.isFinite(warmTimes[i - 1])) gaps.push(warmTimes[i] - warmTimes[i - 1]);
    if (gaps.length < n / 2) return 0;
    const gap = median(gaps);
    if (!(gap > 0)) return 0;
    period = Math.round(DAY_MS / gap);
    if (period < 4 || period > 5000) return 0;
  } else period = option;
  return n >= period + 10 ? period : 0;
}

/** nearer / error when the nearer forecast's error is smaller, else 1: how much it shrinks a z. */
export function nearerRatio(nearer: number, error: number): number {
  return (nearer < 0 ? -nearer : nearer) < (error < 0 ? -error : error) ? nearer / error : 1;
}

/**
 * The surprise of a window's mean m of `width` unit-exponential surprises: width (m − 1 − ln m) for
 * m > 1, the Chernoff bound for such a mean (0 for a mean at or under 1).
 */
export function meanSurprise(mean: number, width: number): number {
  return mean > 1 ? width * (mean - 1 - Math.log(mean)) : 0;
}

/** Surprises beyond this count as this in the window's mean (one wild value is the point statistic's). */
const WINDOW_CAP = 30;

/**
 * The mean-surprise window: the mean of the last `width` surprises (each capped), its surprise
 * calibrated against this series' windows before it, each entering that history once it no longer
 * overlaps the current one.
 */
export class SurpriseWindow {
  private readonly surprises: Float64Array;
  private sum = 0;
  private next = 0;
  private fill = 0;
  private readonly calibrator: SurpriseCalibrator;

  constructor(
    readonly width: number,
    horizon: number,
    tailShare: number,
  ) {
    this.surprises = new Float64Array(width);
    this.calibrator = new SurpriseCalibrator(horizon, width, tailShare);
  }

  /** The calibrated surprise (nats) of the window ending with this surprise; 0 until the window is full. */
  update(surprise: number, teach: Teach): number {
    const capped = surprise < WINDOW_CAP ? surprise : WINDOW_CAP;
    this.sum += capped - this.surprises[this.next];
    this.surprises[this.next] = capped;
    const width = this.width;
    this.next = this.next + 1 === width ? 0 : this.next + 1;
    if (this.fill < width) {
      this.fill++;
      return 0;
    }
    return this.calibrator.calibrate(meanSurprise(this.sum / width, width), teach);
  }

  reset(): void {
    this.surprises.fill(0);
    this.sum = 0;
    this.next = 0;
    this.fill = 0;
    this.calibrator.reset();
  }
}
