/**
 * A local, OpenAI-compatible HTTP server for tests (node:http only): OpenAI's canned data and default answers
 * over the shared scripted-reply core in scripted-server.ts.
 *
 * - `startOpenAIServer()` listens on 127.0.0.1 on a random port; use `server.url` as the SDK `baseURL`.
 * - Every request is recorded in `server.requests` (parsed JSON body when possible).
 * - `enqueue(...)` scripts the next replies (FIFO); when the queue is empty the default handler answers
 *   (`opts.defaultHandler` if given, otherwise `defaultReply`, which behaves like the real API for
 *   chat completions, legacy completions, embeddings and the Responses API, streaming included).
 *
 * Scripted reply rules:
 * - `chunks` present -> Server-Sent Events. Object chunks are written as `data: <json>\n\n`; an object chunk
 *   with a string `type` field (Responses API events) also gets an `event: <type>` line, as the real API
 *   sends. String chunks are written verbatim (raw SSE text, e.g. for malformed-stream tests).
 * - otherwise `body`: objects are sent as JSON; strings / Uint8Array are sent raw (content-type text/plain
 *   unless a `content-type` header is given).
 * - neither `body` nor `chunks`: status >= 400 sends an OpenAI-style error body for that status; a 2xx/3xx
 *   reply reuses the default handler's answer for the request, so e.g. `enqueue({ delayBeforeHeadersMs: 200 })`
 *   delays an otherwise normal response.
 */
import { isObject, startScriptedServer, type RecordedRequest } from './scripted-server.js';

export type { RecordedRequest };

export interface ScriptedReply {
  /** HTTP status, default 200. */
  status?: number;
  /** Extra response headers (e.g. `'retry-after': '0'`). Override the defaults (content-type, x-request-id). */
  headers?: Record<string, string>;
  /** Wait before writing status/headers. */
  delayBeforeHeadersMs?: number;
  /** Non-streaming: JSON body (object) or raw body (string / Uint8Array, e.g. a non-JSON body). */
  body?: unknown;
  /** Streaming (SSE): each object chunk is sent as `data: ${JSON.stringify(c)}\n\n`; strings are raw SSE text. */
  chunks?: unknown[];
  /** After headers, before the first chunk. */
  delayBeforeFirstChunkMs?: number;
  delayBetweenChunksMs?: number;
  /** Send `data: [DONE]\n\n` at the end (default true). */
  sendDone?: boolean;
  /** Destroy the socket after sending this many chunks (stream cut midway). */
  dropAfterChunks?: number;
}

export interface OpenAITestServer {
  /** e.g. http://127.0.0.1:PORT/v1 (use as baseURL) */
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** Queue replies; each incoming request takes the next queued reply; when empty, uses the default handler. */
  enqueue(...replies: ScriptedReply[]): void;
  close(): Promise<void>;
}

export interface StartOpenAIServerOptions {
  defaultHandler?: (req: RecordedRequest) => ScriptedReply;
}

// ---------------------------------------------------------------------------------------------------------
// Canned data
// ---------------------------------------------------------------------------------------------------------

export const DEFAULT_TEXT = 'Hello from the local server';
export const DEFAULT_TEXT_PIECES = ['Hello', ' from', ' the', ' local', ' server'];
export const DEFAULT_EMBEDDING = [0.1, 0.2, 0.3];
export const DEFAULT_MODEL = 'gpt-4o-mini';

/** Usage of a non-streaming chat completion. */
export function chatUsage(): Record<string, any> {
  return {
    prompt_tokens: 11,
    completion_tokens: 5,
    total_tokens: 16,
    prompt_tokens_details: { cached_tokens: 2 },
    completion_tokens_details: { reasoning_tokens: 1 },
  };
}

/** Usage of the final usage chunk of a stream (`stream_options.include_usage`), and of legacy completions. */
export function streamUsage(): Record<string, any> {
  return { prompt_tokens: 11, completion_tokens: 5, total_tokens: 16 };
}

