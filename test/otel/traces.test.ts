import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { context, SpanKind, SpanStatusCode, trace, type Attributes } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { AlwaysOffSampler, type Sampler, SamplingDecision } from '@opentelemetry/sdk-trace-base';
import { createMonitor, type CallRecord, type Monitor } from '../../src/index.js';
import { chatChunks, DEFAULT_TEXT, DEFAULT_TEXT_PIECES, startOpenAIServer, type OpenAITestServer } from '../support/openai-server.js';
import { CLAUDE_MODEL, startAnthropicServer, type AnthropicTestServer } from '../support/anthropic-server.js';
import { recorder } from '../support/records.js';
import { durationMs, memoryTracing, settle, startMs, waitForSpans } from './support.js';

let server: OpenAITestServer;
let claude: AnthropicTestServer;
let monitor: Monitor;
let rec: ReturnType<typeof recorder>;
let tracing: ReturnType<typeof memoryTracing>;

const messages = [
  { role: 'system' as const, content: 'You are terse.' },
  { role: 'user' as const, content: 'Say hello.' },
];

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
  delete process.env.OTEL_SEMCONV_STABILITY_OPT_IN;
});

function fresh(options: Parameters<typeof createMonitor>[0] = {}) {
  tracing = memoryTracing();
  monitor = createMonitor({ serviceName: 'test', otel: { tracerProvider: tracing.provider }, ...options });
  rec = recorder(monitor);
}

function openai() {
  return monitor.wrap(new OpenAI({ apiKey: 'test-key', baseURL: server.url, maxRetries: 0 }));
}

/** Every attribute value flattened to strings, to check no prompt or completion text got out. */
const allText = (attributes: Attributes) => JSON.stringify(Object.values(attributes));

