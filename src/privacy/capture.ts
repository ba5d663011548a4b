/**
 * Content capture (opt-in: `capture: { content: true }`): turns a call's request body and kept output
 * into `record.content`, in the OpenTelemetry GenAI message shape (`gen_ai.input.messages` /
 * `gen_ai.output.messages`: `{ role, parts: [{ type: 'text', content }, { type: 'tool_call', ... }] }`),
 * every text redacted and then truncated before it is set. Images, audio and files are kept as a part
 * with their type only, never their data.
 *
 * Reads the request shapes of Chat Completions (`messages`), the Responses API (`instructions`,
 * `input`), legacy Completions (`prompt`), Embeddings (`input`) and Anthropic Messages (`system`,
 * `messages` with content blocks).
 */
import type { CallRecord, CapturedContent } from '../record.js';
import type { PendingText } from '../call.js';
import { outputOf } from '../quality/output.js';
import { truncate, type Redactor } from './redact.js';

export interface MessagePart {
  type: string;
  content?: string;
  id?: string;
  name?: string;
  arguments?: string;
  response?: string;
}

export interface Message {
  role: string;
  parts: MessagePart[];
  finish_reason?: string;
}

/** A conversation longer than this keeps its most recent messages (the ones the answer is about). */
export const MAX_MESSAGES = 64;
/** Parts kept per message. */
const MAX_PARTS = 64;

class Builder {
  constructor(
    private readonly redactor: Redactor,
    private readonly maxLength: number,
  ) {}

  text(value: string): string {
    return truncate(this.redactor.redact(value), this.maxLength);
  }

  /** Any value as redacted text (tool arguments and results may be objects). */
  any(value: unknown): string {
    if (typeof value === 'string') return this.text(value);
    let json: string | undefined;
    try {
      json = JSON.stringify(value);
    } catch {
      json = undefined;
    }
    return this.text(json ?? String(value));
  }

  /** Content that is a string, or a list of parts (OpenAI content parts, Anthropic content blocks). */
  parts(content: unknown): MessagePart[] {
    if (typeof content === 'string') return [{ type: 'text', content: this.text(content) }];
    if (!Array.isArray(content)) return content === undefined || content === null ? [] : [{ type: 'text', content: this.any(content) }];
    const parts: MessagePart[] = [];
    for (const part of content) {
      if (parts.length >= MAX_PARTS) break;
      if (typeof part === 'string') parts.push({ type: 'text', content: this.text(part) });
      else if (part === null || typeof part !== 'object') continue;
      else if (typeof part.text === 'string') parts.push({ type: 'text', content: this.text(part.text) });
      else if (typeof part.refusal === 'string') parts.push({ type: 'text', content: this.text(part.refusal) });
      else if (part.type === 'tool_use') parts.push(this.toolCall(part.id, part.name, part.input));
      else if (part.type === 'tool_result') parts.push(this.toolResponse(part.tool_use_id, part.content));
      // Images, audio, files, documents: their kind only.
      else parts.push({ type: typeof part.type === 'string' ? part.type : 'unknown' });
    }
    return parts;
  }

  toolCall(id: unknown, name: unknown, args: unknown): MessagePart {
    const part: MessagePart = { type: 'tool_call' };
    if (typeof id === 'string') part.id = id;
    if (typeof name === 'string') part.name = name;
    if (args !== undefined) part.arguments = this.any(args);
    return part;
  }

  toolResponse(id: unknown, response: unknown): MessagePart {
    const part: MessagePart = { type: 'tool_call_response' };
    if (typeof id === 'string') part.id = id;
    if (Array.isArray(response)) {
      const texts = this.parts(response)
        .map((p) => p.content)
        .filter((c) => c !== undefined);
      part.response = texts.join('\n');
    } else if (response !== undefined) part.response = this.any(response);
    return part;
  }

  /** One chat-style message (Chat Completions, Anthropic, Responses API message items). */
  message(m: any): Message | undefined {
    if (m === null || typeof m !== 'object') return undefined;
    // Responses API items that are not messages.
    if (m.type === 'function_call') return { role: 'assistant', parts: [this.toolCall(m.call_id, m.name, m.arguments)] };
    if (m.type === 'function_call_output') return { role: 'tool', parts: [this.toolResponse(m.call_id, m.output)] };
    const role = m.role === 'developer' ? 'system' : typeof m.role === 'string' ? m.role : 'user';
    if (role === 'tool' || role === 'function') {
      return { role: 'tool', parts: [this.toolResponse(m.tool_call_id ?? m.name, m.content)] };
    }
    const parts = this.parts(m.content);
    if (Array.isArray(m.tool_calls)) {
      for (const call of m.tool_calls) {
        if (parts.length >= MAX_PARTS) break;
        parts.push(this.toolCall(call?.id, call?.function?.name, call?.function?.arguments));
      }
    }
    return { role, parts };
  }

  input(record: CallRecord, request: any): Message[] {
    if (request === null || typeof request !== 'object') return [];
    const messages: Message[] = [];
    const system = request.system ?? request.instructions;
    if (system !== undefined && system !== null) messages.push({ role: 'system', parts: this.parts(system) });
    const list: unknown = request.messages ?? (record.operation === 'embeddings' ? undefined : request.input) ?? undefined;
    if (Array.isArray(list)) {
      const from = Math.max(0, list.length - MAX_MESSAGES);
      for (let i = from; i < list.length; i++) {
        const message = this.message(list[i]);
        if (message !== undefined) messages.push(message);
      }
    } else if (typeof list === 'string') messages.push({ role: 'user', parts: [{ type: 'text', content: this.text(list) }] });
    // Legacy completions' prompt and embeddings' input: a string or a list of strings.
    const prompt = request.prompt ?? (record.operation === 'embeddings' ? request.input : undefined);
    if (typeof prompt === 'string') messages.push({ role: 'user', parts: [{ type: 'text', content: this.text(prompt) }] });
    else if (Array.isArray(prompt) && prompt.every((p) => typeof p === 'string')) {
      messages.push({ role: 'user', parts: prompt.slice(0, MAX_PARTS).map((p: string) => ({ type: 'text', content: this.text(p) })) });
    }
    return messages;
  }

  output(record: CallRecord, outputParts: readonly string[]): Message[] {
    if (outputParts.length === 0) return [];
    const { text, toolArguments } = outputOf(record, outputParts);
    const parts: MessagePart[] =
      toolArguments !== undefined
        ? toolArguments.slice(0, MAX_PARTS).map((args) => ({ type: 'tool_call', arguments: this.text(args) }))
        : [{ type: 'text', content: this.text(text) }];
    return [{ role: 'assistant', parts, finish_reason: record.finishReasons[0] ?? (record.outcome === 'completed' ? 'stop' : record.outcome) }];
  }
}

/** The captured content of a call: its request's messages and its output, redacted and truncated. */
export function captureContent(record: CallRecord, pending: PendingText, redactor: Redactor, maxLength: number): CapturedContent {
  const builder = new Builder(redactor, maxLength);
  return { input: builder.input(record, pending.request), output: builder.output(record, pending.outputParts) };
}
