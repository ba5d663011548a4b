/**
 * The signal's own history as the yardstick: each new value is ranked among the last `size` values
 * the detector accepted, so the false-alarm rate holds whatever the signal's shape (skewed, heavy
 * tailed, two-moded, a handful of integers, a constant), with no normal assumption.
 *
 * - `normalScore(y)`: the expected normal score of y's rank (with `below` values under y and `equal`
 *   equal to it, the mean of Φ⁻¹ over the block of ranks (below, below + equal + 1) / (n + 1)): the
 *   randomised rank's normal score Φ⁻¹(u), u uniform in the block (exactly N(0, 1) for exchangeable
 *   values, ties included), averaged over its random tie-break (Rao-Blackwell): the same mean under any
 *   shift, less variance. With ties it is multiplied by the factor that gives back the unit variance
 *   as far as the charts' run lengths allow (rank-scores.ts has both, and why), refitted once the
 *   history has changed by as many values as it holds. A value equal to every value in the history is
 *   no evidence (z = 0). Beyond the history's range, z is read from the tail model below instead
 *   (through normal-quantile-fast.ts), so a value far out is not capped at the most extreme rank.
 * - `logTail(y, direction)`: ln p of the point test, conservative with ties: p = (#at least as extreme
 *   + 1) / (n + 1), so a value equal to a value seen often is never a point anomaly. Among the `tail`
 *   most extreme values and beyond, p comes from peaks over threshold: over u, the (k+1)-th most
 *   extreme value, the excesses are taken as exponential, and with S the sum of the k excesses the
 *   predictive tail is exactly P(excess > e) = (1 + e / S)^-k (the ratio of one exponential to a sum
 *   of k is Lomax: no plug-in error from estimating the scale on few values). For positive values the
 *   same is computed on ln y too (a Pareto tail is exponential there), and the larger p is kept: a
 *   light tail is then judged conservatively, a heavy one correctly.
 *
 * Ideas: conformal p-values, Vovk, Gammerman & Shafer (2005), "Algorithmic Learning in a Random
 * World", ch. 2 (smoothed p-values are exactly uniform); peaks over threshold, Pickands (1975); the
 * exponential predictive tail is the shape-0 case of Siffer et al. (2017), "Anomaly detection in
 * streams with extreme value theory".
 */
import type { Direction } from './detector.js';
import { normalQuantileFast } from './normal-quantile-fast.js';
import { densityAtRank, rankDensitiesOf, tiedScoreFactor } from './rank-scores.js';
import { firstAbove, firstNotBelow } from './sorted-search.js';

/** Share of the history treated as its tail, and the fewest values in it. */
const TAIL_SHARE = 0.1;
const TAIL_MIN = 5;

/**
 * ln((m + 1) / (n + 1)) for m = 0..n, for a full history of n values: the log of every conservative
 * rank, computed once per history size and shared by the detectors of that size (one log fewer per
 * side per observation; the same expression, so the same bits).
 */
const RANK_LOGS = new Map<number, Float64Array>();

function rankLogsOf(n: number): Float64Array {
  let table = RANK_LOGS.get(n);
  if (table === undefined) {
    table = new Float64Array(n + 1);
    for (let m = 0; m <= n; m++) table[m] = Math.log((m + 1) / (n + 1));
    RANK_LOGS.set(n, table);
  }
  return table;
}

/**
 * Σ ln(values[i] / u) for i in [from, to) when `above` (the upper tail's excesses on the log scale),
 * else Σ ln(u / values[i]): as one product's log (one log instead of k; the products of ratios ≥ 1
 * stay finite for k of a few hundred unless the values span 1e300).
 */
function logRatioSum(values: Float64Array, from: number, to: number, u: number, above: boolean): number {
  let product = 1;
  let logSum = 0;
  for (let i = from; i < to; i++) {
    product *= above ? values[i] / u : u / values[i];
    if (product > 1e250) {
      logSum += Math.log(product);
      product = 1;
    }
  }
  return logSum + Math.log(product);
}