describe('a span per call', () => {
  it('has ended the span of every call that had ended once monitor.flush() resolves', async () => {
    fresh();
    await openai().chat.completions.create({ model: 'gpt-4o-mini', messages });
    // A stream without usage: its span ends after the tokenizer has counted it.
    for await (const _ of await openai().chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true }));
    await monitor.flush();
    await tracing.provider.forceFlush();
    const spans = tracing.exporter.getFinishedSpans().filter((s) => s.instrumentationScope.name === 'llm-vitals');
    expect(spans.map((s) => s.attributes['llm_vitals.usage.output_tokens.source'])).toEqual(['reported', 'estimated']);
  });

  it('names a CLIENT span after the operation and model and carries every request and response attribute', async () => {
    fresh();
    await openai().chat.completions.create({
      model: 'gpt-4o-mini',
      messages,
      temperature: 0.2,
      top_p: 0.9,
      max_completion_tokens: 50,
      frequency_penalty: 0.1,
      presence_penalty: 0.3,
      seed: 7,
      stop: ['END'],
      n: 2,
    });
    const [r] = await rec.waitFor(1);
    const [span] = await waitForSpans(tracing.exporter, 1);
    expect(span.name).toBe('chat gpt-4o-mini');
    expect(span.kind).toBe(SpanKind.CLIENT);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.attributes).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'server.address': '127.0.0.1',
      'server.port': server.port,
      'gen_ai.request.temperature': 0.2,
      'gen_ai.request.top_p': 0.9,
      'gen_ai.request.max_tokens': 50,
      'gen_ai.request.frequency_penalty': 0.1,
      'gen_ai.request.presence_penalty': 0.3,
      'gen_ai.request.seed': 7,
      'gen_ai.request.stop_sequences': ['END'],
      'gen_ai.request.choice.count': 2,
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
      // The app's reading time after the body arrived, in seconds, apart from the duration.
      'llm_vitals.consumer_wait': r.consumerWait! / 1000,
    });
    // The span is the call: same start (to the clock's grain) and exactly the record's duration.
    expect(Math.abs(durationMs(span) - r.duration)).toBeLessThan(0.01);
    // Two clocks: the span starts on the monotonic clock (as the app's other spans do), the record's
    // startTime is wall-clock epoch ms; they drift apart by a few ms over a process's life.
    expect(Math.abs(startMs(span) - r.startTime)).toBeLessThan(50);
    expect(span.parentSpanContext).toBeUndefined();
    // Content capture is off by default: no message text on the span.
    expect(allText(span.attributes)).not.toContain('Say hello');
    expect(allText(span.attributes)).not.toContain(DEFAULT_TEXT);
    expect(span.events).toEqual([]);
  });

  it('gives the sampler the sampling-relevant attributes at span start', async () => {
    const seen: { name: string; kind: SpanKind; attributes: Attributes }[] = [];
    const sampler: Sampler = {
      shouldSample(_ctx, _traceId, name, kind, attributes) {
        seen.push({ name, kind, attributes: { ...attributes } });
        return { decision: SamplingDecision.RECORD_AND_SAMPLED };
      },
      toString: () => 'capturing',
    };
    tracing = memoryTracing(sampler);
    monitor = createMonitor({ otel: { tracerProvider: tracing.provider } });
    rec = recorder(monitor);
    const stream = await openai().chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true, temperature: 0 });
    for await (const _ of stream);
    await waitForSpans(tracing.exporter, 1);
    expect(seen).toEqual([
      {
        name: 'chat gpt-4o-mini',
        kind: SpanKind.CLIENT,
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': 'openai',
          'gen_ai.request.model': 'gpt-4o-mini',
          'server.address': '127.0.0.1',
          'server.port': server.port,
          'gen_ai.request.stream': true,
          'gen_ai.request.temperature': 0,
        },
      },
    ]);
  });

  it('times a 200 ms server delay into the span', async () => {
    fresh();
    server.enqueue({ delayBeforeHeadersMs: 200 });
    await openai().chat.completions.create({ model: 'gpt-4o-mini', messages });
    const [span] = await waitForSpans(tracing.exporter, 1);
    expect(durationMs(span)).toBeGreaterThanOrEqual(200);
    expect(durationMs(span)).toBeLessThan(2000);
  });

  it('records a Responses API call', async () => {
    fresh();
    await openai().responses.create({ model: 'gpt-4o-mini', input: 'Say hello.', max_output_tokens: 64 });
    const [span] = await waitForSpans(tracing.exporter, 1);
    expect(span.name).toBe('chat gpt-4o-mini');
    expect(span.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.max_tokens': 64,
      'gen_ai.response.id': 'resp_test',
      'gen_ai.response.finish_reasons': ['completed'],
      'gen_ai.usage.input_tokens': 11,
      'gen_ai.usage.output_tokens': 5,
      'gen_ai.usage.cache_read.input_tokens': 0,
      'gen_ai.usage.reasoning.output_tokens': 0,
    });
    expect(span.attributes).not.toHaveProperty('gen_ai.request.stream');
  });

  it('records an embeddings call with its encoding format and input tokens only', async () => {
    fresh();
    await openai().embeddings.create({ model: 'text-embedding-3-small', input: 'hello', encoding_format: 'float' });
    const [span] = await waitForSpans(tracing.exporter, 1);
    expect(span.name).toBe('embeddings text-embedding-3-small');
    expect(span.attributes).toMatchObject({
      'gen_ai.operation.name': 'embeddings',
      'gen_ai.request.encoding_formats': ['float'],
      'gen_ai.response.model': 'text-embedding-3-small',
      'gen_ai.usage.input_tokens': 4,
      'llm_vitals.outcome': 'completed',
    });
    expect(span.attributes).not.toHaveProperty('gen_ai.usage.output_tokens');
    expect(span.attributes).not.toHaveProperty('gen_ai.response.finish_reasons');
  });
});

