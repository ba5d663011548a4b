/**
 * The distances between a reference distribution and a current one that the drift monitors report,
 * each over the same bins (counts in, a number out), with the reasons for the default thresholds:
 *
 * - PSI, the population stability index: Σ (c - r) ln(c / r) over bin shares, the symmetric
 *   Kullback-Leibler divergence. Credit-scoring practice reads below 0.1 as stable, 0.1 to 0.2 as a
 *   moderate shift and 0.2 or more as a significant one (Siddiqi 2006, "Credit Risk Scorecards";
 *   Yurdakul 2018, "Statistical properties of the population stability index"); 0.2 is the default
 *   drift threshold for numeric signals. With 10 bins and two windows of 500, PSI's noise floor is
 *   about (bins - 1)(1/500 + 1/500) = 0.036, well under it.
 * - Jensen-Shannon distance: the square root of the JS divergence in bits, in [0, 1], symmetric and
 *   finite when a bin is empty on one side. The default categorical threshold of 0.1 is the one
 *   Evidently and SciPy users apply to `jensenshannon` (a distance of 0.1 is, for example, `length`
 *   finishes going from 5% to about 12% of calls).
 * - Chi-squared test of homogeneity (2 × bins contingency table): its p-value guards the categorical
 *   verdict, so a JS distance reached on a handful of calls is not called drift (default p < 0.001).
 * - Wasserstein-1 (earth mover's) distance over the bins' mean values, divided by the reference's
 *   standard deviation: how far the distribution moved, in reference standard deviations (0.5 is
 *   half a standard deviation, whatever the units). Reported, not alerted on by default.
 *
 * Shares are smoothed with half a count per bin (Jeffreys), so an empty bin never divides by zero.
 */
import { chiSquaredUpperTail } from './stats.js';

/** Population stability index of two count vectors over the same bins. */
export function psi(reference: ArrayLike<number>, current: ArrayLike<number>, bins = reference.length): number {
  const [refTotal, curTotal] = totals(reference, current, bins);
  let sum = 0;
  for (let i = 0; i < bins; i++) {
    const r = (reference[i] + 0.5) / (refTotal + 0.5 * bins);
    const c = (current[i] + 0.5) / (curTotal + 0.5 * bins);
    sum += (c - r) * Math.log(c / r);
  }
  return sum;
}

/** Jensen-Shannon distance (base 2, in [0, 1]) of two count vectors over the same bins. */
export function jensenShannonDistance(reference: ArrayLike<number>, current: ArrayLike<number>, bins = reference.length): number {
  const [refTotal, curTotal] = totals(reference, current, bins);
  if (refTotal === 0 || curTotal === 0) return 0;
  let divergence = 0;
  for (let i = 0; i < bins; i++) {
    const p = reference[i] / refTotal;
    const q = current[i] / curTotal;
    const m = (p + q) / 2;
    if (p > 0) divergence += 0.5 * p * Math.log2(p / m);
    if (q > 0) divergence += 0.5 * q * Math.log2(q / m);
  }
  return Math.sqrt(Math.max(0, Math.min(1, divergence)));
}

/** p-value of the chi-squared test that two count vectors come from the same distribution. */
export function chiSquaredPValue(reference: ArrayLike<number>, current: ArrayLike<number>, bins = reference.length): number {
  const [refTotal, curTotal] = totals(reference, current, bins);
  const total = refTotal + curTotal;
  if (refTotal === 0 || curTotal === 0) return 1;
  let statistic = 0;
  let used = 0;
  for (let i = 0; i < bins; i++) {
    const column = reference[i] + current[i];
    if (column === 0) continue;
    used++;
    const expectedRef = (column * refTotal) / total;
    const expectedCur = (column * curTotal) / total;
    statistic += (reference[i] - expectedRef) ** 2 / expectedRef + (current[i] - expectedCur) ** 2 / expectedCur;
  }
  if (used < 2) return 1;
  return chiSquaredUpperTail(statistic, used - 1);
}

/**
 * Wasserstein-1 distance between two binned distributions, each bin's mass placed at that side's own
 * mean value in the bin (so values beyond the outer edges still count at their distance), divided by
 * `scale`.
 */
export function normalisedWasserstein(
  refCounts: ArrayLike<number>,
  refMeans: ArrayLike<number>,
  curCounts: ArrayLike<number>,
  curMeans: ArrayLike<number>,
  scale: number,
  bins = refCounts.length,
): number {
  const [refTotal, curTotal] = totals(refCounts, curCounts, bins);
  if (refTotal === 0 || curTotal === 0 || !(scale > 0)) return 0;
  // Both sides' atoms in ascending position: bin order, and within a bin whichever mean is lower.
  // The distance is the integral of |F_ref - F_cur| between consecutive atoms.
  let refCdf = 0;
  let curCdf = 0;
  let previous = NaN;
  let distance = 0;
  for (let i = 0; i < bins; i++) {
    const refMass = refCounts[i] / refTotal;
    const curMass = curCounts[i] / curTotal;
    const refFirst = refMass > 0 && (curMass === 0 || refMeans[i] <= curMeans[i]);
    for (let side = 0; side < 2; side++) {
      const isRef = side === 0 ? refFirst : !refFirst;
      const mass = isRef ? refMass : curMass;
      if (mass === 0) continue;
      const position = isRef ? refMeans[i] : curMeans[i];
      if (previous === previous) distance += Math.abs(refCdf - curCdf) * (position - previous);
      if (isRef) refCdf += mass;
      else curCdf += mass;
      previous = position;
    }
  }
  return distance / scale;
}

function totals(a: ArrayLike<number>, b: ArrayLike<number>, bins: number): [number, number] {
  let x = 0;
  let y = 0;
  for (let i = 0; i < bins; i++) {
    x += a[i];
    y += b[i];
  }
  return [x, y];
}