/** Usage of a Responses API response. */
export function responsesUsage(): Record<string, any> {
  return {
    input_tokens: 11,
    output_tokens: 5,
    total_tokens: 16,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens_details: { reasoning_tokens: 0 },
  };
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

export interface ToolCallSpec {
  id: string;
  name: string;
  /** JSON string of the arguments. */
  arguments: string;
}

// ---------------------------------------------------------------------------------------------------------
// Chat completions
// ---------------------------------------------------------------------------------------------------------

export interface ChatCompletionOverrides {
  id?: string;
  model?: string;
  created?: number;
  /** Assistant message content (default DEFAULT_TEXT; null when toolCalls are given and content is omitted). */
  content?: string | null;
  finishReason?: string;
  /** Usage object, or null to send `usage: null`. Default `chatUsage()`. */
  usage?: Record<string, unknown> | null;
  /** Function tool calls in the assistant message (finishReason then defaults to 'tool_calls'). */
  toolCalls?: ToolCallSpec[];
  /** Any other top-level fields, merged verbatim last (e.g. `choices`, `system_fingerprint`). */
  [key: string]: unknown;
}

/** Builds a `chat.completion` body. */
export function chatCompletion(overrides: ChatCompletionOverrides = {}): Record<string, any> {
  const { id, model, created, content, finishReason, usage, toolCalls, ...rest } = overrides;
  const message: Record<string, any> = {
    role: 'assistant',
    content: content !== undefined ? content : toolCalls?.length ? null : DEFAULT_TEXT,
    refusal: null,
    annotations: [],
  };
  if (toolCalls?.length) {
    message.tool_calls = toolCalls.map((t) => ({
      id: t.id,
      type: 'function',
      function: { name: t.name, arguments: t.arguments },
    }));
  }
  return {
    id: id ?? 'chatcmpl-test',
    object: 'chat.completion',
    created: created ?? nowSeconds(),
    model: model ?? DEFAULT_MODEL,
    choices: [
      {
        index: 0,
        message,
        logprobs: null,
        finish_reason: finishReason ?? (toolCalls?.length ? 'tool_calls' : 'stop'),
      },
    ],
    usage: usage === undefined ? chatUsage() : usage,
    service_tier: 'default',
    system_fingerprint: 'fp_test',
    ...rest,
  };
}

export interface ChatChunksOptions {
  model?: string;
  id?: string;
  created?: number;
  /** When an object: every chunk carries `usage: null` and a final `choices: []` chunk carries this usage
   *  (what `stream_options.include_usage` produces). null/undefined: no usage at all. */
  usage?: Record<string, unknown> | null;
  /** Default 'stop' ('tool_calls' when toolCalls are given). */
  finishReason?: string;
  /** Streamed function tool calls, emitted after the text pieces. */
  toolCalls?: ToolCallSpec[];
}

/** Builds `chat.completion.chunk` chunks: role chunk, one chunk per text piece, (tool calls), finish chunk, (usage chunk). */
export function chatChunks(texts: string[], opts: ChatChunksOptions = {}): Record<string, any>[] {
  const id = opts.id ?? 'chatcmpl-test';
  const created = opts.created ?? nowSeconds();
  const model = opts.model ?? DEFAULT_MODEL;
  const withUsage = opts.usage != null;
  const chunk = (delta: Record<string, unknown>, finishReason: string | null = null): Record<string, any> => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    service_tier: 'default',
    system_fingerprint: 'fp_test',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    ...(withUsage ? { usage: null } : {}),
  });
  const out: Record<string, any>[] = [];
  const toolCalls = opts.toolCalls ?? [];
  out.push(chunk({ role: 'assistant', content: toolCalls.length && !texts.length ? null : '', refusal: null }));
  for (const text of texts) out.push(chunk({ content: text }));
  toolCalls.forEach((t, index) => {
    out.push(
      chunk({
        tool_calls: [{ index, id: t.id, type: 'function', function: { name: t.name, arguments: '' } }],
      }),
    );
    if (t.arguments) out.push(chunk({ tool_calls: [{ index, function: { arguments: t.arguments } }] }));
  });
  out.push(chunk({}, opts.finishReason ?? (toolCalls.length ? 'tool_calls' : 'stop')));
  if (withUsage) {
    out.push({
      id,
      object: 'chat.completion.chunk',
      created,
      model,
      service_tier: 'default',
      system_fingerprint: 'fp_test',
      choices: [],
      usage: opts.usage,
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Legacy completions
// ---------------------------------------------------------------------------------------------------------

export interface CompletionOverrides {
  id?: string;
  model?: string;
  created?: number;
  text?: string;
  finishReason?: string;
  usage?: Record<string, unknown> | null;
  [key: string]: unknown;
}

/** Builds a legacy `text_completion` body. */
export function completion(overrides: CompletionOverrides = {}): Record<string, any> {
  const { id, model, created, text, finishReason, usage, ...rest } = overrides;
  return {
    id: id ?? 'cmpl-test',
    object: 'text_completion',
    created: created ?? nowSeconds(),
    model: model ?? 'gpt-3.5-turbo-instruct',
    choices: [{ text: text ?? DEFAULT_TEXT, index: 0, logprobs: null, finish_reason: finishReason ?? 'stop' }],
    usage: usage === undefined ? streamUsage() : usage,
    ...rest,
  };
}

/** Builds legacy `text_completion` stream chunks: one per piece, a finish chunk, and (with usage) a `choices: []` usage chunk. */
export function completionChunks(
  texts: string[],
  opts: { model?: string; id?: string; created?: number; usage?: Record<string, unknown> | null; finishReason?: string } = {},
): Record<string, any>[] {
  const id = opts.id ?? 'cmpl-test';
  const created = opts.created ?? nowSeconds();
  const model = opts.model ?? 'gpt-3.5-turbo-instruct';
  const withUsage = opts.usage != null;
  const chunk = (text: string, finishReason: string | null = null): Record<string, any> => ({
    id,
    object: 'text_completion',
    created,
    model,
    choices: [{ text, index: 0, logprobs: null, finish_reason: finishReason }],
    ...(withUsage ? { usage: null } : {}),
  });
  const out = texts.map((t) => chunk(t));
  out.push(chunk('', opts.finishReason ?? 'stop'));
  if (withUsage) out.push({ id, object: 'text_completion', created, model, choices: [], usage: opts.usage });
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Embeddings
// ---------------------------------------------------------------------------------------------------------

/** Little-endian float32 base64, as the API returns for `encoding_format: 'base64'`. */
export function float32Base64(values: number[]): string {
  const buf = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => buf.writeFloatLE(v, i * 4));
  return buf.toString('base64');
}

/** Builds an embeddings `list` body with one entry per input. */
export function embeddingsBody(
  opts: { model?: string; count?: number; embedding?: number[]; base64?: boolean; usage?: Record<string, unknown> } = {},
): Record<string, any> {
  const embedding = opts.embedding ?? DEFAULT_EMBEDDING;
  const count = opts.count ?? 1;
  return {
    object: 'list',
    data: Array.from({ length: count }, (_, index) => ({
      object: 'embedding',
      index,
      embedding: opts.base64 ? float32Base64(embedding) : [...embedding],
    })),
    model: opts.model ?? 'text-embedding-3-small',
    usage: opts.usage ?? { prompt_tokens: 4, total_tokens: 4 },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Responses API
// ---------------------------------------------------------------------------------------------------------

export interface ResponseObjectOverrides {
  id?: string;
  model?: string;
  createdAt?: number;
  status?: string;
  /** Output text (single message). Ignored when `output` is given. */
  text?: string;
  output?: unknown[];
  usage?: Record<string, unknown> | null;
  [key: string]: unknown;
}

/** The assistant message output item of a response. */
export function responseMessageItem(text: string, opts: { id?: string; status?: string } = {}): Record<string, any> {
  return {
    type: 'message',
    id: opts.id ?? 'msg_1',
    role: 'assistant',
    status: opts.status ?? 'completed',
    content: [{ type: 'output_text', text, annotations: [] }],
  };
}

/** Builds a Responses API `response` object (status 'completed' by default). */
export function responseObject(overrides: ResponseObjectOverrides = {}): Record<string, any> {
  const { id, model, createdAt, status, text, output, usage, ...rest } = overrides;
  return {
    id: id ?? 'resp_test',
    object: 'response',
    created_at: createdAt ?? nowSeconds(),
    status: status ?? 'completed',
    background: false,
    error: null,
    incomplete_details: null,
    instructions: null,
    max_output_tokens: null,
    model: model ?? DEFAULT_MODEL,
    output: output ?? [responseMessageItem(text ?? DEFAULT_TEXT)],
    parallel_tool_calls: true,
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    service_tier: 'default',
    store: true,
    temperature: 1,
    text: { format: { type: 'text' } },
    tool_choice: 'auto',
    tools: [],
    top_p: 1,
    truncation: 'disabled',
    usage: usage === undefined ? responsesUsage() : usage,
    user: null,
    metadata: {},
    ...rest,
  };
}

/**
 * Builds the SSE events of a streamed Responses API text answer, as the real API sends them:
 * response.created, response.in_progress, response.output_item.added, response.content_part.added,
 * response.output_text.delta (one per piece), response.output_text.done, response.content_part.done,
 * response.output_item.done, response.completed (full response incl. usage).
 * Each event has `type` and `sequence_number`. Send with `sendDone: false` (the Responses API has no [DONE]).
 */
export function responseEvents(
  texts: string[],
  opts: { model?: string; id?: string; itemId?: string; createdAt?: number; usage?: Record<string, unknown> | null } = {},
): Record<string, any>[] {
  const itemId = opts.itemId ?? 'msg_1';
  const fullText = texts.join('');
  const base: ResponseObjectOverrides = { createdAt: opts.createdAt ?? nowSeconds() };
  if (opts.id !== undefined) base.id = opts.id;
  if (opts.model !== undefined) base.model = opts.model;
  const inProgress = responseObject({ ...base, status: 'in_progress', output: [], usage: null });
  const completed = responseObject({
    ...base,
    output: [responseMessageItem(fullText, { id: itemId })],
    usage: opts.usage === undefined ? responsesUsage() : opts.usage,
  });
  const part = (text: string) => ({ type: 'output_text', text, annotations: [] });
  const route = { item_id: itemId, output_index: 0, content_index: 0 };
  const events: Record<string, any>[] = [
    { type: 'response.created', response: inProgress },
    { type: 'response.in_progress', response: inProgress },
    {
      type: 'response.output_item.added',
      output_index: 0,
      item: { type: 'message', id: itemId, role: 'assistant', status: 'in_progress', content: [] },
    },
    { type: 'response.content_part.added', ...route, part: part('') },
    ...texts.map((delta) => ({ type: 'response.output_text.delta', ...route, delta, logprobs: [] })),
    { type: 'response.output_text.done', ...route, text: fullText, logprobs: [] },
    { type: 'response.content_part.done', ...route, part: part(fullText) },
    { type: 'response.output_item.done', output_index: 0, item: responseMessageItem(fullText, { id: itemId }) },
    { type: 'response.completed', response: completed },
  ];
  return events.map((e, sequence_number) => ({ ...e, sequence_number }));
}

// ---------------------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------------------

/** OpenAI-style error body for a status. */
export function errorBody(status: number, message?: string): Record<string, any> {
  const defaults: Record<number, [string, string, string | null]> = {
    400: ['Invalid request.', 'invalid_request_error', null],
    401: ['Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key'],
    403: ['You are not allowed to access this resource.', 'invalid_request_error', null],
    404: ['The requested resource does not exist.', 'invalid_request_error', 'not_found'],
    429: ['Rate limit reached for requests. Please try again later.', 'requests', 'rate_limit_exceeded'],
    500: ['The server had an error while processing your request.', 'server_error', null],
    503: ['The server is overloaded or not ready yet.', 'server_error', null],
  };
  const [msg, type, code] = defaults[status] ?? [`Error ${status}`, status >= 500 ? 'server_error' : 'invalid_request_error', null];
  return { error: { message: message ?? msg, type, param: null, code } };
}

// ---------------------------------------------------------------------------------------------------------
// Default handler
// ---------------------------------------------------------------------------------------------------------

/** Realistic answer for a request, by path and body (used when no reply is queued and no defaultHandler is set). */
export function defaultReply(req: RecordedRequest): ScriptedReply {
  const route = req.path.replace(/^\/v1(?=\/)/, '').replace(/\/+$/, '');
  const body = isObject(req.body) ? req.body : undefined;
  if (req.method === 'POST' && body === undefined && req.body !== undefined) {
    return { status: 400, body: errorBody(400, 'We could not parse the JSON body of your request.') };
  }
  const model = typeof body?.model === 'string' ? body.model : undefined;
  const stream = body?.stream === true;
  const includeUsage = body?.stream_options?.include_usage === true;

  if (req.method === 'POST' && route === '/chat/completions') {
    if (!stream) return { body: chatCompletion({ model: model ?? DEFAULT_MODEL }) };
    return {
      chunks: chatChunks(DEFAULT_TEXT_PIECES, { model: model ?? DEFAULT_MODEL, usage: includeUsage ? streamUsage() : null }),
    };
  }
  if (req.method === 'POST' && route === '/completions') {
    const m = model ?? 'gpt-3.5-turbo-instruct';
    if (!stream) return { body: completion({ model: m }) };
    return { chunks: completionChunks(DEFAULT_TEXT_PIECES, { model: m, usage: includeUsage ? streamUsage() : null }) };
  }
  if (req.method === 'POST' && route === '/embeddings') {
    const input = body?.input;
    // An array of strings (or of token arrays) is a batch; a string or a single token array is one input.
    const count = Array.isArray(input) && input.length > 0 && typeof input[0] !== 'number' ? input.length : 1;
    return {
      body: embeddingsBody({
        model: model ?? 'text-embedding-3-small',
        count,
        base64: body?.encoding_format === 'base64',
      }),
    };
  }
  if (req.method === 'POST' && route === '/responses') {
    if (!stream) return { body: responseObject({ model: model ?? DEFAULT_MODEL }) };
    return { chunks: responseEvents(DEFAULT_TEXT_PIECES, { model: model ?? DEFAULT_MODEL }), sendDone: false };
  }
  if (req.method === 'GET' && route === '/models') {
    return {
      body: {
        object: 'list',
        data: [{ id: model ?? DEFAULT_MODEL, object: 'model', created: 1700000000, owned_by: 'system' }],
      },
    };
  }
  return {
    status: 404,
    body: {
      error: {
        message: `Invalid URL (${req.method} ${req.path})`,
        type: 'invalid_request_error',
        param: null,
        code: null,
      },
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------------------------------------

export function startOpenAIServer(opts: StartOpenAIServerOptions = {}): Promise<OpenAITestServer> {
  return startScriptedServer<ScriptedReply>({
    name: 'openai-server',
    basePath: '/v1',
    requestIdHeader: 'x-request-id',
    defaultReply,
    defaultHandler: opts.defaultHandler,
    errorBody,
    toCore: ({ chunks, delayBeforeFirstChunkMs, delayBetweenChunksMs, dropAfterChunks, sendDone, ...common }) => ({
      ...common,
      events: chunks,
      delayBeforeFirstEventMs: delayBeforeFirstChunkMs,
      delayBetweenEventsMs: delayBetweenChunksMs,
      dropAfterEvents: dropAfterChunks,
      sendEndOfStream: sendDone,
    }),
    endOfStream: 'data: [DONE]\n\n',
  });
}
