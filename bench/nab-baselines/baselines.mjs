/**
 * The NAB scoreboard baselines: each one's published standard-profile score on the 34 files of the
 * shared NAB subset (`published`) and on NAB's whole corpus of 58 files (`publishedCorpus`, NAB's
 * scoreboard), its published constants (first in its grid: the setting the reproduction runs), and
 * the few alternatives the leave-one-category-out folds choose among on the training categories.
 */
import { artime } from './artime.mjs';
import { cadOse } from './cad-ose.mjs';
import { knnCad } from './knn-cad.mjs';
import { relativeEntropy } from './relative-entropy.mjs';
import { windowedGaussian } from './windowed-gaussian.mjs';

export const BASELINES = [
  {
    id: 'windowed-gaussian',
    name: 'Windowed Gaussian',
    published: 35.0,
    publishedCorpus: 39.6,
    grid: [
      { windowSize: 6400, stepSize: 100 },
      { windowSize: 1000, stepSize: 100 },
      { windowSize: 3200, stepSize: 100 },
      { windowSize: 12800, stepSize: 100 },
    ],
    describe: (o) => `window ${o.windowSize}, step ${o.stepSize}`,
    score: windowedGaussian,
  },
  {
    id: 'relative-entropy',
    name: 'Relative Entropy',
    published: 46.3,
    publishedCorpus: 54.6,
    grid: [
      { bins: 5, window: 52 },
      { bins: 5, window: 26 },
      { bins: 5, window: 104 },
      { bins: 3, window: 52 },
      { bins: 7, window: 52 },
    ],
    describe: (o) => `${o.bins} bins, W ${o.window}, c_th 1, χ² 0.99`,
    score: relativeEntropy,
  },
  {
    id: 'knn-cad',
    name: 'KNN CAD',
    published: 61.0,
    publishedCorpus: 58.0,
    // One setting: a run costs about a minute of CPU, so the folds choose its threshold only.
    grid: [{ k: 27, dim: 19 }],
    describe: (o) => `k ${o.k}, dim ${o.dim}, alarm 0.9965`,
    score: knnCad,
  },
  {
    id: 'cad-ose',
    name: 'CAD OSE',
    published: 71.7,
    publishedCorpus: 69.9,
    // One setting: a run costs about a minute of CPU, so the folds choose its threshold only.
    grid: [{ baseThreshold: 0.75, maxLeftSemiContextsLength: 7, maxActiveNeurons: 15, valueBits: 3 }],
    describe: (o) => `${o.valueBits} bits, ${o.maxActiveNeurons} active neurons, left semi-contexts ≤ ${o.maxLeftSemiContextsLength}, rest after ≥ ${o.baseThreshold}`,
    score: cadOse,
  },
  {
    id: 'artime',
    name: 'ARTime',
    published: 71.1,
    publishedCorpus: 74.9,
    grid: [
      { initialRho: 0.8, discretizeChomp: 0.075 },
      { initialRho: 0.7, discretizeChomp: 0.075 },
      { initialRho: 0.9, discretizeChomp: 0.075 },
      { initialRho: 0.8, discretizeChomp: 0.05 },
      { initialRho: 0.8, discretizeChomp: 0.1 },
    ],
    describe: (o) => `window 8, 13 windows per probation, 80 levels, chomp ${o.discretizeChomp}, initial ρ ${o.initialRho}`,
    score: artime,
  },
];
