/**
 * A local, Anthropic-compatible HTTP server for tests (node:http only), the twin of openai-server.ts.
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
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface AnthropicScriptedReply {
  /** HTTP status, default 200. */
  status?: number;
  /** Extra response headers (e.g. `'retry-after': '0'`); they override the defaults. */
  headers?: Record<string, string>;
  /** Wait before writing status/headers. */
  delayBeforeHeadersMs?: number;
  /** Non-streaming: JSON body (object) or raw body (string / Uint8Array). */
  body?: unknown;
  /** Streaming: object events are sent as `event: <type>\ndata: <json>\n\n`; strings are raw SSE text. */
  events?: unknown[];
  /** After headers, before the first event. */
  delayBeforeFirstEventMs?: number;
  delayBetweenEventsMs?: number;
  /** Destroy the socket after sending this many events (stream cut midway). 0: right after the headers. */
  dropAfterEvents?: number;
}

export interface RecordedRequest {
  method: string;
  /** Path without query string, e.g. `/v1/messages`. */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body, raw string when not JSON, undefined when empty. */
  body: any;
}

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

function isObject(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

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

function parseBody(raw: Buffer): unknown {
  if (raw.length === 0) return undefined;
  const text = raw.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function sseFrame(event: unknown): string {
  if (typeof event === 'string') return event;
  const type = isObject(event) && typeof event.type === 'string' ? event.type : undefined;
  return `${type ? `event: ${type}\n` : ''}data: ${JSON.stringify(event)}\n\n`;
}

export async function startAnthropicServer(
  opts: { defaultHandler?: (req: RecordedRequest) => AnthropicScriptedReply } = {},
): Promise<AnthropicTestServer> {
  const requests: RecordedRequest[] = [];
  const queue: AnthropicScriptedReply[] = [];
  const sockets = new Set<Socket>();
  const sleepers = new Set<() => void>();
  let closed = false;
  let closePromise: Promise<void> | undefined;
  let requestCounter = 0;

  /** Resolves after `ms`, or right away when the server closes. */
  const sleep = (ms: number | undefined) =>
    new Promise<void>((resolve) => {
      if (!ms || ms <= 0 || closed) return resolve();
      const done = () => {
        clearTimeout(timer);
        sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      sleepers.add(done);
    });

  async function respond(res: http.ServerResponse, recorded: RecordedRequest) {
    const handler = opts.defaultHandler ?? defaultAnthropicReply;
    let reply = queue.length ? queue.shift()! : handler(recorded);
    const status = reply.status ?? 200;
    if (reply.body === undefined && reply.events === undefined) {
      if (status >= 400) reply = { ...reply, body: anthropicError(status) };
      else {
        const fallback = defaultAnthropicReply(recorded);
        reply = { ...reply, body: fallback.body, events: fallback.events };
      }
    }

    const gone = () => closed || res.destroyed || res.socket == null || res.socket.destroyed;
    await sleep(reply.delayBeforeHeadersMs);
    if (gone()) return;

    const headers: Record<string, string> = { 'request-id': `req_test_${++requestCounter}` };
    const extra = Object.fromEntries(Object.entries(reply.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));

    if (reply.events !== undefined) {
      res.writeHead(status, {
        ...headers,
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        ...extra,
      });
      res.flushHeaders();
      const write = (data: string) =>
        new Promise<boolean>((resolve) => {
          if (gone()) return resolve(false);
          res.write(data, (err) => resolve(!err));
        });
      const drop = () => {
        res.socket?.destroy();
        res.destroy();
      };
      if (reply.dropAfterEvents === 0) return drop();
      await sleep(reply.delayBeforeFirstEventMs);
      let sent = 0;
      for (const event of reply.events) {
        if (sent > 0) await sleep(reply.delayBetweenEventsMs);
        if (!(await write(sseFrame(event)))) return;
        sent++;
        if (reply.dropAfterEvents !== undefined && sent >= reply.dropAfterEvents) return drop();
      }
      if (!gone()) res.end();
      return;
    }

    let payload: Buffer;
    let contentType: string;
    if (typeof reply.body === 'string') {
      payload = Buffer.from(reply.body, 'utf8');
      contentType = 'text/plain; charset=utf-8';
    } else if (reply.body instanceof Uint8Array) {
      payload = Buffer.from(reply.body);
      contentType = 'application/octet-stream';
    } else {
      payload = Buffer.from(JSON.stringify(reply.body ?? null), 'utf8');
      contentType = 'application/json';
    }
    res.writeHead(status, { ...headers, 'content-type': contentType, 'content-length': String(payload.length), ...extra });
    res.end(payload);
  }

  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const recorded: RecordedRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        headers: { ...req.headers },
        body: parseBody(Buffer.concat(parts)),
      };
      requests.push(recorded);
      respond(res, recorded).catch((err: unknown) => {
        // A bug in a scripted reply: answer 500 if still possible so the test sees something.
        if (!res.headersSent && !res.destroyed) {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify(anthropicError(500, `anthropic-server handler error: ${String(err)}`)));
        } else res.destroy();
      });
    });
  });

  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    enqueue(...replies: AnthropicScriptedReply[]) {
      queue.push(...replies);
    },
    close() {
      if (closePromise) return closePromise;
      closed = true;
      for (const wake of [...sleepers]) wake();
      closePromise = new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
        sockets.clear();
        server.closeAllConnections();
      });
      return closePromise;
    },
  };
}
