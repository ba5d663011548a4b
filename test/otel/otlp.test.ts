import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import { gunzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { SpanKind, trace } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { InMemorySpanExporter, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { createMonitor, type Monitor } from '../../src/index.js';
import { setupOtel } from '../../src/otel/index.js';
import { startOpenAIServer, type OpenAITestServer } from '../support/openai-server.js';
import { recorder } from '../support/records.js';

/** A stand-in for an OpenTelemetry Collector's OTLP/HTTP receiver: keeps every request to /v1/traces. */
async function startReceiver() {
  const requests: { contentType: string | undefined; body: any }[] = [];
  const srv = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c) => parts.push(c));
    req.on('end', () => {
      let raw = Buffer.concat(parts);
      if (req.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
      if (req.method === 'POST' && req.url === '/v1/traces') {
        requests.push({ contentType: req.headers['content-type'], body: JSON.parse(raw.toString('utf8')) });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
      } else {
        res.writeHead(404);
        res.end();
      }
    });
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/v1/traces`, requests, close: () => new Promise<void>((r) => srv.close(() => r())) };
}

/** An OTLP JSON AnyValue as a plain value. */
function plain(value: any): unknown {
  if ('stringValue' in value) return value.stringValue;
  if ('boolValue' in value) return value.boolValue;
  if ('intValue' in value) return Number(value.intValue);
  if ('doubleValue' in value) return value.doubleValue;
  if ('arrayValue' in value) return (value.arrayValue.values ?? []).map(plain);
  throw new Error(`unexpected AnyValue ${JSON.stringify(value)}`);
}
const attributesOf = (list: any[] = []) => Object.fromEntries(list.map((a) => [a.key, plain(a.value)]));

let llm: OpenAITestServer;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let monitor: Monitor;

beforeAll(async () => {
  llm = await startOpenAIServer();
  receiver = await startReceiver();
});
afterAll(async () => {
  await llm.close();
  await receiver.close();
});
afterEach(async () => {
  await monitor?.shutdown();
});

describe('OTLP/HTTP, over the wire', () => {
  it('delivers the spans to a receiver on shutdown, with the GenAI attributes, nested under the app span', async () => {
    // The monitor exists before the SDK does, as when the SDK is set up in a later import.
    monitor = createMonitor({ serviceName: 'otlp-test' });
    const rec = recorder(monitor);
    // A long batch delay: nothing is exported until shutdown flushes.
    const otel = setupOtel({
      exporter: new OTLPTraceExporter({ url: receiver.url }),
      serviceName: 'otlp-test',
      resourceAttributes: { 'service.version': '1.2.3' },
      batch: { scheduledDelayMillis: 60_000 },
    });
    const openai = monitor.wrap(new OpenAI({ apiKey: 'k', baseURL: llm.url, maxRetries: 0 }));
    const app = trace.getTracer('app');
    const parent = await app.startActiveSpan('POST /ask', { kind: SpanKind.SERVER }, async (span) => {
      await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], temperature: 0.2 });
      const stream = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true });
      for await (const _ of stream);
      span.end();
      return span.spanContext();
    });
    const records = await rec.waitFor(2);
    expect(receiver.requests).toHaveLength(0);

    await monitor.shutdown();
    await otel.shutdown();

    expect(receiver.requests.length).toBeGreaterThanOrEqual(1);
    expect(receiver.requests[0].contentType).toBe('application/json');
    const resourceSpans = receiver.requests.flatMap((r) => r.body.resourceSpans);
    expect(attributesOf(resourceSpans[0].resource.attributes)).toMatchObject({ 'service.name': 'otlp-test', 'service.version': '1.2.3' });
    const scopes = resourceSpans.flatMap((rs: any) => rs.scopeSpans);
    const ours = scopes.filter((s: any) => s.scope.name === 'llm-vitals').flatMap((s: any) => s.spans);
    expect(ours).toHaveLength(2);
    const [chat, streamed] = ours;

    for (const span of ours) {
      expect(span.name).toBe('chat gpt-4o-mini');
      expect(span.kind).toBe(3); // SPAN_KIND_CLIENT in OTLP
      expect(span.traceId).toBe(parent.traceId);
      expect(span.parentSpanId).toBe(parent.spanId);
    }
    expect(attributesOf(chat.attributes)).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'server.address': '127.0.0.1',
      'server.port': llm.port,
      'gen_ai.request.temperature': 0.2,
      'gen_ai.response.model': 'gpt-4o-mini',
      'gen_ai.response.id': 'chatcmpl-test',
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 11,
      'gen_ai.usage.output_tokens': 5,
      'gen_ai.usage.cache_read.input_tokens': 2,
      'gen_ai.usage.reasoning.output_tokens': 1,
      'llm_vitals.usage.input_tokens.source': 'reported',
      'llm_vitals.usage.output_tokens.source': 'reported',
      'llm_vitals.outcome': 'completed',
      'http.response.status_code': 200,
      'llm_vitals.consumer_wait': expect.any(Number),
    });
    // Typed on the wire as the conventions type them.
    const wire = Object.fromEntries(chat.attributes.map((a: any) => [a.key, Object.keys(a.value)[0]]));
    expect(wire).toMatchObject({
      'gen_ai.usage.input_tokens': 'intValue',
      'server.port': 'intValue',
      'gen_ai.request.temperature': 'doubleValue',
      'gen_ai.response.finish_reasons': 'arrayValue',
    });
    const streamedAttributes = attributesOf(streamed.attributes);
    expect(streamedAttributes['gen_ai.request.stream']).toBe(true);
    expect(streamedAttributes['gen_ai.response.time_to_first_chunk']).toBeCloseTo(records[1].timeToFirstChunk! / 1000, 9);
    // The span's length on the wire is the call's duration.
    const wireMs = Number(BigInt(chat.endTimeUnixNano) - BigInt(chat.startTimeUnixNano)) / 1e6;
    expect(Math.abs(wireMs - records[0].duration)).toBeLessThan(0.01);

    // Shutdown unregistered the provider: the global is a no-op again.
    expect(trace.getTracer('after').startSpan('x').isRecording()).toBe(false);
  });

  it('with register: false leaves the globals alone and flushes its batch on shutdown', async () => {
    const exported: ReadableSpan[] = [];
    const exporter: SpanExporter = {
      export: (spans, done) => {
        exported.push(...spans);
        done({ code: ExportResultCode.SUCCESS });
      },
      shutdown: async () => {},
    };
    process.env.OTEL_SERVICE_NAME = 'from-env';
    process.env.OTEL_RESOURCE_ATTRIBUTES = 'deployment.environment.name=test';
    let otel: ReturnType<typeof setupOtel>;
    try {
      otel = setupOtel({ exporter, register: false, batch: { scheduledDelayMillis: 60_000 } });
    } finally {
      delete process.env.OTEL_SERVICE_NAME;
      delete process.env.OTEL_RESOURCE_ATTRIBUTES;
    }
    expect(trace.getTracer('x').startSpan('x').isRecording()).toBe(false);
    monitor = createMonitor({ otel: { tracerProvider: otel.tracerProvider } });
    const rec = recorder(monitor);
    const openai = monitor.wrap(new OpenAI({ apiKey: 'k', baseURL: llm.url, maxRetries: 0 }));
    await openai.embeddings.create({ model: 'text-embedding-3-small', input: 'hi' });
    const [r] = await rec.waitFor(1);
    // Only the helper's shutdown, with no monitor.shutdown() first: its first turn lets the span end.
    await otel.shutdown();
    expect(exported.map((s) => [s.name, s.attributes['gen_ai.usage.input_tokens']])).toEqual([['embeddings text-embedding-3-small', r.inputTokens!.count]]);
    // The resource takes OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, as an SDK would.
    expect(exported[0].resource.attributes).toMatchObject({ 'service.name': 'from-env', 'deployment.environment.name': 'test' });
    await otel.shutdown();
  });

  it('validates its options with TypeErrors that name them', () => {
    expect(() => setupOtel(undefined as any)).toThrow(/setupOtel: options must be an object/);
    expect(() => setupOtel({} as any)).toThrow(/option "exporter" must be a SpanExporter/);
    expect(() => setupOtel({ exporter: new InMemorySpanExporter(), serviceName: '' })).toThrow(/option "serviceName"/);
    expect(() => setupOtel({ exporter: new InMemorySpanExporter(), endpoint: 'x' } as any)).toThrow(/unknown option "endpoint"/);
    expect(() => setupOtel({ exporter: new InMemorySpanExporter(), contextManager: {} as any })).toThrow(/option "contextManager" must be a ContextManager/);
  });
});
