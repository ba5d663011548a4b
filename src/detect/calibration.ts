/**
 * The likelihood stage: a second look at each surprise, against the stream's own history of surprises.
 *
 * A detector's statistics are calibrated for a stable, roughly normal signal: a surprise
 * L = -ln p says how rare the observation would be there. Real series have regular bursts, heavy
 * tails and daily steps that are rare for a normal signal and ordinary for this one. This stage keeps
 * how often each surprise level was reached before (a histogram on a geometric grid of levels,
 * exponentially forgotten over `horizon` observations) and reports an observation as no more
 * surprising than that history says: L' = min(L, -ln P̂(surprise ≥ L)).
 *
 * Below a high level u (the level the top `tailShare` of past surprises exceed), P̂ is the empirical
 * frequency; above it, the peaks-over-threshold tail P̂ = share(u) · exp(-(L - u) / β), with β the
 * mean excess over u (at least 1, the slope of a well-calibrated surprise, so a normal signal keeps
 * its model's calibration), except that the tail never calls a surprise rarer than the share of the
 * history that reached its grid level, once three or more recent surprises did: a level the stream
 * has reached repeatedly (a recurring spike) is known, not extrapolated. Because it only ever lowers a
 * surprise, it never adds false alarms.
 *
 * A surprise enters the history `delay` observations after it was judged: a statistic over a sliding
 * window is compared only with windows that share none of its values, so a rising incident does not
 * teach the tail its own growth (the mean excess chasing it) before it is reported.
 *
 * The tail's level u is one the history has reached: on a short history the grid's step from the
 * last level more than `tailShare` of it reached can pass every surprise seen (a warm-up that holds
 * one day's burst), and a share of 0 there would call every surprise beyond it infinitely rare, the
 * stage tempering nothing. A surprise another rule has already reported (`teach` 'levels') is counted
 * as having happened but does not set the tail's slope: one wild value would otherwise stretch the
 * mean excess so far that every later incident below it reads as ordinary.
 *
 * The idea is Numenta's anomaly likelihood (Ahmad et al. 2017, "Unsupervised real-time anomaly
 * detection for streaming data", Neurocomputing 262), with the tail of the streaming POT of Siffer
 * et al. (2017), "Anomaly detection in streams with extreme value theory" (KDD), shape 0.
 */

const LEVELS = 64;
/** Grid of surprise levels: BASE · GROWTH^j nats. A surprise at or below BASE counts toward the total only. */
export const BASE = 0.5;
const GROWTH = 1.2;
const LN_GROWTH = Math.log(GROWTH);
/** Observations counted between placings of the tail's level. */
const TAIL_EVERY = 32;

function levelOf(surprise: number): number {
  if (!(surprise > BASE)) return 0;
  const j = Math.floor(Math.log(surprise / BASE) / LN_GROWTH);
  return j >= LEVELS ? LEVELS - 1 : j;
}

const levelValue = (j: number) => BASE * Math.pow(GROWTH, j);

/**
 * What a judged surprise teaches the history: everything; only that its level was reached (not the
 * tail's slope); or nothing.
 */
export type Teach = 'all' | 'levels' | 'none';

export class SurpriseCalibrator {
  /** counts[j]: weight of past surprises at or above level j. */
  private readonly counts = new Float64Array(LEVELS);
  private total = 0;
  private weight = 1;
  private readonly growth: number;
  /** The tail threshold u (a grid level index) and the mean excess over it. */
  private tailLevel = LEVELS - 1;
  private excess = 1;
  private sinceTail = 0;
  /** Surprises judged but not yet counted (a ring of `delay`), and whether each may set the slope. */
  private readonly pending: Float64Array;
  private readonly pendingSlope: Uint8Array;
  private pendingNext = 0;
  private pendingFill = 0;

  /**
   * `horizon`: observations over which the history is forgotten; `delay`: observations a surprise waits
   * before it is counted (the length of the window a sliding statistic spans).
   */
  constructor(
    horizon: number,
    delay = 0,
    private readonly tailShare = 0.02,
  ) {
    // Forgetting by giving each new observation a growing weight, renormalised now and then, so an
    // update touches only the levels it reached, not every counter.
    this.growth = 1 / (1 - 1 / horizon);
    this.pending = new Float64Array(delay);
    this.pendingSlope = new Uint8Array(delay);
  }