describe('streams', () => {
  it('ends the span when the stream ends, with time to first chunk and estimated usage marked so', async () => {
    fresh();
    server.enqueue({ chunks: chatChunks(DEFAULT_TEXT_PIECES), delayBeforeFirstChunkMs: 150, delayBetweenChunksMs: 20 });
    const stream = await openai().chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta?.content ?? '';
    expect(text).toBe(DEFAULT_TEXT);
    const [r] = await rec.waitFor(1);
    const [span] = await waitForSpans(tracing.exporter, 1);
    expect(span.attributes['gen_ai.request.stream']).toBe(true);
    expect(span.attributes['gen_ai.response.time_to_first_chunk']).toBe(r.timeToFirstChunk! / 1000);
    expect(span.attributes['gen_ai.response.time_to_first_chunk'] as number).toBeGreaterThanOrEqual(0.15);
    expect(span.attributes).toMatchObject({
      'llm_vitals.response.chunks': 5,
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.output_tokens': r.outputTokens!.count,
      'llm_vitals.usage.output_tokens.source': 'estimated',
      'llm_vitals.usage.input_tokens.source': 'estimated',
      'llm_vitals.notes': ['usage_missing'],
      'llm_vitals.outcome': 'completed',
    });
    // Estimation ran after the stream ended; the span still ends when the call did.
    expect(Math.abs(durationMs(span) - r.duration)).toBeLessThan(0.01);
    expect(durationMs(span)).toBeGreaterThanOrEqual(150 + 4 * 15);
  });

  it('ends the span, not as an error, when the consumer breaks out early', async () => {
    fresh();
    server.enqueue({ chunks: chatChunks(DEFAULT_TEXT_PIECES), delayBetweenChunksMs: 30 });
    const stream = await openai().chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    let seen = 0;
    for await (const c of stream) {
      if (c.choices[0]?.delta?.content) seen++;
      if (seen === 2) break;
    }
    const [span] = await waitForSpans(tracing.exporter, 1);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.attributes).toMatchObject({ 'llm_vitals.outcome': 'cancelled', 'llm_vitals.response.chunks': 2 });
    expect(span.attributes).not.toHaveProperty('error.type');
  });

  it('marks a stream aborted through its AbortSignal as an error of type aborted', async () => {
    fresh();
    server.enqueue({ chunks: chatChunks(DEFAULT_TEXT_PIECES), delayBetweenChunksMs: 80 });
    const controller = new AbortController();
    const stream = await openai().chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true }, { signal: controller.signal });
    // Abort after the second chunk reached the app (an event, not a timer).
    let seen = 0;
    await (async () => {
      for await (const _ of stream) if (++seen === 2) controller.abort();
    })().catch((e) => e);
    const [span] = await waitForSpans(tracing.exporter, 1);
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes).toMatchObject({ 'error.type': 'aborted', 'llm_vitals.outcome': 'aborted' });
    expect(span.attributes['llm_vitals.response.chunks'] as number).toBeLessThan(5);
  });

  it('marks a connection dropped midway as a network error, with the exception recorded', async () => {
    fresh();
    server.enqueue({ chunks: chatChunks(DEFAULT_TEXT_PIECES), dropAfterChunks: 3, sendDone: false });
    const stream = await openai().chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    const error = await (async () => {
      for await (const _ of stream);
    })().catch((e) => e);
    expect(error).toBeInstanceOf(Error);
    const [r] = await rec.waitFor(1);
    const [span] = await waitForSpans(tracing.exporter, 1);
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: r.errorClass });
    expect(span.attributes).toMatchObject({ 'error.type': 'network', 'llm_vitals.outcome': 'failed', 'llm_vitals.response.chunks': 2 });
    expect(span.events.map((e) => [e.name, e.attributes?.['exception.type']])).toEqual([['exception', r.errorClass]]);
  });
});

