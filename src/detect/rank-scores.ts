/**
 * The expected normal score of a block of tied ranks, and the factor that gives such scores back their
 * unit variance: what `RankHistory.normalScore` (ranks.ts) is built from.
 *
 * - With `below` values under y and `equal` equal to it among n, y's rank is a block u in
 *   (below, below + equal + 1) / (n + 1), and its score is the mean of Φ⁻¹ over that block,
 *   (n + 1)(φ(Φ⁻¹(a)) - φ(Φ⁻¹(b))) / (equal + 1): differences of the normal density at the ranks'
 *   boundaries, read from a table per history size (`rankDensitiesOf`).
 * - Without ties the scores have unit variance up to O(1/n); with ties their variance
 *   v = Σ share · score² over the history's blocks is below 1 (Poisson(4) 0.98, a 90/10 pair of values
 *   0.34), and the charts built on them would be slower and more cautious than designed. So they are
 *   multiplied by c = 1/√v (`tiedScoreFactor`), capped where a side's exponential moment E[e^(±t·c·z)]
 *   would pass the normal's e^(t²/2), t the level chart's design shift: a CUSUM's false-alarm rate is
 *   set by that moment (Wald's identity; with reference k = t/2 its tilt is t), so the normal run
 *   lengths stay true, or conservative, for skewed tied scores too (97% 1 / 3% 2 is capped at 1.4,
 *   not 2.5). 1 without ties.
 *
 * Ideas: expected normal scores of tied ranks, Hájek & Šidák (1967), "Theory of Rank Tests"; the
 * CUSUM's run length from the increments' moment generating function, Siegmund (1985), "Sequential
 * Analysis", ch. X.
 */
import { normalQuantile } from './stats.js';

/** What the sequential charts clip a score at (cusum.ts's CUSUM_CLIP). */
const SCORE_CLIP = 4;

/**
 * φ(Φ⁻¹(m / (n + 1))) for m = 0..n + 1 (0 at both ends), for a full history of n values: the normal
 * density at each rank's boundary, whose differences give the expected normal score of a block of
 * ranks, computed once per history size and shared like ranks.ts's `RANK_LOGS`.
 */
const RANK_DENSITIES = new Map<number, Float64Array>();

export function rankDensitiesOf(n: number): Float64Array {
  let table = RANK_DENSITIES.get(n);
  if (table === undefined) {
    table = new Float64Array(n + 2);
    for (let m = 0; m <= n + 1; m++) table[m] = densityAtRank(m, n + 1);
    RANK_DENSITIES.set(n, table);
  }
  return table;
}

/** φ(Φ⁻¹(m / total)), 0 at m = 0 and m = total. */
export function densityAtRank(m: number, total: number): number {
  if (m <= 0 || m >= total) return 0;
  const x = normalQuantile(m / total);
  return Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
}

/**
 * The factor that gives the expected normal scores of the n sorted values back their unit variance,
 * capped so that E[e^(±t·c·z)] stays at most the normal's e^(t²/2), t = `tilt` (see the file's
 * comment). Taken from the blocks of equal values, each value left out of its own block (its score
 * among the others); 1 when no two values are equal. `shares` and `scores` are scratch of n entries:
 * each block's share of the values and its (clipped) score.
 */
export function tiedScoreFactor(sorted: Float64Array, n: number, tilt: number, shares: Float64Array, scores: Float64Array): number {
  let tied = false;
  for (let i = 1; i < n; i++) {
    if (sorted[i] === sorted[i - 1]) {
      tied = true;
      break;
    }
  }
  if (!tied) return 1;
  let blocks = 0;
  let variance = 0;
  let lower = 0;
  for (let s = 0; s < n; ) {
    let e = s + 1;
    while (e < n && sorted[e] === sorted[s]) e++;
    const upper = densityAtRank(e, n);
    const score = (n * (lower - upper)) / (e - s);
    shares[blocks] = (e - s) / n;
    // Clipped where the charts clip, before the factor: a moment no smaller than theirs, so a factor no larger.
    scores[blocks] = score > SCORE_CLIP ? SCORE_CLIP : score < -SCORE_CLIP ? -SCORE_CLIP : score;
    variance += shares[blocks] * score * score;
    blocks++;
    lower = upper;
    s = e;
  }
  let factor = variance > 0 ? 1 / Math.sqrt(variance) : 1;
  const t = tilt;
  const bound = Math.exp((t * t) / 2);
  for (let side = -t; side <= t; side += 2 * t) {
    // f(c) = E[e^(side·c·z)] - bound is convex in c with f(0) < 0: Newton from above, where f > 0, descends to its root.
    for (let step = 0; step < 50; step++) {
      let f = -bound;
      let slope = 0;
      for (let b = 0; b < blocks; b++) {
        const term = shares[b] * Math.exp(side * factor * scores[b]);
        f += term;
        slope += term * side * scores[b];
      }
      if (f <= 1e-12 || !(slope > 0)) break;
      factor -= f / slope;
    }
  }
  return factor > 1 ? factor : 1;
}
