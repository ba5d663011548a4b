/**
 * `llm-vitals/detect`: the detectors on their own, to use, test and replay outside a monitor. Each has
 * `update(value, timestampMs) -> { score, anomaly }` with the score in [0, 1] and 0.5 at the
 * false-alarm budget; the drift monitors compare a reference window with a sliding current one.
 */
export { SeriesDetector, SERIES_TUNING, type SeriesOptions, type SeriesTuning } from './series.js';
export { CombinedDetector, type CombinedOptions } from './combined.js';
export { RobustZDetector } from './robust-z.js';
export { CusumDetector, type CusumOptions } from './cusum.js';
export { EwmaDetector, type EwmaOptions } from './ewma.js';
export { PageHinkleyDetector, type PageHinkleyOptions } from './page-hinkley.js';
export { RateDetector, type RateOptions } from './rate.js';
export {
  ANOMALY_SCORE,
  DETECTOR_DEFAULTS,
  type Detector,
  type DetectorOptions,
  type DetectorResult,
  type DetectorState,
  type AlertReason,
  type Direction,
} from './detector.js';
export { createDetector, DETECTOR_NAMES, type DetectorName } from './registry.js';
export {
  NumericDrift,
  CategoricalDrift,
  DRIFT_DEFAULTS,
  type DriftOptions,
  type DriftResult,
  type DriftState,
} from './drift.js';
export { psi, jensenShannonDistance, chiSquaredPValue, normalisedWasserstein } from './divergence.js';
export { CALL_SIGNALS, RESOURCE_SIGNALS, type SignalSpec, type SignalKind } from './signals.js';
export { parseSeries, replay, toCsv, InputError, type Series, type Replay, type ReplayAlert, type ParseOptions } from './backtest.js';
