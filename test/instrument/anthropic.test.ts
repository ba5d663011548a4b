import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import Anthropic from '@anthropic-ai/sdk';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { createMonitor, type Monitor } from '../../src/index.js';
import { readAnthropicParams } from '../../src/instrument/anthropic.js';
import {
  CLAUDE_MODEL,
  CLAUDE_TEXT,
  CLAUDE_TEXT_PIECES,
  errorEvent,
  message,
  messageEvents,
  startAnthropicServer,
  type AnthropicTestServer,
} from '../support/anthropic-server.js';
import { recorder } from '../support/records.js';
import { samplesOf } from '../support/exposition.js';

let server: AnthropicTestServer;
let monitor: Monitor;
let rec: ReturnType<typeof recorder>;

const body = {
  model: CLAUDE_MODEL,
  max_tokens: 256,
  system: 'You are terse.',
  messages: [{ role: 'user' as const, content: 'Say hello.' }],
};

function clients(options: ConstructorParameters<typeof Anthropic>[0] = {}) {
  const plain = new Anthropic({ apiKey: 'test-key', baseURL: server.url, maxRetries: 0, ...options });
  const wrapped = monitor.wrap(new Anthropic({ apiKey: 'test-key', baseURL: server.url, maxRetries: 0, ...options }));
  return { plain, wrapped };
}

function fresh(options: Parameters<typeof createMonitor>[0] = {}) {
  monitor = createMonitor({ serviceName: 'test', ...options });
  rec = recorder(monitor);
}

/** The text of a stream's text deltas. */
function textOf(events: any[]): string {
  return events.map((e) => (e.type === 'content_block_delta' && e.delta.type === 'text_delta' ? e.delta.text : '')).join('');
}

beforeAll(async () => {
  server = await startAnthropicServer();
});
afterAll(async () => {
  await server.close();
});
afterEach(async () => {
  await monitor?.shutdown();
});

