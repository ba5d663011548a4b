/**
 * Searches of a sorted Float64Array, for the rank history (ranks.ts): the first index whose value is
 * at least, or above, a value. Branch-free (the comparison's 0 or 1 times the step): on values that
 * arrive in no order the branch of a plain binary search is mispredicted half the time, which cost
 * more than the search itself. Each keeps its answer in [base, base + length] and halves the length.
 */

/** The first index in [from, to) whose value is ≥ v (`to` when none is). */
export function firstNotBelow(sorted: Float64Array, from: number, to: number, v: number): number {
  let base = from;
  let length = to - from;
  if (length <= 0) return from;
  while (length > 1) {
    const half = length >>> 1;
    base += +(sorted[base + half - 1] < v) * half;
    length -= half;
  }
  return base + +(sorted[base] < v);
}

/** The first index in [from, to) whose value is > v (`to` when none is). */
export function firstAbove(sorted: Float64Array, from: number, to: number, v: number): number {
  let base = from;
  let length = to - from;
  if (length <= 0) return from;
  while (length > 1) {
    const half = length >>> 1;
    base += +(sorted[base + half - 1] <= v) * half;
    length -= half;
  }
  return base + +(sorted[base] <= v);
}
