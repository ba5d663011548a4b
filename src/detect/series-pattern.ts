/**
 * The `series` detector's fourth statistic, on a seasonal series: is the recent stretch's shape one
 * the series has had at this time of day before? The last `width` values are compared, value by value,
 * with the same stretch one day earlier and one week earlier (the lags, in periods), each difference
 * scaled by that lag's typical difference; the stretch is new when it is far from both.
 *
 * The forecasts judge one value at a time, and the level model follows a smooth series step by step: a
 * level shift smaller than the daily swing, a holiday shaped like a Sunday, is near each one-step
 * forecast all along. Yesterday alone would call every Monday new after a Sunday; last week alone
 * every holiday a week later; the nearer of the two is a stretch the series has had before.
 *
 * Each scaled difference e = |y − y₋ₖₚ| / s_k (s_k the lag's mean absolute difference, followed
 * robustly) is about a unit exponential on a stable series, so the window's mean m is read as the
 * mean-surprise window reads its own: surprise width (m − 1 − ln m) for m > 1, and it goes through the
 * likelihood stage (calibration.ts) against this series' own history of them, a window entering that
 * history once it no longer overlaps the current one. That history starts once last week has a window
 * to compare with (before that the nearer day is yesterday alone, and a weekend would be new against
 * it), and the statistic speaks a day later. After a level or range alert (`rebase`) it waits a day and
 * a window: one move, one alert. Its week of values also gives the point statistic last week's value
 * at this time (`weekAgo`: a value nearer to it than to the forecasts is not a point anomaly).
 *
 * The idea is the seasonal-naive error of the forecasting literature (Hyndman & Athanasopoulos, §5.2)
 * summed over a window and taken at the nearer of two seasonal lags, a nearest-neighbour distance over
 * two candidates (as the contextual detectors of NAB's scoreboard, KNN CAD and CAD OSE, compare the
 * recent context with past ones).
 */
import { SurpriseCalibrator, type Teach } from './calibration.js';
import { meanSurprise } from './series-models.js';

/** The lags compared with, in periods: a day and a week earlier. */
const LAGS = [1, 7];
/** A difference beyond this many scales counts as this: one wild value is the point statistic's. */
const CAP = 4;

export class PatternStatistic {
  /** The latest `7 period` values, the comparisons' other side. */
  private readonly past: Float64Array;
  private pastNext = 0;
  /** Values seen (the warm-up's included). */
  private seen = 0;
  private readonly lags: number[];
  /** Per lag, the mean absolute difference (followed with the level model's error scale's rate). */
  private readonly scales: Float64Array;
  /** Per lag, the window's signed scaled differences (a ring of `width`), the sum of their sizes, and their sum. */
  private readonly terms: Float64Array[];
  private readonly sums: Float64Array;
  private readonly signedSums: Float64Array;
  private termNext = 0;
  /** Until `seen` reaches this, a window is compared across a level or range alert: not news, not taught. */
  private quietUntil = 0;
  private readonly calibrator: SurpriseCalibrator;
  /** Whether the latest window was above the stretch it was nearer to (the alert's direction). */
  up = true;

  constructor(
    private readonly period: number,
    readonly width: number,
    horizon: number,
    tailShare: number,
    private readonly rate: number,
    startScale: number,
  ) {
    this.lags = LAGS.map((k) => k * period);
    this.past = new Float64Array(this.lags[this.lags.length - 1]);
    this.scales = new Float64Array(LAGS.length).fill(startScale > 0 ? startScale : 1e-9);
    this.terms = LAGS.map(() => new Float64Array(width));
    this.sums = new Float64Array(LAGS.length);
    this.signedSums = new Float64Array(LAGS.length);
    this.calibrator = new SurpriseCalibrator(horizon, width, tailShare);
  }

  /**
   * The calibrated surprise (nats) of the window ending with y; 0 until the longest lag has had a
   * window to compare with for a period, and for a period and a window after a rebase.
   */
  update(y: number, teach: Teach): number {
    const past = this.past;
    const size = past.length;
    const lags = this.lags;
    const next = this.termNext;
    const width = this.width;
    const seen = this.seen;
    let best = Infinity;
    let signed = 0;
    for (let i = 0; i < lags.length; i++) {
      const lag = lags[i];
      let term = 0;
      let signedTerm = 0;
      if (seen >= lag) {
        let at = this.pastNext - lag;
        if (at < 0) at += size;
        const d = y - past[at];
        const a = d < 0 ? -d : d;
        const scale = this.scales[i];
        term = a < CAP * scale ? a / scale : CAP;
        signedTerm = d < 0 ? -term : term;
        this.scales[i] = scale + this.rate * (term * scale - scale);
      }
      const ring = this.terms[i];
      const old = ring[next];
      this.sums[i] += term - (old < 0 ? -old : old);
      this.signedSums[i] += signedTerm - old;
      ring[next] = signedTerm;
      if (seen >= lag + width - 1 && this.sums[i] < best) {
        best = this.sums[i];
        signed = this.signedSums[i];
      }
    }
    past[this.pastNext] = y;
    this.pastNext = this.pastNext + 1 === size ? 0 : this.pastNext + 1;
    this.seen = seen + 1;
    this.termNext = next + 1 === width ? 0 : next + 1;
    // Until last week has a window to compare with, the nearer of the lags is not the statistic it will
    // be (a weekend is new against yesterday alone): its history starts then, and it speaks a day later.
    const complete = size + width - 1;
    if (seen < complete) return 0;
    this.up = signed >= 0;
    const quiet = seen < this.quietUntil;
    const surprise = this.calibrator.calibrate(meanSurprise(best / width, width), quiet ? 'none' : teach);
    return quiet || seen < complete + this.period ? 0 : surprise;
  }

  /** The value one week (the longest lag) before the next one, or NaN until a week has been seen. */
  weekAgo(): number {
    return this.seen >= this.past.length ? this.past[this.pastNext] : NaN;
  }

  /**
   * An alert said the level moved (a level or range alert): the windows compared across it are the
   * same incident, so for a period and a window the statistic neither speaks nor learns; then
   * yesterday is on this side of the move, and a return to last week's level is no news either.
   */
  rebase(): void {
    this.quietUntil = this.seen + this.period + this.width - 1;
  }
}
