/**
 * Drift: whether a signal's whole distribution has moved away from a reference, rather than one
 * observation being odd. A reference window (the first `reference` observations, or the current
 * window pinned by `rebaseline()`) is compared with a sliding current window of the last `window`
 * observations, every `every` observations, never per observation.
 *
 * - Numeric signals: the reference's deciles (on the detector's working scale, log for latencies)
 *   become fixed bin edges; each observation then costs one binary search over 9 edges and a ring
 *   update. Reported: PSI (drift at ≥ 0.2 by default), Jensen-Shannon distance and the normalised
 *   Wasserstein-1 distance. See divergence.ts for the definitions and the reasons for the thresholds.
 * - Categorical signals (finish-reason mix): counts per category (at most 16; more fold into
 *   `other`). Reported: Jensen-Shannon distance (drift at ≥ 0.1 by default, and only when the
 *   chi-squared test of homogeneity gives p < 0.001) and that p-value.
 *
 * Memory is fixed per signal: the reference's values until its edges are set, then one byte and one
 * float per current-window observation.
 *
 * This file is the drift monitors' one entry, what the rest of the code imports; each part is a
 * file: drift-monitor.ts (the result, the state, the comparison schedule), numeric-drift.ts,
 * categorical-drift.ts, drift-options.ts (options, defaults, validation).
 */
export { DRIFT_DEFAULTS, resolveDriftOptions, type DriftOptions } from './drift-options.js';
export type { DriftResult, DriftState } from './drift-monitor.js';
export { NumericDrift } from './numeric-drift.js';
export { CategoricalDrift, MAX_CATEGORIES } from './categorical-drift.js';
