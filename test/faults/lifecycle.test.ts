/**
 * Fault injection around the monitor's own life: shut down while streams are open (each stream still
 * completes for the app; shutdown waits for them, up to `shutdownTimeoutMs`, so their records and
 * spans get out before the OTel SDK shuts down), and the same client or function observed twice
 * (never counted twice by one monitor; counted once by each of two).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { createMonitor } from '../../src/index.js';
import { setupOtel } from '../../src/otel/index.js';
import { chatChunks, DEFAULT_TEXT, DEFAULT_TEXT_PIECES, startOpenAIServer, type OpenAITestServer } from '../support/openai-server.js';
import { CLAUDE_MODEL, CLAUDE_TEXT, CLAUDE_TEXT_PIECES, messageEvents, startAnthropicServer, type AnthropicTestServer } from '../support/anthropic-server.js';
import { samplesOf } from '../support/exposition.js';
import { recorder } from '../support/records.js';

let openaiServer: OpenAITestServer;
let anthropicServer: AnthropicTestServer;

beforeAll(async () => {
  [openaiServer, anthropicServer] = await Promise.all([startOpenAIServer(), startAnthropicServer()]);
});
afterAll(async () => {
  await Promise.all([openaiServer.close(), anthropicServer.close()]);
});

const messages = [{ role: 'user' as const, content: 'Say hello.' }];
const claudeBody = { model: CLAUDE_MODEL, max_tokens: 64, messages };

const callsTotal = async (monitor: ReturnType<typeof createMonitor>) =>
  samplesOf(await monitor.metrics(), 'llm_vitals_calls_total').reduce((sum, s) => sum + s.value, 0);

describe('the monitor shut down while streams are open', () => {
  it('lets every open stream complete for the app, and goes straight through for new calls', async () => {
    const monitor = createMonitor();
    const rec = recorder(monitor);
    const openai = monitor.wrap(new OpenAI({ apiKey: 'k', baseURL: openaiServer.url, maxRetries: 0 }));
    const anthropic = monitor.wrap(new Anthropic({ apiKey: 'k', baseURL: anthropicServer.url, maxRetries: 0 }));
    const tracked = monitor.track(
      async function* () {
        for (const piece of DEFAULT_TEXT_PIECES) {
          await new Promise((r) => setTimeout(r, 10));
          yield piece;
        }
      },
      { provider: 'local', operation: 'chat', model: 'toy' },
    );
    openaiServer.enqueue({ chunks: chatChunks(DEFAULT_TEXT_PIECES), delayBetweenChunksMs: 20 });
    anthropicServer.enqueue({ events: messageEvents(CLAUDE_TEXT_PIECES), delayBetweenEventsMs: 10 });

    const openaiStream = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    const anthropicStream = await anthropic.messages.create({ ...claudeBody, stream: true });
    const helper = anthropic.messages.stream(claudeBody);
    const generator = tracked();
    const openaiIterator = openaiStream[Symbol.asyncIterator]();
    const anthropicIterator = anthropicStream[Symbol.asyncIterator]();
    const generatorIterator = generator[Symbol.asyncIterator]();
    // Each stream has begun when the monitor goes away.
    let openaiText = (await openaiIterator.next()).value.choices[0].delta.content ?? '';
    const anthropicEvents: any[] = [(await anthropicIterator.next()).value];
    let trackedText = (await generatorIterator.next()).value;
    // Not awaited yet: shutdown waits for these streams to end, and the app is still reading them.
    const stopping = monitor.shutdown();

    for (let r = await openaiIterator.next(); !r.done; r = await openaiIterator.next()) openaiText += r.value.choices[0]?.delta?.content ?? '';
    for (let r = await anthropicIterator.next(); !r.done; r = await anthropicIterator.next()) anthropicEvents.push(r.value);
    for (let r = await generatorIterator.next(); !r.done; r = await generatorIterator.next()) trackedText += r.value;
    expect(openaiText).toBe(DEFAULT_TEXT);
    expect(anthropicEvents.map((e) => (e.type === 'content_block_delta' ? e.delta.text : '')).join('')).toBe(CLAUDE_TEXT);
    expect(anthropicEvents.at(-1).type).toBe('message_stop');
    expect(trackedText).toBe(DEFAULT_TEXT);
    expect(await helper.finalText()).toBe(CLAUDE_TEXT);
    await stopping;

    // New calls after the shutdown are not observed.
    expect((await openai.chat.completions.create({ model: 'gpt-4o-mini', messages })).choices[0].message.content).toBe(DEFAULT_TEXT);

    const records = rec.records;
    expect(records).toHaveLength(4);
    expect(records.every((r) => r.outcome === 'completed' && r.streaming)).toBe(true);
    expect(rec.errors).toEqual([]);
    expect(await callsTotal(monitor)).toBe(4);
  });
});

/** An exporter that keeps what it was given, even after it is shut down (the in-memory one forgets). */
function keepingExporter() {
  const spans: ReadableSpan[] = [];
  const exporter: SpanExporter = {
    export(batch: ReadableSpan[], done: (result: ExportResult) => void) {
      spans.push(...batch);
      done({ code: 0 });
    },
    shutdown: async () => {},
  };
  return { spans, exporter };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('shutdown with calls still open', () => {
  it('waits for open streams, so the spans of 20 streams read slowly are exported in the SIGTERM order of docs/opentelemetry.md', async () => {
    const { spans, exporter } = keepingExporter();
    const otel = setupOtel({ exporter, register: false, contextManager: false });
    const monitor = createMonitor({ resources: false, otel: { tracerProvider: otel.tracerProvider, metrics: false } });
    const rec = recorder(monitor);
    const openai = monitor.wrap(new OpenAI({ apiKey: 'k', baseURL: openaiServer.url, maxRetries: 0 }));
    const streams = [];
    for (let i = 0; i < 20; i++) {
      openaiServer.enqueue({ chunks: chatChunks(DEFAULT_TEXT_PIECES), delayBetweenChunksMs: 10 });
      streams.push(await openai.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true }));
    }
    // The app reads each stream slowly: its answers are still going out to its own clients.
    const reading = streams.map(async (stream) => {
      let text = '';
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta?.content ?? '';
        await sleep(10);
      }
      return text;
    });

    // SIGTERM: the order of docs/opentelemetry.md.
    await monitor.shutdown();
    await otel.shutdown();

    expect(await Promise.all(reading)).toEqual(Array(20).fill(DEFAULT_TEXT));
    const llmSpans = spans.filter((s) => s.instrumentationScope.name === 'llm-vitals');
    expect(llmSpans).toHaveLength(20);
    expect(llmSpans.every((s) => s.attributes['llm_vitals.outcome'] === 'completed' && s.attributes['llm_vitals.response.chunks'] === 5)).toBe(true);
    expect(rec.records).toHaveLength(20);
    expect(rec.errors).toEqual([]);
  });

  it('gives up on a stream the app never reads after shutdownTimeoutMs, and records nothing new meanwhile', async () => {
    const monitor = createMonitor({ resources: false, otel: false, shutdownTimeoutMs: 200 });
    const rec = recorder(monitor);
    const openai = monitor.wrap(new OpenAI({ apiKey: 'k', baseURL: openaiServer.url, maxRetries: 0 }));
    const stream = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    const started = performance.now();
    const stopping = monitor.shutdown();
    // A call made while shutdown waits passes straight through, unrecorded.
    expect((await openai.chat.completions.create({ model: 'gpt-4o-mini', messages })).choices[0].message.content).toBe(DEFAULT_TEXT);
    await stopping;
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(195);
    expect(waited).toBeLessThan(3000);
    expect(rec.records).toHaveLength(0);
    expect(await callsTotal(monitor)).toBe(0);
    stream.controller.abort();
  });

  it('does not wait with shutdownTimeoutMs: 0', async () => {
    const monitor = createMonitor({ resources: false, otel: false, shutdownTimeoutMs: 0 });
    const openai = monitor.wrap(new OpenAI({ apiKey: 'k', baseURL: openaiServer.url, maxRetries: 0 }));
    openaiServer.enqueue({ chunks: chatChunks(DEFAULT_TEXT_PIECES), delayBeforeFirstChunkMs: 5000 });
    const stream = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    const started = performance.now();
    await monitor.shutdown();
    expect(performance.now() - started).toBeLessThan(1000);
    stream.controller.abort();
  });
});