describe('errors', () => {
  it('sets error.type, status ERROR and the exception on a 429, and the app gets the same error', async () => {
    fresh();
    server.enqueue({ status: 429, headers: { 'retry-after': '7' } });
    const error = await openai().chat.completions.create({ model: 'gpt-4o-mini', messages }).catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    const [span] = await waitForSpans(tracing.exporter, 1);
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'RateLimitError' });
    expect(span.attributes).toMatchObject({ 'error.type': 'rate_limit', 'http.response.status_code': 429, 'llm_vitals.outcome': 'failed' });
    expect(span.attributes).not.toHaveProperty('gen_ai.usage.input_tokens');
    expect(span.events).toHaveLength(1);
    expect(span.events[0].name).toBe('exception');
    expect(span.events[0].attributes).toEqual({ 'exception.type': 'RateLimitError' });
    // The exception event sits at the end of the call.
    expect(span.events[0].time).toEqual(span.endTime);
  });

  it('records a request aborted before the response as aborted', async () => {
    fresh();
    server.enqueue({ delayBeforeHeadersMs: 2000 });
    const controller = new AbortController();
    const sent = server.requests.length;
    const pending = openai().chat.completions.create({ model: 'gpt-4o-mini', messages }, { signal: controller.signal }).catch((e) => e);
    // Abort once the server has the request (an event, not a timer racing the server's delay).
    while (server.requests.length === sent) await new Promise((r) => setTimeout(r, 2));
    controller.abort();
    const error = await pending;
    expect(error).toBeInstanceOf(OpenAI.APIUserAbortError);
    const [span] = await waitForSpans(tracing.exporter, 1);
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes).toMatchObject({ 'error.type': 'aborted', 'llm_vitals.outcome': 'aborted' });
    expect(span.events[0].attributes).toEqual({ 'exception.type': 'APIUserAbortError' });
    expect(durationMs(span)).toBeLessThan(2000);
  });

  it('starts and ends the span of a call that throws before returning anything', async () => {
    fresh();
    const failing = monitor.wrap({
      baseURL: 'https://api.openai.com/v1',
      chat: {
        completions: {
          create(_body: unknown) {
            throw new TypeError('bad arguments');
          },
        },
      },
    });
    expect(() => failing.chat.completions.create({ model: 'gpt-4o-mini', messages })).toThrow('bad arguments');
    const [span] = await waitForSpans(tracing.exporter, 1);
    expect(span.name).toBe('chat gpt-4o-mini');
    expect(span.attributes).toMatchObject({ 'server.address': 'api.openai.com', 'server.port': 443, 'error.type': 'unknown', 'llm_vitals.outcome': 'failed' });
    expect(span.events[0].attributes).toEqual({ 'exception.type': 'TypeError' });
  });

  it('keeps a tracer that throws away from the app, and reports it as a fault of otel_traces', async () => {
    const broken = { getTracer: () => ({ startSpan: () => { throw new Error('tracer down'); } }) };
    monitor = createMonitor({ otel: { tracerProvider: broken } });
    rec = recorder(monitor);
    const res = await openai().chat.completions.create({ model: 'gpt-4o-mini', messages });
    expect(res.choices[0].message.content).toBe(DEFAULT_TEXT);
    await rec.waitFor(1);
    await settle();
    expect(rec.errors.map((e: any) => [e.component, e.cause?.message])).toEqual([['otel_traces', 'tracer down']]);
    expect(await monitor.metrics()).toContain('llm_vitals_internal_errors_total{component="otel_traces"} 1');
  });
});

describe('trace context', () => {
  const contextManager = new AsyncLocalStorageContextManager();
  beforeAll(() => {
    context.setGlobalContextManager(contextManager.enable());
  });
  afterAll(() => {
    context.disable();
  });

  it('nests the span under the span active when the app made the call, across awaits', async () => {
    fresh();
    const tracer = tracing.provider.getTracer('app');
    const client = openai();
    const parent = await tracer.startActiveSpan('POST /chat', { kind: SpanKind.SERVER }, async (span) => {
      await new Promise((r) => setTimeout(r, 5));
      await client.chat.completions.create({ model: 'gpt-4o-mini', messages });
      const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
      for await (const _ of stream);
      span.end();
      return span.spanContext();
    });
    // Outside the handler: a root span.
    await client.embeddings.create({ model: 'text-embedding-3-small', input: 'x' });
    await monitor.flush();
    const spans = await waitForSpans(tracing.exporter, 3);
    // Found by what they are, not by the order they ended in (the stream's waits for the tokenizer).
    const chat = spans.find((s) => s.name === 'chat gpt-4o-mini' && s.attributes['gen_ai.request.stream'] === undefined)!;
    const streamed = spans.find((s) => s.attributes['gen_ai.request.stream'] === true)!;
    const embeddings = spans.find((s) => s.name.startsWith('embeddings'))!;
    for (const child of [chat, streamed]) {
      expect(child.spanContext().traceId).toBe(parent.traceId);
      expect(child.parentSpanContext?.spanId).toBe(parent.spanId);
    }
    expect(embeddings.spanContext().traceId).not.toBe(parent.traceId);
    expect(embeddings.parentSpanContext).toBeUndefined();
  });

  it('finds a global SDK registered after the monitor was created, and only then reads request parameters', async () => {
    tracing = memoryTracing();
    monitor = createMonitor({ serviceName: 'late' });
    rec = recorder(monitor);
    const client = openai();
    await client.chat.completions.create({ model: 'gpt-4o-mini', messages, temperature: 0.5 });
    const [before] = await rec.waitFor(1);
    await settle();
    expect(tracing.exporter.getFinishedSpans()).toHaveLength(0);
    // No SDK yet: the request was not even read for its parameters.
    expect(before.request).toEqual({});
    expect(trace.setGlobalTracerProvider(tracing.provider)).toBe(true);
    try {
      await client.chat.completions.create({ model: 'gpt-4o-mini', messages, temperature: 0.5 });
      const [span] = await waitForSpans(tracing.exporter, 1);
      expect(span.attributes['gen_ai.request.temperature']).toBe(0.5);
      expect(rec.records[1].request).toEqual({ temperature: 0.5 });
    } finally {
      trace.disable();
    }
  });
});

