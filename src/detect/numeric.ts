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
import { StreamingDetector, type DetectorOptions } from './detector.js';
import { RankHistory } from './ranks.js';
import { quantileOfSorted, robustSpreadOfSorted } from './stats.js';

/** The fewest values a baseline is learnt again from after an alert (a median and a spread need a few). */
const RELEARN_MIN = 10;
/** The most values the rank history holds (its copy per update grows with it). */
const HISTORY_MAX = 4096;

export abstract class NumericDetector extends StreamingDetector {
  private readonly history: RankHistory;
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
    const lnPoint = history.logTail(y, this.options.direction);
    const ratio = this.test(history.normalScore(y), lnPoint);
    if (this.follows()) {
      if (lnPoint > this.lnRate) history.add(y);
      else history.observeResolution(y);
    } else history.observeResolution(y);
    return ratio;
  }

  protected restart(): void {
    this.warmUp(this.options.warmup);
    this.history.reset();
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
