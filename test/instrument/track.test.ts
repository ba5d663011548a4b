import { describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import type { TrackOptions } from '../../src/index.js';
import { chatChunks, DEFAULT_TEXT, DEFAULT_TEXT_PIECES, streamUsage } from '../support/openai-server.js';
import { openAIFixture } from '../support/fixture.js';

const t = openAIFixture({ serviceName: 'test' });

const messages = [{ role: 'user', content: 'Say hello.' }];

/** An HTTP error as an app would throw it from a raw fetch. */
class HttpError extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}

/** A raw fetch to the local server's chat completions, the JSON body back. */
async function chat(body: Record<string, unknown>, signal?: AbortSignal): Promise<any> {
  const res = await fetch(`${t.server.url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal,
  });
  if (!res.ok) throw new HttpError(res.status);
  return res.json();
}

/** A raw streaming fetch: the SSE `data:` payloads of the body, parsed, until `[DONE]`. */
async function* streamChat(body: Record<string, unknown>): AsyncGenerator<any> {
  const res = await fetch(`${t.server.url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...body, stream: true }),
  });
  if (!res.ok || res.body === null) throw new HttpError(res.status);
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const bytes of res.body as any as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(bytes, { stream: true });
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = frame
        .split('\n')
        .filter((line) => line.startsWith('data: '))
        .map((line) => line.slice(6))
        .join('\n');
      if (data === '[DONE]') return;
      if (data !== '') yield JSON.parse(data);
    }
  }
}

const openAIUsage: TrackOptions['readUsage'] = (value) =>
  value?.usage ? { inputTokens: value.usage.prompt_tokens, outputTokens: value.usage.completion_tokens } : undefined;
const options: TrackOptions = { provider: 'llama.cpp', operation: 'chat', model: 'llama3', readUsage: openAIUsage, readModel: (value) => value?.model };