describe('alerts and content', () => {
  it('turns the alerts on the record into span events, whichever sink put them there', async () => {
    const alerts: CallRecord['alerts'] = [
      { kind: 'anomaly', signal: 'latency', score: 0.97, threshold: 0.9, value: 1234 },
      { kind: 'drift', signal: 'output_tokens', score: 0.8, threshold: 0.7 },
    ];
    // An app sink runs after the built-in ones, the spans sink included: the span must still carry them.
    const detector = { name: 'fake_detector', callEnded: (r: CallRecord) => void (r.alerts = alerts) };
    fresh({ sinks: [detector] });
    await openai().chat.completions.create({ model: 'gpt-4o-mini', messages });
    const [span] = await waitForSpans(tracing.exporter, 1);
    expect(span.events.map((e) => ({ name: e.name, attributes: e.attributes }))).toEqual([
      {
        name: 'llm_vitals.anomaly',
        attributes: { 'llm_vitals.alert.signal': 'latency', 'llm_vitals.alert.score': 0.97, 'llm_vitals.alert.threshold': 0.9, 'llm_vitals.alert.value': 1234 },
      },
      {
        name: 'llm_vitals.drift',
        attributes: { 'llm_vitals.alert.signal': 'output_tokens', 'llm_vitals.alert.score': 0.8, 'llm_vitals.alert.threshold': 0.7 },
      },
    ]);
  });

  it('puts captured content, and only that, on gen_ai.input.messages / gen_ai.output.messages as JSON', async () => {
    const content = {
      input: [{ role: 'user', parts: [{ type: 'text', content: 'Say [REDACTED].' }] }],
      output: [{ role: 'assistant', parts: [{ type: 'text', content: 'Hello from the…' }], finish_reason: 'stop' }],
    };
    const capture = { name: 'fake_capture', callEnded: (r: CallRecord) => void (r.content = content) };
    fresh({ sinks: [capture] });
    await openai().chat.completions.create({ model: 'gpt-4o-mini', messages });
    const [span] = await waitForSpans(tracing.exporter, 1);
    expect(JSON.parse(span.attributes['gen_ai.input.messages'] as string)).toEqual(content.input);
    expect(JSON.parse(span.attributes['gen_ai.output.messages'] as string)).toEqual(content.output);
    expect(allText(span.attributes)).not.toContain('Say hello');
  });
});

