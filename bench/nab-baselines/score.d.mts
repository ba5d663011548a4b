/** Types of score.mjs, for the tests that import it. */
import type { NabProfile, NabResult, NabSeries } from '../detect-nab.mjs';
export function scoreAtThreshold(results: (NabSeries & { scores: ArrayLike<number> })[], threshold: number, profile?: NabProfile): NabResult;
