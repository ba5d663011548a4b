/**
 * The detectors by name, for the backtest CLI (`--detector name`) and for configuration: `series` (the
 * backtest's default) is for regularly sampled metrics; `combined` is the one the monitor runs on each
 * call's numeric signals.
 */
import { CombinedDetector } from './combined.js';
import { CusumDetector } from './cusum.js';
import type { Detector, DetectorOptions } from './detector.js';
import { EwmaDetector } from './ewma.js';
import { PageHinkleyDetector } from './page-hinkley.js';
import { RateDetector } from './rate.js';
import { RobustZDetector } from './robust-z.js';
import { SeriesDetector, type SeriesOptions } from './series.js';

const FACTORIES = {
  series: (o?: DetectorOptions) => new SeriesDetector(o as SeriesOptions),
  combined: (o?: DetectorOptions) => new CombinedDetector(o),
  'robust-z': (o?: DetectorOptions) => new RobustZDetector(o),
  cusum: (o?: DetectorOptions) => new CusumDetector(o),
  ewma: (o?: DetectorOptions) => new EwmaDetector(o),
  'page-hinkley': (o?: DetectorOptions) => new PageHinkleyDetector(o),
  rate: (o?: DetectorOptions) => new RateDetector(o),
} as const;

export type DetectorName = keyof typeof FACTORIES;
export const DETECTOR_NAMES = Object.keys(FACTORIES) as DetectorName[];

/** A detector by name; throws a TypeError listing the names for an unknown one. */
export function createDetector(name: string, options?: DetectorOptions): Detector {
  const factory = (FACTORIES as Record<string, ((o?: DetectorOptions) => Detector) | undefined>)[name];
  if (factory === undefined) throw new TypeError(`unknown detector "${name}" (known: ${DETECTOR_NAMES.join(', ')})`);
  return factory(options);
}
