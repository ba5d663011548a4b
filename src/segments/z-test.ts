/**
 * The two-proportion z-test: is the share of "bad" calls in one segment (x1 of n1) different from the
 * share in the rest of the traffic (x2 of n2) by more than chance would make it? Pooled standard
 * error; two-sided p-value from the normal distribution (Abramowitz & Stegun 7.1.26 for erf, absolute
 * error under 1.5e-7). Valid when both groups are large enough for the normal approximation, which
 * the caller ensures with a minimum sample size.
 * Definition: https://www.itl.nist.gov/div898/handbook/prc/section3/prc33.htm
 */

export interface ProportionTest {
  /** The segment's proportion. */
  rate: number;
  /** The rest's proportion. */
  rest: number;
  z: number;
  /** Two-sided p-value. */
  pValue: number;
}

/** erf(x), Abramowitz & Stegun 7.1.26. */
export function erf(x: number): number {
  const sign = x < 0 ? -1 : 1;
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a);
  return sign * y;
}

/** P(|Z| >= |z|) for a standard normal Z. */
export function twoSidedP(z: number): number {
  return Math.max(0, Math.min(1, 1 - erf(Math.abs(z) / Math.SQRT2)));
}

/** The test of x1/n1 against x2/n2; undefined when either group is empty. */
export function twoProportionTest(x1: number, n1: number, x2: number, n2: number): ProportionTest | undefined {
  if (n1 <= 0 || n2 <= 0) return undefined;
  const rate = x1 / n1;
  const rest = x2 / n2;
  const pooled = (x1 + x2) / (n1 + n2);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  // Both groups all-good or all-bad: no difference to test.
  if (se === 0) return { rate, rest, z: 0, pValue: 1 };
  const z = (rate - rest) / se;
  return { rate, rest, z, pValue: twoSidedP(z) };
}