describe('sampling and switches', () => {
  it('does nothing more for a span the sampler drops', async () => {
    tracing = memoryTracing(new AlwaysOffSampler());
    monitor = createMonitor({ otel: { tracerProvider: tracing.provider } });
    rec = recorder(monitor);
    await openai().chat.completions.create({ model: 'gpt-4o-mini', messages });
    await rec.waitFor(1);
    await settle();
    expect(tracing.exporter.getFinishedSpans()).toHaveLength(0);
    expect(rec.errors).toEqual([]);
  });

  it('makes no span with otel: false or otel.traces: false', async () => {
    for (const otel of [false, { traces: false }] as const) {
      tracing = memoryTracing();
      expect(trace.setGlobalTracerProvider(tracing.provider)).toBe(true);
      try {
        monitor = createMonitor({ otel });
        rec = recorder(monitor);
        await openai().chat.completions.create({ model: 'gpt-4o-mini', messages, temperature: 1 });
        const [r] = await rec.waitFor(1);
        await settle();
        expect(tracing.exporter.getFinishedSpans()).toHaveLength(0);
        expect(r.request).toEqual({});
        await monitor.shutdown();
      } finally {
        trace.disable();
      }
    }
  });

  it('rejects bad otel options with a TypeError naming the option', () => {
    expect(() => createMonitor({ otel: 'yes' as any })).toThrow(/option "otel" must be an object/);
    expect(() => createMonitor({ otel: { tracerProvider: {} as any } })).toThrow(/option "otel.tracerProvider" must be an OpenTelemetry TracerProvider/);
    expect(() => createMonitor({ otel: { meterProvider: 3 as any } })).toThrow(/option "otel.meterProvider" must be an OpenTelemetry MeterProvider/);
    expect(() => createMonitor({ otel: { traces: 'on' as any } })).toThrow(/option "otel.traces" must be a boolean/);
    expect(() => createMonitor({ otel: { sampler: 1 } as any })).toThrow(/unknown option "otel.sampler"/);
  });
});

describe('Anthropic', () => {
  const anthropic = () => monitor.wrap(new Anthropic({ apiKey: 'test-key', baseURL: claude.url, maxRetries: 0 }));

  it('records a Messages call with cache read and cache creation tokens and top_k', async () => {
    fresh();
    // top_k is not in this SDK's typings any more; the API still takes it.
    const body = { model: CLAUDE_MODEL, max_tokens: 256, top_k: 40, messages: [{ role: 'user', content: 'Say hello.' }] } as Anthropic.MessageCreateParamsNonStreaming;
    await anthropic().messages.create(body);
    const [r] = await rec.waitFor(1);
    const [span] = await waitForSpans(tracing.exporter, 1);
    expect(span.name).toBe(`chat ${CLAUDE_MODEL}`);
    expect(span.attributes).toMatchObject({
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.request.max_tokens': 256,
      'gen_ai.request.top_k': 40,
      'gen_ai.response.id': 'msg_test',
      'gen_ai.response.finish_reasons': ['end_turn'],
      'gen_ai.usage.input_tokens': r.inputTokens!.count,
      'gen_ai.usage.output_tokens': 6,
      'gen_ai.usage.cache_read.input_tokens': 4,
      'gen_ai.usage.cache_creation.input_tokens': 3,
    });
  });

  it('records a streamed Messages call', async () => {
    fresh();
    const stream = await anthropic().messages.create({ model: CLAUDE_MODEL, max_tokens: 256, stream: true, messages: [{ role: 'user', content: 'Hi' }] });
    for await (const _ of stream);
    const [r] = await rec.waitFor(1);
    const [span] = await waitForSpans(tracing.exporter, 1);
    expect(span.attributes).toMatchObject({
      'gen_ai.request.stream': true,
      'gen_ai.response.finish_reasons': ['end_turn'],
      'gen_ai.usage.output_tokens': 6,
      'gen_ai.response.time_to_first_chunk': r.timeToFirstChunk! / 1000,
      'llm_vitals.response.chunks': r.chunks,
    });
  });

  it('names the cache-write count gen_ai.usage.cache_write.input_tokens with gen_ai_latest_experimental', async () => {
    process.env.OTEL_SEMCONV_STABILITY_OPT_IN = 'http, gen_ai_latest_experimental';
    fresh();
    await anthropic().messages.create({ model: CLAUDE_MODEL, max_tokens: 16, messages: [{ role: 'user', content: 'Hi' }] });
    const [span] = await waitForSpans(tracing.exporter, 1);
    expect(span.attributes['gen_ai.usage.cache_write.input_tokens']).toBe(3);
    expect(span.attributes).not.toHaveProperty('gen_ai.usage.cache_creation.input_tokens');
    expect(span.attributes['gen_ai.usage.cache_read.input_tokens']).toBe(4);
  });
});
