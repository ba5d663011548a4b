/**
 * Evaluators: checks of one call's output that say pass or fail (or give a score in [0, 1]), run after
 * the call has ended, off the app's path (see `enrich.ts`). The built-in ones read only the record,
 * the output text and the request body:
 *
 * | name             | fails when                                                                 | judges when                          |
 * |------------------|----------------------------------------------------------------------------|--------------------------------------|
 * | `non_empty`      | the output is empty or whitespace                                          | the call completed, not in tool calls |
 * | `not_truncated`  | a finish reason says the length limit cut it (`length`, `max_tokens`, ...)  | the call completed with a reason     |
 * | `valid_json`     | JSON was asked for (`json_object` / `json_schema`) and the output does not parse | JSON was asked for             |
 * | `matches_schema` | the parsed output does not match the JSON schema the request gave          | a schema was given and it parsed     |
 * | `no_refusal`     | the output opens with refusal phrasing, or the finish reason is `content_filter`, `refusal` or `SAFETY` | the call completed with text or that reason |
 * | `tool_arguments` | a tool call's arguments do not parse as a JSON object                      | the call ended in tool calls         |
 *
 * An evaluator that does not apply returns undefined and is not counted. Custom evaluators are the same
 * shape and may be async.
 */
import type { CallRecord } from '../record.js';
import { schemaMismatch } from './json-schema.js';
import { cutByLength, endedInToolCalls } from './output.js';

export interface EvaluationInput {
  readonly record: CallRecord;
  /** The output text: message text or streamed deltas joined (tool-call arguments included). */
  readonly output: string;
  /** One JSON text per tool call, when the call ended in tool calls and they could be told apart. */
  readonly toolArguments: readonly string[] | undefined;
  /** The request body as the app sent it. */
  readonly request: unknown;
}

/**
 * What an evaluator says: `true` pass, `false` fail, a number a score in [0, 1] (0.5 and up counts as
 * a pass), `{ pass?, score? }` both, and undefined or null: does not apply to this output.
 */
export type Verdict = boolean | number | { pass?: boolean; score?: number } | undefined | null | void;

export interface Evaluator {
  /** The `evaluator` label value: letters, digits and `_`. */
  readonly name: string;
  evaluate(input: EvaluationInput): Verdict | Promise<Verdict>;
}

/** Evaluators judge completed generations only: a cancelled stream's output is partial by choice. */
function judgeable(record: CallRecord): boolean {
  return record.outcome === 'completed' && record.operation !== 'embeddings';
}

/** What the request asked of the output's format. */
export function requestedFormat(request: unknown): { json: boolean; schema: unknown } {
  if (request === null || typeof request !== 'object') return { json: false, schema: undefined };
  const body = request as any;
  // Chat Completions: response_format; Responses API: text.format.
  const format = body.response_format ?? body.text?.format;
  const type = format?.type;
  if (type === 'json_object') return { json: true, schema: undefined };
  if (type === 'json_schema') return { json: true, schema: format.json_schema?.schema ?? format.schema };
  return { json: false, schema: undefined };
}

/** Largest output the JSON checks parse (bigger ones are not judged: bounded work). */
const MAX_JSON_LENGTH = 1 << 20;

function parsed(output: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(output) };
  } catch {
    // The parser's message quotes the output: never passed on.
    return { ok: false };
  }
}

/** "I can't", "I cannot", "I won't", "I am unable to", "I'm not able to", ... */
const I_CANT = "I(?: (?:can(?:'|no)?t|cannot|won'?t|am unable to|am not able to)|'m (?:unable|not able) to)";
/**
 * Openings of a refusal, read in the first REFUSAL_WINDOW characters only (a refusal comes first; a
 * long answer that later says "I can't" is not one). Models write the apostrophe straight or curly.
 * One expression of the alternatives, so an output is matched once, not once per opening.
 */
const REFUSAL_OPENINGS = [
  `(?:I'?m|I am) (?:sorry|afraid),? (?:but )?${I_CANT}\\b`,
  `(?:Sorry|I apologi[sz]e),? (?:but )?${I_CANT}\\b`,
  `${I_CANT} (?:help|assist|comply|provide|fulfil|support|do that|answer|engage|create|generate|share|discuss)\\b`,
  `(?:As an AI(?: language model)?|As a language model),? (?:${I_CANT}|I don'?t|I do not)\\b`,
  `I must (?:decline|refuse)\\b`,
  `Unfortunately,? ${I_CANT}\\b`,
];
const REFUSAL = new RegExp(`^\\s*(?:${REFUSAL_OPENINGS.map((source) => `(?:${source})`).join('|')})`.replace(/'/g, "['\u2019]"), 'i');
const REFUSAL_WINDOW = 300;

export const nonEmpty: Evaluator = {
  name: 'non_empty',
  evaluate({ record, output }) {
    if (!judgeable(record) || endedInToolCalls(record)) return undefined;
    return output.trim() !== '';
  },
};

export const notTruncated: Evaluator = {
  name: 'not_truncated',
  evaluate({ record }) {
    if (!judgeable(record) || record.finishReasons.length === 0) return undefined;
    return !cutByLength(record);
  },
};

export const validJson: Evaluator = {
  name: 'valid_json',
  evaluate({ record, output, request }) {
    if (!judgeable(record) || endedInToolCalls(record) || output.length > MAX_JSON_LENGTH) return undefined;
    if (!requestedFormat(request).json) return undefined;
    return parsed(output).ok;
  },
};

export const matchesSchema: Evaluator = {
  name: 'matches_schema',
  evaluate({ record, output, request }) {
    if (!judgeable(record) || endedInToolCalls(record) || output.length > MAX_JSON_LENGTH) return undefined;
    const { schema } = requestedFormat(request);
    if (schema === undefined || schema === null || typeof schema !== 'object') return undefined;
    const result = parsed(output);
    // Output that does not parse is `valid_json`'s failure, not counted twice.
    if (!result.ok) return undefined;
    return schemaMismatch(schema, result.value) === undefined;
  },
};

export const noRefusal: Evaluator = {
  name: 'no_refusal',
  evaluate({ record, output }) {
    if (!judgeable(record)) return undefined;
    // Withheld by the provider: `content_filter` (OpenAI), `refusal` (Anthropic), `SAFETY` (Gemini).
    for (const reason of record.finishReasons) if (reason === 'content_filter' || reason === 'refusal' || reason === 'SAFETY') return false;
    if (endedInToolCalls(record) || output.trim() === '') return undefined;
    const opening = output.length > REFUSAL_WINDOW ? output.slice(0, REFUSAL_WINDOW) : output;
    return !REFUSAL.test(opening);
  },
};

export const toolArguments: Evaluator = {
  name: 'tool_arguments',
  evaluate({ record, toolArguments }) {
    if (!judgeable(record) || !endedInToolCalls(record) || toolArguments === undefined || toolArguments.length === 0) return undefined;
    for (const args of toolArguments) {
      if (args.length > MAX_JSON_LENGTH) return undefined;
      const result = parsed(args);
      if (!result.ok || result.value === null || typeof result.value !== 'object' || Array.isArray(result.value)) return false;
    }
    return true;
  },
};

/** The built-in evaluators, by name. */
export const BUILT_IN_EVALUATORS: Readonly<Record<string, Evaluator>> = {
  non_empty: nonEmpty,
  not_truncated: notTruncated,
  valid_json: validJson,
  matches_schema: matchesSchema,
  no_refusal: noRefusal,
  tool_arguments: toolArguments,
};

/** The evaluator whose failure marks a refusal (the segments' refusal rate). */
export const REFUSAL_EVALUATOR = 'no_refusal';
