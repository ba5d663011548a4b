/**
 * The options of privacy, cost, quality and segments (`capture`, `hashKey`, `hashAttributes`,
 * `prices`, `evaluators`, `evaluationSampleRate`, `evaluationTimeoutMs`, `segment`): their types,
 * defaults, and the validation `resolveOptions` runs, with TypeErrors that name the option.
 */
import type { CallRecord } from '../record.js';
import type { ModelPrice } from '../cost/prices.js';
import type { RedactOptions, RedactPattern } from '../privacy/redact.js';
import { USER_ID_ATTRIBUTES } from '../privacy/hash.js';
import { BUILT_IN_EVALUATORS, type EvaluationInput, type Evaluator, type Verdict } from './evaluators.js';
import { checkInteger, checkKeys, describeValue, isObjectLiteral, optionFailure, optionKeys, type OptionFailure } from '../lib/option-error.js';

const fail: OptionFailure = optionFailure('createMonitor');

export interface CaptureOptions {
  /**
   * Keep prompt and completion text on the record (`record.content`), and so in the sinks that export
   * it (spans' `gen_ai.input.messages` / `gen_ai.output.messages`, `on('call')`). Redacted and
   * truncated first. Default `false`: no text leaves the process.
   */
  content?: boolean;
  /** Characters kept per text part after redaction; the rest is cut with a `…[truncated N chars]` mark. Default 4096. */
  maxLength?: number;
  /** Share of calls whose content is captured, 0 to 1. Default 1. */
  sampleRate?: number;
  /** The app's own redaction, after the built-in detectors. */
  redact?: RedactOptions;
}

export interface SegmentOptions {
  /** A context attribute (`user.tier`, set by the Express `attributes` option) or a function of the record. */
  by: string | ((record: CallRecord) => string | undefined);
  /** Calls each side (segment and rest) needs before a rate is tested. Default 30. */
  minSamples?: number;
  /** Family-wise significance level of the segment tests. Default 0.01. */
  alpha?: number;
}

/** A custom evaluator: an object with a name, or a named function. */
export type EvaluatorOption = string | Evaluator | ((input: EvaluationInput) => Verdict | Promise<Verdict>);

export interface PrivacyCostQualityOptions {
  /** Opt-in content capture, redacted. */
  capture?: CaptureOptions;
  /** Key of the keyed hash for user identifiers. Default: env `LLM_VITALS_HASH_KEY`, else a random per-process key. */
  hashKey?: string;
  /** Context attributes that are user identifiers, hashed before any sink sees them. Default: `user.id`, `enduser.id`, `enduser.pseudo.id`, `user_id`, `userId`; a list given replaces it. */
  hashAttributes?: string[];
  /** Prices (USD per million tokens) by `'provider/model'` (provider `*` for any provider); they come before the shipped table. */
  prices?: Record<string, ModelPrice>;
  /**
   * Evaluators run on sampled outputs: built-in names (`non_empty`, `not_truncated`, `valid_json`,
   * `matches_schema`, `no_refusal`, `tool_arguments`) and custom evaluators. Default: every built-in.
   */
  evaluators?: EvaluatorOption[];
  /** Share of completed calls whose output is evaluated, 0 to 1. Default 1 (the built-ins cost microseconds). */
  evaluationSampleRate?: number;
  /** An async evaluator still running after this many ms counts as `timeout`. Default 1000. */
  evaluationTimeoutMs?: number;
  /** Split latency, error, refusal and quality rates by a segment: an attribute name, a function, or options. */
  segment?: string | ((record: CallRecord) => string | undefined) | SegmentOptions;
}

export interface ResolvedCapture {
  maxLength: number;
  sampleRate: number;
  redact: RedactOptions;
}

export interface ResolvedSegment {
  attribute: string;
  of: (record: CallRecord) => string | undefined;
  minSamples: number;
  alpha: number;
}

export interface ResolvedPrivacyCostQuality {
  /** Undefined unless `capture.content` is true. */
  capture: ResolvedCapture | undefined;
  hashKey: string | undefined;
  hashAttributes: string[];
  prices: Record<string, ModelPrice> | undefined;
  evaluators: Evaluator[];
  evaluationSampleRate: number;
  evaluationTimeoutMs: number;
  segment: ResolvedSegment | undefined;
}

export const PRIVACY_COST_QUALITY_KEYS = optionKeys<PrivacyCostQualityOptions>({
  capture: true,
  hashKey: true,
  hashAttributes: true,
  prices: true,
  evaluators: true,
  evaluationSampleRate: true,
  evaluationTimeoutMs: true,
  segment: true,
});

