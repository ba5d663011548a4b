/**
 * A local, Anthropic-compatible HTTP server for tests (node:http only), the twin of openai-server.ts: both run
 * on the scripted-reply core in scripted-server.ts.
 *
 * - `startAnthropicServer()` listens on 127.0.0.1 on a random port; use `server.url` as the SDK `baseURL`
 *   (the SDK adds `/v1/messages` itself).
 * - Every request is recorded in `server.requests` (parsed JSON body when possible).
 * - `enqueue(...)` scripts the next replies (FIFO); when the queue is empty the default handler answers
 *   like the real Messages API: a `message` object, or, for `stream: true`, the event stream
 *   message_start, content_block_start, ping, content_block_delta (one per piece), content_block_stop,
 *   message_delta (stop_reason, usage), message_stop.
 *
 * Scripted reply rules:
 * - `events` present -> Server-Sent Events, each object written as `event: <type>\ndata: <json>\n\n` (the real
 *   API names every event, `error` included); strings are written verbatim (raw SSE text, for malformed streams).
 * - otherwise `body`: objects are sent as JSON; strings / Uint8Array raw (text/plain unless a content-type
 *   header is given).
 * - neither: a status >= 400 sends the API's error body for that status (`{type: 'error', error: {type,
 *   message}}`); a 2xx reuses the default answer, so `enqueue({ delayBeforeHeadersMs: 200 })` delays a normal reply.
 */
import { isObject, startScriptedServer, type CoreReply, type RecordedRequest } from './scripted-server.js';

export type { RecordedRequest };

/** A scripted reply: the core's own (see `CoreReply`); an Anthropic stream has no end-of-stream marker. */
export type AnthropicScriptedReply = Omit<CoreReply, 'sendEndOfStream'>;

