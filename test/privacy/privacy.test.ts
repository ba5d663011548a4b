/**
 * Private by default: a unique marker sent through every path (system message, prompt, tool
 * definitions and results, completion text, streamed deltas, tool-call arguments, error bodies, a
 * malformed body, a stream cut midway, the Responses, Completions, Embeddings and Anthropic APIs) with
 * the real `openai` and `@anthropic-ai/sdk` clients over HTTP to the local servers, then looked for in
 * everything the monitor puts out: the Prometheus exposition, the snapshot, the `on('call')` records,
 * the `on('error')` payloads, the OpenTelemetry spans and metrics, the dashboard's data and the
 * detectors' events. The API key and the Authorization
 * header must appear nowhere either, captured or not.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { createMonitor, type Monitor, type MonitorError, type MonitorOptions } from '../../src/index.js';
import { chatChunks, chatCompletion, completion, responseObject, startOpenAIServer, type OpenAITestServer } from '../support/openai-server.js';
import { CLAUDE_MODEL, message, startAnthropicServer, type AnthropicTestServer } from '../support/anthropic-server.js';
import { recorder } from '../support/records.js';
import { memoryTracing, settle, waitForSpans } from '../otel/support.js';

let server: OpenAITestServer;
let claude: AnthropicTestServer;
let monitor: Monitor;
let app: Server | undefined;

const MARKER = `zq${Math.random().toString(36).slice(2, 10)}marker`;
const API_KEY = `sk-proj-${'A1b2C3d4E5f6G7h8'.repeat(3)}${Math.random().toString(36).slice(2, 8)}`;
const ANTHROPIC_KEY = `sk-ant-api03-${'Zz9Yy8Xx7Ww6'.repeat(4)}`;

beforeAll(async () => {
  server = await startOpenAIServer();
  claude = await startAnthropicServer();
});
afterAll(async () => {
  await server.close();
  await claude.close();
});
afterEach(async () => {
  await monitor?.shutdown();
  if (app) await new Promise<void>((resolve) => (app!.closeAllConnections(), app!.close(() => resolve())));
  app = undefined;
});

async function setUp(options: MonitorOptions = {}) {
  const tracing = memoryTracing();
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 });
  const meterProvider = new MeterProvider({ readers: [reader] });
  monitor = createMonitor({ serviceName: 'privacy', otel: { tracerProvider: tracing.provider, meterProvider }, resources: false, ...options });
  const rec = recorder(monitor);
  const openai = monitor.wrap(
    new OpenAI({ apiKey: API_KEY, baseURL: server.url, maxRetries: 0, defaultHeaders: { 'x-api-key': API_KEY } }),
  );
  const anthropic = monitor.wrap(new Anthropic({ apiKey: ANTHROPIC_KEY, baseURL: claude.url, maxRetries: 0 }));
  // The dashboard's data, and the detectors' events, are outputs too.
  const events: unknown[] = [];
  monitor.on('anomaly', (e) => events.push(e));
  monitor.on('drift', (e) => events.push(e));
  const web = express();
  web.use(monitor.express({ dashboardPath: '/llm-vitals', guard: () => true }));
  app = web.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => app!.once('listening', () => resolve()));
  const dashboard = `http://127.0.0.1:${(app.address() as AddressInfo).port}/llm-vitals/data.json`;
  /** Everything the monitor put out, as one string per output. */
  async function outputs(): Promise<Record<string, string>> {
    await settle();
    await reader.forceFlush();
    return {
      exposition: await monitor.metrics(),
      snapshot: JSON.stringify(monitor.snapshot()),
      records: JSON.stringify(rec.records),
      errors: rec.errors
        .map((e) => {
          const cause = (e as MonitorError).cause as Error | undefined;
          return `${e.message}\n${e.stack}\n${String(cause)}\n${cause?.stack ?? ''}\n${JSON.stringify(e)}`;
        })
        .join('\n'),
      spans: JSON.stringify(
        tracing.exporter.getFinishedSpans().map((s) => ({ name: s.name, attributes: s.attributes, events: s.events, status: s.status, links: s.links })),
      ),
      otelMetrics: JSON.stringify(metricExporter.getMetrics()),
      dashboard: await (await fetch(dashboard)).text(),
      detectorEvents: JSON.stringify(events),
    };
  }
  return { rec, openai, anthropic, tracing, outputs };
}

