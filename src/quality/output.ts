/**
 * A call's output as the evaluators and content capture read it: the text pieces the instrument kept
 * (`call.pending.outputParts`: message text, streamed deltas, tool-call arguments) joined, and, when
 * the call ended in tool calls, those arguments split back into one JSON text per call.
 *
 * The instrument keeps text and tool-call arguments in one list, so the split is only made when the
 * output starts with `{` or `[` (OpenAI sends no text with its tool calls unless asked); otherwise the
 * arguments are unknown and the tool-call check does not judge.
 */
import type { CallRecord } from '../record.js';

/** Finish reasons that say the model stopped to call tools (OpenAI, legacy functions, Anthropic). */
const TOOL_FINISH = new Set(['tool_calls', 'function_call', 'tool_use']);
/** Finish reasons that say the output was cut by the length limit (OpenAI, Responses API, Anthropic, Gemini). */
const LENGTH_FINISH = new Set(['length', 'max_tokens', 'max_output_tokens', 'MAX_TOKENS']);

export function endedInToolCalls(record: CallRecord): boolean {
  for (const reason of record.finishReasons) if (reason !== undefined && TOOL_FINISH.has(reason)) return true;
  return false;
}

export function cutByLength(record: CallRecord): boolean {
  for (const reason of record.finishReasons) if (reason !== undefined && LENGTH_FINISH.has(reason)) return true;
  return false;
}

/** Past this many tool calls in one output the rest are left unsplit (bounded work). */
const MAX_TOOL_CALLS = 128;

/**
 * Split a run of JSON values written back to back (`{"a":1}{"b":2}`) into one text per value, by
 * bracket depth outside strings. A trailing piece that never closes, or text between the values,
 * becomes a piece of its own (which will not parse). Undefined when the text does not start with `{`
 * or `[`.
 */
export function splitJsonSequence(text: string): string[] | undefined {
  let i = 0;
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  if (i >= text.length || (text[i] !== '{' && text[i] !== '[')) return undefined;
  const pieces: string[] = [];
  let start = i;
  let depth = 0;
  let inString = false;
  for (; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) {
        pieces.push(text.slice(start, i + 1));
        if (pieces.length >= MAX_TOOL_CALLS) return pieces;
        i++;
        while (i < text.length && isSpace(text.charCodeAt(i))) i++;
        start = i;
        if (i < text.length && text[i] !== '{' && text[i] !== '[') {
          // Text after the values: one more piece, which will not parse.
          pieces.push(text.slice(i));
          return pieces;
        }
        i--;
      }
    }
  }
  if (start < text.length) pieces.push(text.slice(start));
  return pieces;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

export interface OutputView {
  /** Every kept piece joined. */
  text: string;
  /** One JSON text per tool call, when the call ended in tool calls and the split could be made. */
  toolArguments: string[] | undefined;
}

export function outputOf(record: CallRecord, parts: readonly string[]): OutputView {
  const text = parts.length === 1 ? parts[0] : parts.join('');
  const toolArguments = endedInToolCalls(record) ? splitJsonSequence(text) : undefined;
  return { text, toolArguments };
}
