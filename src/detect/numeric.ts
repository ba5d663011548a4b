/**
 * The frame of the detectors that watch a numeric signal: the working scale (linear, or
 * ln(value + offset) for signals whose spread grows with their level), the warm-up, and the two
 * readings of each value every statistic is built on, both taken against the signal's own recent
 * history (ranks.ts), not a normal assumption:
 *
 * - z, the expected normal score of the value's rank among the last `memory` accepted values, ties
 *   averaged over and scaled back to unit variance where the run lengths allow (ranks.ts): mean 0 and
 *   variance 1 for a stable signal of any shape, so the sequential charts keep their normal run
 *   lengths (or longer) on token counts, skewed latencies and constants alike;
 * - ln p of the point test, from the conservative rank and a peaks-over-threshold tail beyond it: a
 *   value equal to one seen often is never a point anomaly.
 *
 * Beyond the history's range both are read from the tail fitted to its rarest tenth (ranks.ts), an
 * extrapolation: an exponential tail, which calls the values past it far too rare when the signal's
 * tail is heavier on both sides of its level (Student's t, a Cauchy: differences, residuals, a signal
 * that crosses 0), where a stable stream raised 11 (t, 3 degrees of freedom) to 85 (Cauchy) times the
 * alerts the budget allows. So such a value's p is tempered by the likelihood stage (calibration.ts):
 * no rarer than this signal's own history of such surprises says (the rarest 5% of its values, over
 * the last 100,000), and its z is read from that p. It only ever lowers a surprise; on a signal whose
 * tail the fit reads right, it changes almost nothing (bench/detect-families.mjs).
 *
 * The charts' run lengths assume independent values; a signal whose consecutive values are
 * correlated (a queue's length, latencies under slowly varying load) is stable too, and raised 53
 * times the budget at a lag-1 autocorrelation of 0.5 (bench/detect-families.mjs). So the scores the charts take are scaled
 * to unit long-run variance by their own lag-1 autocorrelation, followed while the charts are quiet
 * (`longRun`): a correlated signal keeps its budget over a long run and a shift on it is found later
 * (a 1σ shift on an AR(1) of 0.5 after 52 values on average, a 2σ one after 13; on independent
 * values, 18 and 6). φ is learnt slowly, so a shift's first values do not read as correlation; in a
 * correlated signal's first thousand values, while it is learnt, the charts still alarm too often
 * (an AR(1) of 0.5: 1.3e-3 per observation). Starting φ from the warm-up's own autocorrelation cut
 * that to 1.4e-4, but slowed the charts where only they can find an incident, at a level the short
 * history has reached: on correlated latencies with a few stalled calls in ten, a tenfold incident went
 * unalerted in up to 22% of runs (3% without). Tried twice, not kept (bench/results/detect.md).
 *
 * A history of one value (a constant so far, a count whose warm-up saw only 1s) has no scale to
 * extrapolate a tail from: the first other value after n equal ones is no rarer than 1 / (n + 1)
 * (`afterOneValue`).
 *
 * A value that is itself beyond the whole budget (a spike) is kept out of the history, so the next
 * spike is judged against the normal values, not against the last spike. What the detector reports is
 * read from the same history when it is asked for (an alert, a snapshot), nothing per observation: the
 * typical value is its median, the spread its interquartile range over 1.349 (stats.ts).
 *
 * After a level or spread alert the baseline is learnt again (the new level is the new normal), from
 * as many values as the cooldown lasts (at least 10, at most the warm-up): the cooldown is blind to
 * new alerts anyway, so learning during it costs no extra blindness, and an incident that follows a
 * shift soon after is not missed for want of a baseline.
 */
import { BASE, SurpriseCalibrator } from './calibration.js';
import { StreamingDetector, type DetectorOptions } from './detector.js';
import { normalQuantileFast } from './normal-quantile-fast.js';
import { densityAtRank } from './rank-scores.js';
import { RankHistory } from './ranks.js';
import { quantileOfSorted, robustSpreadOfSorted } from './stats.js';

/** The fewest values a baseline is learnt again from after an alert (a median and a spread need a few). */
const RELEARN_MIN = 10;
/**
 * The point test's likelihood stage (calibration.ts): its surprises' history, forgotten over this many
 * observations, and the surprise (nats) under which a value adds only to the history's total.
 */
