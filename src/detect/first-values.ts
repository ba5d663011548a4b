/**
 * A numeric signal's first values (numeric.ts), where a detector still learning the signal's shape
 * must not alarm more than its budget, nor miss what it would find later:
 *
 * - `afterOneValue`: a history of one value (a constant so far, a count whose warm-up saw only 1s)
 *   has no scale to extrapolate a tail from: the first other value after n equal ones is no rarer than
 *   1 / (n + 1).
 * - `spikeBounds`: the first warm-up judged again at its end by the rule each later value meets (a
 *   spike is kept out of the history). Without it, a burst of stalled calls in the warm-up stayed in
 *   the history, so a later incident at their level was within its range, no point alert, and left to
 *   the charts, which a correlated signal slows.
 * - `seedCorrelation`: the charts' autocorrelation to start from, read from the warm-up, so that a
 *   correlated signal's first values are not judged as independent (an AR(1) of 0.5 raised 12 times
 *   the budget in its first 1,000 values while the correlation was learnt from 0).
 *
 * A burst of stalls is what fooled the first version of the seed (examples/alerts.mjs, in CI): a few
 * values far above the rest in a row read as correlation, and with the burst in the history a tenfold
 * latency incident on correlated latencies was found in only 31 to 58 of 100 runs
 * (test/detect/families.test.ts, bench/results/detect.md). So the seed leaves outliers out, and the
 * burst is dropped from the history.
 */
import type { Direction } from './detector.js';
import { RankHistory, TAIL_MIN, TAIL_SHARE } from './ranks.js';
import { quantileOfSorted } from './stats.js';

/** The share of the first warm-up the correlation is not seeded from (its slow start, if it has one). */
const SEED_SKIP = 1 / 3;
/** The fewest values a warm-up is judged again or seeded from. */
const SEED_MIN = 10;
/** Iglewicz and Hoaglin's outlier rule: a modified z-score 0.6745 (y - median) / MAD beyond 3.5. */
const OUTLIER_Z = 3.5;
const MAD_TO_SD = 0.6745;
/** Most the seed may say (the charts' own cap on the followed correlation). */
const SEED_MAX = 0.95;

/**
 * ln p of a value off a history of one value, which has no scale to extrapolate with: after `run`
 * values equal to that one, the first other one is as rare as 1 / (run + 1) says, no rarer.
 */
export function afterOneValue(lnPoint: number, run: number): number {
  const floor = -Math.log(run + 1);
  return lnPoint < floor ? floor : lnPoint;
}

/**
 * How a warm-up's values are judged: the point test's budget (ln) and reading, and its history's
 * settings (its size too, so that the rank tables cached for it serve the judging: none more is made).
 */
export interface Judge {
  lnRate: number;
  direction: Direction;
  size: number;
  linear: boolean;
  tilt: number;
}

/**
 * The warm-up's spikes (`values` in arrival order): the values at or above `top` and at or below
 * `bottom` are kept out of the history (±Infinity: none). The candidates are the warm-up's most extreme
 * tenth on each side the signal is watched, each judged by the point test against the values nearer
 * the middle, from the middle out: the first spike and every value beyond it. A level reached in three
 * or more separate episodes is the signal's own, as the likelihood stage counts it (calibration.ts):
 * such values stay (on NAB's files, the forward search alone dropped up to 52 of 604 warm-up values,
 * a second mode, not spikes).
 */
export function spikeBounds(values: readonly number[], judge: Judge): { top: number; bottom: number } {
  const n = values.length;
  const k = Math.max(TAIL_MIN, Math.round(TAIL_SHARE * n));
  if (n - 2 * k < SEED_MIN) return { top: Infinity, bottom: -Infinity };
  const sorted = Float64Array.from(values).sort();
  const high = judge.direction === 'down' ? n : firstSpike(sorted, 0, n - k, n - k, n, 1, judge);
  const low = judge.direction === 'up' ? -1 : firstSpike(sorted, k, high, k - 1, -1, -1, judge);
  let top = high < n ? sorted[high] : Infinity;
  let bottom = low >= 0 ? sorted[low] : -Infinity;
  if (episodes(values, (y) => y >= top) > 2) top = Infinity;
  if (episodes(values, (y) => y <= bottom) > 2) bottom = -Infinity;
  return { top, bottom };
}

