/**
 * Φ⁻¹, the standard normal quantile, for the rank history's hot path (ranks.ts turns a tail
 * probability into a normal score with it once per observation beyond the history's range): Acklam's
 * rational approximation, relative error 1.15e-9, with its constants hoisted and, unlike stats.ts's
 * `normalQuantile`, no range check: p at or past the ends gives a finite value instead of throwing.
 */

// Acklam's rational approximation of Φ⁻¹ (relative error 1.15e-9), constants hoisted for the hot path.
const A0 = -3.969683028665376e1, A1 = 2.209460984245205e2, A2 = -2.759285104469687e2, A3 = 1.38357751867269e2, A4 = -3.066479806614716e1, A5 = 2.506628277459239;
const B0 = -5.447609879822406e1, B1 = 1.615858368580409e2, B2 = -1.556989798598866e2, B3 = 6.680131188771972e1, B4 = -1.328068155288572e1;
const C0 = -7.784894002430293e-3, C1 = -3.223964580411365e-1, C2 = -2.400758277161838, C3 = -2.549732539343734, C4 = 4.374664141464968, C5 = 2.938163982698783;
const D0 = 7.784695709041462e-3, D1 = 3.224671290700398e-1, D2 = 2.445134137142996, D3 = 3.754408661907416;
const P_LOW = 0.02425;

/** Φ⁻¹(p) for p in (0, 1); ±8.3 at the ends (p rounding to 0 or 1). */
export function normalQuantileFast(p: number): number {
  // The central region inline (short enough to be inlined where it is called), the tails apart.
  if (p >= P_LOW && p <= 1 - P_LOW) {
    const q = p - 0.5;
    const r = q * q;
    return ((((((A0 * r + A1) * r + A2) * r + A3) * r + A4) * r + A5) * q) / (((((B0 * r + B1) * r + B2) * r + B3) * r + B4) * r + 1);
  }
  return normalQuantileTail(p);
}

function normalQuantileTail(p: number): number {
  if (!(p > 1e-300)) return -37.5;
  if (p >= 1) return 8.3;
  if (p < P_LOW) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((C0 * q + C1) * q + C2) * q + C3) * q + C4) * q + C5) / ((((D0 * q + D1) * q + D2) * q + D3) * q + 1);
  }
  if (p > 1 - P_LOW) {
    const q = Math.sqrt(-2 * Math.log1p(-p));
    return -(((((C0 * q + C1) * q + C2) * q + C3) * q + C4) * q + C5) / ((((D0 * q + D1) * q + D2) * q + D3) * q + 1);
  }
  const q = p - 0.5;
  const r = q * q;
  return ((((((A0 * r + A1) * r + A2) * r + A3) * r + A4) * r + A5) * q) / (((((B0 * r + B1) * r + B2) * r + B3) * r + B4) * r + 1);
}