export class RankHistory {
  /** The history in arrival order (a ring) and sorted. */
  private readonly ring: Float64Array;
  private readonly sorted: Float64Array;
  /** Whether the tail is read on the log scale too. */
  private readonly readsLog: boolean;
  private count = 0;
  private next = 0;
  /** The located value and its place: the first index ≥ it, the first index > it. */
  private located = NaN;
  private below = 0;
  private notAbove = 0;
  /** Once full, the place of the oldest value (`add` forgets it), found with the located y's: the last of its equal values when it is below y, else the first (only the values between the two move). */
  private oldest = 0;
  /**
   * The smallest gap between two different values the history has held (since `reset`): the signal's
   * resolution. A count moves by at least 1: the tail never takes the excesses over u to be smaller
   * than that per value, so a count of 2 after a run of 1s is not called infinitely rare.
   */
  private resolution = Infinity;
  /** The expected normal scores' factor (see `refitFactor`), the values added since it was fitted, and the tilt it is capped at. */
  private factor = 1;
  private changed = 0;
  private readonly tilt: number;
  /** Scratch for `refitFactor`: each block's share of the history and its (clipped) score. */
  private readonly blockShares: Float64Array;
  private readonly blockScores: Float64Array;
  /** `RANK_LOGS` and rank-scores.ts's `RANK_DENSITIES` of this size: read once the history is full. */
  private readonly rankLogs: Float64Array;
  private readonly densities: Float64Array;
  /**
   * Each tail's threshold u and the sums over its k most extreme values, kept while those k + 1 values
   * stay in place: an update moves only the values between the oldest's place and the new one's, so
   * most leave both ends alone and the sums need not be taken again (they are taken the same way, in
   * the same order, when they are: the same bits).
   */
  private upperValid = false;
  private upperLogValid = false;
  private upperU = 0;
  private upperSum = 0;
  private upperLogSum = 0;
  private upperLnU = 0;
  private lowerValid = false;
  private lowerLogValid = false;
  private lowerU = 0;
  private lowerSum = 0;
  private lowerLogSum = 0;
  private lowerLnU = 0;

  /**
   * `size`: values kept; `readsLog`: also read the tail on ln y for positive values (for a signal on
   * its linear scale; one already on a log scale is read there only).
   */
  constructor(
    readonly size: number,
    readsLog = true,
    tilt = 1,
  ) {
    this.ring = new Float64Array(size);
    this.sorted = new Float64Array(size);
    this.readsLog = readsLog;
    this.rankLogs = rankLogsOf(size);
    this.densities = rankDensitiesOf(size);
    this.tilt = tilt;
    this.blockShares = new Float64Array(size);
    this.blockScores = new Float64Array(size);
  }

  get length(): number {
    return this.count;
  }

  /** The values kept, ascending: a view, to read before the next `add`. */
  values(): Float64Array {
    return this.sorted.subarray(0, this.count);
  }

  /** Forget the values (the resolution learnt is kept: it is the signal's, not the level's). */
  clear(): void {
    this.count = 0;
    this.next = 0;
    this.located = NaN;
    this.upperValid = this.upperLogValid = this.lowerValid = this.lowerLogValid = false;
    this.factor = 1;
    this.changed = 0;
  }

  /** Forget everything. */
  reset(): void {
    this.clear();
    this.resolution = Infinity;
  }

  /**
   * Find y's place in the history: call before `normalScore`, `logTail` and `add` of the same y. The
   * first index ≥ y and the first > y, and, once full, the place of the oldest value (`add` forgets
   * it: the first index > it, less one, when it is below y; else the first index ≥ it), each by a
   * branch-free binary search (sorted-search.ts) unless an end of the history or y's neighbour
   * answers it at once: a y below every value, a y with no equal (the first > y is then the first ≥
   * y), a y at the top, an oldest equal to y (`add` moves nothing then).
   */
  locate(y: number): void {
    this.located = y;
    const n = this.count;
    const sorted = this.sorted;
    if (n === 0) {
      this.below = this.notAbove = 0;
      return;
    }
    const below = sorted[0] < y ? firstNotBelow(sorted, 1, n, y) : 0;
    this.below = below;
    this.notAbove = below === n || sorted[below] > y ? below : sorted[n - 1] <= y ? n : firstAbove(sorted, below + 1, n - 1, y);
    if (n === this.size) {
      const old = this.ring[this.next];
      if (old < y) this.oldest = firstAbove(sorted, 0, below, old) - 1;
      else if (old > y) this.oldest = firstNotBelow(sorted, this.notAbove, n, old);
    }
  }

