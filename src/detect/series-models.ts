/**
 * Pieces of the `series` detector's two forecasts (series.ts): the error scale each model keeps, and
 * the seasonal model's period.
 */
import { median } from './stats.js';

/** A normal's standard deviation over its mean absolute deviation, √(π/2). */
export const MEAN_AD_TO_SD = 1.2533;
const DAY_MS = 86_400_000;

/** One forecast's error scale: a mean absolute error, clipped at 4 scales, as a standard deviation. */
export class ErrorScale {
  scale = 1;
  constructor(private readonly rate: number) {}
  follow(error: number): void {
    const a = error < 0 ? -error : error;
    const c = a < 4 * this.scale ? a : 4 * this.scale;
    this.scale += this.rate * (MEAN_AD_TO_SD * c - this.scale);
  }
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