/**
 * The index of the first of `sorted`'s candidates from `from` to `to` (by `step`, `to` excluded) that
 * the point test calls a spike against sorted[bulkFrom, bulkTo) and the candidates before it; `to` if
 * none is. On a history of its own: the detector's keeps the warm-up as it came unless one is dropped.
 */
function firstSpike(sorted: Float64Array, bulkFrom: number, bulkTo: number, from: number, to: number, step: 1 | -1, judge: Judge): number {
  const history = new RankHistory(judge.size, judge.linear, judge.tilt);
  for (let i = bulkFrom; i < bulkTo; i++) history.add(sorted[i]);
  for (let i = from; i !== to; i += step) {
    const y = sorted[i];
    history.locate(y);
    let lnPoint = history.logTail(y, judge.direction);
    if (history.single()) lnPoint = afterOneValue(lnPoint, history.length);
    if (!(lnPoint > judge.lnRate)) return i;
    history.add(y);
  }
  return to;
}

/** How many separate runs of consecutive values `beyond` holds for. */
function episodes(values: readonly number[], beyond: (y: number) => boolean): number {
  let runs = 0;
  let inRun = false;
  for (let i = 0; i < values.length; i++) {
    const b = beyond(values[i]);
    if (b && !inRun) runs++;
    inRun = b;
  }
  return runs;
}

/**
 * The charts' autocorrelation to start from (undefined: too few values to say), read from the first
 * warm-up (`values`, arrival order) past its first third, scored against `history` (the warm-up kept):
 * the lag-1 autocorrelation of the scores of its values that are not outliers, after a least-squares
 * line through them is taken off (a warm-up that drifts is a trend, not correlation), over the
 * consecutive pairs of such values only (an outlier left out breaks the chain), plus the bias of such an
 * estimate from m values, (1 + 3φ) / m (Kendall 1954). Not the first third: a slow start (cold caches,
 * a connection being set up) is a step there, and a step reads as correlation.
 */
export function seedCorrelation(values: readonly number[], history: RankHistory): number | undefined {
  const from = Math.ceil(values.length * SEED_SKIP);
  const n = values.length - from;
  if (n < SEED_MIN) return undefined;
  const kept = keptValues(values, from);
  const scores = new Float64Array(n);
  let m = 0;
  let sumT = 0;
  let sumZ = 0;
  let sumTT = 0;
  let sumTZ = 0;
  for (let t = 0; t < n; t++) {
    if (!kept[t]) continue;
    const y = values[from + t];
    history.locate(y);
    const z = history.normalScore(y);
    scores[t] = z;
    m++;
    sumT += t;
    sumZ += z;
    sumTT += t * t;
    sumTZ += t * z;
  }
  if (m < SEED_MIN) return undefined;
  const slope = (m * sumTZ - sumT * sumZ) / (m * sumTT - sumT * sumT);
  const intercept = (sumZ - slope * sumT) / m;
  let products = 0;
  let pairs = 0;
  let squares = 0;
  for (let t = 0; t < n; t++) {
    if (!kept[t]) continue;
    const e = scores[t] - intercept - slope * t;
    squares += e * e;
    if (t > 0 && kept[t - 1]) {
      products += e * (scores[t - 1] - intercept - slope * (t - 1));
      pairs++;
    }
  }
  if (!(squares > 0) || pairs < SEED_MIN) return undefined;
  const r = products / pairs / (squares / m);
  const phi = r + (1 + 3 * (r > 0 ? r : 0)) / m;
  return phi > 0 ? (phi < SEED_MAX ? phi : SEED_MAX) : 0;
}

/**
 * Which of values[from..] the seed reads (1) and leaves out (0): the outliers, a modified z-score beyond
 * 3.5 (Iglewicz and Hoaglin 1993). All are read when the median absolute deviation is 0 (a count with
 * few distinct values).
 */
function keptValues(values: readonly number[], from: number): Uint8Array {
  const n = values.length - from;
  const kept = new Uint8Array(n).fill(1);
  const sorted = values.slice(from).sort((a, b) => a - b);
  const middle = quantileOfSorted(sorted, 0.5);
  for (let i = 0; i < n; i++) sorted[i] = Math.abs(values[from + i] - middle);
  sorted.sort((a, b) => a - b);
  const mad = quantileOfSorted(sorted, 0.5);
  if (!(mad > 0)) return kept;
  const limit = (OUTLIER_Z * mad) / MAD_TO_SD;
  for (let i = 0; i < n; i++) if (Math.abs(values[from + i] - middle) > limit) kept[i] = 0;
  return kept;
}