  /** Remember the located y, forgetting the oldest value once full. */
  add(y: number): void {
    if (this.located !== y) this.locate(y);
    this.learnResolution(y);
    const sorted = this.sorted;
    const full = this.count === this.size;
    const old = this.ring[this.next];
    if (full && old === y) {
      // The value forgotten is the one that comes: the sorted values stay as they are (a count's or a
      // constant's usual update, which moved a whole block of equal values before).
      this.changed++;
      this.next = this.next + 1 === this.size ? 0 : this.next + 1;
      this.located = NaN;
      return;
    }
    // The place the values between move from: the oldest's, once full (forgotten as y comes in), else the
    // end; and y's: after the values below it when the oldest is below it, else after its equals.
    const i = full ? this.oldest : this.count++;
    const j = full && old < y ? this.below : this.notAbove;
    // Move the values between i and y's place by one, in one pass; [first, last] changed.
    let first: number;
    let last: number;
    if (j > i) {
      sorted.copyWithin(i, i + 1, j);
      sorted[j - 1] = y;
      first = i;
      last = j - 1;
    } else {
      sorted.copyWithin(j + 1, j, i);
      sorted[j] = y;
      first = j;
      last = i;
    }
    if (!full) {
      // A new size: both tails are taken again.
      this.upperValid = this.upperLogValid = this.lowerValid = this.lowerLogValid = false;
    } else {
      const k = this.tailSize();
      if (last >= this.count - 1 - k) this.upperValid = this.upperLogValid = false;
      if (first <= k) this.lowerValid = this.lowerLogValid = false;
    }
    this.changed++;
    this.ring[this.next] = y;
    this.next = this.next + 1 === this.size ? 0 : this.next + 1;
    this.located = NaN;
  }

  /** Learn the resolution from the located y when it is not kept (a spike kept out of the history). */
  observeResolution(y: number): void {
    if (this.located !== y) this.locate(y);
    this.learnResolution(y);
  }

  /** A new value makes new neighbours only where it differs from them (an equal one adds no gap). */
  private learnResolution(y: number): void {
    const j = this.notAbove;
    const sorted = this.sorted;
    if (j > 0) {
      const gap = y - sorted[j - 1];
      if (gap > 0 && gap < this.resolution) this.resolution = gap;
    }
    if (j < this.count) {
      const gap = sorted[j] - y;
      if (gap > 0 && gap < this.resolution) this.resolution = gap;
    }
  }

  /** Whether every value kept is the same one. */
  single(): boolean {
    return this.count > 0 && this.sorted[0] === this.sorted[this.count - 1];
  }

  /** Whether the located y is beyond every value kept (where the tail model, not a rank, reads it). */
  beyondRange(): boolean {
    return this.count > 0 && (this.below === this.count || this.notAbove === 0);
  }

  /** The expected normal score of the located y's rank among the history (see the file's comment). */
  normalScore(y: number): number {
    const n = this.count;
    const below = this.below;
    const notAbove = this.notAbove;
    const equal = notAbove - below;
    if (equal === n) return 0;
    // E[Φ⁻¹(u)] over u in (below, notAbove + 1) / (n + 1): (n + 1)(φ(Φ⁻¹(a)) - φ(Φ⁻¹(b))) / (equal + 1).
    const top = notAbove + 1;
    let z =
      n === this.size
        ? ((n + 1) * (this.densities[below] - this.densities[top])) / (equal + 1)
        : ((n + 1) * (densityAtRank(below, n + 1) - densityAtRank(top, n + 1))) / (equal + 1);
    if (this.changed >= n) this.refitFactor();
    z *= this.factor;
    if (below === n) {
      const zTail = -normalQuantileFast(Math.exp(this.logUpperTail(y)));
      if (zTail > z) z = zTail;
    } else if (notAbove === 0) {
      const zTail = normalQuantileFast(Math.exp(this.logLowerTail(y)));
      if (zTail < z) z = zTail;
    }
    return z;
  }

  /** The expected normal scores' factor for the history as it is now (see rank-scores.ts). */
  private refitFactor(): void {
    this.changed = 0;
    this.factor = tiedScoreFactor(this.sorted, this.count, this.tilt, this.blockShares, this.blockScores);
  }

