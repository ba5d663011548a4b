/**
 * Streams and responses timed at their arrival from the network, not when the app reads them; the
 * app's own reading time as `consumerWait`. Real `openai` and `@anthropic-ai/sdk` clients over HTTP/SSE
 * to the local servers, with apps that read late.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { createMonitor, type CallRecord, type Monitor } from '../../src/index.js';
import { chatChunks, chatCompletion, completionChunks, responseEvents, startOpenAIServer, streamUsage, type OpenAITestServer } from '../support/openai-server.js';
import { messageEvents, startAnthropicServer, type AnthropicTestServer } from '../support/anthropic-server.js';
import { recorder } from '../support/records.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const messages = [{ role: 'user' as const, content: 'Say hello.' }];
const PIECES = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'];

let openaiServer: OpenAITestServer;
let anthropicServer: AnthropicTestServer;
beforeAll(async () => {
  openaiServer = await startOpenAIServer();
  anthropicServer = await startAnthropicServer();
});
afterAll(async () => {
  await openaiServer.close();
  await anthropicServer.close();
});

function setup(): { monitor: Monitor; rec: ReturnType<typeof recorder>; openai: OpenAI; anthropic: Anthropic } {
  const monitor = createMonitor({ resources: false, detect: false });
  const rec = recorder(monitor);
  const openai = monitor.wrap(new OpenAI({ apiKey: 'k', baseURL: openaiServer.url, maxRetries: 0 }));
  const anthropic = monitor.wrap(new Anthropic({ apiKey: 'k', baseURL: anthropicServer.url, maxRetries: 0 }));
  return { monitor, rec, openai, anthropic };
}

/**
 * Read a stream only after `lateMs`: by then the server has sent everything. Returns the time (ms
 * after `t0`) at which the app started reading, and what it read.
 */
async function readLate<T>(stream: AsyncIterable<T>, t0: number, lateMs: number): Promise<{ readAt: number; items: T[] }> {
  await sleep(lateMs);
  const readAt = performance.now() - t0;
  const items: T[] = [];
  for await (const item of stream) items.push(item);
  return { readAt, items };
}

/** What every late-read stream below must show: TTFT and gaps from arrival; the app's lateness as its own wait. */
function expectTimedAtArrival(r: CallRecord, firstDelayMs: number, gapMs: number, readAt: number): void {
  expect(r.outcome).toBe('completed');
  expect(r.chunks).toBe(PIECES.length);
  // The first piece arrived after the server's delay, well before the app started reading.
  expect(r.timeToFirstChunk!).toBeGreaterThanOrEqual(firstDelayMs - 5);
  expect(r.timeToFirstChunk!).toBeLessThan(readAt - 100);
  // Gaps between arrivals, not between the app's back-to-back reads of a full buffer (~0.1 ms).
  expect(r.timePerOutputChunk!).toBeGreaterThanOrEqual(gapMs * 0.6);
  // The call lasted until the last byte arrived; the app's lateness is its own wait.
  expect(r.duration).toBeLessThan(readAt - 50);
  expect(r.consumerWait!).toBeGreaterThan(readAt - r.duration - 50);
  expect(r.notes).not.toContain('timed_at_read');
}