const EVALUATOR_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const CAPTURE_KNOWN = optionKeys<CaptureOptions>({ content: true, maxLength: true, sampleRate: true, redact: true });
const REDACT_KNOWN = optionKeys<RedactOptions>({ patterns: true, fn: true });
const REDACT_PATTERN_KNOWN = optionKeys<RedactPattern>({ pattern: true, replacement: true });
const PRICE_KNOWN = optionKeys<ModelPrice>({ input: true, output: true, cachedInput: true, cacheWrite: true, reasoning: true });
const EVALUATOR_KNOWN = optionKeys<Evaluator>({ name: true, evaluate: true });
const SEGMENT_KNOWN = optionKeys<SegmentOptions>({ by: true, minSamples: true, alpha: true });

export function resolvePrivacyCostQuality(o: PrivacyCostQualityOptions): ResolvedPrivacyCostQuality {
  return {
    capture: resolveCapture(o.capture),
    hashKey: resolveHashKey(o.hashKey),
    hashAttributes: resolveHashAttributes(o.hashAttributes),
    prices: resolvePrices(o.prices),
    evaluators: resolveEvaluators(o.evaluators),
    evaluationSampleRate: rate('evaluationSampleRate', o.evaluationSampleRate, 1),
    evaluationTimeoutMs: integer('evaluationTimeoutMs', o.evaluationTimeoutMs, 1, 60_000, 1000),
    segment: resolveSegment(o.segment),
  };
}

function resolveCapture(capture: CaptureOptions | undefined): ResolvedCapture | undefined {
  if (capture === undefined) return undefined;
  if (!isPlainObject(capture)) fail('capture', 'an object such as { content: true }', capture);
  checkKeys('createMonitor', capture, CAPTURE_KNOWN, 'capture.');
  if (capture.content !== undefined && typeof capture.content !== 'boolean') fail('capture.content', 'a boolean', capture.content);
  const maxLength = integer('capture.maxLength', capture.maxLength, 16, 1_000_000, 4096);
  const sampleRate = rate('capture.sampleRate', capture.sampleRate, 1);
  const redact = capture.redact;
  if (redact !== undefined) {
    if (!isPlainObject(redact)) fail('capture.redact', 'an object { patterns?, fn? }', redact);
    checkKeys('createMonitor', redact, REDACT_KNOWN, 'capture.redact.');
    if (redact.fn !== undefined && typeof redact.fn !== 'function') fail('capture.redact.fn', 'a function (text) => text', redact.fn);
    if (redact.patterns !== undefined) {
      if (!Array.isArray(redact.patterns)) fail('capture.redact.patterns', 'an array of RegExp or { pattern, replacement? }', redact.patterns);
      redact.patterns.forEach((p, i) => {
        const name = `capture.redact.patterns[${i}]`;
        if (p instanceof RegExp) return;
        if (!isPlainObject(p) || !((p as any).pattern instanceof RegExp)) fail(name, 'a RegExp or { pattern: RegExp, replacement? }', p);
        checkKeys('createMonitor', p, REDACT_PATTERN_KNOWN, `${name}.`);
        if ((p as any).replacement !== undefined && typeof (p as any).replacement !== 'string') fail(`${name}.replacement`, 'a string', (p as any).replacement);
      });
    }
  }
  if (capture.content !== true) return undefined;
  return { maxLength, sampleRate, redact: redact ?? {} };
}

function resolveHashKey(key: string | undefined): string | undefined {
  if (key !== undefined && (typeof key !== 'string' || key.length < 16)) {
    // Never echo a key, even a short one.
    const got = typeof key === 'string' ? `a string of ${key.length} characters` : describeValue(key);
    throw new TypeError(`createMonitor: option "hashKey" must be a string of at least 16 characters, got ${got}`);
  }
  return key;
}

function resolveHashAttributes(attributes: string[] | undefined): string[] {
  if (attributes === undefined) return [...USER_ID_ATTRIBUTES];
  if (!Array.isArray(attributes) || !attributes.every((a) => typeof a === 'string' && a !== '')) {
    fail('hashAttributes', 'an array of attribute names', attributes);
  }
  return [...attributes];
}