  /** ln p of the located y as a point anomaly the way `direction` looks (see the file's comment). */
  logTail(y: number, direction: Direction): number {
    if (direction === 'up') return this.logUpperTail(y);
    if (direction === 'down') return this.logLowerTail(y);
    const up = this.logUpperTail(y);
    const down = this.logLowerTail(y);
    const p = Math.LN2 + (up < down ? up : down);
    return p < 0 ? p : 0;
  }

  /** ln P(value ≥ y). */
  private logUpperTail(y: number): number {
    const n = this.count;
    const atLeast = n - this.below;
    const lnRank = n === this.size ? this.rankLogs[atLeast] : Math.log((atLeast + 1) / (n + 1));
    // Short, so it is inlined where it is called: the tail model (a tenth of the values) is not.
    return atLeast > this.tailSize() ? lnRank : this.upperTailModel(y, atLeast, lnRank);
  }

  /** `logUpperTail` for a y among the k most extreme values or beyond: the peaks-over-threshold tail. */
  private upperTailModel(y: number, atLeast: number, lnRank: number): number {
    const n = this.count;
    const full = n === this.size;
    const k = this.tailSize();
    const sorted = this.sorted;
    if (!this.upperValid) {
      const u = sorted[n - 1 - k];
      let sum = 0;
      for (let i = n - k; i < n; i++) sum += sorted[i] - u;
      this.upperU = u;
      this.upperSum = sum;
      this.upperValid = true;
    }
    const u = this.upperU;
    let sum = this.upperSum;
    const floor = this.resolution === Infinity ? 0 : k * this.resolution;
    if (sum < floor) sum = floor;
    const lnShare = full ? this.rankLogs[k] : Math.log((k + 1) / (n + 1));
    let tail = lnShare - k * Math.log1p((y - u) / sum);
    if (this.readsLog && sorted[0] > 0) {
      if (!this.upperLogValid) {
        this.upperLogSum = logRatioSum(sorted, n - k, n, u, true);
        this.upperLnU = Math.log(u);
        this.upperLogValid = true;
      }
      const logTail = lnShare - k * Math.log1p((Math.log(y) - this.upperLnU) / this.upperLogSum);
      if (logTail > tail) tail = logTail;
    }
    // Beyond every value kept, the tail model alone; among them, never rarer than the rank says.
    return atLeast === 0 || tail > lnRank ? tail : lnRank;
  }

  /** ln P(value ≤ y). */
  private logLowerTail(y: number): number {
    const n = this.count;
    const atMost = this.notAbove;
    const lnRank = n === this.size ? this.rankLogs[atMost] : Math.log((atMost + 1) / (n + 1));
    return atMost > this.tailSize() ? lnRank : this.lowerTailModel(y, atMost, lnRank);
  }

  /** `logLowerTail` for a y among the k least values or below. */
  private lowerTailModel(y: number, atMost: number, lnRank: number): number {
    const n = this.count;
    const full = n === this.size;
    const k = this.tailSize();
    const sorted = this.sorted;
    if (!this.lowerValid) {
      const u = sorted[k];
      let sum = 0;
      for (let i = 0; i < k; i++) sum += u - sorted[i];
      this.lowerU = u;
      this.lowerSum = sum;
      this.lowerValid = true;
    }
    const u = this.lowerU;
    let sum = this.lowerSum;
    const floor = this.resolution === Infinity ? 0 : k * this.resolution;
    if (sum < floor) sum = floor;
    const lnShare = full ? this.rankLogs[k] : Math.log((k + 1) / (n + 1));
    let tail = lnShare - k * Math.log1p((u - y) / sum);
    if (this.readsLog && sorted[0] > 0) {
      if (!this.lowerLogValid) {
        this.lowerLogSum = logRatioSum(sorted, 0, k, u, false);
        this.lowerLnU = Math.log(u);
        this.lowerLogValid = true;
      }
      // y ≤ 0 is infinitely far below on the log scale: the linear tail decides.
      const logTail = y > 0 ? lnShare - k * Math.log1p((this.lowerLnU - Math.log(y)) / this.lowerLogSum) : -Infinity;
      if (logTail > tail) tail = logTail;
    }
    return atMost === 0 || tail > lnRank ? tail : lnRank;
  }

  private tailSize(): number {
    const n = this.count;
    const k = Math.round(TAIL_SHARE * n);
    return k < TAIL_MIN ? (TAIL_MIN < n ? TAIL_MIN : n - 1) : k;
  }
}
