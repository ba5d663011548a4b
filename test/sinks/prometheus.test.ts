import { spawnSync } from 'node:child_process';
import http from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { Registry } from 'prom-client';
import { createMonitor, type Monitor } from '../../src/index.js';
import { BUCKETS } from '../../src/semconv.js';
import { chatChunks, DEFAULT_TEXT_PIECES, startOpenAIServer, type OpenAITestServer } from '../support/openai-server.js';
import { recorder } from '../support/records.js';
import { samplesOf, valueOf } from '../support/exposition.js';
import { missingToolMessage, tools } from '../support/tools.mjs';

let server: OpenAITestServer;
let monitor: Monitor;
beforeAll(async () => {
  server = await startOpenAIServer();
});
afterAll(() => server.close());
afterEach(() => monitor?.shutdown());

const messages = [{ role: 'user' as const, content: 'Say hello.' }];
const chat = { gen_ai_operation_name: 'chat', gen_ai_provider_name: 'openai', gen_ai_request_model: 'gpt-4o-mini' };
const ok = { ...chat, gen_ai_response_model: 'gpt-4o-mini' };

function client(m: Monitor) {
  return m.wrap(new OpenAI({ apiKey: 'k', baseURL: server.url, maxRetries: 0 }));
}

/** Two completed calls, one stream with usage, one 429. */
async function traffic(m: Monitor) {
  const rec = recorder(m);
  const openai = client(m);
  await openai.chat.completions.create({ model: 'gpt-4o-mini', messages });
  await openai.chat.completions.create({ model: 'gpt-4o-mini', messages });
  server.enqueue({ chunks: chatChunks(DEFAULT_TEXT_PIECES, { usage: { prompt_tokens: 7, completion_tokens: 5, total_tokens: 12 } }) });
  for await (const _ of await openai.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true }));
  server.enqueue({ status: 429, headers: { 'retry-after': '1' } });
  await openai.chat.completions.create({ model: 'gpt-4o-mini', messages }).catch(() => undefined);
  return rec.waitFor(4);
}

