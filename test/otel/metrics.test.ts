import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { metrics } from '@opentelemetry/api';
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type HistogramMetricData,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import { createMonitor, type Monitor } from '../../src/index.js';
import { BUCKETS } from '../../src/semconv.js';
import { chatChunks, DEFAULT_TEXT_PIECES, startOpenAIServer, type OpenAITestServer } from '../support/openai-server.js';
import { recorder } from '../support/records.js';
import { settle } from './support.js';

let server: OpenAITestServer;
let monitor: Monitor;
let rec: ReturnType<typeof recorder>;
let sdk: ReturnType<typeof meterSdk>;

const messages = [{ role: 'user' as const, content: 'Say hello.' }];

beforeAll(async () => {
  server = await startOpenAIServer();
});
afterAll(async () => {
  await server.close();
});
afterEach(async () => {
  await monitor?.shutdown();
  await sdk?.provider.shutdown();
  delete process.env.OTEL_SEMCONV_STABILITY_OPT_IN;
});

/** An SDK meter provider whose reader exports, on demand, to memory (cumulative). */
function meterSdk() {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  // A long interval: exports happen when the test flushes, not on a timer.
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ readers: [reader] });
  return {
    provider,
    /** The metrics as exported after the deferred observations have run, by name. */
    async collect(): Promise<Map<string, MetricData>> {
      await settle();
      return this.collectNow();
    },
    /** The metrics as exported now, without letting a turn pass first (after `monitor.flush()`). */
    async collectNow(): Promise<Map<string, MetricData>> {
      await reader.forceFlush();
      const latest = exporter.getMetrics().at(-1);
      const out = new Map<string, MetricData>();
      for (const scope of latest?.scopeMetrics ?? []) {
        if (scope.scope.name !== 'llm-vitals') continue;
        for (const metric of scope.metrics) out.set(metric.descriptor.name, metric);
      }
      return out;
    },
  };
}

function fresh(options: Parameters<typeof createMonitor>[0] = {}) {
  sdk = meterSdk();
  monitor = createMonitor({ otel: { meterProvider: sdk.provider }, ...options });
  rec = recorder(monitor);
}

const openai = () => monitor.wrap(new OpenAI({ apiKey: 'test-key', baseURL: server.url, maxRetries: 0 }));

function histogramOf(all: Map<string, MetricData>, name: string): HistogramMetricData {
  const metric = all.get(name);
  expect(metric, `metric ${name}`).toBeDefined();
  expect(metric!.dataPointType).toBe(DataPointType.HISTOGRAM);
  return metric as HistogramMetricData;
}

/** The data point whose attributes are exactly these. */
function pointOf(metric: HistogramMetricData, attributes: Record<string, unknown>) {
  const point = metric.dataPoints.find((p) => JSON.stringify(sorted(p.attributes)) === JSON.stringify(sorted(attributes)));
  expect(point, `${metric.descriptor.name} point ${JSON.stringify(attributes)} among ${JSON.stringify(metric.dataPoints.map((p) => p.attributes))}`).toBeDefined();
  return point!;
}

const sorted = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));

/** Bucket counts that a histogram with these boundaries has after observing these values. */
function expectedCounts(boundaries: readonly number[], values: number[]): number[] {
  const counts = new Array(boundaries.length + 1).fill(0);
  for (const v of values) {
    const i = boundaries.findIndex((b) => v <= b);
    counts[i === -1 ? boundaries.length : i]++;
  }
  return counts;
}

