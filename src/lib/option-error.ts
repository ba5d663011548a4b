/**
 * Errors for bad options at the API's boundary, all in one wording:
 * `<scope>: option "<name>" must be <expected>, got <value>`, the value described without dumping it
 * (a string quoted, an object or a function named as such); and for a key no option has,
 * `<scope>: unknown option "<full.path>" (did you mean "<full.path>"?)` (`checkKeys`).
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

/**
 * The keys of an options type, written once as `{ key: true, ... }`: a key missing from the list, or
 * one the type does not have, is a compile error, so `checkKeys` never drifts from the type.
 */
export function optionKeys<T>(keys: { [K in keyof T]-?: true }): string[] {
  return Object.keys(keys);
}

/**
 * True for an object written as a literal (`{ ... }`), whose every key is an option; an instance of
 * the app's own class (a sink, an evaluator) keeps its own fields, which are none of the options'.
 */
export function isObjectLiteral(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Reject, with a TypeError, any key of `options` that is not in `known`: `<scope>: unknown option
 * "<path><key>" (did you mean "<path><closest>"?)`, or the known keys when none is close. `path` is
 * where the object sits (`tokens.`, `sinks[0].`; '' at the top), so the message names the full path.
 */
export function checkKeys(scope: string, options: object, known: readonly string[], path = ''): void {
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const near = closest(key, known);
    const hint = near === undefined ? `known: ${known.join(', ')}` : `did you mean "${path}${near}"?`;
    throw new TypeError(`${scope}: unknown option "${path}${key}" (${hint})`);
  }
}

/**
 * Reject, with a TypeError, a `name` that is not one of `known`, listing them:
 * `<scope>: unknown <what> "<name>" (did you mean "<closest>"? <what>s: a, b, c)`.
 */
export function checkName(scope: string, what: string, name: unknown, known: readonly string[]): void {
  if (typeof name === 'string' && known.includes(name)) return;
  const near = typeof name === 'string' ? closest(name, known) : undefined;
  const hint = near === undefined ? '' : `did you mean "${near}"? `;
  throw new TypeError(`${scope}: unknown ${what} "${String(name)}" (${hint}${what}s: ${known.join(', ')})`);
}

/**
 * The candidate nearest to `word`, if one is near enough to be what was meant: case aside, a prefix
 * of it (`cached` → `cachedInput`), or within a third of its length in edits (insert, delete, replace,
 * swap two neighbours). Ties go to the earlier candidate.
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const c = candidate.toLowerCase();
    const distance = w.length >= 3 && c.startsWith(w) ? 1 : editDistance(w, c);
    if (distance < bestDistance && distance <= Math.max(1, Math.floor(Math.max(w.length, c.length) / 3))) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Optimal string alignment distance: Levenshtein plus the swap of two neighbouring characters. */
function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    rows.push([i]);
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        rows[0].push(j);
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2][j - 2] + 1);
      rows[i].push(d);
    }
  }
  return rows[a.length][b.length];
}