function resolvePrices(prices: Record<string, ModelPrice> | undefined): Record<string, ModelPrice> | undefined {
  if (prices === undefined) return undefined;
  if (!isPlainObject(prices)) fail('prices', "an object { 'provider/model': { input, output, ... } }", prices);
  for (const [key, price] of Object.entries(prices)) {
    const slash = key.indexOf('/');
    if (slash <= 0 || slash === key.length - 1) {
      throw new TypeError(`createMonitor: option "prices" key ${JSON.stringify(key)} must be 'provider/model' (or '*/model' for any provider)`);
    }
    const name = `prices["${key}"]`;
    if (!isPlainObject(price)) fail(name, 'an object { input, output, cachedInput?, cacheWrite?, reasoning? }', price);
    checkKeys('createMonitor', price, PRICE_KNOWN, `${name}.`);
    for (const field of Object.keys(price)) {
      const value = (price as any)[field];
      if (!(typeof value === 'number' && Number.isFinite(value) && value >= 0)) fail(`${name}.${field}`, 'a number of US dollars per million tokens, 0 or more', value);
    }
    if (price.input === undefined) fail(`${name}.input`, 'a number of US dollars per million tokens', undefined);
    if (price.output === undefined) fail(`${name}.output`, 'a number of US dollars per million tokens', undefined);
  }
  return prices;
}

function resolveEvaluators(evaluators: EvaluatorOption[] | undefined): Evaluator[] {
  if (evaluators === undefined) return Object.values(BUILT_IN_EVALUATORS);
  if (!Array.isArray(evaluators)) fail('evaluators', 'an array of built-in names, evaluators { name, evaluate } or named functions', evaluators);
  const out: Evaluator[] = [];
  const names = new Set<string>();
  evaluators.forEach((e, i) => {
    const option = `evaluators[${i}]`;
    let evaluator: Evaluator;
    if (typeof e === 'string') {
      if (!Object.prototype.hasOwnProperty.call(BUILT_IN_EVALUATORS, e)) {
        throw new TypeError(`createMonitor: option "${option}" names no built-in evaluator: ${JSON.stringify(e)} (built-in: ${Object.keys(BUILT_IN_EVALUATORS).join(', ')})`);
      }
      evaluator = BUILT_IN_EVALUATORS[e];
    } else if (typeof e === 'function') {
      evaluator = { name: e.name, evaluate: e };
    } else if (isPlainObject(e) && typeof (e as Evaluator).evaluate === 'function') {
      // A literal is only { name, evaluate }; an instance of the app's class keeps its own fields.
      if (isObjectLiteral(e)) checkKeys('createMonitor', e, EVALUATOR_KNOWN, `${option}.`);
      evaluator = e as Evaluator;
    } else fail(option, 'a built-in name, an evaluator { name, evaluate } or a named function', e);
    if (typeof evaluator.name !== 'string' || !EVALUATOR_NAME.test(evaluator.name)) {
      fail(`${option}.name`, 'a name of letters, digits and _ (a named function, or { name })', evaluator.name);
    }
    if (names.has(evaluator.name)) throw new TypeError(`createMonitor: option "${option}" repeats the evaluator name ${JSON.stringify(evaluator.name)}`);
    names.add(evaluator.name);
    out.push(evaluator);
  });
  return out;
}

function resolveSegment(segment: PrivacyCostQualityOptions['segment']): ResolvedSegment | undefined {
  if (segment === undefined) return undefined;
  const options: SegmentOptions = typeof segment === 'string' || typeof segment === 'function' ? { by: segment } : segment;
  if (!isPlainObject(options)) fail('segment', 'an attribute name, a function (record) => string, or { by, minSamples?, alpha? }', segment);
  checkKeys('createMonitor', options, SEGMENT_KNOWN, 'segment.');
  const by = options.by;
  let attribute: string;
  let of: (record: CallRecord) => string | undefined;
  if (typeof by === 'string' && by !== '') {
    attribute = by;
    of = (record) => record.context?.[by];
  } else if (typeof by === 'function') {
    attribute = 'function';
    of = by;
  } else fail(typeof segment === 'object' ? 'segment.by' : 'segment', 'an attribute name or a function (record) => string', by);
  const minSamples = integer('segment.minSamples', options.minSamples, 5, 1_000_000, 30);
  if (options.alpha !== undefined && !(typeof options.alpha === 'number' && options.alpha > 0 && options.alpha <= 0.5)) {
    fail('segment.alpha', 'a number above 0 and at most 0.5', options.alpha);
  }
  return { attribute, of, minSamples, alpha: options.alpha ?? 0.01 };
}

function rate(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (!(typeof value === 'number' && value >= 0 && value <= 1)) fail(name, 'a number from 0 to 1', value);
  return value;
}

function integer(name: string, value: unknown, min: number, max: number, fallback: number): number {
  checkInteger(fail, name, value, min, max);
  return (value as number | undefined) ?? fallback;
}

function isPlainObject(value: unknown): value is Record<string, any> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

