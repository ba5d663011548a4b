/**
 * The scripted-reply HTTP/SSE server core (node:http only) behind openai-server.ts and anthropic-server.ts.
 *
 * It listens on 127.0.0.1 on a random port, records every request, answers each with the next queued reply
 * (FIFO) or the default handler's, and plays the reply out: delays, JSON / raw bodies, SSE event streams
 * that can be cut midway, error bodies. What differs between the APIs (reply field names, the built-in
 * answers, the error body, the request-id header, the URL prefix, the end-of-stream marker) comes in as a
 * `ScriptedServerSpec`.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** Path without query string, e.g. `/v1/chat/completions`. */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body, raw string when not JSON, undefined when empty. */
  body: any;
}

/** A reply in the core's own terms; each server maps its scripted reply type onto this. */
export interface CoreReply {
  /** HTTP status, default 200. */
  status?: number;
  /** Extra response headers (e.g. `'retry-after': '0'`); they override the defaults. */
  headers?: Record<string, string>;
  /** Wait before writing status/headers. */
  delayBeforeHeadersMs?: number;
  /** Non-streaming: JSON body (object) or raw body (string / Uint8Array). */
  body?: unknown;
  /** Streaming: object events are sent as `[event: <type>\n]data: <json>\n\n`; strings are raw SSE text. */
  events?: unknown[];
  /** After headers, before the first event. */
  delayBeforeFirstEventMs?: number;
  delayBetweenEventsMs?: number;
  /** Destroy the socket after sending this many events (stream cut midway). 0: right after the headers. */
  dropAfterEvents?: number;
  /** Write the spec's `endOfStream` after the last event (default true). */
  sendEndOfStream?: boolean;
}

export interface ScriptedServerSpec<R> {
  /** Names the server in the 500 body sent when a handler or scripted reply throws. */
  name: string;
  /** Appended to `http://127.0.0.1:PORT` to make `url` (e.g. `/v1`). */
  basePath: string;
  /** Header carrying `req_test_<n>`, n counting responses from 1. */
  requestIdHeader: string;
  /** The built-in answer: used when nothing is queued and there is no `defaultHandler`, and to fill in a
   *  2xx reply that has neither body nor events. */
  defaultReply: (req: RecordedRequest) => R;
  /** Overrides `defaultReply` for unqueued requests (not for the fill-in). */
  defaultHandler?: (req: RecordedRequest) => R;
  /** Body sent for a status >= 400 reply without one. */
  errorBody: (status: number, message?: string) => unknown;
  toCore: (reply: R) => CoreReply;
  /** Raw SSE text written after the last event unless the reply says not to (OpenAI's `data: [DONE]\n\n`). */
  endOfStream?: string;
}

export interface ScriptedServer<R> {
  url: string;
  port: number;
  requests: RecordedRequest[];
  enqueue(...replies: R[]): void;
  close(): Promise<void>;
}

export function isObject(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseBody(raw: Buffer): unknown {
  if (raw.length === 0) return undefined;
  const text = raw.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Both APIs name an event after its `type` field (OpenAI's Responses API, every Anthropic event); OpenAI's
 *  chat chunks have none and go out as bare `data:` lines. */
function sseFrame(event: unknown): string {
  if (typeof event === 'string') return event;
  const type = isObject(event) && typeof event.type === 'string' ? event.type : undefined;
  return `${type ? `event: ${type}\n` : ''}data: ${JSON.stringify(event)}\n\n`;
}

export async function startScriptedServer<R>(spec: ScriptedServerSpec<R>): Promise<ScriptedServer<R>> {
  const requests: RecordedRequest[] = [];
  const queue: R[] = [];
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
    // Mapped at answer time, not at enqueue time, so a reply is read as it is when its request comes.
    let reply = spec.toCore(queue.length ? queue.shift()! : (spec.defaultHandler ?? spec.defaultReply)(recorded));
    const status = reply.status ?? 200;
    if (reply.body === undefined && reply.events === undefined) {
      if (status >= 400) reply = { ...reply, body: spec.errorBody(status) };
      else {
        // A 2xx without content takes the built-in answer's, so e.g. `{ delayBeforeHeadersMs }` delays a normal reply.
        const fallback = spec.toCore(spec.defaultReply(recorded));
        reply = {
          ...reply,
          body: fallback.body,
          events: fallback.events,
          sendEndOfStream: reply.sendEndOfStream ?? fallback.sendEndOfStream,
        };
      }
    }

    const gone = () => closed || res.destroyed || res.socket == null || res.socket.destroyed;
    await sleep(reply.delayBeforeHeadersMs);
    if (gone()) return;

    const headers: Record<string, string> = { [spec.requestIdHeader]: `req_test_${++requestCounter}` };
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
      if (spec.endOfStream !== undefined && (reply.sendEndOfStream ?? true)) {
        if (!(await write(spec.endOfStream))) return;
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
        // A bug in a scripted reply/handler: answer 500 if still possible so the test sees something.
        if (!res.headersSent && !res.destroyed) {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify(spec.errorBody(500, `${spec.name} handler error: ${String(err)}`)));
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
    url: `http://127.0.0.1:${port}${spec.basePath}`,
    port,
    requests,
    enqueue(...replies: R[]) {
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