export interface AnthropicTestServer {
  /** e.g. http://127.0.0.1:PORT (use as baseURL) */
  url: string;
  port: number;
  requests: RecordedRequest[];
  enqueue(...replies: AnthropicScriptedReply[]): void;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------------
// Canned data
// ---------------------------------------------------------------------------------------------------------

export const CLAUDE_TEXT = 'Hello from the local Claude';
export const CLAUDE_TEXT_PIECES = ['Hello', ' from', ' the', ' local', ' Claude'];
export const CLAUDE_MODEL = 'claude-sonnet-5';

/** Usage of a finished message: 12 in, 6 out, 4 read from the prompt cache, 3 written to it. */
export function claudeUsage(): Record<string, any> {
  return {
    input_tokens: 12,
    cache_creation_input_tokens: 3,
    cache_read_input_tokens: 4,
    cache_creation: { ephemeral_5m_input_tokens: 3, ephemeral_1h_input_tokens: 0 },
    output_tokens: 6,
    service_tier: 'standard',
  };
}

export interface ToolUseSpec {
  id: string;
  name: string;
  /** The tool input, streamed as `input_json_delta` pieces of its JSON. */
  input: Record<string, unknown>;
}

export interface MessageOverrides {
  id?: string;
  model?: string;
  text?: string;
  stopReason?: string | null;
  /** Usage object, or null to send `usage: null`. Default `claudeUsage()`. */
  usage?: Record<string, unknown> | null;
  toolUse?: ToolUseSpec;
  /** A thinking block before the text. */
  thinking?: string;
  [key: string]: unknown;
}

/** Builds a non-streamed `message` body. */
export function message(overrides: MessageOverrides = {}): Record<string, any> {
  const { id, model, text, stopReason, usage, toolUse, thinking, ...rest } = overrides;
  const content: Record<string, unknown>[] = [];
  if (thinking !== undefined) content.push({ type: 'thinking', thinking, signature: 'sig_test' });
  content.push({ type: 'text', text: text ?? CLAUDE_TEXT });
  if (toolUse) content.push({ type: 'tool_use', id: toolUse.id, name: toolUse.name, input: toolUse.input });
  return {
    id: id ?? 'msg_test',
    type: 'message',
    role: 'assistant',
    model: model ?? CLAUDE_MODEL,
    content,
    stop_reason: stopReason === undefined ? (toolUse ? 'tool_use' : 'end_turn') : stopReason,
    stop_sequence: null,
    usage: usage === undefined ? claudeUsage() : usage,
    ...rest,
  };
}

export interface MessageEventsOptions {
  id?: string;
  model?: string;
  /** Final usage. Default `claudeUsage()`. */
  usage?: Record<string, any>;
  /**
   * What message_delta's usage carries: the cumulative counts (`cumulative`, what the API sends today) or
   * only `output_tokens` (`output_only`, what it sent before). Default `cumulative`.
   */
  deltaUsage?: 'cumulative' | 'output_only';
  stopReason?: string;
  toolUse?: ToolUseSpec;
  /** Streamed thinking pieces before the text (a thinking block with a signature_delta). */
  thinking?: string[];
}

/** Builds the event stream of a message, exactly in the order and shape the Messages API sends it. */
export function messageEvents(texts: string[], opts: MessageEventsOptions = {}): Record<string, any>[] {
  const usage = opts.usage ?? claudeUsage();
  const { output_tokens: outputTokens, ...inputUsage } = usage;
  const events: Record<string, any>[] = [
    {
      type: 'message_start',
      message: {
        id: opts.id ?? 'msg_test',
        type: 'message',
        role: 'assistant',
        model: opts.model ?? CLAUDE_MODEL,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        // The API reports the input side up front, and a running output count that starts at 1.
        usage: { ...inputUsage, output_tokens: 1 },
      },
    },
  ];
  let index = 0;
  if (opts.thinking) {
    events.push({ type: 'content_block_start', index, content_block: { type: 'thinking', thinking: '', signature: '' } });
    for (const piece of opts.thinking) events.push({ type: 'content_block_delta', index, delta: { type: 'thinking_delta', thinking: piece } });
    events.push({ type: 'content_block_delta', index, delta: { type: 'signature_delta', signature: 'sig_test' } });
    events.push({ type: 'content_block_stop', index });
    index++;
  }
  events.push({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
  events.push({ type: 'ping' });
  for (const text of texts) events.push({ type: 'content_block_delta', index, delta: { type: 'text_delta', text } });
  events.push({ type: 'content_block_stop', index });
  index++;
  if (opts.toolUse) {
    const { id, name, input } = opts.toolUse;
    events.push({ type: 'content_block_start', index, content_block: { type: 'tool_use', id, name, input: {} } });
    // The API opens a tool input with an empty piece, then sends the JSON in fragments.
    events.push({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: '' } });
    const json = JSON.stringify(input);
    const cut = Math.ceil(json.length / 2);
    for (const piece of [json.slice(0, cut), json.slice(cut)]) {
      events.push({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: piece } });
    }
    events.push({ type: 'content_block_stop', index });
  }
  const deltaUsage = (opts.deltaUsage ?? 'cumulative') === 'cumulative'
    ? {
        input_tokens: usage.input_tokens ?? null,
        cache_creation_input_tokens: usage.cache_creation_input_tokens ?? null,
        cache_read_input_tokens: usage.cache_read_input_tokens ?? null,
        output_tokens: outputTokens,
      }
    : { output_tokens: outputTokens };
  events.push({
    type: 'message_delta',
    delta: { stop_reason: opts.stopReason ?? (opts.toolUse ? 'tool_use' : 'end_turn'), stop_sequence: null },
    usage: deltaUsage,
  });
  events.push({ type: 'message_stop' });
  return events;
}

// ---------------------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------------------

const ERROR_TYPES: Record<number, [string, string]> = {
  400: ['invalid_request_error', 'messages: field required'],
  401: ['authentication_error', 'invalid x-api-key'],
  403: ['permission_error', 'Your API key does not have permission to use the specified resource.'],
  404: ['not_found_error', 'The requested resource could not be found.'],
  413: ['request_too_large', 'Request exceeds the maximum allowed number of bytes.'],
  429: ['rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit.'],
  500: ['api_error', 'An unexpected error has occurred internal to Anthropic’s systems.'],
  529: ['overloaded_error', 'Overloaded'],
};

/** The API's error body for a status: `{type: 'error', error: {type, message}, request_id}`. */
export function anthropicError(status: number, message?: string): Record<string, any> {
  const [type, defaultMessage] = ERROR_TYPES[status] ?? [status >= 500 ? 'api_error' : 'invalid_request_error', `Error ${status}`];
  return { type: 'error', error: { type, message: message ?? defaultMessage }, request_id: 'req_test_error' };
}

/** An `error` event inside a stream (sent after a 200, e.g. when the API is overloaded midway). */
export function errorEvent(type = 'overloaded_error', message = 'Overloaded'): Record<string, any> {
  return { type: 'error', error: { type, message } };
}

// ---------------------------------------------------------------------------------------------------------
// Default handler
// ---------------------------------------------------------------------------------------------------------

/** The real API's answer for a request, by path and body. */
export function defaultAnthropicReply(req: RecordedRequest): AnthropicScriptedReply {
  const route = req.path.replace(/\/+$/, '');
  const body = isObject(req.body) ? req.body : undefined;
  if (req.method === 'POST' && body === undefined) {
    return { status: 400, body: anthropicError(400, 'There was an issue with the format or content of your request.') };
  }
  const model = typeof body?.model === 'string' ? body.model : CLAUDE_MODEL;
  if (req.method === 'POST' && route === '/v1/messages') {
    if (body?.stream === true) return { events: messageEvents(CLAUDE_TEXT_PIECES, { model }) };
    return { body: message({ model }) };
  }
  if (req.method === 'POST' && route === '/v1/messages/count_tokens') return { body: { input_tokens: 12 } };
  if (req.method === 'GET' && route === '/v1/models') {
    return {
      body: {
        data: [{ type: 'model', id: CLAUDE_MODEL, display_name: 'Claude Sonnet 5', created_at: '2026-01-01T00:00:00Z' }],
        has_more: false,
        first_id: CLAUDE_MODEL,
        last_id: CLAUDE_MODEL,
      },
    };
  }
  return { status: 404, body: anthropicError(404) };
}

// ---------------------------------------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------------------------------------

export function startAnthropicServer(
  opts: { defaultHandler?: (req: RecordedRequest) => AnthropicScriptedReply } = {},
): Promise<AnthropicTestServer> {
  return startScriptedServer<AnthropicScriptedReply>({
    name: 'anthropic-server',
    basePath: '',
    requestIdHeader: 'request-id',
    defaultReply: defaultAnthropicReply,
    defaultHandler: opts.defaultHandler,
    errorBody: anthropicError,
    // The core's reply fields are this file's own (events, delays, dropAfterEvents); no end-of-stream marker.
    toCore: (reply) => reply,
  });
}
