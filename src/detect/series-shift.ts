/**
 * The `series` detector's third statistic: has the distribution moved? The last `width` values are
 * ranked among the `history` values before them, with no forecast: a slow drift, or a change of shape
 * the one-step forecasts follow value by value (each value near its forecast, so no surprise builds
 * up), still puts the recent values in one part of the longer history.
 *
 * Each value's rank among the reference is read as its expected normal score (ranks.ts: exactly N(0, 1)
 * for exchangeable values, ties included), capped at ±3 so one wild value is the point statistic's
 * and not this one's. The statistic is the window's mean score as a z, T = Σ z / √width, its surprise
 * -ln p of a normal T; a value enters the reference only once it has left the window, so the window is
 * compared with values before it. Consecutive values of a real series are correlated, which makes T's
 * spread wider than a normal's: the likelihood stage (calibration.ts) compares T's surprise with this
 * series' own history of them, a window entering that history once it no longer overlaps the current
 * one, as the mean-surprise window's does. It learns from the start but speaks only once the reference
 * has been full: until then its history has not seen the series' slower swings (a cycle longer than
 * the window reads as a shift to a short reference).
 *
 * After an alert that says the level moved (a level or range alert, `rebase`), the reference starts
 * again from the values that follow, and the statistic speaks once it holds a window's worth: the new
 * level is compared with itself, not with the old one, which would read as news alert after alert
 * until the old level had left the reference. Until the new reference is full, the window is also
 * ranked among the old one (kept as it was) and the smaller of the two shifts counts: a return to the
 * old level is the incident's end, not a second incident.
 *
 * The idea is the two-sample rank test (Wilcoxon's, with normal scores: van der Waerden's) run on a
 * sliding window, as in the change detection of Ross, Tasoulis & Adams (2011), "Nonparametric
 * monitoring of data streams for changes in location and scale", Technometrics 53(4).
 */
import { SurpriseCalibrator, type Teach } from './calibration.js';
import type { Direction } from './detector.js';
import { RankHistory } from './ranks.js';
import { logTailFor } from './robust-z.js';

const SCORE_CAP = 3;

/** y's expected normal score among `history`, capped at ±3. */
function cappedScore(history: RankHistory, y: number): number {
  history.locate(y);
  const score = history.normalScore(y);
  return score > SCORE_CAP ? SCORE_CAP : score < -SCORE_CAP ? -SCORE_CAP : score;
}

export class ShiftStatistic {
  private reference: RankHistory;
  /**
   * The reference before the latest rebase, kept as it was until the new one is full, and the window's
   * scores against it: a window back at the old level is a recovery.
   */
  private previous: RankHistory;
  private previousActive = false;
  private readonly previousScores: Float64Array;
  private previousSum = 0;
  /** The window: the values not yet in the reference, and their scores. */
  private readonly values: Float64Array;
  private readonly scores: Float64Array;
  private sum = 0;
  private next = 0;
  private fill = 0;
  private readonly calibrator: SurpriseCalibrator;
  private readonly rootWidth: number;
  /** Whether the reference has been full: the statistic speaks from then on (its history has seen the series' swings). */
  private filled = false;
  /** The latest window's mean score as a z (its sign says which way the values moved). */
  z = 0;

  constructor(
    readonly width: number,
    history: number,
    horizon: number,
    tailShare: number,
    readsLog: boolean,
  ) {
    this.reference = new RankHistory(history, readsLog);
    this.previous = new RankHistory(history, readsLog);
    this.previousScores = new Float64Array(width);
    this.values = new Float64Array(width);
    this.scores = new Float64Array(width);
    this.rootWidth = Math.sqrt(width);
    this.calibrator = new SurpriseCalibrator(horizon, width, tailShare);
  }

  /** The calibrated surprise (nats) of the window ending with y; 0 until the reference has been full, and after a rebase until it holds a window's worth. */
  update(y: number, direction: Direction, teach: Teach): number {
    const reference = this.reference;
    const width = this.width;
    const score = reference.length >= width ? cappedScore(reference, y) : 0;
    const next = this.next;
    if (this.previousActive) {
      const old = cappedScore(this.previous, y);
      this.previousSum += old - this.previousScores[next];
      this.previousScores[next] = old;
    }
    this.sum += score - this.scores[next];
    this.scores[next] = score;
    if (this.fill === width) reference.add(this.values[next]);
    else this.fill++;
    this.values[next] = y;
    this.next = next + 1 === width ? 0 : next + 1;
    if (this.fill < width || reference.length < width) return 0;
    let z = this.sum / this.rootWidth;
    if (this.previousActive) {
      if (reference.length === reference.size) this.previousActive = false;
      else {
        // Judged against the level before the alert too, and the nearer counts: back at that level is
        // a recovery, not a new move.
        const z0 = this.previousSum / this.rootWidth;
        if ((z0 < 0 ? -z0 : z0) < (z < 0 ? -z : z)) z = z0;
      }
    }
    this.z = z;
    const surprise = this.calibrator.calibrate(-logTailFor(direction, z), teach);
    if (!this.filled) this.filled = reference.length === reference.size;
    return this.filled ? surprise : 0;
  }

  /** Start the reference again from the values after now (an alert said the level moved: the new level is the reference from here on). */
  rebase(): void {
    if (!this.previousActive && this.filled) {
      const old = this.previous;
      this.previous = this.reference;
      this.reference = old;
      this.previousActive = true;
      this.previousScores.fill(0);
      this.previousSum = 0;
    }
    this.reference.clear();
  }

  reset(): void {
    this.reference.reset();
    this.previous.reset();
    this.previousActive = false;
    this.previousScores.fill(0);
    this.previousSum = 0;
    this.values.fill(0);
    this.scores.fill(0);
    this.sum = 0;
    this.next = 0;
    this.fill = 0;
    this.z = 0;
    this.filled = false;
    this.calibrator.reset();
  }
}