describe('streams timed at arrival, read late by the app', () => {
  it('OpenAI chat: the server sends the first chunk at 150 ms and one every 25 ms; the app starts reading at 700 ms', async () => {
    const { monitor, rec, openai } = setup();
    openaiServer.enqueue({ chunks: chatChunks(PIECES, { usage: streamUsage() }), delayBeforeFirstChunkMs: 150, delayBetweenChunksMs: 25 });
    const t0 = performance.now();
    const stream = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true, stream_options: { include_usage: true } });
    const { readAt, items } = await readLate(stream, t0, 700);
    expect(items.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe(PIECES.join(''));
    await monitor.flush?.();
    const [r] = await rec.waitFor(1);
    expectTimedAtArrival(r, 150, 25, readAt);
    await monitor.shutdown();
  });

  it('OpenAI legacy completions', async () => {
    const { monitor, rec, openai } = setup();
    openaiServer.enqueue({ chunks: completionChunks(PIECES), delayBeforeFirstChunkMs: 150, delayBetweenChunksMs: 25 });
    const t0 = performance.now();
    const stream = await openai.completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'hi', stream: true });
    const { readAt } = await readLate(stream, t0, 700);
    const [r] = await rec.waitFor(1);
    expectTimedAtArrival(r, 150, 25, readAt);
    await monitor.shutdown();
  });

  it('OpenAI Responses', async () => {
    const { monitor, rec, openai } = setup();
    openaiServer.enqueue({ chunks: responseEvents(PIECES), sendDone: false, delayBeforeFirstChunkMs: 150, delayBetweenChunksMs: 25 });
    const t0 = performance.now();
    const stream = await openai.responses.create({ model: 'gpt-4o-mini', input: 'hi', stream: true });
    const { readAt } = await readLate(stream, t0, 700);
    const [r] = await rec.waitFor(1);
    expectTimedAtArrival(r, 150, 25, readAt);
    await monitor.shutdown();
  });

  it('Anthropic messages', async () => {
    const { monitor, rec, anthropic } = setup();
    anthropicServer.enqueue({ events: messageEvents(PIECES), delayBeforeFirstEventMs: 150, delayBetweenEventsMs: 25 });
    const t0 = performance.now();
    const stream = await anthropic.messages.create({ model: 'claude-sonnet-5', max_tokens: 100, messages, stream: true });
    const { readAt } = await readLate(stream, t0, 700);
    const [r] = await rec.waitFor(1);
    expectTimedAtArrival(r, 150, 25, readAt);
    await monitor.shutdown();
  });

  it('keeps tee() and toReadableStream() working, with the same chunks, timed at arrival', async () => {
    const { monitor, rec, openai } = setup();
    openaiServer.enqueue({ chunks: chatChunks(PIECES), delayBeforeFirstChunkMs: 100, delayBetweenChunksMs: 20 });
    const plain = new OpenAI({ apiKey: 'k', baseURL: openaiServer.url, maxRetries: 0 });
    const t0 = performance.now();
    const stream = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    const [left, right] = stream.tee();
    const { readAt, items } = await readLate(left, t0, 500);
    const rightItems: unknown[] = [];
    for await (const c of right) rightItems.push(c);
    expect(rightItems).toEqual(items);
    const [r] = await rec.waitFor(1);
    expect(r.timeToFirstChunk!).toBeLessThan(readAt - 100);

    openaiServer.enqueue({ chunks: chatChunks(PIECES, { created: 1 }) }, { chunks: chatChunks(PIECES, { created: 1 }) });
    const readable = (await openai.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true })).toReadableStream();
    const plainReadable = (await plain.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true })).toReadableStream();
    expect(await new Response(readable).text()).toBe(await new Response(plainReadable).text());
    await rec.waitFor(2);
    await monitor.shutdown();
  });
});

describe('responses timed at arrival, awaited late by the app', () => {
  it('a non-streaming answer that took ~60 ms, awaited 500 ms later, lasted ~60 ms; the app waited the rest', async () => {
    const { monitor, rec, openai } = setup();
    openaiServer.enqueue({ body: chatCompletion(), delayBeforeHeadersMs: 60 });
    const t0 = performance.now();
    const pending = openai.chat.completions.create({ model: 'gpt-4o-mini', messages });
    await sleep(500);
    const awaitedAt = performance.now() - t0;
    await pending;
    const [r] = await rec.waitFor(1);
    expect(r.duration).toBeGreaterThanOrEqual(55);
    expect(r.duration).toBeLessThan(awaitedAt - 150);
    expect(r.consumerWait!).toBeGreaterThan(awaitedAt - r.duration - 50);
    await monitor.shutdown();
  });

  it('withResponse() and asResponse() hand out a Response equal to the unwrapped one', async () => {
    const { monitor, rec, openai } = setup();
    const plain = new OpenAI({ apiKey: 'k', baseURL: openaiServer.url, maxRetries: 0 });
    const body = chatCompletion({ created: 1 } as any);
    openaiServer.enqueue({ body }, { body });
    const { response: got } = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages }).withResponse();
    const { response: expected } = await plain.chat.completions.create({ model: 'gpt-4o-mini', messages }).withResponse();
    expect(got).toBeInstanceOf(Response);
    expect([got.status, got.statusText, got.url, got.type, got.redirected, got.ok]).toEqual([
      expected.status,
      expected.statusText,
      expected.url,
      expected.type,
      expected.redirected,
      expected.ok,
    ]);
    expect(got.headers.get('x-request-id')).toMatch(/^req_test_/);
    await rec.waitFor(1);
    await monitor.shutdown();
  });

  it('withResponse(): the parsed body\'s stream, read after the SDK, behaves as the unwrapped one\'s', async () => {
    const { monitor, rec, openai } = setup();
    const plain = new OpenAI({ apiKey: 'k', baseURL: openaiServer.url, maxRetries: 0 });
    const body = chatCompletion({ created: 2 } as any);
    openaiServer.enqueue({ body }, { body });
    // What the app sees of `response.body` once the SDK has parsed the JSON: the same bodyUsed, and the
    // same outcome of reading it (the stream is only given the monitor's readers when asked for).
    const outcome = async (response: Response) => {
      const used = response.bodyUsed;
      try {
        const reader = response.body!.getReader();
        const first = await reader.read();
        return { used, done: first.done, bytes: first.value?.byteLength ?? 0 };
      } catch (error) {
        return { used, error: (error as Error).constructor.name };
      }
    };
    const { data, response: got } = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages }).withResponse();
    const { response: expected } = await plain.chat.completions.create({ model: 'gpt-4o-mini', messages }).withResponse();
    expect(data.id).toBe(body.id);
    expect(await outcome(got)).toEqual(await outcome(expected));
    await rec.waitFor(1);
    await monitor.shutdown();
  });

  it('asResponse(): the usage the monitor never read is unknown, not 0, and costs nothing made up', async () => {
    const { monitor, rec, openai } = setup();
    const usage = { prompt_tokens: 1607, completion_tokens: 900, total_tokens: 2507 };
    openaiServer.enqueue({ body: chatCompletion({ usage } as any) });
    const response = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages }).asResponse();
    const json: any = await response.json();
    expect(json.usage.completion_tokens).toBe(900);
    await monitor.flush?.();
    const [r] = await rec.waitFor(1);
    expect(r.outcome).toBe('completed');
    expect(r.notes).toContain('raw_response');
    expect(r.outputTokens).toBeUndefined();
    expect(r.inputTokens).toBeUndefined();
    expect(r.cost?.usd).toBeUndefined();
    await monitor.shutdown();
  });
});

