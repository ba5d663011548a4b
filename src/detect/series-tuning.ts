/**
 * The `series` detector's own constants (series.ts), as an option so they can be refitted on other
 * data: the NAB leave-one-category-out folds choose them on the training categories
 * (bench/nab-baselines/run.mjs); the defaults are the shipped ones.
 */
import { detectorOptionFailure } from './detector.js';

/** The constants of the `series` detector that a refit may choose; the defaults are the shipped ones. */
export interface SeriesTuning {
  /** Values in the mean-surprise window. */
  window: number;
  /** A value beyond every value seen by more than this share of their range is out of range (NAB's HTM detector has 0.05). */
  rangeTolerance: number;
  /** How much lower the seasonal model's recent surprise must be for it to be used. */
  seasonalAdvantage: number;
  /** The share of a surprise history read as its tail (calibration.ts). */
  tailShare: number;
  /** On a series positive since its start, a value under this share of the smallest one seen is out of range; 0: off. */
  floorRatio: number;
}

export const SERIES_TUNING: Readonly<SeriesTuning> = Object.freeze({
  window: 30,
  // NAB's HTM detector uses 0.05; 0.1 is the best on all 34 NAB files at 0.5 (75.8 against 75.7), every
  // leave-one-category-out fold and all 34 leave-one-file-out choices pick it (and, with 0.05 shipped,
  // 3 of 4 folds and 33 of 34 leave-one-file-out choices already did; bench/results/nab-baselines.md).
  rangeTolerance: 0.1,
  seasonalAdvantage: 0.8,
  tailShare: 0.02,
  floorRatio: 0,
});

const TUNING_LIMITS: Record<keyof SeriesTuning, [number, number]> = {
  window: [2, 1000],
  rangeTolerance: [0, 10],
  seasonalAdvantage: [0, 1],
  tailShare: [0.001, 0.5],
  floorRatio: [0, 0.99],
};

export function resolveTuning(tuning: Partial<SeriesTuning> | undefined): SeriesTuning {
  if (tuning === undefined) return SERIES_TUNING;
  if (typeof tuning !== 'object' || tuning === null) detectorOptionFailure('tuning', 'an object', tuning);
  const out = { ...SERIES_TUNING };
  for (const [key, value] of Object.entries(tuning)) {
    const limits = TUNING_LIMITS[key as keyof SeriesTuning];
    if (limits === undefined) detectorOptionFailure(`tuning.${key}`, `one of ${Object.keys(SERIES_TUNING).join(', ')}`, key);
    if (value === undefined) continue;
    if (!(typeof value === 'number' && value >= limits[0] && value <= limits[1]) || (key === 'window' && !Number.isInteger(value))) {
      detectorOptionFailure(`tuning.${key}`, `a number in [${limits[0]}, ${limits[1]}]`, value);
    }
    out[key as keyof SeriesTuning] = value;
  }
  return out;
}