describe('messages.create, not streaming', () => {
  it('returns exactly what the unwrapped client returns and records the reported usage, cache tokens and stop reason', async () => {
    fresh();
    const { plain, wrapped } = clients();
    const expected = await plain.messages.create(body);
    const got = await wrapped.messages.create(body);
    expect(got).toEqual(expected);
    expect(Object.getPrototypeOf(got)).toBe(Object.getPrototypeOf(expected));
    const [r] = await rec.waitFor(1);
    expect(rec.records).toHaveLength(1);
    expect(r).toMatchObject({
      provider: 'anthropic',
      operation: 'chat',
      requestModel: CLAUDE_MODEL,
      responseModel: CLAUDE_MODEL,
      responseId: 'msg_test',
      streaming: false,
      serverAddress: '127.0.0.1',
      serverPort: server.port,
      inputTokens: { count: 19, source: 'reported' }, // 12 uncached + 4 cache reads + 3 cache writes
      outputTokens: { count: 6, source: 'reported' },
      cachedInputTokens: { count: 4, source: 'reported' },
      cacheCreationInputTokens: { count: 3, source: 'reported' },
      reasoningTokens: undefined,
      finishReasons: ['end_turn'],
      outcome: 'completed',
      errorType: undefined,
      timeToFirstChunk: undefined,
      notes: [],
    });
    expect(r.outputTokensPerSecond).toBeCloseTo(6 / (r.duration / 1000), 6);
    const text = await monitor.metrics();
    const tokens = (type: string) => samplesOf(text, 'llm_vitals_tokens_total', { gen_ai_provider_name: 'anthropic', gen_ai_token_type: type, source: 'reported' });
    expect(['input', 'output', 'cached_input', 'cache_creation_input'].map((type) => tokens(type).map((s) => s.value))).toEqual([[19], [6], [4], [3]]); // input includes the cache reads and writes
  });

  it('measures a 200 ms server delay as at least 200 ms of latency', async () => {
    fresh();
    const { wrapped } = clients();
    server.enqueue({ delayBeforeHeadersMs: 200 });
    await wrapped.messages.create(body);
    const [r] = await rec.waitFor(1);
    expect(r.duration).toBeGreaterThanOrEqual(200);
    expect(r.duration).toBeLessThan(2000);
  });

  it('keeps .withResponse() working and records it once', async () => {
    fresh();
    const { wrapped } = clients();
    const { data, response, request_id } = await wrapped.messages.create(body).withResponse();
    expect((data.content[0] as any).text).toBe(CLAUDE_TEXT);
    expect(response.status).toBe(200);
    expect(request_id).toMatch(/^req_test_/);
    await rec.settle();
    expect(rec.records).toHaveLength(1);
    expect(rec.records[0].outputTokens).toEqual({ count: 6, source: 'reported' });
  });

  it('keeps the .asResponse() body readable by the app and records the call without reading it', async () => {
    fresh();
    const { wrapped } = clients();
    const response = await wrapped.messages.create(body).asResponse();
    expect((await response.json()).content[0].text).toBe(CLAUDE_TEXT);
    await rec.settle();
    expect(rec.records).toHaveLength(1);
    expect(rec.records[0]).toMatchObject({ outcome: 'completed', httpStatus: 200, notes: ['raw_response'] });
  });

  it('rethrows a 429 unchanged and records it as rate_limit', async () => {
    fresh();
    const { plain, wrapped } = clients();
    server.enqueue({ status: 429, headers: { 'retry-after': '7' } }, { status: 429, headers: { 'retry-after': '7' } });
    const expected = await plain.messages.create(body).catch((e) => e);
    const got = await wrapped.messages.create(body).catch((e) => e);
    expect(got).toBeInstanceOf(Anthropic.RateLimitError);
    expect(got.constructor).toBe(expected.constructor);
    expect(got.message).toBe(expected.message);
    expect(got.error).toEqual(expected.error);
    expect(got.headers.get('retry-after')).toBe('7');
    const [r] = await rec.waitFor(1);
    expect(r).toMatchObject({ outcome: 'failed', errorType: 'rate_limit', errorClass: 'RateLimitError', httpStatus: 429, inputTokens: undefined });
  });

  it('rethrows a 529 unchanged and records it as overloaded', async () => {
    fresh();
    const { plain, wrapped } = clients();
    server.enqueue({ status: 529 }, { status: 529 });
    const expected = await plain.messages.create(body).catch((e) => e);
    const got = await wrapped.messages.create(body).catch((e) => e);
    expect(got).toBeInstanceOf(Anthropic.OverloadedError);
    expect(got.message).toBe(expected.message);
    expect(got.type).toBe('overloaded_error');
    const [r] = await rec.waitFor(1);
    expect(r).toMatchObject({ outcome: 'failed', errorType: 'overloaded', errorClass: 'OverloadedError', httpStatus: 529 });
  });

  it('records a 529 the SDK retried into a success as one completed call', async () => {
    fresh();
    const { wrapped } = clients({ maxRetries: 1 });
    server.enqueue({ status: 529, headers: { 'retry-after-ms': '1' } });
    const got = await wrapped.messages.create(body);
    expect((got.content[0] as any).text).toBe(CLAUDE_TEXT);
    await rec.settle();
    expect(rec.records).toHaveLength(1);
    expect(rec.records[0]).toMatchObject({ outcome: 'completed', httpStatus: 200, outputTokens: { count: 6, source: 'reported' } });
  });

  it('records a request aborted before the response as aborted', async () => {
    fresh();
    const { wrapped } = clients();
    server.enqueue({ delayBeforeHeadersMs: 2000 });
    const controller = new AbortController();
    const sent = server.requests.length;
    const pending = wrapped.messages.create(body, { signal: controller.signal }).catch((e) => e);
    // Abort once the server has the request (an event, not a timer racing the server's delay).
    while (server.requests.length === sent) await new Promise((r) => setTimeout(r, 2));
    controller.abort();
    const error = await pending;
    expect(error).toBeInstanceOf(Anthropic.APIUserAbortError);
    const [r] = await rec.waitFor(1);
    expect(r).toMatchObject({ outcome: 'aborted', errorType: 'aborted', errorClass: 'APIUserAbortError' });
    expect(r.duration).toBeLessThan(2000);
  });

  it('estimates tokens, marked estimated, when the message has no usage', async () => {
    fresh();
    const { wrapped } = clients();
    server.enqueue({ body: message({ usage: null }) });
    const got = await wrapped.messages.create(body);
    expect(got.usage).toBeNull();
    const [r] = await rec.waitFor(1);
    // The system prompt and the one message, with the chat format's per-message overhead.
    expect(r.inputTokens).toEqual({ count: countTokens('Say hello.\nYou are terse.') + 2 * 3 + 3, source: 'estimated' });
    expect(r.outputTokens).toEqual({ count: countTokens(CLAUDE_TEXT), source: 'estimated' });
    expect(r.cachedInputTokens).toBeUndefined();
    expect(r.notes).toEqual(['usage_missing']);
  });

  it('records thinking tokens as reasoning tokens and a tool call stop reason', async () => {
    fresh();
    const { wrapped } = clients();
    const usage = { input_tokens: 30, output_tokens: 90, output_tokens_details: { thinking_tokens: 70 } };
    server.enqueue({ body: message({ thinking: 'Let me think.', toolUse: { id: 'toolu_1', name: 'add', input: { a: 2, b: 3 } }, usage }) });
    const got = await wrapped.messages.create(body);
    expect(got.stop_reason).toBe('tool_use');
    const [r] = await rec.waitFor(1);
    expect(r).toMatchObject({
      inputTokens: { count: 30, source: 'reported' },
      outputTokens: { count: 90, source: 'reported' },
      reasoningTokens: { count: 70, source: 'reported' },
      cachedInputTokens: undefined,
      finishReasons: ['tool_use'],
      notes: [],
    });
  });

  it('notes a message without model or stop reason and keeps what the app gets', async () => {
    fresh();
    const { wrapped } = clients();
    const { model: _, ...noModel } = message({ stopReason: null });
    server.enqueue({ body: noModel });
    const got = await wrapped.messages.create(body);
    expect(got.model).toBeUndefined();
    const [r] = await rec.waitFor(1);
    expect(r.responseModel).toBeUndefined();
    expect(r.finishReasons).toEqual([]);
    expect(r.notes).toEqual(['model_missing', 'finish_reason_missing']);
    expect(r.outputTokens).toEqual({ count: 6, source: 'reported' });
  });
});