describe('track: a function that returns a promise', () => {
  it('returns exactly what the function returns and records one call with what readUsage and readModel read', async () => {
    t.fresh();
    const tracked = t.monitor.track(chat, options);
    const expected = await chat({ model: 'llama3', messages });
    const got = await tracked({ model: 'llama3', messages });
    expect({ ...got, created: 0 }).toEqual({ ...expected, created: 0 });
    const [r] = await t.rec.waitFor(1);
    expect(t.rec.records).toHaveLength(1);
    expect(r).toMatchObject({
      provider: 'llama.cpp',
      operation: 'chat',
      requestModel: 'llama3',
      responseModel: 'llama3',
      streaming: false,
      inputTokens: { count: 11, source: 'reported' },
      outputTokens: { count: 5, source: 'reported' },
      outcome: 'completed',
      chunks: 0,
      timeToFirstChunk: undefined,
      notes: [],
    });
  });

  it('measures a 200 ms server delay as at least 200 ms of latency', async () => {
    t.fresh();
    t.server.enqueue({ delayBeforeHeadersMs: 200 });
    await t.monitor.track(chat, options)({ model: 'llama3', messages });
    const [r] = await t.rec.waitFor(1);
    expect(r.duration).toBeGreaterThanOrEqual(200);
    expect(r.duration).toBeLessThan(2000);
  });

  it('rejects with the very error the function threw and records it by its status', async () => {
    t.fresh();
    t.server.enqueue({ status: 429 }, { status: 503 });
    const tracked = t.monitor.track(chat, options);
    const rateLimited = await tracked({ model: 'llama3', messages }).catch((e: unknown) => e);
    const unavailable = await tracked({ model: 'llama3', messages }).catch((e: unknown) => e);
    expect(rateLimited).toBeInstanceOf(HttpError);
    expect((rateLimited as HttpError).status).toBe(429);
    const records = await t.rec.waitFor(2);
    expect(records.map((r) => [r.outcome, r.errorType, r.errorClass, r.httpStatus])).toEqual([
      ['failed', 'rate_limit', 'HttpError', 429],
      ['failed', 'http_5xx', 'HttpError', 503],
    ]);
    expect(unavailable).toBeInstanceOf(HttpError);
  });

  it('records a fetch aborted through its signal as aborted', async () => {
    t.fresh();
    t.server.enqueue({ delayBeforeHeadersMs: 2000 });
    const controller = new AbortController();
    const sent = t.server.requests.length;
    const pending = t.monitor.track(chat, options)({ model: 'llama3', messages }, controller.signal).catch((e: unknown) => e);
    // Abort once the server has the request (an event, not a timer racing the server's delay).
    while (t.server.requests.length === sent) await new Promise((r) => setTimeout(r, 2));
    controller.abort();
    const error = await pending;
    expect((error as Error).name).toBe('AbortError');
    const [r] = await t.rec.waitFor(1);
    expect(r).toMatchObject({ outcome: 'aborted', errorType: 'aborted' });
  });

  it('keeps an SDK APIPromise the function returns: .withResponse() works and the body is parsed once', async () => {
    t.fresh();
    const raw = new OpenAI({ apiKey: 'k', baseURL: t.server.url, maxRetries: 0 });
    const tracked = t.monitor.track((body: OpenAI.ChatCompletionCreateParamsNonStreaming) => raw.chat.completions.create(body), options);
    const { data, response } = await tracked({ model: 'llama3', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    expect(data.choices[0].message.content).toBe(DEFAULT_TEXT);
    expect(response.status).toBe(200);
    const [r] = await t.rec.waitFor(1);
    expect(r).toMatchObject({ streaming: false, outputTokens: { count: 5, source: 'reported' }, responseModel: 'llama3', outcome: 'completed' });
  });

  it('leaves counts unknown, never estimated, when nothing reads them', async () => {
    t.fresh();
    await t.monitor.track(chat, { provider: 'ollama', operation: 'chat', model: 'llama3' })({ model: 'llama3', messages });
    const [r] = await t.rec.waitFor(1);
    expect(r.inputTokens).toBeUndefined();
    expect(r.outputTokens).toBeUndefined();
    expect(r.responseModel).toBeUndefined();
    expect(r.notes).toEqual([]);
  });

  it('notes usage_missing when readUsage finds no counts', async () => {
    t.fresh();
    await t.monitor.track(async () => ({ text: 'no usage here' }), options)();
    const [r] = await t.rec.waitFor(1);
    expect(r.notes).toEqual(['usage_missing', 'model_missing']);
  });
});

describe('track: a function that returns an async iterable', () => {
  it('taps a stream parsed from a raw fetch: every item reaches the app, with the first chunk timed from the call', async () => {
    t.fresh();
    const reply = { chunks: chatChunks(DEFAULT_TEXT_PIECES, { model: 'llama3', usage: streamUsage() }), delayBeforeFirstChunkMs: 150, delayBetweenChunksMs: 20 };
    t.server.enqueue(reply, reply);
    const expected: any[] = [];
    for await (const c of streamChat({ model: 'llama3', messages, stream_options: { include_usage: true } })) expected.push(c);

    const tracked = t.monitor.track(streamChat, options);
    const got: any[] = [];
    for await (const c of tracked({ model: 'llama3', messages, stream_options: { include_usage: true } })) got.push(c);
    const strip = (cs: any[]) => cs.map((c) => ({ ...c, created: 0 }));
    expect(strip(got)).toEqual(strip(expected));
    expect(got.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe(DEFAULT_TEXT);

    const [r] = await t.rec.waitFor(1);
    expect(r).toMatchObject({
      streaming: true,
      outcome: 'completed',
      chunks: got.length,
      inputTokens: { count: 11, source: 'reported' },
      outputTokens: { count: 5, source: 'reported' },
      responseModel: 'llama3',
      notes: [],
    });
    expect(r.timeToFirstChunk!).toBeGreaterThanOrEqual(145);
    expect(r.chunkIntervals).toHaveLength(got.length - 1);
    expect(r.duration).toBeGreaterThanOrEqual(r.timeToFirstChunk!);
  });

  it('taps an async iterable an async function resolves to', async () => {
    t.fresh();
    const tracked = t.monitor.track(async (body: Record<string, unknown>) => streamChat(body), options);
    const stream = await tracked({ model: 'llama3', messages });
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta?.content ?? '';
    expect(text).toBe(DEFAULT_TEXT);
    const [r] = await t.rec.waitFor(1);
    expect(r).toMatchObject({ streaming: true, outcome: 'completed', chunks: DEFAULT_TEXT_PIECES.length + 2, notes: ['usage_missing'] });
  });

  it('ends the record as cancelled when the consumer breaks out, and the generator is closed', async () => {
    t.fresh();
    t.server.enqueue({ chunks: chatChunks(DEFAULT_TEXT_PIECES), delayBetweenChunksMs: 20 });
    let closed = false;
    const tracked = t.monitor.track(async function* (body: Record<string, unknown>) {
      try {
        yield* streamChat(body);
      } finally {
        closed = true;
      }
    }, options);
    let seen = 0;
    for await (const _ of tracked({ model: 'llama3', messages })) if (++seen === 3) break;
    expect(closed).toBe(true);
    const [r] = await t.rec.waitFor(1);
    await t.rec.settle();
    expect(t.rec.records).toHaveLength(1);
    expect(r).toMatchObject({ outcome: 'cancelled', chunks: 3, errorType: undefined });
  });

  it('records a stream cut midway as a failed network call, and the app gets the same error', async () => {
    t.fresh();
    t.server.enqueue({ chunks: chatChunks(DEFAULT_TEXT_PIECES), dropAfterChunks: 3, sendDone: false });
    const got: any[] = [];
    const error = await (async () => {
      for await (const c of t.monitor.track(streamChat, options)({ model: 'llama3', messages })) got.push(c);
    })().catch((e) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe('terminated');
    expect(got).toHaveLength(3);
    const [r] = await t.rec.waitFor(1);
    expect(r).toMatchObject({ outcome: 'failed', errorType: 'network', chunks: 3 });
  });

  it('taps the stream of an SDK the monitor does not wrap', async () => {
    t.fresh();
    const raw = new OpenAI({ apiKey: 'k', baseURL: t.server.url, maxRetries: 0 });
    const tracked = t.monitor.track(
      (body: OpenAI.ChatCompletionCreateParamsStreaming) => raw.chat.completions.create(body),
      { ...options, readUsage: openAIUsage },
    );
    const stream = await tracked({ model: 'llama3', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } });
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta?.content ?? '';
    expect(text).toBe(DEFAULT_TEXT);
    const [r] = await t.rec.waitFor(1);
    expect(r).toMatchObject({ streaming: true, outcome: 'completed', outputTokens: { count: 5, source: 'reported' } });
  });

  it('records both calls when the tracked function calls a wrapped client, streaming and not', async () => {
    t.fresh();
    const wrapped = t.monitor.wrap(new OpenAI({ apiKey: 'k', baseURL: t.server.url, maxRetries: 0 }));
    const tracked = t.monitor.track((body: any): Promise<any> => wrapped.chat.completions.create(body), { ...options, provider: 'outer' });
    const res = await tracked({ model: 'llama3', messages: [{ role: 'user', content: 'hi' }] });
    expect(res.choices[0].message.content).toBe(DEFAULT_TEXT);
    let text = '';
    for await (const c of await tracked({ model: 'llama3', messages: [{ role: 'user', content: 'hi' }], stream: true })) text += c.choices[0]?.delta?.content ?? '';
    expect(text).toBe(DEFAULT_TEXT);
    const records = await t.rec.waitFor(4);
    expect(records.map((r) => [r.provider, r.streaming, r.outcome]).sort()).toEqual([
      ['openai', false, 'completed'],
      ['openai', true, 'completed'],
      ['outer', false, 'completed'],
      ['outer', true, 'completed'],
    ]);
  });

  it('does not tap a web ReadableStream (it may be read without iterating): the record ends when it is returned', async () => {
    t.fresh();
    const tracked = t.monitor.track(async () => {
      const res = await fetch(`${t.server.url}/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'llama3', messages, stream: true }) });
      return res.body!;
    }, options);
    const body = await tracked();
    const [r] = await t.rec.waitFor(1);
    expect(r).toMatchObject({ outcome: 'completed', streaming: false, chunks: 0, notes: ['stream_not_tapped'] });
    const text = await new Response(body).text();
    expect(text).toContain('data: [DONE]');
  });
});

describe('track: the function itself', () => {
  it('rethrows a synchronous throw unchanged and records it as failed', () => {
    t.fresh();
    const boom = new RangeError('bad input');
    const tracked = t.monitor.track((_: number) => {
      throw boom;
    }, options);
    expect(() => tracked(1)).toThrow(boom);
    expect(t.rec.records).toHaveLength(1);
    expect(t.rec.records[0]).toMatchObject({ outcome: 'failed', errorClass: 'RangeError', errorType: 'unknown' });
  });

  it('rethrows even a thrown value whose property reads throw, and still records the failure', async () => {
    t.fresh();
    // (`then` must read as undefined, or no promise could settle with it, wrapped or not.)
    const hostile = new Proxy(
      {},
      {
        get(_, property) {
          if (property === 'then') return undefined;
          throw new Error('hostile read');
        },
      },
    );
    const tracked = t.monitor.track(async () => {
      throw hostile;
    }, options);
    const caught = await tracked().catch((e: unknown) => e);
    expect(caught).toBe(hostile);
    const [r] = await t.rec.waitFor(1);
    expect(r).toMatchObject({ outcome: 'failed', errorType: 'unknown' });
  });

  it('returns a synchronous value as is and records it at once', () => {
    t.fresh();
    const value = { usage: { prompt_tokens: 3, completion_tokens: 4 }, model: 'tiny' };
    expect(t.monitor.track(() => value, options)()).toBe(value);
    expect(t.rec.records[0]).toMatchObject({ outcome: 'completed', inputTokens: { count: 3, source: 'reported' }, responseModel: 'tiny' });
  });

  it('keeps this, the arguments, the name and the arity', async () => {
    t.fresh();
    const counter = {
      base: 40,
      add(a: number, b: number) {
        return Promise.resolve(this.base + a + b);
      },
    };
    counter.add = t.monitor.track(counter.add, options);
    expect(await counter.add(1, 1)).toBe(42);
    expect(counter.add.name).toBe('add');
    expect(counter.add.length).toBe(2);
  });

  it('reports a throwing readUsage or readModel as a monitor fault and gives the app its value', async () => {
    t.fresh();
    const tracked = t.monitor.track(chat, {
      ...options,
      readUsage: () => {
        throw new Error('reader bug');
      },
      readModel: () => {
        throw new Error('model reader bug');
      },
    });
    const got = await tracked({ model: 'llama3', messages });
    expect(got.choices[0].message.content).toBe(DEFAULT_TEXT);
    await t.rec.waitFor(1);
    expect(t.rec.errors.map((e: any) => [e.component, e.cause.message])).toEqual([
      ['track', 'reader bug'],
      ['track', 'model reader bug'],
    ]);
    expect(await t.monitor.metrics()).toMatch(/llm_vitals_internal_errors_total\{component="track"\} 2/);
  });

  it('goes straight through after shutdown', async () => {
    t.fresh();
    const tracked = t.monitor.track(chat, options);
    await t.monitor.shutdown();
    expect((await tracked({ model: 'llama3', messages })).choices[0].message.content).toBe(DEFAULT_TEXT);
    for await (const _ of t.monitor.track(streamChat, options)({ model: 'llama3', messages }));
    await t.rec.settle();
    expect(t.rec.records).toHaveLength(0);
  });

  it('rejects bad arguments with a TypeError that names them', () => {
    t.fresh();
    const fn = async () => 1;
    expect(() => t.monitor.track('nope' as any, options)).toThrow(/track: expected a function to track, got "nope"/);
    expect(() => t.monitor.track(fn, undefined as any)).toThrow(/track: options must be an object/);
    expect(() => t.monitor.track(fn, { ...options, provider: '' })).toThrow(/track: option "provider" must be a non-empty string, got ""/);
    expect(() => t.monitor.track(fn, { provider: 'x', model: 'm' } as any)).toThrow(/option "operation" must be a non-empty string, got undefined/);
    expect(() => t.monitor.track(fn, { ...options, model: 3 as any })).toThrow(/option "model" must be a non-empty string, got 3/);
    expect(() => t.monitor.track(fn, { ...options, readUsage: 'usage' as any })).toThrow(/option "readUsage" must be a function/);
    expect(() => t.monitor.track(fn, { ...options, readModle: () => 'x' } as any)).toThrow(/unknown option "readModle" \(did you mean "readModel"\?\)/);
  });
});
