/** Types of relative-entropy.mjs, for the tests that import it. */
export function chiSquaredUpperPoint(tail: number, degrees: number): number;
export function relativeEntropy(values: number[], options?: { bins?: number; window?: number; acceptCount?: number; confidence?: number }): Float64Array;
