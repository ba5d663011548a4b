/**
 * The drift monitors' options (drift.ts), their defaults and their validation.
 */
import { checkInteger, checkKeys, checkNumberIn, optionFailure, type OptionFailure } from '../lib/option-error.js';

export interface DriftOptions {
  /** Observations in the reference window (the first ones, or those pinned by `rebaseline()`). Default 500. */
  reference?: number;
  /** Observations in the sliding current window. Default 500. */
  window?: number;
  /** Compare the windows every this many observations. Default 100. */
  every?: number;
  /** PSI at or above which a numeric signal has drifted. Default 0.2. */
  psi?: number;
  /** Jensen-Shannon distance at or above which a categorical signal has drifted. Default 0.1. */
  jsDistance?: number;
  /** Chi-squared p-value below which a categorical change counts (with the JS distance). Default 0.001. */
  pValue?: number;
}

export const DRIFT_DEFAULTS: Required<DriftOptions> = Object.freeze({
  reference: 500,
  window: 500,
  every: 100,
  psi: 0.2,
  jsDistance: 0.1,
  pValue: 0.001,
});

const DRIFT_KEYS = Object.keys(DRIFT_DEFAULTS);

/** Validate drift options; throws a TypeError naming the option, as `<where>: option "<prefix><name>" must be ...`. */
export function resolveDriftOptions(options: DriftOptions | undefined, where = 'drift', prefix = ''): Required<DriftOptions> {
  if (options === undefined) return DRIFT_DEFAULTS;
  if (typeof options !== 'object' || options === null) throw new TypeError(`${where}: options must be an object`);
  const o = { ...DRIFT_DEFAULTS };
  checkKeys(where, options, DRIFT_KEYS, prefix);
  for (const key of Object.keys(options) as (keyof DriftOptions)[]) {
    if (options[key] !== undefined) o[key] = options[key] as number;
  }
  const scoped = optionFailure(where);
  const fail: OptionFailure = (name, expected, got) => scoped(prefix + name, expected, got);
  checkInteger(fail, 'reference', o.reference, 20, 1_000_000);
  checkInteger(fail, 'window', o.window, 20, 1_000_000);
  checkInteger(fail, 'every', o.every, 1, 1_000_000);
  checkNumberIn(fail, 'psi', o.psi, 0, 100);
  checkNumberIn(fail, 'jsDistance', o.jsDistance, 0, 1);
  checkNumberIn(fail, 'pValue', o.pValue, 0, 1);
  return o;
}