const CALIBRATION_HORIZON = 100_000;
const POINT_FLOOR = 3;
/**
 * What the followed autocorrelation of independent scores reaches by chance (about one standard error
 * at a rate of 2 / 501): taken off, so an independent signal's charts keep their run lengths.
 */
const CORRELATION_ALLOWANCE = 0.05;
/**
 * The expected normal score of the top rank among n + 1, E[Φ⁻¹(u)] for u in (n / (n + 1), 1):
 * (n + 1) φ(Φ⁻¹(n / (n + 1))), about 2.5 for n = 60 and 3.2 for n = 500 (rank-scores.ts).
 */
const rankTopScore = (n: number) => (n + 1) * densityAtRank(n, n + 1);
/** The most values the rank history holds (its copy per update grows with it). */
const HISTORY_MAX = 4096;

export abstract class NumericDetector extends StreamingDetector {
  private readonly history: RankHistory;
  private readonly pointCalibrator = new SurpriseCalibrator(CALIBRATION_HORIZON);
  /** Values since the last one the point test's history counted one by one (see `evidence`). */
  private quiet = 0;
  /** The mean product of consecutive clipped scores (followed), its rate, and the last clipped score (see `longRun`). */
  private correlation = 0;
  private readonly correlationRate: number;
  private previousZ = 0;
  /** The clipped scores' mean square (about 1): the correlation is their product's mean over it. */
  private square = 1;
  /** The warm-up: values learnt toward it, how many it takes (`warmup`, or fewer when learning again after an alert), done. */
  private learnt = 0;
  private learnTarget: number;
  private ready = false;
  private readonly lnRate: number;
  private readonly relearnValues: number;
  private readonly logScale: boolean;
  private readonly logOffset: number;
  /** The latest finite observation on the working scale (its log, on a log scale): what a drift monitor of the signal reads. */
  working = 0;

  constructor(options: DetectorOptions | undefined, ownKeys: readonly string[] = []) {
    super(options, ownKeys);
    this.learnTarget = Math.max(1, this.options.warmup);
    // The level charts' design shift (CUSUM's `shift`, 1σ by default) is the tilt the scores' factor is capped at (ranks.ts).
    const shift = (options as { shift?: unknown } | undefined)?.shift;
    const tilt = typeof shift === 'number' && shift > 0 && shift <= 10 ? shift : 1;
    this.history = new RankHistory(Math.max(this.options.warmup, Math.min(this.options.memory, HISTORY_MAX)), this.options.scale === 'linear', tilt);
    this.lnRate = Math.log(this.options.falseAlarmRate);
    this.logScale = this.options.scale === 'log';
    this.logOffset = this.options.logOffset;
    this.relearnValues = Math.min(this.options.warmup, Math.max(RELEARN_MIN, this.options.cooldown));
    this.correlationRate = 2 / (this.options.memory + 1);
  }

  expected(): number | undefined {
    if (!this.ready) return undefined;
    const typical = quantileOfSorted(this.history.values(), 0.5);
    return this.logScale ? Math.exp(typical) - this.logOffset : typical;
  }

  protected spread(): number | undefined {
    return this.ready ? robustSpreadOfSorted(this.history.values()) : undefined;
  }

  protected evidence(value: number): number {
    const y = this.logScale ? Math.log((value > 0 ? value : 0) + this.logOffset) : value;
    this.working = y;
    const history = this.history;
    if (!this.ready) {
      if (this.learnt === 0) history.clear();
      history.add(y);
      if (++this.learnt >= this.learnTarget) this.ready = true;
      return -1;
    }
    history.locate(y);
    const direction = this.options.direction;
    const raw = history.logTail(y, direction);
    let z = history.normalScore(y);
    let lnPoint = raw;
    // The point test's likelihood stage counts the surprises past POINT_FLOOR (the rarest 5%) one by
    // one; the others only add to its history's total, counted when the next one comes.
    const excess = -raw - POINT_FLOOR;
    if (!(excess > BASE)) this.quiet++;
    else {
      // The values since the last surprise (`temper` counts them in): on a history of one value, the run of it.
      const quiet = this.quiet;
      lnPoint = this.temper(raw, excess);
      if (history.single()) lnPoint = this.afterOneValue(lnPoint, quiet > history.length ? quiet : history.length);
      if (lnPoint !== raw) z = this.temperedScore(z, lnPoint);
    }
    const ratio = this.test(this.longRun(z, this.follows()), lnPoint);
    if (this.follows()) {
      if (lnPoint > this.lnRate) history.add(y);
      else history.observeResolution(y);
    } else history.observeResolution(y);
    return ratio;
  }

