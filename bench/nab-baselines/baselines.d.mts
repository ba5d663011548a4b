/** Types of baselines.mjs, for the tests that import it. */
export interface Baseline {
  id: string;
  name: string;
  published: number;
  /** On NAB's whole corpus (58 files), its scoreboard. */
  publishedCorpus: number;
  grid: Record<string, number>[];
  describe(setting: Record<string, number>): string;
  score(values: number[], setting?: Record<string, number>): Float64Array;
}
export const BASELINES: Baseline[];