describe('messages.create, streaming', () => {
  it('yields the same events in the same order, keeps the Stream class, and times the first text delta from the request', async () => {
    fresh();
    const { plain, wrapped } = clients();
    const reply = { events: messageEvents(CLAUDE_TEXT_PIECES), delayBeforeFirstEventMs: 150, delayBetweenEventsMs: 20 };
    server.enqueue(reply, reply);
    const expectedStream = await plain.messages.create({ ...body, stream: true });
    const expected: any[] = [];
    for await (const e of expectedStream) expected.push(e);

    const stream = await wrapped.messages.create({ ...body, stream: true });
    expect(stream.constructor).toBe(expectedStream.constructor);
    expect(stream.controller).toBeInstanceOf(AbortController);
    const got: any[] = [];
    for await (const e of stream) got.push(e);
    expect(got).toEqual(expected);
    expect(textOf(got)).toBe(CLAUDE_TEXT);

    const [r] = await rec.waitFor(1);
    expect(rec.records).toHaveLength(1);
    expect(r).toMatchObject({
      streaming: true,
      outcome: 'completed',
      responseId: 'msg_test',
      responseModel: CLAUDE_MODEL,
      inputTokens: { count: 19, source: 'reported' }, // 12 uncached + 4 cache reads + 3 cache writes
      outputTokens: { count: 6, source: 'reported' },
      cachedInputTokens: { count: 4, source: 'reported' },
      cacheCreationInputTokens: { count: 3, source: 'reported' },
      finishReasons: ['end_turn'],
      notes: [],
    });
    // message_start, content_block_start (and ping) come first: the first chunk is the first text delta,
    // three 20 ms gaps after the 150 ms wait.
    expect(r.timeToFirstChunk!).toBeGreaterThanOrEqual(150 + 3 * 20 - 5);
    expect(r.chunks).toBe(5);
    expect(r.chunkIntervals).toHaveLength(4);
    // Gaps between arrivals: two events the network delivers in one read share a time (gap 0) on a busy
    // machine, but the server's 20 ms spacing holds on average.
    for (const gap of r.chunkIntervals!) expect(gap).toBeGreaterThanOrEqual(0);
    expect(r.duration).toBeGreaterThan(r.timeToFirstChunk!);
  });

  it('reads the output count from message_delta when it carries only output_tokens (the older API)', async () => {
    fresh();
    const { wrapped } = clients();
    server.enqueue({ events: messageEvents(CLAUDE_TEXT_PIECES, { deltaUsage: 'output_only', usage: { input_tokens: 40, output_tokens: 9 } }) });
    for await (const _ of await wrapped.messages.create({ ...body, stream: true }));
    const [r] = await rec.waitFor(1);
    expect(r).toMatchObject({
      inputTokens: { count: 40, source: 'reported' },
      outputTokens: { count: 9, source: 'reported' },
      cachedInputTokens: undefined,
      cacheCreationInputTokens: undefined,
    });
  });

  it('counts tool input and thinking deltas as chunks, but not empty pieces, signatures or pings', async () => {
    fresh();
    const { wrapped } = clients();
    const events = messageEvents(['Sure.'], { thinking: ['Two', ' plus three'], toolUse: { id: 'toolu_1', name: 'add', input: { a: 2, b: 3 } } });
    server.enqueue({ events });
    const got: any[] = [];
    for await (const e of await wrapped.messages.create({ ...body, stream: true })) got.push(e);
    expect(got.filter((e) => e.delta?.type === 'input_json_delta').map((e) => e.delta.partial_json).join('')).toBe('{"a":2,"b":3}');
    const [r] = await rec.waitFor(1);
    // 2 thinking pieces + 1 text piece + 2 non-empty tool input pieces.
    expect(r.chunks).toBe(5);
    expect(r.finishReasons).toEqual(['tool_use']);
  });

  it('ends the record once, as cancelled, when the consumer breaks out of the stream', async () => {
    fresh();
    const { wrapped } = clients();
    server.enqueue({ events: messageEvents(CLAUDE_TEXT_PIECES), delayBetweenEventsMs: 30 });
    const stream = await wrapped.messages.create({ ...body, stream: true });
    let seen = 0;
    for await (const e of stream) {
      if (e.type === 'content_block_delta') seen++;
      if (seen === 2) break;
    }
    await rec.settle(100);
    expect(rec.records).toHaveLength(1);
    expect(rec.records[0]).toMatchObject({ outcome: 'cancelled', chunks: 2, errorType: undefined });
    expect(stream.controller.signal.aborted).toBe(true);
  });

  it('records a stream aborted through its AbortSignal as aborted', async () => {
    fresh();
    const { wrapped } = clients();
    server.enqueue({ events: messageEvents(CLAUDE_TEXT_PIECES), delayBetweenEventsMs: 60 });
    const controller = new AbortController();
    const stream = await wrapped.messages.create({ ...body, stream: true }, { signal: controller.signal });
    let seen = 0;
    // Abort after the second text delta reached the app (an event, not a timer).
    const error = await (async () => {
      for await (const e of stream) {
        if (e.type === 'content_block_delta') seen++;
        if (seen === 2) controller.abort();
      }
    })().catch((e) => e);
    expect(seen).toBe(2);
    const [r] = await rec.waitFor(1);
    expect(rec.records).toHaveLength(1);
    expect(r.outcome).toBe('aborted');
    expect(r.errorType).toBe('aborted');
    expect(r.chunks).toBe(seen);
    expect(seen).toBeLessThan(5);
    // The SDK ends an aborted stream quietly; whatever it did, the app saw the same as unwrapped.
    expect(error).toBeUndefined();
  });

  it('records a connection dropped midway as a failed network call, the app sees the same error, and the partial output is estimated', async () => {
    fresh();
    const { plain, wrapped } = clients();
    // message_start, content_block_start, ping, then 2 text deltas: cut before message_delta.
    const reply = { events: messageEvents(CLAUDE_TEXT_PIECES), dropAfterEvents: 5 };
    server.enqueue(reply, reply);
    const read = async (client: Anthropic) => {
      const got: any[] = [];
      const error = await (async () => {
        for await (const e of await client.messages.create({ ...body, stream: true })) got.push(e);
      })().catch((e) => e);
      return { got, error };
    };
    const expected = await read(plain);
    const { got, error } = await read(wrapped);
    expect(error).toBeInstanceOf(Error);
    expect(error.constructor).toBe(expected.error.constructor);
    expect(error.message).toBe(expected.error.message);
    expect(got).toEqual(expected.got);
    const [r] = await rec.waitFor(1);
    expect(r).toMatchObject({ outcome: 'failed', errorType: 'network', chunks: 2 });
    expect(r.inputTokens).toEqual({ count: 19, source: 'reported' }); // 12 + 4 cache reads + 3 cache writes
    expect(r.outputTokens).toEqual({ count: countTokens('Hello from'), source: 'estimated' });
  });

  it('records an overloaded_error event sent midway as overloaded, and the app gets the same APIError', async () => {
    fresh();
    const { plain, wrapped } = clients();
    const events = [...messageEvents(CLAUDE_TEXT_PIECES).slice(0, 5), errorEvent('overloaded_error', 'Overloaded')];
    server.enqueue({ events }, { events });
    const read = async (client: Anthropic) =>
      (async () => {
        for await (const _ of await client.messages.create({ ...body, stream: true }));
      })().catch((e) => e);
    const expected = await read(plain);
    const error = await read(wrapped);
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect(error.constructor).toBe(expected.constructor);
    expect(error.type).toBe('overloaded_error');
    expect(error.message).toBe(expected.message);
    const [r] = await rec.waitFor(1);
    expect(r).toMatchObject({ outcome: 'failed', errorType: 'overloaded', errorClass: 'APIError', httpStatus: undefined, chunks: 2 });
  });

  it('keeps tee() and toReadableStream() working, recording each call once', async () => {
    fresh();
    const { wrapped } = clients();
    const [a, b] = (await wrapped.messages.create({ ...body, stream: true })).tee();
    const read = async (s: AsyncIterable<any>) => {
      const events: any[] = [];
      for await (const e of s) events.push(e);
      return textOf(events);
    };
    expect(await Promise.all([read(a), read(b)])).toEqual([CLAUDE_TEXT, CLAUDE_TEXT]);
    const readable = (await wrapped.messages.create({ ...body, stream: true })).toReadableStream();
    const lines = (await new Response(readable).text()).trim().split('\n').map((l) => JSON.parse(l));
    expect(textOf(lines)).toBe(CLAUDE_TEXT);
    const records = await rec.waitFor(2);
    await rec.settle();
    expect(rec.records).toHaveLength(2);
    expect(records.map((r) => [r.outcome, r.chunks])).toEqual([
      ['completed', 5],
      ['completed', 5],
    ]);
  });
});

