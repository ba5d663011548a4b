/**
 * The few distribution functions the detectors need, written for the hot path: no allocation, one
 * `Math.log` or `Math.exp` each. Tail probabilities are returned as natural logarithms, because the
 * detectors compare them with the logarithm of the false-alarm budget and a p-value of 1e-12 must
 * not round to zero.
 */

const LN_HALF = Math.log(0.5);

/**
 * ln P(Z >= z) for a standard normal Z and z >= 0, from the Chebyshev fit of erfc in Numerical
 * Recipes (§6.2, `erfcc`; relative error below 1.2e-7 everywhere), kept in log form so the tail
 * never underflows.
 */
export function logNormalUpperTail(z: number): number {
  if (!(z > 0)) return LN_HALF;
  const x = z * Math.SQRT1_2;
  const t = 1 / (1 + 0.5 * x);
  const poly =
    -1.26551223 +
    t *
      (1.00002368 +
        t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  return LN_HALF + Math.log(t) - x * x + poly;
}

/** ln P(|Z| >= |z|), the two-sided tail. */
export function logNormalTwoSidedTail(z: number): number {
  return Math.min(0, Math.LN2 + logNormalUpperTail(z < 0 ? -z : z));
}

/** The z with P(Z >= z) = p, for 0 < p < 1 (Acklam's rational approximation, relative error 1.15e-9). */
export function normalQuantileUpper(p: number): number {
  return -normalQuantile(p);
}

/** The p-quantile of the standard normal (Acklam's algorithm). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile: p must be in (0, 1), got ${p}`);
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9). */
export function logGamma(x: number): number {
  const g = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
    -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  x -= 1;
  let sum = g[0];
  for (let i = 1; i < 9; i++) sum += g[i] / (x + i);
  const t = x + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(sum);
}

/**
 * P(X >= x) for X chi-squared with `df` degrees of freedom: the regularised upper incomplete gamma
 * Q(df/2, x/2), by its series below a + 1 and its continued fraction above (Numerical Recipes §6.2).
 */
export function chiSquaredUpperTail(x: number, df: number): number {
  if (!(x > 0)) return 1;
  const a = df / 2;
  const y = x / 2;
  const lnPrefix = -y + a * Math.log(y) - logGamma(a);
  if (y < a + 1) {
    // Series for the lower part P(a, y).
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < 1000; n++) {
      term *= y / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-15) break;
    }
    return Math.max(0, 1 - sum * Math.exp(lnPrefix));
  }
  // Lentz's continued fraction for Q(a, y).
  const tiny = 1e-300;
  let b = y + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return Math.min(1, Math.exp(lnPrefix) * h);
}

/** The median of `values[0..count)`, sorting a copy. */
export function median(values: ArrayLike<number>, count = values.length): number {
  const sorted = Float64Array.from({ length: count }, (_, i) => values[i]).sort();
  return quantileOfSorted(sorted, 0.5);
}

/** The q-quantile (0..1) of an ascending array, interpolating linearly between ranks. */
export function quantileOfSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const position = q * (n - 1);
  const lower = Math.floor(position);
  const upper = Math.min(n - 1, lower + 1);
  return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - lower);
}

/** Interquartile range to standard deviation for normal data: 2 Φ⁻¹(3/4). */
const IQR_TO_SD = 1.349;
/** Mean absolute deviation to standard deviation for normal data: sqrt(π / 2). */
const MEAN_AD_TO_SD = 1.2533;

/**
 * A robust spread of an ascending array, in standard deviations for normal data: the interquartile
 * range over 1.349; where it is 0 (half the values or more equal: a count, a flat signal), 1.2533 ×
 * the mean absolute deviation from the median; never below a millionth of the median's size, so a
 * signal that never moved still has a unit.
 */
export function robustSpreadOfSorted(sorted: ArrayLike<number>): number {
  const n = sorted.length;
  const middle = quantileOfSorted(sorted, 0.5);
  let spread = (quantileOfSorted(sorted, 0.75) - quantileOfSorted(sorted, 0.25)) / IQR_TO_SD;
  if (!(spread > 0)) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += Math.abs(sorted[i] - middle);
    spread = n > 0 ? (MEAN_AD_TO_SD * sum) / n : 0;
  }
  return Math.max(spread, 1e-9, Math.abs(middle) * 1e-6);
}