  /**
   * The calibrated surprise of L (nats): no more than the history says it is, min(L, rarity(L)); L is
   * counted into the history (`delay` observations later) as `teach` says.
   */
  calibrate(surprise: number, teach: Teach = 'all'): number {
    const rarity = this.rarity(surprise, teach);
    return rarity < surprise ? rarity : surprise;
  }

  /**
   * How rare the history says L is, -ln P̂(surprise ≥ L) (Infinity while the history is empty), and L
   * counted into it as `teach` says ('levels' for a value already reported as an incident by another
   * rule, whose surprise must not set the tail's slope): for a statistic ranked only against its own
   * past, not a calibrated surprise itself.
   */
  rarity(surprise: number, teach: Teach = 'all'): number {
    let rarity = surprise > BASE ? Infinity : surprise;
    if (surprise > BASE && this.total > 0) {
      const u = levelValue(this.tailLevel);
      const reached = this.counts[levelOf(surprise)];
      if (surprise > u) {
        rarity = -Math.log(this.counts[this.tailLevel] / this.total) + (surprise - u) / this.excess;
        // A level reached three times before (more than two observations' worth: counts are weights,
        // older ones weighing less than the newest's `weight`) is as rare as it has been, not rarer:
        // one or two earlier occurrences could have been the only incidents.
        if (reached > 2 * this.weight) {
          const observed = -Math.log(reached / this.total);
          if (observed < rarity) rarity = observed;
        }
      } else {
        rarity = -Math.log(reached / this.total);
      }
    }
    if (teach === 'none') return rarity;
    const slope = teach === 'all';
    const pending = this.pending;
    if (pending.length === 0) this.count(surprise, slope);
    else {
      const next = this.pendingNext;
      if (this.pendingFill === pending.length) this.count(pending[next], this.pendingSlope[next] === 1);
      else this.pendingFill++;
      pending[next] = surprise;
      this.pendingSlope[next] = slope ? 1 : 0;
      this.pendingNext = next + 1 === pending.length ? 0 : next + 1;
    }
    return rarity;
  }

  /**
   * `m` observations whose surprises are all at or below the grid's lowest level (`BASE`), counted at
   * once: what `m` calls of `rarity` with them would count (into the total only), for a caller that
   * does not pass its quiet values one by one. Only for a calibrator without a delay.
   */
  addQuiet(m: number): void {
    const g = this.growth;
    while (m > 0) {
      // Up to the next placing of the tail, where one by one it would be placed: the same totals there.
      const step = Math.min(m, TAIL_EVERY - this.sinceTail);
      const gm = Math.pow(g, step);
      // Each new observation weighs `growth` times the one before: w (1 + g + … + g^(step-1)).
      this.total += (this.weight * (gm - 1)) / (g - 1);
      this.weight *= gm;
      m -= step;
      if ((this.sinceTail += step) >= TAIL_EVERY) this.placeTail();
      if (this.weight > 1e100) this.renormalise();
    }
  }

  reset(): void {
    this.counts.fill(0);
    this.total = 0;
    this.weight = 1;
    this.tailLevel = LEVELS - 1;
    this.excess = 1;
    this.sinceTail = 0;
    this.pending.fill(0);
    this.pendingSlope.fill(0);
    this.pendingNext = 0;
    this.pendingFill = 0;
  }

  private count(surprise: number, slope: boolean): void {
    const w = this.weight;
    this.total += w;
    const level = levelOf(surprise);
    // Surprises at or below the lowest level only count toward the total.
    if (surprise > BASE) for (let j = 0; j <= level; j++) this.counts[j] += w;
    const u = levelValue(this.tailLevel);
    if (slope && surprise > u) {
      // Mean excess over u, followed with the weight of the tail's own observations.
      this.excess = Math.max(1, this.excess + 0.05 * (surprise - u - this.excess));
    }
    if (++this.sinceTail >= TAIL_EVERY) this.placeTail();
    this.weight = w * this.growth;
    if (this.weight > 1e100) this.renormalise();
  }

  private renormalise(): void {
    const scale = 1 / this.weight;
    for (let j = 0; j < LEVELS; j++) this.counts[j] *= scale;
    this.total *= scale;
    this.weight = 1;
  }

  /**
   * u: the lowest grid level that no more than `tailShare` of the history reached, or the highest
   * level below it that the history reached at all.
   */
  private placeTail(): void {
    this.sinceTail = 0;
    const limit = this.tailShare * this.total;
    let j = 0;
    while (j < LEVELS - 1 && this.counts[j] > limit) j++;
    while (j > 0 && !(this.counts[j] > 0)) j--;
    this.tailLevel = j;
  }
}