describe('Prometheus exposition', () => {
  it('exports the GenAI histograms with the values of the calls made', async () => {
    monitor = createMonitor();
    const records = await traffic(monitor);
    const text = await monitor.metrics();

    expect(valueOf(text, 'gen_ai_client_operation_duration_seconds_count', ok)).toBe(3);
    const sum = valueOf(text, 'gen_ai_client_operation_duration_seconds_sum', ok)!;
    const expectedSum = records.filter((r) => r.outcome === 'completed').reduce((s, r) => s + r.duration / 1000, 0);
    expect(sum).toBeCloseTo(expectedSum, 9);
    expect(valueOf(text, 'gen_ai_client_operation_duration_seconds_count', { ...chat, error_type: 'rate_limit' })).toBe(1);

    // The conventions' boundaries, cumulative, ending in +Inf.
    const buckets = samplesOf(text, 'gen_ai_client_operation_duration_seconds_bucket', ok);
    expect(buckets.map((b) => b.labels.le)).toEqual([...BUCKETS.duration.map(String), '+Inf']);
    expect(buckets.at(-1)!.value).toBe(3);
    for (let i = 1; i < buckets.length; i++) expect(buckets[i].value).toBeGreaterThanOrEqual(buckets[i - 1].value);

    // Input tokens 11, 11 and 7: buckets le=4 holds none, le=16 all three.
    const input = { ...ok, gen_ai_token_type: 'input' };
    expect(valueOf(text, 'gen_ai_client_token_usage_bucket', { ...input, le: '4' })).toBe(0);
    expect(valueOf(text, 'gen_ai_client_token_usage_bucket', { ...input, le: '16' })).toBe(3);
    expect(valueOf(text, 'gen_ai_client_token_usage_sum', input)).toBe(29);
    expect(valueOf(text, 'gen_ai_client_token_usage_sum', { ...ok, gen_ai_token_type: 'output' })).toBe(15);

    // Streams only: one first-chunk time, and one per-chunk gap for each chunk after the first.
    expect(valueOf(text, 'gen_ai_client_operation_time_to_first_chunk_seconds_count', ok)).toBe(1);
    expect(valueOf(text, 'gen_ai_client_operation_time_per_output_chunk_seconds_count', ok)).toBe(DEFAULT_TEXT_PIECES.length - 1);
    const stream = records.find((r) => r.streaming)!;
    expect(valueOf(text, 'gen_ai_client_operation_time_to_first_chunk_seconds_sum', ok)).toBeCloseTo(stream.timeToFirstChunk! / 1000, 9);
  });

  it('exports the llm_vitals counters: calls by outcome, errors by type, tokens by type and source', async () => {
    monitor = createMonitor();
    await traffic(monitor);
    const text = await monitor.metrics();
    expect(valueOf(text, 'llm_vitals_calls_total', { ...ok, outcome: 'completed' })).toBe(3);
    expect(valueOf(text, 'llm_vitals_calls_total', { ...chat, outcome: 'failed' })).toBe(1);
    expect(valueOf(text, 'llm_vitals_errors_total', { ...chat, error_type: 'rate_limit' })).toBe(1);
    expect(valueOf(text, 'llm_vitals_tokens_total', { ...ok, gen_ai_token_type: 'input', source: 'reported' })).toBe(29);
    expect(valueOf(text, 'llm_vitals_tokens_total', { ...ok, gen_ai_token_type: 'cached_input', source: 'reported' })).toBe(4);
    expect(valueOf(text, 'llm_vitals_tokens_total', { ...ok, gen_ai_token_type: 'reasoning', source: 'reported' })).toBe(2);
    expect(valueOf(text, 'llm_vitals_in_flight_calls', chat)).toBe(0);
    expect(valueOf(text, 'llm_vitals_output_tokens_per_second_count', ok)).toBe(3);
  });

  it('counts estimated tokens under source="estimated"', async () => {
    monitor = createMonitor();
    const rec = recorder(monitor);
    const openai = client(monitor);
    for await (const _ of await openai.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true }));
    const [r] = await rec.waitFor(1);
    const text = await monitor.metrics();
    expect(valueOf(text, 'llm_vitals_tokens_total', { ...ok, gen_ai_token_type: 'output', source: 'estimated' })).toBe(r.outputTokens!.count);
    expect(valueOf(text, 'llm_vitals_tokens_total', { ...ok, gen_ai_token_type: 'output', source: 'reported' })).toBeUndefined();
  });

  it('shows a call in flight while it runs', async () => {
    monitor = createMonitor();
    const openai = client(monitor);
    server.enqueue({ delayBeforeHeadersMs: 300 });
    const pending = openai.chat.completions.create({ model: 'gpt-4o-mini', messages });
    await new Promise((r) => setTimeout(r, 100));
    expect(valueOf(await monitor.metrics(), 'llm_vitals_in_flight_calls', chat)).toBe(1);
    expect(monitor.snapshot().inFlight).toBe(1);
    await pending;
    expect(valueOf(await monitor.metrics(), 'llm_vitals_in_flight_calls', chat)).toBe(0);
  });

  it('folds label values past the cardinality limit into "other" and counts them', async () => {
    monitor = createMonitor({ maxLabelValues: 2 });
    const rec = recorder(monitor);
    const openai = client(monitor);
    for (const model of ['m1', 'm2', 'm3', 'm4']) {
      server.enqueue({ body: { id: 'x', object: 'chat.completion', created: 0, model, choices: [], usage: { prompt_tokens: 1, completion_tokens: 1 } } });
      await openai.chat.completions.create({ model, messages });
    }
    await rec.waitFor(4);
    const text = await monitor.metrics();
    const models = new Set(samplesOf(text, 'llm_vitals_calls_total').map((s) => s.labels.gen_ai_request_model));
    expect(models).toEqual(new Set(['m1', 'm2', 'other']));
    expect(valueOf(text, 'llm_vitals_calls_total', { ...chat, gen_ai_request_model: 'other', gen_ai_response_model: 'other', outcome: 'completed' })).toBe(2);
    expect(valueOf(text, 'llm_vitals_label_overflow_total', { label: 'gen_ai_request_model' })).toBe(2);
    expect(valueOf(text, 'llm_vitals_label_overflow_total', { label: 'gen_ai_response_model' })).toBe(2);
  });

  it('passes promtool check metrics with no complaint', async () => {
    const promtool = tools.promtool;
    expect(promtool, missingToolMessage('promtool')).toBeDefined();
    monitor = createMonitor();
    await traffic(monitor);
    const text = await monitor.metrics();
    const result = spawnSync(promtool!, ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
    // And it does complain about a badly named metric, so the check above can fail.
    const bad = spawnSync(promtool!, ['check', 'metrics'], { input: '# HELP x_total y\n# TYPE x_total gauge\nx_total 1\n', encoding: 'utf8' });
    expect(bad.stdout + bad.stderr).not.toBe('');
  });

  it('registers on the registry the app passes, and refuses a second monitor on it by naming the option', async () => {
    const registry = new Registry();
    monitor = createMonitor({ registry });
    expect(monitor.registry).toBe(registry);
    await traffic(monitor);
    expect(valueOf(await registry.metrics(), 'llm_vitals_calls_total', { ...ok, outcome: 'completed' })).toBe(3);
    expect(() => createMonitor({ registry })).toThrow(/option "registry"/);
  });

  it('lets a new monitor take the registry over after shutdown (a beforeEach), and still refuses a second live one', async () => {
    const registry = new Registry();
    const families = async () => [...(await registry.metrics()).matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]);
    let first: string[] | undefined;
    for (let round = 0; round < 3; round++) {
      monitor = createMonitor({ registry });
      // Every family: calls, quality, detectors, resources, and the Express request metrics made on demand.
      monitor.express();
      await traffic(monitor);
      const names = await families();
      expect(new Set(names).size).toBe(names.length);
      if (first === undefined) first = names;
      else expect(names.sort()).toEqual([...first].sort());
      // Counts start again with each monitor.
      expect(valueOf(await registry.metrics(), 'llm_vitals_calls_total', { ...ok, outcome: 'completed' })).toBe(3);
      expect(() => createMonitor({ registry })).toThrow(/createMonitor: option "registry" could not take the llm-vitals .*; use one monitor per registry/);
      await monitor.shutdown();
      // What the monitor counted is still scraped until a new one takes the names over.
      expect(valueOf(await registry.metrics(), 'llm_vitals_calls_total', { ...ok, outcome: 'completed' })).toBe(3);
    }
    expect(first).toEqual(expect.arrayContaining(['llm_vitals_calls_total', 'llm_vitals_anomalies_total', 'llm_vitals_request_llm_calls']));
  });

  it('lets a new monitor take an OpenMetrics registry over after shutdown', async () => {
    const registry = new Registry<typeof Registry.OPENMETRICS_CONTENT_TYPE>();
    registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    monitor = createMonitor({ registry: registry as unknown as Registry, resources: false });
    await traffic(monitor);
    // Rendering renames counters in place (`llm_vitals_calls`): they must still be found by the name they were registered under.
    expect(await registry.metrics()).toContain('# TYPE llm_vitals_calls counter');
    await monitor.shutdown();
    monitor = createMonitor({ registry: registry as unknown as Registry, resources: false });
    await traffic(monitor);
    expect(await registry.metrics()).toContain('llm_vitals_calls_total{');
  });

  it('serves the exposition from metricsHandler() with the Prometheus content type', async () => {
    monitor = createMonitor();
    await traffic(monitor);
    const app = http.createServer(monitor.metricsHandler());
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    const { port } = app.address() as { port: number };
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(valueOf(await res.text(), 'llm_vitals_calls_total', { ...ok, outcome: 'completed' })).toBe(3);
    await new Promise((r) => app.close(r));
  });

  it('exports nothing when prometheus is off', async () => {
    monitor = createMonitor({ prometheus: false });
    await traffic(monitor);
    expect(await monitor.metrics()).not.toContain('llm_vitals_calls_total');
    expect(monitor.snapshot().calls).toBe(4);
  });
});