  /**
   * z as the charts take it: scaled to unit long-run variance by the scores' lag-1 autocorrelation φ,
   * z √((1 - φ) / (1 + φ)) (the variance of a mean of n correlated scores is (1 + φ) / (1 - φ) / n for
   * an AR(1)), φ the correlation of consecutive scores clipped at ±2, followed over about `memory`
   * values while the charts are quiet, less its noise on independent values (`CORRELATION_ALLOWANCE`),
   * at most 0.95.
   */
  private longRun(z: number, following: boolean): number {
    if (following) {
      // Slowly, and with each score clipped at ±2: a level shift's first values (every score high, before
      // the charts pass half their threshold) must not read as correlation and mask the shift.
      const c = z > 2 ? 2 : z < -2 ? -2 : z;
      this.correlation += this.correlationRate * (c * this.previousZ - this.correlation);
      this.square += this.correlationRate * (c * c - this.square);
      this.previousZ = c;
    }
    let phi = this.correlation / this.square - CORRELATION_ALLOWANCE;
    if (!(phi > 0)) return z;
    if (phi > 0.95) phi = 0.95;
    return z * Math.sqrt((1 - phi) / (1 + phi));
  }

  /**
   * z of a value whose point p was tempered: read from the tempered p too, but never below the score
   * of its rank, the top (or the bottom) of n + 1: a value beyond every one kept is no less extreme
   * than the most extreme of them. (Without that floor, a sustained incident's values past the
   * history's range, tempered once three of them had come, scored lower than a value just inside it:
   * a fivefold latency incident 20 calls after the warm-up went unalerted for 10 calls in 93 of 200
   * runs.)
   */
  private temperedScore(z: number, lnPoint: number): number {
    let cap = -normalQuantileFast(Math.exp(this.options.direction === 'both' ? lnPoint - Math.LN2 : lnPoint));
    const top = rankTopScore(this.history.length);
    if (cap < top) cap = top;
    return z > cap ? cap : z < -cap ? -cap : z;
  }

  /**
   * ln p of a value off a history of one value, which has no scale to extrapolate with: after `run`
   * values equal to that one (those kept, or the values since the last surprise if more), the first
   * other one is as rare as 1 / (run + 1) says, no rarer.
   */
  private afterOneValue(lnPoint: number, run: number): number {
    const floor = -Math.log(run + 1);
    return lnPoint < floor ? floor : lnPoint;
  }

  /**
   * ln p of the point test for a surprise past the floor (`raw` its ln p, `excess` its surprise past the
   * floor), tempered by the history of such surprises: only for a value beyond the history's range, the
   * only one read from the tail model (within it, p is a rank's).
   */
  private temper(raw: number, excess: number): number {
    const calibrator = this.pointCalibrator;
    calibrator.addQuiet(this.quiet);
    this.quiet = 0;
    const rarity = calibrator.rarity(excess);
    return rarity < -raw && this.history.beyondRange() ? -rarity : raw;
  }

  protected restart(): void {
    this.warmUp(this.options.warmup);
    this.history.reset();
    this.pointCalibrator.reset();
    this.quiet = 0;
    this.correlation = 0;
    this.previousZ = 0;
    this.square = 1;
    this.clear();
  }

  /** After a level or spread alert: learn the baseline again, over the cooldown's length. */
  protected relearn(): void {
    this.warmUp(this.relearnValues);
    this.clear();
  }

  /** Warm up (again) on `values` values, at least 1 and at most `warmup`; the history is cleared on the first. */
  private warmUp(values: number): void {
    this.learnTarget = Math.max(1, Math.min(values, this.options.warmup));
    this.learnt = 0;
    this.ready = false;
  }

  /**
   * Update the statistics with the value's normal score z and the ln p of its point test; the ratio
   * ln(p) / ln(budget) of the strongest.
   */
  protected abstract test(z: number, lnPoint: number): number;
  /** Whether the history may take this observation (false while a shift is building up). */
  protected follows(): boolean {
    return true;
  }
  /** Zero the statistics. */
  protected abstract clear(): void;
}
