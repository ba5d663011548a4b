/**
 * The demo's embedded LLM: an OpenAI-compatible `POST /v1/chat/completions` on 127.0.0.1 (node:http,
 * no dependencies), streaming and not, that answers like a hosted model does: a time to first chunk
 * that grows with the prompt, output of varied length streamed a few tokens at a time, usage counts,
 * and now and then an error. Every draw comes from one seeded generator, so a seed gives the same
 * sequence of answers for the same sequence of requests.
 *
 * `server.knobs` are read on every request, so the demo injects incidents by changing them at run time:
 * `latencyFactor` slows the model down, `errorRate` / `errorStatus` make it fail.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** How one model behaves. Times in milliseconds. */
export interface ModelProfile {
  /** Median time to first token for a short prompt. */
  firstTokenMs: number;
  /** Prefill: extra time to first token per prompt token. */
  prefillMsPerToken: number;
  /** Median time per output token once generating. */
  msPerToken: number;
  /** Median output length in tokens (lognormal, spread `outputSpread`). */
  medianOutputTokens: number;
  outputSpread: number;
}

/** What two hosted models of different size roughly do; the numbers only need to look alive. */
export const MODELS: Record<string, ModelProfile> = {
  'gpt-4o-mini': { firstTokenMs: 260, prefillMsPerToken: 0.08, msPerToken: 9, medianOutputTokens: 60, outputSpread: 0.55 },
  'gpt-4o': { firstTokenMs: 420, prefillMsPerToken: 0.15, msPerToken: 18, medianOutputTokens: 90, outputSpread: 0.5 },
};

export interface DemoKnobs {
  /** Multiplies time to first token and time per token. 1 is normal. */
  latencyFactor: number;
  /** Share of requests answered with an error, from 0 to 1. */
  errorRate: number;
  /** The status of those errors: 429 (rate limit, with `retry-after`), 500 or 503. */
  errorStatus: number;
}

export const NORMAL_KNOBS: Readonly<DemoKnobs> = Object.freeze({ latencyFactor: 1, errorRate: 0.005, errorStatus: 500 });

export interface DemoServerStats {
  requests: number;
  streamed: number;
  errors: number;
}

export interface DemoLLMServer {
  /** Base URL for the `openai` client, e.g. `http://127.0.0.1:PORT/v1`. */
  url: string;
  port: number;
  /** Read on every request; change them to inject an incident. */
  knobs: DemoKnobs;
  stats: DemoServerStats;
  close(): Promise<void>;
}

export interface DemoLLMServerOptions {
  /** Seed of the random draws. Default 42. */
  seed?: number;
  /** Port on 127.0.0.1. Default 0: any free port. */
  port?: number;
  /** Multiplies every wait, for tests that need the same shapes sooner. Default 1. */
  timeScale?: number;
}

/** Mulberry32: a small, fast, seeded generator of uniform numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A lognormal draw with the given median and spread (sigma of the log), by Box-Muller. */
export function lognormal(random: () => number, median: number, spread: number): number {
  const u = Math.max(random(), 1e-12);
  const normal = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  return median * Math.exp(spread * normal);
}

const WORDS = (
  'the a model answer request token stream latency service user prompt context window cache reply ' +
  'quick steady signal metric value result system time first chunk budget query summary detail plan'
).split(' ');

/** Prompt tokens as a tokenizer would roughly count them: about four characters each. */
function promptTokens(messages: unknown): number {
  let chars = 0;
  if (Array.isArray(messages)) {
    for (const m of messages) {
      const content = (m as { content?: unknown } | null)?.content;
      if (typeof content === 'string') chars += content.length;
      chars += 4; // role and message framing
    }
  }
  return Math.max(1, Math.ceil(chars / 4));
}

function errorBody(status: number): { error: Record<string, unknown> } {
  if (status === 429) {
    return { error: { message: 'Rate limit reached for requests. Please try again in 1s.', type: 'requests', param: null, code: 'rate_limit_exceeded' } };
  }
  if (status === 503) return { error: { message: 'The server is overloaded or not ready yet.', type: 'server_error', param: null, code: null } };
  if (status === 400) return { error: { message: 'We could not parse the JSON body of your request.', type: 'invalid_request_error', param: null, code: null } };
  if (status === 404) return { error: { message: 'Unknown path.', type: 'invalid_request_error', param: null, code: null } };
  return { error: { message: 'The server had an error while processing your request.', type: 'server_error', param: null, code: null } };
}

const tokenCount = (piece: string) => piece.trim().split(' ').length;

