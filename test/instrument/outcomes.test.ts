/**
 * Every call ends exactly once, with the outcome that happened: aborts and closes before the first
 * iteration, breaks out of the stream helpers, failed Responses streams, in-stream error codes, the
 * SDK's own retries, `withOptions()` clones, and nothing estimated for a call never answered. Real SDKs
 * over HTTP/SSE to the local servers; aborts happen on events (headers received), not on timers.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { createMonitor, type CallRecord, type Monitor } from '../../src/index.js';
import { chatChunks, errorBody, responseEvents, responseObject, startOpenAIServer, type OpenAITestServer } from '../support/openai-server.js';
import { messageEvents, startAnthropicServer, type AnthropicTestServer } from '../support/anthropic-server.js';
import { recorder } from '../support/records.js';
import { samplesOf } from '../support/exposition.js';

const messages = [{ role: 'user' as const, content: 'Say hello. '.repeat(200) }];
const PIECES = ['a', 'b', 'c', 'd'];

// Servers per test: a reply one test leaves queued never reaches the next.
let openaiServer: OpenAITestServer;
let anthropicServer: AnthropicTestServer;
beforeEach(async () => {
  openaiServer = await startOpenAIServer();
  anthropicServer = await startAnthropicServer();
});
afterEach(async () => {
  await openaiServer.close();
  await anthropicServer.close();
});

function setup(maxRetries = 0) {
  const monitor = createMonitor({ resources: false, detect: false });
  const rec = recorder(monitor);
  const openai = monitor.wrap(new OpenAI({ apiKey: 'k', baseURL: openaiServer.url, maxRetries }));
  const anthropic = monitor.wrap(new Anthropic({ apiKey: 'k', baseURL: anthropicServer.url, maxRetries }));
  return { monitor, rec, openai, anthropic };
}

async function inFlight(monitor: Monitor): Promise<number> {
  return samplesOf(await monitor.metrics(), 'llm_vitals_in_flight_calls').reduce((sum, s) => sum + s.value, 0);
}

async function errorsTotal(monitor: Monitor): Promise<number> {
  return samplesOf(await monitor.metrics(), 'llm_vitals_errors_total').reduce((sum, s) => sum + s.value, 0);
}

async function only(monitor: Monitor, rec: ReturnType<typeof recorder>): Promise<CallRecord> {
  await monitor.flush?.();
  const records = await rec.waitFor(1);
  expect(records).toHaveLength(1);
  return records[0];
}

describe('a stream ended before its first iteration', () => {
  // The server holds the first chunk back for long enough that the abort always comes first.
  const slow = () => ({ chunks: chatChunks(PIECES), delayBeforeFirstChunkMs: 400 });

  it('OpenAI: stream.controller.abort() ends the record as aborted and the in-flight gauge drops', async () => {
    const { monitor, rec, openai } = setup();
    openaiServer.enqueue(slow());
    const stream = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    expect(await inFlight(monitor)).toBe(1);
    stream.controller.abort();
    const r = await only(monitor, rec);
    expect(r).toMatchObject({ outcome: 'aborted', errorType: 'aborted', chunks: 0 });
    expect(await inFlight(monitor)).toBe(0);
    await monitor.shutdown();
  });

  it("OpenAI: the app's AbortSignal, after the headers, ends it as aborted", async () => {
    const { monitor, rec, openai } = setup();
    openaiServer.enqueue(slow());
    const controller = new AbortController();
    await openai.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true }, { signal: controller.signal });
    controller.abort();
    const r = await only(monitor, rec);
    expect(r.outcome).toBe('aborted');
    expect(await inFlight(monitor)).toBe(0);
    await monitor.shutdown();
  });

  // The whole body has arrived (and been read by the transport observer) before the abort: no body
  // read fails, so only the abort itself can end the record.
  for (const via of ['stream.controller.abort()', "the app's AbortSignal"] as const) {
    it(`OpenAI: ${via} after the whole body arrived, never read, ends it as aborted`, async () => {
      const { monitor, rec, openai } = setup();
      openaiServer.enqueue({ chunks: chatChunks(PIECES) });
      const controller = new AbortController();
      const stream = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true }, { signal: controller.signal });
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(rec.records).toHaveLength(0);
      if (via === 'stream.controller.abort()') stream.controller.abort();
      else controller.abort();
      expect(stream.controller.signal.aborted).toBe(true);
      const r = await only(monitor, rec);
      expect(r).toMatchObject({ outcome: 'aborted', chunks: 0 });
      expect(await inFlight(monitor)).toBe(0);
      await monitor.shutdown();
    });
  }

  it('OpenAI: return() on its iterator before any next() ends it as cancelled', async () => {
    const { monitor, rec, openai } = setup();
    openaiServer.enqueue(slow());
    const stream = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    await stream[Symbol.asyncIterator]().return!();
    const r = await only(monitor, rec);
    expect(r.outcome).toBe('cancelled');
    expect(await inFlight(monitor)).toBe(0);
    await monitor.shutdown();
  });

  it('Anthropic: stream.controller.abort() ends the record as aborted', async () => {
    const { monitor, rec, anthropic } = setup();
    anthropicServer.enqueue({ events: messageEvents(PIECES), delayBeforeFirstEventMs: 400 });
    const stream = await anthropic.messages.create({ model: 'claude-sonnet-5', max_tokens: 10, messages, stream: true });
    stream.controller.abort();
    const r = await only(monitor, rec);
    expect(r.outcome).toBe('aborted');
    expect(await inFlight(monitor)).toBe(0);
    await monitor.shutdown();
  });

  it('a request aborted before it was answered has no estimated tokens and no cost', async () => {
    const { monitor, rec, openai } = setup();
    openaiServer.enqueue({ chunks: chatChunks(PIECES), delayBeforeHeadersMs: 2000 });
    const controller = new AbortController();
    const pending = openai.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true }, { signal: controller.signal });
    // Abort once the request is on the wire (the server has it), before any answer.
    while (openaiServer.requests.length === 0) await new Promise((r) => setTimeout(r, 2));
    controller.abort();
    await expect(pending).rejects.toThrow();
    const r = await only(monitor, rec);
    expect(r.outcome).toBe('aborted');
    expect(r.inputTokens).toBeUndefined();
    expect(r.outputTokens).toBeUndefined();
    expect(r.cost).toBeUndefined();
    await monitor.shutdown();
  });
});

describe('breaking out of the stream helpers is the consumer stopping: cancelled, not an error', () => {
  it('chat.completions.stream()', async () => {
    const { monitor, rec, openai } = setup();
    openaiServer.enqueue({ chunks: chatChunks(PIECES), delayBetweenChunksMs: 30 });
    const runner = openai.chat.completions.stream({ model: 'gpt-4o-mini', messages });
    for await (const chunk of runner) if (chunk.choices[0]?.delta?.content) break;
    const r = await only(monitor, rec);
    expect(r.outcome).toBe('cancelled');
    expect(r.errorType).toBeUndefined();
    expect(await errorsTotal(monitor)).toBe(0);
    await monitor.shutdown();
  });

  it('Anthropic messages.stream()', async () => {
    const { monitor, rec, anthropic } = setup();
    anthropicServer.enqueue({ events: messageEvents(PIECES), delayBetweenEventsMs: 30 });
    const stream = anthropic.messages.stream({ model: 'claude-sonnet-5', max_tokens: 10, messages });
    for await (const event of stream) if (event.type === 'content_block_delta') break;
    const r = await only(monitor, rec);
    expect(r.outcome).toBe('cancelled');
    expect(await errorsTotal(monitor)).toBe(0);
    await monitor.shutdown();
  });

  it('an explicit runner.abort() is still an abort', async () => {
    const { monitor, rec, openai } = setup();
    openaiServer.enqueue({ chunks: chatChunks(PIECES), delayBeforeFirstChunkMs: 400 });
    const runner = openai.chat.completions.stream({ model: 'gpt-4o-mini', messages });
    runner.on('connect', () => runner.abort());
    await runner.done().catch(() => undefined);
    const r = await only(monitor, rec);
    expect(r.outcome).toBe('aborted');
    await monitor.shutdown();
  });
});

describe('failures inside a stream', () => {
  it('a Responses stream ending in response.failed is failed, classified by its error code', async () => {
    const { monitor, rec, openai } = setup();
    const events = responseEvents(PIECES);
    const last = events[events.length - 1];
    events[events.length - 1] = {
      ...last,
      type: 'response.failed',
      response: { ...last.response, status: 'failed', error: { code: 'rate_limit_exceeded', message: 'slow down' } },
    };
    openaiServer.enqueue({ chunks: events, sendDone: false });
    const stream = await openai.responses.create({ model: 'gpt-4o-mini', input: 'hi', stream: true });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    expect(types[types.length - 1]).toBe('response.failed');
    const r = await only(monitor, rec);
    expect(r).toMatchObject({ outcome: 'failed', errorType: 'rate_limit', errorClass: 'ResponseFailedError' });
    await monitor.shutdown();
  });

  it('a non-streaming Responses answer with status failed is failed', async () => {
    const { monitor, rec, openai } = setup();
    openaiServer.enqueue({ body: { ...responseObject(), status: 'failed', error: { code: 'server_error', message: 'boom' } } });
    const got = await openai.responses.create({ model: 'gpt-4o-mini', input: 'hi' });
    expect(got.status).toBe('failed');
    const r = await only(monitor, rec);
    expect(r).toMatchObject({ outcome: 'failed', errorType: 'http_5xx' });
    await monitor.shutdown();
  });

  it('an in-stream error event is classified by its code: rate_limit_exceeded is rate_limit', async () => {
    const { monitor, rec, openai } = setup();
    const events = responseEvents(PIECES).slice(0, 5);
    openaiServer.enqueue({
      chunks: [...events, `event: error\ndata: ${JSON.stringify({ type: 'error', code: 'rate_limit_exceeded', message: 'slow down', param: null })}\n\n`],
      sendDone: false,
    });
    const stream = await openai.responses.create({ model: 'gpt-4o-mini', input: 'hi', stream: true });
    await expect((async () => {
      for await (const _ of stream);
    })()).rejects.toThrow(/slow down/);
    const r = await only(monitor, rec);
    expect(r).toMatchObject({ outcome: 'failed', errorType: 'rate_limit' });
    await monitor.shutdown();
  });

  it('when openai itself throws on a malformed chunk (choices: [null]) the record is failed, invalid_response', async () => {
    const { monitor, rec, openai } = setup();
    const chunks = chatChunks(PIECES);
    chunks[2] = { ...chunks[2], choices: [null] };
    openaiServer.enqueue({ chunks });
    const stream = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    await expect((async () => {
      for await (const _ of stream);
    })()).rejects.toThrow(TypeError);
    const r = await only(monitor, rec);
    expect(r).toMatchObject({ outcome: 'failed', errorType: 'invalid_response', errorClass: 'TypeError' });
    await monitor.shutdown();
  });

  it('a chunk whose choices is the number 0 reaches the app (it is not taken for the monitor\'s own usage chunk)', async () => {
    const { monitor, rec, openai } = setup();
    const plain = new OpenAI({ apiKey: 'k', baseURL: openaiServer.url, maxRetries: 0 });
    const chunks = chatChunks(PIECES, { created: 1 });
    chunks.splice(2, 0, { ...chunks[1], choices: 0 });
    openaiServer.enqueue({ chunks }, { chunks });
    const read = async (client: OpenAI) => {
      const out: unknown[] = [];
      for await (const c of await client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true })) out.push(c);
      return out;
    };
    const got = await read(openai);
    expect(got).toEqual(await read(plain));
    expect(got).toHaveLength(chunks.length);
    await only(monitor, rec);
    await monitor.shutdown();
  });
});

describe("the SDK's own retries", () => {
  it('one record per call, each attempt on it, and the 429 the SDK retried away counted', async () => {
    const { monitor, rec, openai } = setup(2);
    openaiServer.enqueue(
      { status: 429, body: errorBody(429), headers: { 'retry-after-ms': '1' } },
      { status: 503, body: errorBody(503), headers: { 'retry-after-ms': '1' } },
      { chunks: chatChunks(PIECES) },
    );
    const stream = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    for await (const _ of stream);
    const r = await only(monitor, rec);
    expect(r.outcome).toBe('completed');
    expect(r.attempts!.map((a) => [a.httpStatus, a.errorType])).toEqual([
      [429, 'rate_limit'],
      [503, 'http_5xx'],
      [200, undefined],
    ]);
    const retries = samplesOf(await monitor.metrics(), 'llm_vitals_retries_total');
    expect(Object.fromEntries(retries.map((s) => [s.labels.error_type, s.value]))).toEqual({ rate_limit: 1, http_5xx: 1 });
    await monitor.shutdown();
  });

  it('feeds the retried 429 to rate_limit_rate', async () => {
    const monitor = createMonitor({ resources: false });
    const seen: number[] = [];
    const openai = monitor.wrap(new OpenAI({ apiKey: 'k', baseURL: openaiServer.url, maxRetries: 1 }));
    const { CALL_SIGNALS } = await import('../../src/detect/signals.js');
    const rateLimit = CALL_SIGNALS.find((s) => s.name === 'rate_limit_rate')!;
    monitor.on('call', (r) => seen.push(rateLimit.read!(r) as number));
    openaiServer.enqueue({ status: 429, body: errorBody(429), headers: { 'retry-after-ms': '1' } }, {});
    await openai.chat.completions.create({ model: 'gpt-4o-mini', messages });
    await monitor.flush?.();
    while (seen.length === 0) await new Promise((r) => setTimeout(r, 5));
    expect(seen).toEqual([1]);
    await monitor.shutdown();
  });
});

describe('withOptions()', () => {
  it('returns a monitored client whose calls are recorded, with the same wrap options', async () => {
    const monitor = createMonitor({ resources: false, detect: false });
    const rec = recorder(monitor);
    const openai = monitor.wrap(new OpenAI({ apiKey: 'k', baseURL: openaiServer.url, maxRetries: 0 }), { provider: 'vllm' });
    const clone = openai.withOptions({ timeout: 5000 });
    expect(clone).toBeInstanceOf(OpenAI);
    await clone.chat.completions.create({ model: 'gpt-4o-mini', messages });
    const r = await only(monitor, rec);
    expect(r.provider).toBe('vllm');
    await monitor.shutdown();
  });
});