describe('the messages.stream() helper', () => {
  it('keeps its events and finalMessage() working and observes the call it makes', async () => {
    fresh();
    const { plain, wrapped } = clients();
    const expected = await plain.messages.stream(body).finalMessage();
    const runner = wrapped.messages.stream(body);
    const texts: string[] = [];
    const types: string[] = [];
    runner.on('text', (delta) => texts.push(delta));
    runner.on('streamEvent', (event) => types.push(event.type));
    const final = await runner.finalMessage();
    expect(final).toEqual(expected);
    expect(texts.join('')).toBe(CLAUDE_TEXT);
    expect(types[0]).toBe('message_start');
    expect(types.at(-1)).toBe('message_stop');
    expect(await runner.finalText()).toBe(CLAUDE_TEXT);
    const [r] = await rec.waitFor(1);
    await rec.settle();
    expect(rec.records).toHaveLength(1);
    expect(r).toMatchObject({
      operation: 'chat',
      streaming: true,
      outcome: 'completed',
      chunks: 5,
      inputTokens: { count: 19, source: 'reported' }, // 12 uncached + 4 cache reads + 3 cache writes
      outputTokens: { count: 6, source: 'reported' },
      finishReasons: ['end_turn'],
    });
  });

  it('keeps abort() working: the helper emits abort, finalMessage() rejects, and the record says aborted', async () => {
    fresh();
    const { wrapped } = clients();
    server.enqueue({ events: messageEvents(CLAUDE_TEXT_PIECES), delayBetweenEventsMs: 60 });
    const runner = wrapped.messages.stream(body);
    let aborted = false;
    runner.on('abort', () => (aborted = true));
    let seen = 0;
    runner.on('text', () => {
      if (++seen === 1) runner.abort();
    });
    const error = await runner.finalMessage().catch((e) => e);
    expect(error).toBeInstanceOf(Anthropic.APIUserAbortError);
    expect(aborted).toBe(true);
    expect(runner.aborted).toBe(true);
    const [r] = await rec.waitFor(1);
    expect(rec.records).toHaveLength(1);
    expect(r.outcome).toBe('aborted');
    expect(r.chunks).toBeGreaterThanOrEqual(1);
    expect(r.chunks).toBeLessThan(5);
  });

  it('rejects finalMessage() with the same error as unwrapped when the stream is cut, and records it', async () => {
    fresh();
    const { plain, wrapped } = clients();
    const reply = { events: messageEvents(CLAUDE_TEXT_PIECES), dropAfterEvents: 4 };
    server.enqueue(reply, reply);
    const expected = await plain.messages.stream(body).finalMessage().catch((e) => e);
    const error = await wrapped.messages.stream(body).finalMessage().catch((e) => e);
    expect(error.constructor).toBe(expected.constructor);
    expect(error.message).toBe(expected.message);
    const [r] = await rec.waitFor(1);
    expect(r).toMatchObject({ outcome: 'failed', errorType: 'network', chunks: 1 });
  });
});

