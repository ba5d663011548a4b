/** Types of detect-nab.mjs, the NAB scorer, for the tests that import it. */
export interface NabProfile {
  tpWeight: number;
  fpWeight: number;
  fnWeight: number;
}
export const PROFILES: { standard: NabProfile; reward_low_FP_rate: NabProfile; reward_low_FN_rate: NabProfile };
export function parseNabTime(text: string): number;
export function scaledSigmoid(position: number): number;
export function probationLength(rows: number, probationPercent?: number): number;
export interface NabSeries {
  name: string;
  timestamps: number[];
  values: number[];
  windows: [number, number][];
}
export function loadNab(root: string): NabSeries[];
export function sweep(
  name: string,
  timestamps: number[],
  scores: number[],
  windows: [number, number][],
  profile: NabProfile,
): { score: number; value: number; window: string | null }[];
export interface NabResult {
  threshold: number;
  raw: number;
  score: number;
  windows: number;
  detectedWindows: number;
  falsePositives: number;
}
export function scoreCorpus(results: (NabSeries & { scores: number[] })[], profile?: NabProfile): NabResult;