describe('non-streamed answers read in place: the SDK gets the network\'s own Response', () => {
  /** A real HTTP server that sends the headers and half the JSON body, then the rest `gapMs` later. */
  async function slowBodyServer(body: string, gapMs: number): Promise<{ url: string; close: () => Promise<void> }> {
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': 'req_slow' });
        res.write(body.slice(0, body.length >> 1));
        setTimeout(() => res.end(body.slice(body.length >> 1)), gapMs);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return { url: `http://127.0.0.1:${port}/v1`, close: () => new Promise((resolve) => server.close(() => resolve())) };
  }

  /** A monitored client of that server, whose fetch keeps the Responses the network gave. */
  async function slowAnswer(gapMs: number) {
    const body = JSON.stringify(chatCompletion());
    const server = await slowBodyServer(body, gapMs);
    const monitor = createMonitor({ resources: false, detect: false });
    const rec = recorder(monitor);
    const fetched: Response[] = [];
    const fetchSpy = async (url: any, init: any) => {
      const response = await fetch(url, init);
      fetched.push(response);
      return response;
    };
    const openai = monitor.wrap(new OpenAI({ apiKey: 'k', baseURL: server.url, maxRetries: 0, fetch: fetchSpy as any }));
    return { body, server, monitor, rec, openai, fetched };
  }

  it('awaited at once: the call lasts until the last byte arrived, not through the app\'s own work after it; the SDK gets the network\'s own Response', async () => {
    const { body, server, monitor, rec, openai, fetched } = await slowAnswer(250);
    const t0 = performance.now();
    const { data, response } = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages }).withResponse();
    const arrivedAt = performance.now() - t0;
    // The app's own work after it has the answer: not part of the call.
    const busyUntil = performance.now() + 300;
    while (performance.now() < busyUntil);
    expect(data).toEqual(JSON.parse(body));
    // Not observed through a copy: the SDK read the very Response the network's fetch returned.
    expect(response).toBe(fetched[0]);
    const [r] = await rec.waitFor(1);
    expect(r.outcome).toBe('completed');
    expect(r.duration).toBeGreaterThanOrEqual(245);
    expect(r.duration).toBeLessThanOrEqual(arrivedAt + 1);
    // The SDK was waiting: it had the answer right after its last byte.
    expect(r.consumerWait!).toBeGreaterThanOrEqual(0);
    expect(r.consumerWait!).toBeLessThan(arrivedAt - r.duration + 1);
    await monitor.shutdown();
    await server.close();
  });

  it('awaited after the body arrived: timed at its arrival, the app\'s lateness its own wait; still the network\'s own Response', async () => {
    const { body, server, monitor, rec, openai, fetched } = await slowAnswer(100);
    const t0 = performance.now();
    const pending = openai.chat.completions.create({ model: 'gpt-4o-mini', messages });
    await sleep(400);
    const awaitedAt = performance.now() - t0;
    const { data, response } = await pending.withResponse();
    expect(data).toEqual(JSON.parse(body));
    // Read in place: the network's own Response, its json() reading what the observer timed.
    expect(response).toBe(fetched[0]);
    expect(response.headers.get('x-request-id')).toBe('req_slow');
    const [r] = await rec.waitFor(1);
    expect(r.duration).toBeGreaterThanOrEqual(95);
    expect(r.duration).toBeLessThan(awaitedAt - 150);
    expect(r.consumerWait!).toBeGreaterThan(awaitedAt - r.duration - 50);
    await monitor.shutdown();
    await server.close();
  });
});