/** Start the demo LLM server on 127.0.0.1. */
export async function startDemoLLMServer(options: DemoLLMServerOptions = {}): Promise<DemoLLMServer> {
  const random = seededRandom(options.seed ?? 42);
  const timeScale = options.timeScale ?? 1;
  const knobs: DemoKnobs = { ...NORMAL_KNOBS };
  const stats: DemoServerStats = { requests: 0, streamed: 0, errors: 0 };
  const sockets = new Set<Socket>();
  /** Pending sleeps, woken when the server closes so no answer is left hanging. */
  const sleepers = new Map<ReturnType<typeof setTimeout>, () => void>();
  let closed = false;
  let sequence = 0;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (closed || ms <= 0) return resolve();
      const timer = setTimeout(() => {
        sleepers.delete(timer);
        resolve();
      }, ms);
      sleepers.set(timer, resolve);
    });

  const sendJson = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    if (res.destroyed) return;
    const payload = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)), ...headers });
    res.end(payload);
  };

  async function answer(req: http.IncomingMessage, res: http.ServerResponse, raw: string): Promise<void> {
    const path = (req.url ?? '/').split('?')[0].replace(/\/+$/, '');
    if (req.method !== 'POST' || path !== '/v1/chat/completions') return sendJson(res, 404, errorBody(404));
    let body: Record<string, any>;
    try {
      body = JSON.parse(raw);
    } catch {
      return sendJson(res, 400, errorBody(400));
    }
    stats.requests++;
    const model = typeof body.model === 'string' && body.model in MODELS ? body.model : 'gpt-4o-mini';
    const profile = MODELS[model];
    const id = `chatcmpl-demo${(++sequence).toString(36)}`;
    const requestId = `req_demo_${sequence}`;
    // Every draw is made up front, in request order, so a seed replays the same answers.
    const fails = random() < knobs.errorRate;
    const errorStatus = knobs.errorStatus;
    const inputTokens = promptTokens(body.messages);
    const maxTokens = typeof body.max_tokens === 'number' ? body.max_tokens : typeof body.max_completion_tokens === 'number' ? body.max_completion_tokens : 1024;
    const drawn = Math.round(lognormal(random, profile.medianOutputTokens, profile.outputSpread));
    const outputTokens = Math.max(1, Math.min(maxTokens, drawn));
    const finishReason = drawn > maxTokens ? 'length' : 'stop';
    const factor = knobs.latencyFactor * timeScale;
    const firstTokenMs = (lognormal(random, profile.firstTokenMs, 0.3) + inputTokens * profile.prefillMsPerToken) * factor;
    const tokenMs = lognormal(random, profile.msPerToken, 0.2) * factor;
    const words = Array.from({ length: outputTokens }, () => WORDS[Math.floor(random() * WORDS.length)]);
    // A few tokens per chunk, as hosted APIs batch them under load.
    const pieces: string[] = [];
    for (let i = 0; i < words.length; ) {
      const n = Math.min(words.length - i, 1 + Math.floor(random() * 3));
      pieces.push((i === 0 ? '' : ' ') + words.slice(i, i + n).join(' '));
      i += n;
    }
    const rateLimitDelayMs = 15 + random() * 30;
    const headers = { 'x-request-id': requestId, 'openai-processing-ms': String(Math.round(firstTokenMs)) };

    if (fails) {
      stats.errors++;
      // A rate limit is refused at the door; a server error comes after the model started.
      await sleep(errorStatus === 429 ? rateLimitDelayMs * timeScale : firstTokenMs);
      return sendJson(res, errorStatus, errorBody(errorStatus), errorStatus === 429 ? { ...headers, 'retry-after': '1' } : headers);
    }

    const created = Math.floor(Date.now() / 1000);
    const usage = { prompt_tokens: inputTokens, completion_tokens: outputTokens, total_tokens: inputTokens + outputTokens };
    if (body.stream !== true) {
      await sleep(firstTokenMs + outputTokens * tokenMs);
      return sendJson(
        res,
        200,
        {
          id,
          object: 'chat.completion',
          created,
          model: `${model}-2024-07-18`,
          choices: [{ index: 0, message: { role: 'assistant', content: words.join(' '), refusal: null }, logprobs: null, finish_reason: finishReason }],
          usage,
          service_tier: 'default',
          system_fingerprint: 'fp_demo',
        },
        headers,
      );
    }

    stats.streamed++;
    const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
      `data: ${JSON.stringify({
        id,
        object: 'chat.completion.chunk',
        created,
        model: `${model}-2024-07-18`,
        system_fingerprint: 'fp_demo',
        choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
      })}\n\n`;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', ...headers });
    res.flushHeaders();
    await sleep(firstTokenMs);
    if (res.destroyed || closed) return;
    res.write(chunk({ role: 'assistant', content: '', refusal: null }));
    for (let i = 0; i < pieces.length && !res.destroyed && !closed; i++) {
      res.write(chunk({ content: pieces[i] }));
      // The time the model takes for the next piece's tokens.
      if (i + 1 < pieces.length) await sleep(tokenMs * tokenCount(pieces[i + 1]));
    }
    if (res.destroyed || closed) return;
    res.write(chunk({}, finishReason));
    if (body.stream_options?.include_usage === true) {
      res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: `${model}-2024-07-18`, choices: [], usage })}\n\n`);
    }
    res.end('data: [DONE]\n\n');
  }

  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    req.on('end', () => {
      answer(req, res, Buffer.concat(parts).toString('utf8')).catch(() => {
        if (!res.headersSent) sendJson(res, 500, errorBody(500));
        else res.destroy();
      });
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    port,
    knobs,
    stats,
    close() {
      if (closing === undefined) {
        closed = true;
        for (const [timer, wake] of sleepers) {
          clearTimeout(timer);
          wake();
        }
        sleepers.clear();
        closing = new Promise<void>((resolve) => {
          server.close(() => resolve());
          for (const socket of sockets) socket.destroy();
          server.closeAllConnections();
        });
      }
      return closing;
    },
  };
}