/** Sends the marker through every path; returns how many records it makes. */
async function sendMarkerEverywhere(openai: OpenAI, anthropic: Anthropic): Promise<number> {
  const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
    { role: 'system', content: `System prompt ${MARKER}` },
    { role: 'user', content: [{ type: 'text', text: `User prompt ${MARKER}` }] },
    { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: JSON.stringify({ q: MARKER }) } }] },
    { role: 'tool', tool_call_id: 'call_1', content: `Tool result ${MARKER}` },
  ];
  const tools: OpenAI.Chat.ChatCompletionTool[] = [
    { type: 'function', function: { name: 'lookup', description: `Looks up ${MARKER}`, parameters: { type: 'object', properties: {} } } },
  ];
  let calls = 0;
  // 1. Completion text and tool-call arguments, non-streamed.
  server.enqueue({
    body: chatCompletion({ content: `Answer ${MARKER}`, toolCalls: [{ id: 'call_2', name: 'lookup', arguments: JSON.stringify({ q: MARKER }) }] }),
  });
  await openai.chat.completions.create({ model: 'gpt-4o-mini', messages, tools, user: MARKER });
  calls++;
  // 2. Streamed deltas and tool-call arguments, with JSON asked for (the evaluators parse it).
  server.enqueue({
    chunks: chatChunks([`Streamed ${MARKER}`, ' more'], { toolCalls: [{ id: 'call_3', name: 'lookup', arguments: `{"q":"${MARKER}"` }] }),
  });
  for await (const _ of await openai.chat.completions.create({ model: 'gpt-4o', messages, tools, stream: true, response_format: { type: 'json_object' } }));
  calls++;
  // 3. An error body that quotes the prompt.
  server.enqueue({ status: 400, body: { error: { message: `Invalid prompt: ${MARKER}`, type: 'invalid_request_error', param: MARKER, code: null } } });
  await expect(openai.chat.completions.create({ model: 'gpt-4o-mini', messages })).rejects.toThrow(MARKER);
  calls++;
  // 4. A 200 whose body is not JSON, and quotes the prompt.
  server.enqueue({ body: `not json ${MARKER}`, headers: { 'content-type': 'application/json' } });
  await expect(openai.chat.completions.create({ model: 'gpt-4o-mini', messages })).rejects.toThrow();
  calls++;
  // 5. A stream cut midway, after text with the marker, with no usage (the tokenizer reads the text).
  server.enqueue({ chunks: chatChunks([`Cut ${MARKER}`, ' never sent']), dropAfterChunks: 2 });
  await expect(
    (async () => {
      for await (const _ of await openai.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true }));
    })(),
  ).rejects.toThrow();
  calls++;
  // 6. No usage at all: the tokenizer estimates from the prompt and the completion.
  server.enqueue({ body: chatCompletion({ content: `Unmetered ${MARKER}`, usage: null }) });
  await openai.chat.completions.create({ model: 'gpt-4o-mini', messages });
  calls++;
  // 7. Responses API, 8. legacy Completions, 9. Embeddings.
  server.enqueue({ body: responseObject({ text: `Responses ${MARKER}` }) });
  await openai.responses.create({ model: 'gpt-4o-mini', instructions: `Instructions ${MARKER}`, input: `Input ${MARKER}` });
  server.enqueue({ body: completion({ text: `Completion ${MARKER}` }) });
  await openai.completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: `Prompt ${MARKER}` });
  await openai.embeddings.create({ model: 'text-embedding-3-small', input: [`Embed ${MARKER}`] });
  calls += 3;
  // 10. Anthropic Messages: system, prompt, thinking, text and tool input.
  claude.enqueue({
    body: message({ text: `Claude ${MARKER}`, thinking: `Thinking ${MARKER}`, toolUse: { id: 'toolu_1', name: 'lookup', input: { q: MARKER } } }),
  });
  await anthropic.messages.create({ model: CLAUDE_MODEL, max_tokens: 64, system: `System ${MARKER}`, messages: [{ role: 'user', content: `Prompt ${MARKER}` }] });
  calls++;
  return calls;
}