describe('a stream cut at the network, read late', () => {
  it('the app reads what it would read without the monitor (what was queued is lost with the cut, as in the network stream), and the call failed at the cut', async () => {
    const { monitor, rec, openai } = setup();
    const plain = new OpenAI({ apiKey: 'k', baseURL: openaiServer.url, maxRetries: 0 });
    const seen: { contents: (string | undefined)[]; error: string | undefined }[] = [];
    for (const client of [plain, openai]) {
      openaiServer.enqueue({ chunks: chatChunks(PIECES), dropAfterChunks: 3 });
      const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
      await sleep(300);
      const contents: (string | undefined)[] = [];
      let error: string | undefined;
      try {
        for await (const chunk of stream) contents.push(chunk.choices[0]?.delta?.content ?? undefined);
      } catch (e) {
        error = String(e);
      }
      seen.push({ contents, error });
    }
    expect(seen[0].error).toMatch(/terminated/);
    expect(seen[1]).toEqual(seen[0]);
    const [r] = await rec.waitFor(1);
    expect(r.outcome).toBe('failed');
    expect(r.errorType).toBe('network');
    // It failed when the network cut it, not 300 ms later when the app looked.
    expect(r.duration).toBeLessThan(250);
    await monitor.shutdown();
  });
});

describe('a stream observed in place', () => {
  async function spyClient(monitor: Monitor) {
    const fetched: Response[] = [];
    const fetchSpy = async (url: any, init: any) => {
      const response = await fetch(url, init);
      fetched.push(response);
      return response;
    };
    return { fetched, client: monitor.wrap(new OpenAI({ apiKey: 'k', baseURL: openaiServer.url, maxRetries: 0, fetch: fetchSpy as any })) };
  }

  it('the SDK parses the network\'s own Response (withResponse() hands out that very object), chunks timed at arrival', async () => {
    const { monitor, rec } = setup();
    const { fetched, client } = await spyClient(monitor);
    openaiServer.enqueue({ chunks: chatChunks(PIECES), delayBeforeFirstChunkMs: 100, delayBetweenChunksMs: 20 });
    const t0 = performance.now();
    const { data: stream, response } = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true }).withResponse();
    expect(response).toBe(fetched[0]);
    const { readAt, items } = await readLate(stream, t0, 600);
    expect(items.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe(PIECES.join(''));
    const [r] = await rec.waitFor(1);
    expectTimedAtArrival(r, 100, 20, readAt);
    await monitor.shutdown();
  });

  for (const how of ['text()', 'pipeTo()', 'getReader()'] as const) {
    it(`taken raw with asResponse() after it arrived, its body reads the same bytes with ${how} as without the monitor`, async () => {
      const { monitor, rec } = setup();
      const { client } = await spyClient(monitor);
      const plain = new OpenAI({ apiKey: 'k', baseURL: openaiServer.url, maxRetries: 0 });
      const read = async (body: ReadableStream<Uint8Array>): Promise<string> => {
        if (how === 'text()') return new Response(body).text();
        const decoder = new TextDecoder();
        let text = '';
        if (how === 'pipeTo()') {
          await body.pipeTo(new WritableStream({ write: (piece) => void (text += decoder.decode(piece, { stream: true })) }));
          return text;
        }
        const reader = body.getReader();
        for (let r = await reader.read(); !r.done; r = await reader.read()) text += decoder.decode(r.value, { stream: true });
        return text;
      };
      const texts: string[] = [];
      for (const c of [plain, client]) {
        openaiServer.enqueue({ chunks: chatChunks(PIECES, { created: 1 }) });
        const pending = c.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
        // Arrived (the observer has read it) before the app asks for the raw Response.
        await sleep(200);
        const response = await pending.asResponse();
        texts.push(how === 'text()' ? await response.text() : await read(response.body!));
      }
      expect(texts[1]).toBe(texts[0]);
      expect(texts[0]).toContain('data: [DONE]');
      const [r] = await rec.waitFor(1);
      expect(r.notes).toContain('raw_response');
      await monitor.shutdown();
    });
  }
});
