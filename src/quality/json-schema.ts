/**
 * A small JSON Schema validator for structured outputs: the keywords `type` (one or a list),
 * `properties`, `required`, `additionalProperties: false`, `items`, `enum` and `const`. Other keywords
 * are not checked (a value is not failed for what this validator does not read). Enough to tell
 * whether a model's JSON has the shape `response_format: { type: 'json_schema' }` asked for.
 *
 * A mismatch message names only what the schema names (never a key or value of the output), so it
 * carries no output text.
 */

/** Schemas nest no deeper than this here; deeper parts are not checked. */
const MAX_DEPTH = 64;

/** The first mismatch as `path: what`, or undefined when the value matches. */
export function schemaMismatch(schema: unknown, value: unknown): string | undefined {
  return check(schema, value, '$', 0);
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function hasType(value: unknown, type: unknown): boolean {
  switch (type) {
    case 'null':
      return value === null;
    case 'boolean':
      return typeof value === 'boolean';
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'array':
      return Array.isArray(value);
    case 'object':
      return value !== null && typeof value === 'object' && !Array.isArray(value);
    default:
      // A type this validator does not know: not failed for it.
      return true;
  }
}

function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

function check(schema: unknown, value: unknown, path: string, depth: number): string | undefined {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema) || depth > MAX_DEPTH) return undefined;
  const s = schema as Record<string, unknown>;
  if (s.type !== undefined) {
    const types = Array.isArray(s.type) ? s.type : [s.type];
    if (!types.some((t) => hasType(value, t))) return `${path}: expected ${types.join(' or ')}, got ${typeOf(value)}`;
  }
  if (Array.isArray(s.enum) && !s.enum.some((option) => equal(option, value))) return `${path}: not one of the enum values`;
  if ('const' in s && !equal(s.const, value)) return `${path}: not the const value`;
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const object = value as Record<string, unknown>;
    if (Array.isArray(s.required)) {
      for (const key of s.required) {
        if (typeof key === 'string' && !Object.prototype.hasOwnProperty.call(object, key)) return `${path}: missing required property "${key}"`;
      }
    }
    const properties = s.properties !== null && typeof s.properties === 'object' ? (s.properties as Record<string, unknown>) : undefined;
    for (const key of Object.keys(object)) {
      const sub = properties !== undefined && Object.prototype.hasOwnProperty.call(properties, key) ? properties[key] : undefined;
      if (sub !== undefined) {
        const mismatch = check(sub, object[key], `${path}.${key}`, depth + 1);
        if (mismatch !== undefined) return mismatch;
      } else if (s.additionalProperties === false) return `${path}: a property the schema does not name`;
      else if (s.additionalProperties !== null && typeof s.additionalProperties === 'object') {
        const mismatch = check(s.additionalProperties, object[key], `${path}.*`, depth + 1);
        if (mismatch !== undefined) return mismatch;
      }
    }
  }
  if (Array.isArray(value) && s.items !== null && typeof s.items === 'object' && !Array.isArray(s.items)) {
    for (let i = 0; i < value.length; i++) {
      const mismatch = check(s.items, value[i], `${path}[${i}]`, depth + 1);
      if (mismatch !== undefined) return mismatch;
    }
  }
  return undefined;
}