describe('GenAI client histograms through the OTel meter', () => {
  it('has recorded every call that had ended once monitor.flush() resolves', async () => {
    fresh();
    await openai().chat.completions.create({ model: 'gpt-4o-mini', messages });
    for await (const _ of await openai().chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true }));
    await monitor.flush();
    const all = await sdk.collectNow();
    const duration = histogramOf(all, 'gen_ai.client.operation.duration');
    expect(duration.dataPoints.reduce((n, p) => n + p.value.count, 0)).toBe(2);
  });

  it('records duration and token usage with the conventions’ attributes and bucket boundaries', async () => {
    fresh();
    await openai().chat.completions.create({ model: 'gpt-4o-mini', messages });
    const [r] = await rec.waitFor(1);
    const all = await sdk.collect();
    const base = {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.response.model': 'gpt-4o-mini',
      'server.address': '127.0.0.1',
      'server.port': server.port,
    };

    const duration = histogramOf(all, 'gen_ai.client.operation.duration');
    expect(duration.descriptor.unit).toBe('s');
    const d = pointOf(duration, base);
    expect(d.value.count).toBe(1);
    expect(d.value.sum).toBeCloseTo(r.duration / 1000, 9);
    expect(d.value.buckets.boundaries).toEqual(BUCKETS.duration);
    expect(d.value.buckets.counts).toEqual(expectedCounts(BUCKETS.duration, [r.duration / 1000]));

    const tokens = histogramOf(all, 'gen_ai.client.token.usage');
    expect(tokens.descriptor.unit).toBe('{token}');
    const input = pointOf(tokens, { ...base, 'gen_ai.token.type': 'input', 'llm_vitals.token.source': 'reported' });
    const output = pointOf(tokens, { ...base, 'gen_ai.token.type': 'output', 'llm_vitals.token.source': 'reported' });
    expect([input.value.sum, input.value.count, output.value.sum, output.value.count]).toEqual([11, 1, 5, 1]);
    expect(input.value.buckets.boundaries).toEqual(BUCKETS.tokenUsage);
    // 11 tokens fall in (4, 16], 5 tokens too: the third bucket.
    expect(input.value.buckets.counts).toEqual([0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(output.value.buckets.counts).toEqual(input.value.buckets.counts);

    // Not a stream: no streaming histograms.
    expect(all.has('gen_ai.client.operation.time_to_first_chunk')).toBe(false);
    expect(all.has('gen_ai.client.operation.time_per_output_chunk')).toBe(false);
  });

  it('records time to first chunk once and the gap after each later chunk for a stream', async () => {
    fresh();
    server.enqueue({ chunks: chatChunks(DEFAULT_TEXT_PIECES), delayBeforeFirstChunkMs: 120, delayBetweenChunksMs: 25 });
    const stream = await openai().chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true, stream_options: { include_usage: true } });
    for await (const _ of stream);
    const [r] = await rec.waitFor(1);
    const all = await sdk.collect();

    const ttfc = histogramOf(all, 'gen_ai.client.operation.time_to_first_chunk');
    expect(ttfc.descriptor.unit).toBe('s');
    expect(ttfc.dataPoints).toHaveLength(1);
    const first = ttfc.dataPoints[0].value;
    expect(first.count).toBe(1);
    expect(first.sum).toBeCloseTo(r.timeToFirstChunk! / 1000, 9);
    expect(first.sum!).toBeGreaterThanOrEqual(0.12);
    expect(first.buckets.boundaries).toEqual(BUCKETS.timeToFirstChunk);

    const perChunk = histogramOf(all, 'gen_ai.client.operation.time_per_output_chunk').dataPoints[0].value;
    const gaps = r.chunkIntervals!.map((ms) => ms / 1000);
    expect(gaps).toHaveLength(4);
    expect(perChunk.count).toBe(4);
    expect(perChunk.sum).toBeCloseTo(gaps.reduce((a, b) => a + b, 0), 9);
    expect(perChunk.min).toBeGreaterThanOrEqual(0.02);
    expect(perChunk.buckets.boundaries).toEqual(BUCKETS.timePerOutputChunk);
    expect(perChunk.buckets.counts).toEqual(expectedCounts(BUCKETS.timePerOutputChunk, gaps));
  });

  it('puts error.type on the duration of a failed call and keeps it out of token usage', async () => {
    fresh();
    server.enqueue({ status: 429 }, { status: 500 });
    await openai().chat.completions.create({ model: 'gpt-4o-mini', messages }).catch(() => {});
    await openai().chat.completions.create({ model: 'gpt-4o-mini', messages }).catch(() => {});
    await openai().chat.completions.create({ model: 'gpt-4o-mini', messages });
    await rec.waitFor(3);
    const all = await sdk.collect();
    const duration = histogramOf(all, 'gen_ai.client.operation.duration');
    const failed = { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o-mini', 'server.address': '127.0.0.1', 'server.port': server.port };
    expect(pointOf(duration, { ...failed, 'error.type': 'rate_limit' }).value.count).toBe(1);
    expect(pointOf(duration, { ...failed, 'error.type': 'http_5xx' }).value.count).toBe(1);
    expect(pointOf(duration, { ...failed, 'gen_ai.response.model': 'gpt-4o-mini' }).value.count).toBe(1);
    const tokens = histogramOf(all, 'gen_ai.client.token.usage');
    expect(tokens.dataPoints.map((p) => p.value.count)).toEqual([1, 1]);
  });

  it('says when a token count was estimated', async () => {
    fresh();
    const stream = await openai().chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    for await (const _ of stream);
    const [r] = await rec.waitFor(1);
    const tokens = histogramOf(await sdk.collect(), 'gen_ai.client.token.usage');
    const output = tokens.dataPoints.find((p) => p.attributes['gen_ai.token.type'] === 'output')!;
    expect(output.attributes['llm_vitals.token.source']).toBe('estimated');
    expect(output.value.sum).toBe(r.outputTokens!.count);
  });

  it('folds models past the cardinality limit into "other", as the Prometheus metrics do', async () => {
    fresh({ maxLabelValues: 1 });
    const client = openai();
    await client.chat.completions.create({ model: 'gpt-4o-mini', messages });
    await client.chat.completions.create({ model: 'gpt-4.1', messages });
    await rec.waitFor(2);
    const duration = histogramOf(await sdk.collect(), 'gen_ai.client.operation.duration');
    expect(duration.dataPoints.map((p) => [p.attributes['gen_ai.request.model'], p.attributes['gen_ai.response.model']])).toEqual([
      ['gpt-4o-mini', 'gpt-4o-mini'],
      ['other', 'other'],
    ]);
  });

  it('finds a global meter provider registered after the monitor was created', async () => {
    sdk = meterSdk();
    monitor = createMonitor();
    rec = recorder(monitor);
    const client = openai();
    await client.chat.completions.create({ model: 'gpt-4o-mini', messages });
    await rec.waitFor(1);
    expect(metrics.setGlobalMeterProvider(sdk.provider)).toBe(true);
    try {
      await client.chat.completions.create({ model: 'gpt-4o-mini', messages });
      await rec.waitFor(2);
      const duration = histogramOf(await sdk.collect(), 'gen_ai.client.operation.duration');
      // Only the call made after the SDK arrived.
      expect(duration.dataPoints.map((p) => p.value.count)).toEqual([1]);
    } finally {
      metrics.disable();
    }
  });

  it('uses the newer GenAI metric names with OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental', async () => {
    process.env.OTEL_SEMCONV_STABILITY_OPT_IN = 'gen_ai_latest_experimental';
    fresh();
    server.enqueue({ status: 429 });
    const client = openai();
    await client.chat.completions.create({ model: 'gpt-4o-mini', messages }).catch(() => {});
    const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true, stream_options: { include_usage: true } });
    for await (const _ of stream);
    await client.embeddings.create({ model: 'text-embedding-3-small', input: 'hello' });
    await rec.waitFor(3);
    const all = await sdk.collect();
    expect([...all.keys()].sort()).toEqual([
      'gen_ai.client.embeddings.duration',
      'gen_ai.client.embeddings.operation.input_tokens',
      'gen_ai.client.inference.duration',
      'gen_ai.client.inference.operation.input_tokens',
      'gen_ai.client.inference.operation.output_tokens',
      'gen_ai.client.inference.time_per_output_chunk',
      'gen_ai.client.inference.time_to_first_chunk',
      'llm_vitals.client.consumer_wait',
    ]);
    const chat = { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o-mini', 'server.address': '127.0.0.1', 'server.port': server.port };
    const input = histogramOf(all, 'gen_ai.client.inference.operation.input_tokens');
    // The failed call counts, as 0 tokens, with its error type; the stream with its reported 11.
    expect(pointOf(input, { ...chat, 'error.type': 'rate_limit' }).value.sum).toBe(0);
    expect(pointOf(input, { ...chat, 'gen_ai.response.model': 'gpt-4o-mini', 'llm_vitals.token.source': 'reported' }).value.sum).toBe(11);
    expect(input.dataPoints[0].value.buckets.boundaries).toEqual(BUCKETS.tokenUsage);
    const embeddings = histogramOf(all, 'gen_ai.client.embeddings.operation.input_tokens');
    expect(embeddings.dataPoints.map((p) => p.value.sum)).toEqual([4]);
    expect(histogramOf(all, 'gen_ai.client.inference.duration').dataPoints.map((p) => p.value.count)).toEqual([1, 1]);
    expect(histogramOf(all, 'gen_ai.client.embeddings.duration').dataPoints[0].value.buckets.boundaries).toEqual(BUCKETS.duration);
  });
});
