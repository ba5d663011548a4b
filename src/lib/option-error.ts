/**
 * Errors for bad options at the API's boundary, all in one wording:
 * `<scope>: option "<name>" must be <expected>, got <value>`, the value described without dumping it
 * (a string quoted, an object or a function named as such).
 */

export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'object') return 'an object';
  return String(value);
}

export type OptionFailure = (name: string, expected: string, got: unknown) => never;

/** A thrower of TypeErrors naming the option, for one entry point (`createMonitor`, `express`, ...). */
export function optionFailure(scope: string): OptionFailure {
  return (name, expected, got) => {
    throw new TypeError(`${scope}: option "${name}" must be ${expected}, got ${describeValue(got)}`);
  };
}

/** Reject, through `fail`, a `value` that is given but is not an integer from `min` to `max`. */
export function checkInteger(fail: OptionFailure, name: string, value: unknown, min: number, max: number): void {
  if (value !== undefined && !(Number.isInteger(value) && (value as number) >= min && (value as number) <= max)) {
    fail(name, `an integer from ${min} to ${max}`, value);
  }
}

/** Reject, through `fail`, a `value` that is given but is not a number in (`min`, `max`]. */
export function checkNumberIn(fail: OptionFailure, name: string, value: unknown, min: number, max: number): void {
  if (value !== undefined && !(typeof value === 'number' && value > min && value <= max)) fail(name, `a number in (${min}, ${max}]`, value);
}