describe('the same client or function observed twice', () => {
  it('never counts a call twice through one monitor, however the client was wrapped', async () => {
    const monitor = createMonitor();
    const rec = recorder(monitor);
    const raw = new OpenAI({ apiKey: 'k', baseURL: openaiServer.url, maxRetries: 0 });
    const rawClaude = new Anthropic({ apiKey: 'k', baseURL: anthropicServer.url, maxRetries: 0 });
    const clients = [monitor.wrap(raw), monitor.wrap(monitor.wrap(raw)), monitor.wrap(raw, { provider: 'other' })];
    expect(new Set(clients).size).toBe(1);
    const claude = monitor.wrap(monitor.wrap(rawClaude));
    expect(monitor.wrap(rawClaude)).toBe(claude);
    const fn = async () => 'ok';
    const tracked = monitor.track(monitor.track(fn, { provider: 'p', operation: 'chat', model: 'm' }), { provider: 'p', operation: 'chat', model: 'm' });

    for (const client of clients) await client.chat.completions.create({ model: 'gpt-4o-mini', messages });
    await claude.messages.create(claudeBody);
    expect(await claude.messages.stream(claudeBody).finalText()).toBe(CLAUDE_TEXT);
    expect(await tracked()).toBe('ok');
    await monitor.flush();
    expect(rec.records).toHaveLength(6);
    expect(await callsTotal(monitor)).toBe(6);
    await monitor.shutdown();
  });

  it('counts a client once in each of two monitors that both wrap it', async () => {
    const first = createMonitor();
    const second = createMonitor();
    const raw = new Anthropic({ apiKey: 'k', baseURL: anthropicServer.url, maxRetries: 0 });
    const once = first.wrap(raw);
    const twice = second.wrap(once);
    await twice.messages.create(claudeBody);
    for await (const _ of await twice.messages.create({ ...claudeBody, stream: true }));
    await Promise.all([first.flush(), second.flush()]);
    expect(await callsTotal(first)).toBe(2);
    expect(await callsTotal(second)).toBe(2);
    await Promise.all([first.shutdown(), second.shutdown()]);
  });
});