describe('the rest of the client', () => {
  it('records beta.messages.create like messages.create', async () => {
    fresh();
    const { wrapped } = clients();
    const got = await wrapped.beta.messages.create({ ...body, betas: ['token-efficient-tools-2025-02-19'] });
    expect((got.content[0] as any).text).toBe(CLAUDE_TEXT);
    let text = '';
    for await (const e of await wrapped.beta.messages.create({ ...body, stream: true })) {
      if (e.type === 'content_block_delta' && e.delta.type === 'text_delta') text += e.delta.text;
    }
    expect(text).toBe(CLAUDE_TEXT);
    const records = await rec.waitFor(2);
    expect(records.map((r) => [r.provider, r.streaming, r.outputTokens?.count, r.chunks])).toEqual([
      ['anthropic', false, 6, 0],
      ['anthropic', true, 6, 5],
    ]);
  });

  it('records the call messages.parse() makes, and its parsed message is unchanged', async () => {
    fresh();
    const { plain, wrapped } = clients();
    const expected = await plain.messages.parse(body);
    const got = await wrapped.messages.parse(body);
    expect(got).toEqual(expected);
    const [r] = await rec.waitFor(1);
    await rec.settle();
    expect(rec.records).toHaveLength(1);
    expect(r).toMatchObject({ streaming: false, outcome: 'completed', outputTokens: { count: 6, source: 'reported' } });
  });

  it('passes every other method and property through untouched and unrecorded', async () => {
    fresh();
    const raw = new Anthropic({ apiKey: 'test-key', baseURL: server.url, maxRetries: 0 });
    const wrapped = monitor.wrap(raw);
    expect(wrapped).toBeInstanceOf(Anthropic);
    expect(wrapped.models).toBe(raw.models);
    expect(wrapped.messages.batches).toBe(raw.messages.batches);
    expect(wrapped.baseURL).toBe(server.url);
    const models = await wrapped.models.list();
    expect(models.data[0].id).toBe(CLAUDE_MODEL);
    expect((await wrapped.messages.countTokens(body)).input_tokens).toBe(12);
    await rec.settle();
    expect(rec.records).toHaveLength(0);
  });

  it('observes only the wrapped instance and never counts a client wrapped twice twice', async () => {
    fresh();
    const raw = new Anthropic({ apiKey: 'test-key', baseURL: server.url, maxRetries: 0 });
    const plain = new Anthropic({ apiKey: 'test-key', baseURL: server.url, maxRetries: 0 });
    const once = monitor.wrap(raw);
    expect(monitor.wrap(once)).toBe(once);
    expect(monitor.wrap(raw)).toBe(once);
    await plain.messages.create(body);
    await once.messages.create(body);
    await rec.settle();
    expect(rec.records).toHaveLength(1);
  });

  it('names the provider from wrap options, else from the base URL, else anthropic', async () => {
    fresh();
    const named = monitor.wrap(new Anthropic({ apiKey: 'k', baseURL: server.url, maxRetries: 0 }), { provider: 'my-gateway' });
    await named.messages.create(body);
    // A Bedrock-shaped base URL, with the requests sent to the local server.
    const viaBedrockHost = monitor.wrap(
      new Anthropic({ apiKey: 'k', baseURL: 'https://bedrock-runtime.us-east-1.amazonaws.com', maxRetries: 0, fetch: toLocal(server.url) }),
    );
    await viaBedrockHost.messages.create(body);
    const plainDefault = monitor.wrap(new Anthropic({ apiKey: 'k', baseURL: server.url, maxRetries: 0 }));
    await plainDefault.messages.create(body);
    const records = await rec.waitFor(3);
    expect(records.map((r) => [r.provider, r.serverAddress, r.serverPort])).toEqual([
      ['my-gateway', '127.0.0.1', server.port],
      ['aws.bedrock', 'bedrock-runtime.us-east-1.amazonaws.com', 443],
      ['anthropic', '127.0.0.1', server.port],
    ]);
  });

  it('goes straight through after shutdown', async () => {
    fresh();
    const { wrapped } = clients();
    await monitor.shutdown();
    const got = await wrapped.messages.create(body);
    expect((got.content[0] as any).text).toBe(CLAUDE_TEXT);
    for await (const _ of await wrapped.messages.create({ ...body, stream: true }));
    await rec.settle();
    expect(rec.records).toHaveLength(0);
  });

  it('reads the gen_ai.request parameters of a Messages body', () => {
    expect(readAnthropicParams({ ...body, temperature: 0.2, top_p: 0.9, top_k: 40, stop_sequences: ['\n\nHuman:', 7] })).toEqual({
      temperature: 0.2,
      topP: 0.9,
      topK: 40,
      maxTokens: 256,
      stopSequences: ['\n\nHuman:'],
    });
    expect(readAnthropicParams(null)).toEqual({});
  });
});

/** A fetch that sends every request to the local server, whatever host the client was given. */
function toLocal(base: string): typeof fetch {
  return (input: any, init?: any) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    return fetch(`${base}${url.pathname}${url.search}`, init);
  };
}
