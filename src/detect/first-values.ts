/**
 * A numeric signal's first values (numeric.ts), where a detector still learning the signal's shape
 * must not alarm more than its budget, nor miss what it would find later:
 *
 * - `afterOneValue`: a history of one value (a constant so far, a count whose warm-up saw only 1s)
 *   has no scale to extrapolate a tail from: the first other value after n equal ones is no rarer than
 *   1 / (n + 1).
 * - `spikeBounds`: the first warm-up judged again at its end by the rule each later value meets (a
 *   spike is kept out of the history). Without it, a burst of stalled calls in the warm-up stayed in
 *   the history, so a later incident at their level was within its range: no point alert, found
 *   later by the charts (a tenfold latency incident after 4 stalls: at its first call in none of 100
 *   runs, within 24 calls in all; now at its first call in 98 to 100).
 *
 * Not here: seeding the charts' autocorrelation from the warm-up, which would keep a correlated
 * signal's start-up within the budget (an AR(1) of 0.5: 1.2e-3 alerts per observation in its first
 * 1,000 values, 1.4e-4 with it). Tried twice, not kept: on correlated latencies with a few stalled
 * calls in ten, the seeded charts miss a tenfold incident at the stalls' level far more often
 * (bench/results/detect.md, "a correlated signal's start-up, again").
 */
import type { Direction } from './detector.js';
import { RankHistory, TAIL_MIN, TAIL_SHARE } from './ranks.js';

/** The fewest values left between a warm-up's two tails for it to be judged again. */
const JUDGE_MIN = 10;

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
  if (n - 2 * k < JUDGE_MIN) return { top: Infinity, bottom: -Infinity };
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
