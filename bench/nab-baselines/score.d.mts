/** Types of score.mjs, for the tests that import it. */
import type { NabProfile, NabResult, NabSeries } from '../detect-nab.mjs';
export function scoreAtThreshold(results: (NabSeries & { scores: ArrayLike<number> })[], threshold: number, profile?: NabProfile): NabResult;
export interface NabParts {
  values: number[];
  windows: number;
  detected: number;
  falsePositives: number;
}
export function partsAtThreshold(result: NabSeries & { scores: ArrayLike<number> }, threshold: number, profile?: NabProfile): NabParts;
export function scoreOfParts(parts: NabParts[], profile?: NabProfile, threshold?: number): NabResult;