describe('with the default options', () => {
  it('lets the marker out nowhere: not in metrics, snapshot, records, errors, spans, OTel metrics, dashboard or detector events', async () => {
    const { rec, openai, anthropic, tracing, outputs } = await setUp();
    // A throwing listener makes on('error') payloads to search too.
    monitor.on('call', () => {
      throw new Error('listener failed');
    });
    const calls = await sendMarkerEverywhere(openai, anthropic);
    await rec.waitFor(calls);
    await waitForSpans(tracing.exporter, calls);
    const out = await outputs();
    // The outputs are not empty: they did see the calls.
    expect(rec.records).toHaveLength(calls);
    expect(rec.errors.length).toBeGreaterThan(0);
    expect(out.exposition).toContain('gen_ai_client_operation_duration_seconds');
    expect(out.spans).toContain('chat gpt-4o-mini');
    expect(out.otelMetrics).toContain('gen_ai.client.operation.duration');
    expect(JSON.parse(out.dashboard).snapshot.calls).toBe(calls);
    // The server did receive the marker, so it was there to leak.
    expect(JSON.stringify(server.requests.map((r) => r.body))).toContain(MARKER);
    for (const [name, text] of Object.entries(out)) {
      expect(text.includes(MARKER), `${name} contains the marker`).toBe(false);
    }
    // And nothing holds content by default.
    for (const r of rec.records) expect(r.content).toBeUndefined();
  });

  it('never lets the API keys or the Authorization header out', async () => {
    const { rec, openai, anthropic, tracing, outputs } = await setUp();
    const calls = await sendMarkerEverywhere(openai, anthropic);
    await rec.waitFor(calls);
    await waitForSpans(tracing.exporter, calls);
    const out = await outputs();
    // The servers got them.
    expect(server.requests.at(-1)!.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(claude.requests.at(-1)!.headers.authorization).toBe(`Bearer ${ANTHROPIC_KEY}`);
    for (const [name, text] of Object.entries(out)) {
      expect(text.includes(API_KEY), `${name} contains the OpenAI key`).toBe(false);
      expect(text.includes(ANTHROPIC_KEY), `${name} contains the Anthropic key`).toBe(false);
      expect(/bearer/i.test(text), `${name} contains a bearer credential`).toBe(false);
    }
  });
});

describe('with content capture on', () => {
  it('captures every path, redacted: the marker is there, the keys and the Authorization header are not', async () => {
    const { rec, openai, anthropic, tracing, outputs } = await setUp({ capture: { content: true } });
    // The prompt itself carries a key and an Authorization header, as a pasted config would.
    server.enqueue({ body: chatCompletion({ content: `Sure: Authorization: Bearer ${API_KEY}` }) });
    await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: `Use ${API_KEY} and ${ANTHROPIC_KEY}, header "Authorization: Bearer ${API_KEY}"` }],
    });
    const calls = 1 + (await sendMarkerEverywhere(openai, anthropic));
    await rec.waitFor(calls);
    await waitForSpans(tracing.exporter, calls);
    const out = await outputs();
    // Content did get out, where it was opted in: records and spans.
    expect(out.records).toContain(MARKER);
    expect(out.spans).toContain(MARKER);
    // Still never in metrics or the snapshot.
    expect(out.exposition.includes(MARKER)).toBe(false);
    expect(out.snapshot.includes(MARKER)).toBe(false);
    for (const [name, text] of Object.entries(out)) {
      expect(text.includes(API_KEY), `${name} contains the OpenAI key`).toBe(false);
      expect(text.includes(ANTHROPIC_KEY), `${name} contains the Anthropic key`).toBe(false);
    }
    const first = rec.records.find((r) => r.requestModel === 'gpt-4o-mini' && JSON.stringify(r.content).includes('Use '))!;
    expect(first.content!.input).toEqual([
      {
        role: 'user',
        parts: [{ type: 'text', content: 'Use [redacted:openai_key] and [redacted:anthropic_key], header "Authorization: Bearer [redacted:openai_key]"' }],
      },
    ]);
    expect(first.content!.output).toEqual([
      { role: 'assistant', parts: [{ type: 'text', content: 'Sure: Authorization: Bearer [redacted:openai_key]' }], finish_reason: 'stop' },
    ]);
  });
});
