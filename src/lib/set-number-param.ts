/**
 * Put a request parameter on `gen_ai.request.*` params when the request gave it as a finite number;
 * anything else (absent, a string, NaN) is left out rather than guessed.
 */
import type { RequestParams } from '../record.js';

type NumberParam = { [K in keyof RequestParams]-?: RequestParams[K] extends number | undefined ? K : never }[keyof RequestParams];

export function setNumberParam(params: RequestParams, key: NumberParam, value: unknown): void {
  if (typeof value === 'number' && Number.isFinite(value)) params[key] = value;
}
