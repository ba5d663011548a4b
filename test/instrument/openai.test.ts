import { describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { chatChunks, chatCompletion, DEFAULT_TEXT, DEFAULT_TEXT_PIECES } from '../support/openai-server.js';
import { openAIFixture } from '../support/fixture.js';

const t = openAIFixture({ serviceName: 'test' });

const messages = [
  { role: 'system' as const, content: 'You are terse.' },
  { role: 'user' as const, content: 'Say hello.' },
];

function clients(options: ConstructorParameters<typeof OpenAI>[0] = {}) {
  const plain = new OpenAI({ apiKey: 'test-key', baseURL: t.server.url, maxRetries: 0, ...options });
  const wrapped = t.monitor.wrap(new OpenAI({ apiKey: 'test-key', baseURL: t.server.url, maxRetries: 0, ...options }));
  return { plain, wrapped };
}

describe('non-streaming chat completions', () => {
  it('returns exactly what the unwrapped client returns and records one call with the reported usage', async () => {
    t.fresh();
    const { plain, wrapped } = clients();
    const expected = await plain.chat.completions.create({ model: 'gpt-4o-mini', messages });
    const got = await wrapped.chat.completions.create({ model: 'gpt-4o-mini', messages });
    expect(JSON.parse(JSON.stringify(got))).toEqual({ ...JSON.parse(JSON.stringify(expected)), created: got.created });
    expect(Object.getPrototypeOf(got)).toBe(Object.getPrototypeOf(expected));
    const [r] = await t.rec.waitFor(1);
    expect(t.rec.records).toHaveLength(1);
    expect(r).toMatchObject({
      provider: 'openai',
      operation: 'chat',
      requestModel: 'gpt-4o-mini',
      responseModel: 'gpt-4o-mini',
      responseId: 'chatcmpl-test',
      streaming: false,
      serverAddress: '127.0.0.1',
      serverPort: t.server.port,
      inputTokens: { count: 11, source: 'reported' },
      outputTokens: { count: 5, source: 'reported' },
      cachedInputTokens: { count: 2, source: 'reported' },
      reasoningTokens: { count: 1, source: 'reported' },
      finishReasons: ['stop'],
      outcome: 'completed',
      errorType: undefined,
      timeToFirstChunk: undefined,
      notes: [],
    });
    expect(r.outputTokensPerSecond).toBeCloseTo(5 / (r.duration / 1000), 6);
  });

  it('measures a 200 ms server delay as at least 200 ms of latency', async () => {
    t.fresh();
    const { wrapped } = clients();
    t.server.enqueue({ delayBeforeHeadersMs: 200 });
    await wrapped.chat.completions.create({ model: 'gpt-4o-mini', messages });
    const [r] = await t.rec.waitFor(1);
    expect(r.duration).toBeGreaterThanOrEqual(200);
    expect(r.duration).toBeLessThan(1000);
  });

  it('keeps .withResponse() working and records it once', async () => {
    t.fresh();
    const { wrapped } = clients();
    const { data, response, request_id } = await wrapped.chat.completions.create({ model: 'gpt-4o-mini', messages }).withResponse();
    expect(data.choices[0].message.content).toBe(DEFAULT_TEXT);
    expect(response.status).toBe(200);
    expect(request_id).toBe(response.headers.get('x-request-id'));
    await t.rec.settle();
    expect(t.rec.records).toHaveLength(1);
    expect(t.rec.records[0].outputTokens).toEqual({ count: 5, source: 'reported' });
  });

  it('keeps .asResponse() body readable by the app and records the call without reading the body', async () => {
    t.fresh();
    const { wrapped } = clients();
    const response = await wrapped.chat.completions.create({ model: 'gpt-4o-mini', messages }).asResponse();
    const body = await response.json();
    expect(body.choices[0].message.content).toBe(DEFAULT_TEXT);
    await t.rec.settle();
    expect(t.rec.records).toHaveLength(1);
    expect(t.rec.records[0]).toMatchObject({ outcome: 'completed', httpStatus: 200, notes: ['raw_response'] });
  });

  it('rethrows a 429 unchanged and records it as rate_limit', async () => {
    t.fresh();
    const { plain, wrapped } = clients();
    t.server.enqueue({ status: 429, headers: { 'retry-after': '7' } }, { status: 429, headers: { 'retry-after': '7' } });
    const expected = await plain.chat.completions.create({ model: 'gpt-4o-mini', messages }).catch((e) => e);
    const got = await wrapped.chat.completions.create({ model: 'gpt-4o-mini', messages }).catch((e) => e);
    expect(got).toBeInstanceOf(OpenAI.RateLimitError);
    expect(got.constructor).toBe(expected.constructor);
    expect(got.status).toBe(429);
    expect(got.message).toBe(expected.message);
    expect(got.headers.get('retry-after')).toBe('7');
    expect(got.error).toEqual(expected.error);
    const [r] = await t.rec.waitFor(1);
    expect(r).toMatchObject({
      outcome: 'failed',
      errorType: 'rate_limit',
      errorClass: 'RateLimitError',
      httpStatus: 429,
      inputTokens: undefined,
      outputTokens: undefined,
    });
    expect(t.rec.records).toHaveLength(1);
  });

  it('records a 500 as http_5xx and a 400 as http_4xx', async () => {
    t.fresh();
    const { wrapped } = clients();
    t.server.enqueue({ status: 500 }, { status: 400 });
    await expect(wrapped.chat.completions.create({ model: 'gpt-4o-mini', messages })).rejects.toBeInstanceOf(OpenAI.InternalServerError);
    await expect(wrapped.chat.completions.create({ model: 'gpt-4o-mini', messages })).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    const records = await t.rec.waitFor(2);
    expect(records.map((r) => [r.errorType, r.httpStatus])).toEqual([
      ['http_5xx', 500],
      ['http_4xx', 400],
    ]);
  });

  it('records a request aborted before the response as aborted', async () => {
    t.fresh();
    const { wrapped } = clients();
    t.server.enqueue({ delayBeforeHeadersMs: 2000 });
    const controller = new AbortController();
    const sent = t.server.requests.length;
    const pending = wrapped.chat.completions.create({ model: 'gpt-4o-mini', messages }, { signal: controller.signal }).catch((e) => e);
    // Abort once the server has the request (an event, not a timer racing the server's delay).
    while (t.server.requests.length === sent) await new Promise((r) => setTimeout(r, 2));
    const abortedAt = performance.now();
    controller.abort();
    const error = await pending;
    expect(error).toBeInstanceOf(OpenAI.APIUserAbortError);
    const [r] = await t.rec.waitFor(1);
    expect(r).toMatchObject({ outcome: 'aborted', errorType: 'aborted', errorClass: 'APIUserAbortError' });
    expect(r.duration).toBeLessThan(2000);
    expect(performance.now() - abortedAt).toBeLessThan(1500);
  });

  it('estimates tokens, marked estimated, when the response has no usage', async () => {
    t.fresh();
    const { wrapped } = clients();
    t.server.enqueue({ body: chatCompletion({ usage: null } as any) });
    const res = await wrapped.chat.completions.create({ model: 'gpt-4o-mini', messages });
    expect(res.usage).toBeNull();
    const [r] = await t.rec.waitFor(1);
    const promptText = messages.map((m) => m.content).join('\n');
    expect(r.inputTokens).toEqual({ count: countTokens(promptText) + 2 * 3 + 3, source: 'estimated' });
    expect(r.outputTokens).toEqual({ count: countTokens(DEFAULT_TEXT), source: 'estimated' });
    expect(r.notes).toContain('usage_missing');
  });

  it('leaves tokens unknown when estimation is off', async () => {
    t.fresh({ tokens: { estimate: false } });
    const { wrapped } = clients();
    const { usage: _, ...withoutUsage } = chatCompletion();
    t.server.enqueue({ body: withoutUsage });
    await wrapped.chat.completions.create({ model: 'gpt-4o-mini', messages });
    const [r] = await t.rec.waitFor(1);
    expect(r.inputTokens).toBeUndefined();
    expect(r.outputTokens).toBeUndefined();
    expect(r.notes).toContain('usage_missing');
  });
});

describe('streaming chat completions', () => {
  it('yields the same chunks in the same order, keeps the Stream class, and times the first chunk from the request', async () => {
    t.fresh();
    const { plain, wrapped } = clients();
    const reply = { chunks: chatChunks(DEFAULT_TEXT_PIECES), delayBeforeFirstChunkMs: 150, delayBetweenChunksMs: 20 };
    t.server.enqueue(reply, reply);
    const expectedStream = await plain.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    const expected: unknown[] = [];
    for await (const c of expectedStream) expected.push(c);

    const stream = await wrapped.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    expect(stream.constructor).toBe(expectedStream.constructor);
    expect(typeof stream.tee).toBe('function');
    expect(typeof stream.toReadableStream).toBe('function');
    expect(stream.controller).toBeInstanceOf(AbortController);
    const got: any[] = [];
    for await (const c of stream) got.push(c);
    const strip = (cs: any[]) => cs.map((c) => ({ ...c, created: 0 }));
    expect(strip(got)).toEqual(strip(expected));
    expect(got.map((c) => c.choices[0].delta.content ?? '').join('')).toBe(DEFAULT_TEXT);

    const [r] = await t.rec.waitFor(1);
    expect(t.rec.records).toHaveLength(1);
    expect(r.streaming).toBe(true);
    expect(r.outcome).toBe('completed');
    expect(r.timeToFirstChunk!).toBeGreaterThanOrEqual(150);
    expect(r.chunks).toBe(5);
    expect(r.chunkIntervals).toHaveLength(4);
    // Gaps between arrivals: two events the network delivers in one read share a time (gap 0) on a busy
    // machine, but the server's 20 ms spacing holds on average.
    for (const gap of r.chunkIntervals!) expect(gap).toBeGreaterThanOrEqual(0);
    expect(r.timePerOutputChunk!).toBeGreaterThanOrEqual(15);
    expect(r.duration).toBeGreaterThan(r.timeToFirstChunk!);
    expect(r.finishReasons).toEqual(['stop']);
    expect(r.responseModel).toBe('gpt-4o-mini');
  });

  it('estimates the tokens of a stream without usage from the prompt and the streamed text', async () => {
    t.fresh();
    const { wrapped } = clients();
    const stream = await wrapped.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    for await (const _ of stream);
    const [r] = await t.rec.waitFor(1);
    expect(r.outputTokens).toEqual({ count: countTokens(DEFAULT_TEXT), source: 'estimated' });
    expect(r.inputTokens?.source).toBe('estimated');
    expect(r.notes).toContain('usage_missing');
    expect(r.outputTokensPerSecond).toBeGreaterThan(0);
  });

  it('asks for usage when includeStreamUsage is on, and hides the usage-only chunk from the app', async () => {
    t.fresh({ tokens: { includeStreamUsage: true } });
    const { plain, wrapped } = clients();
    const expected: any[] = [];
    for await (const c of await plain.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true })) expected.push(c);
    const body = { model: 'gpt-4o-mini', messages, stream: true as const };
    const got: any[] = [];
    for await (const c of await wrapped.chat.completions.create(body)) got.push(c);

    expect(t.server.requests.at(-1)!.body.stream_options).toEqual({ include_usage: true });
    expect(body).not.toHaveProperty('stream_options');
    expect(got.every((c) => c.choices.length > 0)).toBe(true);
    const strip = (cs: any[]) => cs.map((c) => ({ ...c, created: 0 }));
    expect(strip(got)).toEqual(strip(expected));
    const [r] = await t.rec.waitFor(1);
    expect(r.inputTokens).toEqual({ count: 11, source: 'reported' });
    expect(r.outputTokens).toEqual({ count: 5, source: 'reported' });
    expect(r.chunks).toBe(5);
  });

  it('shows the usage chunk when the app asked for it itself', async () => {
    t.fresh({ tokens: { includeStreamUsage: true } });
    const { wrapped } = clients();
    const got: any[] = [];
    const stream = await wrapped.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true, stream_options: { include_usage: true } });
    for await (const c of stream) got.push(c);
    expect(got.at(-1).choices).toEqual([]);
    expect(got.at(-1).usage.completion_tokens).toBe(5);
    const [r] = await t.rec.waitFor(1);
    expect(r.outputTokens).toEqual({ count: 5, source: 'reported' });
  });

  it('ends the record once, as cancelled, when the consumer breaks out of the stream', async () => {
    t.fresh();
    const { wrapped } = clients();
    t.server.enqueue({ chunks: chatChunks(DEFAULT_TEXT_PIECES), delayBetweenChunksMs: 30 });
    const stream = await wrapped.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    let seen = 0;
    for await (const c of stream) {
      if (c.choices[0]?.delta?.content) seen++;
      if (seen === 2) break;
    }
    await t.rec.settle(100);
    expect(t.rec.records).toHaveLength(1);
    expect(t.rec.records[0]).toMatchObject({ outcome: 'cancelled', chunks: 2, errorType: undefined });
    expect(stream.controller.signal.aborted).toBe(true);
  });

  it('records a stream aborted through its AbortSignal as aborted', async () => {
    t.fresh();
    const { wrapped } = clients();
    t.server.enqueue({ chunks: chatChunks(DEFAULT_TEXT_PIECES), delayBetweenChunksMs: 80 });
    const controller = new AbortController();
    const stream = await wrapped.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true }, { signal: controller.signal });
    let seen = 0;
    // Abort after the second text chunk reached the app (an event, not a timer).
    await (async () => {
      for await (const c of stream) {
        if (c.choices[0]?.delta?.content) seen++;
        if (seen === 2) controller.abort();
      }
    })().catch((e) => e);
    expect(seen).toBe(2);
    const [r] = await t.rec.waitFor(1);
    expect(t.rec.records).toHaveLength(1);
    expect(r.outcome).toBe('aborted');
    expect(r.errorType).toBe('aborted');
    expect(r.chunks).toBe(seen);
    expect(seen).toBeLessThan(5);
  });

  it('records a connection dropped midway as a failed network call, and the app sees the same error', async () => {
    t.fresh();
    const { wrapped } = clients();
    t.server.enqueue({ chunks: chatChunks(DEFAULT_TEXT_PIECES), dropAfterChunks: 3, sendDone: false });
    const stream = await wrapped.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    const got: any[] = [];
    const error = await (async () => {
      for await (const c of stream) got.push(c);
    })().catch((e) => e);
    expect(error).toBeInstanceOf(Error);
    expect(got).toHaveLength(3);
    const [r] = await t.rec.waitFor(1);
    expect(r).toMatchObject({ outcome: 'failed', errorType: 'network', chunks: 2 });
  });

  it('keeps tee() working: both branches get every chunk and the call is recorded once', async () => {
    t.fresh();
    const { wrapped } = clients();
    const stream = await wrapped.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    const [a, b] = stream.tee();
    const read = async (s: AsyncIterable<any>) => {
      let text = '';
      for await (const c of s) text += c.choices[0]?.delta?.content ?? '';
      return text;
    };
    expect(await Promise.all([read(a), read(b)])).toEqual([DEFAULT_TEXT, DEFAULT_TEXT]);
    await t.rec.settle();
    expect(t.rec.records).toHaveLength(1);
    expect(t.rec.records[0].chunks).toBe(5);
  });

  it('keeps toReadableStream() working', async () => {
    t.fresh();
    const { wrapped } = clients();
    const stream = await wrapped.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    const text = await new Response(stream.toReadableStream()).text();
    const lines = text.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe(DEFAULT_TEXT);
    const [r] = await t.rec.waitFor(1);
    expect(r).toMatchObject({ outcome: 'completed', chunks: 5 });
  });
});

describe('helpers and other operations', () => {
  it('keeps chat.completions.stream() working and observes the call it makes', async () => {
    t.fresh();
    const { wrapped } = clients();
    const runner = wrapped.chat.completions.stream({ model: 'gpt-4o-mini', messages });
    const deltas: string[] = [];
    runner.on('content', (delta) => deltas.push(delta));
    const final = await runner.finalChatCompletion();
    expect(final.choices[0].message.content).toBe(DEFAULT_TEXT);
    expect(deltas.join('')).toBe(DEFAULT_TEXT);
    const [r] = await t.rec.waitFor(1);
    expect(r).toMatchObject({ operation: 'chat', streaming: true, outcome: 'completed', chunks: 5 });
  });

  it('keeps chat.completions.parse() working and observes the call it makes', async () => {
    t.fresh();
    const { wrapped } = clients();
    t.server.enqueue({ body: chatCompletion({ content: '{"answer":42}' } as any) });
    const parsed = await wrapped.chat.completions.parse({
      model: 'gpt-4o-mini',
      messages,
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'answer', strict: true, schema: { type: 'object', properties: { answer: { type: 'number' } }, required: ['answer'], additionalProperties: false } },
      },
    });
    expect(parsed.choices[0].message.parsed).toEqual({ answer: 42 });
    const [r] = await t.rec.waitFor(1);
    expect(r).toMatchObject({ operation: 'chat', streaming: false, outcome: 'completed', outputTokens: { count: 5, source: 'reported' } });
    await t.rec.settle();
    expect(t.rec.records).toHaveLength(1);
  });

  it('keeps runTools() working', async () => {
    t.fresh();
    const { wrapped } = clients();
    t.server.enqueue(
      { body: chatCompletion({ toolCalls: [{ id: 'call_1', name: 'add', arguments: '{"a":2,"b":3}' }] } as any) },
      { body: chatCompletion({ content: 'The sum is 5' } as any) },
    );
    const runner = wrapped.chat.completions.runTools({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'add 2 and 3' }],
      tools: [
        {
          type: 'function',
          function: {
            name: 'add',
            description: 'Add two numbers',
            parameters: { type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } } },
            function: (args: { a: number; b: number }) => String(args.a + args.b),
            parse: JSON.parse,
          },
        },
      ],
    });
    expect(await runner.finalContent()).toBe('The sum is 5');
    const records = await t.rec.waitFor(2);
    expect(records.map((r) => r.finishReasons[0])).toEqual(['tool_calls', 'stop']);
  });

  it('records responses.create, streaming and not, and keeps responses.stream() working', async () => {
    t.fresh();
    const { wrapped } = clients();
    const res = await wrapped.responses.create({ model: 'gpt-4o-mini', input: 'Say hello.' });
    expect(res.output_text).toBe(DEFAULT_TEXT);
    const events: string[] = [];
    for await (const e of await wrapped.responses.create({ model: 'gpt-4o-mini', input: 'Say hello.', stream: true })) events.push(e.type);
    expect(events.at(-1)).toBe('response.completed');
    const final = await wrapped.responses.stream({ model: 'gpt-4o-mini', input: 'Say hello.' }).finalResponse();
    expect(final.output_text).toBe(DEFAULT_TEXT);
    const records = await t.rec.waitFor(3);
    for (const r of records) {
      expect(r).toMatchObject({
        operation: 'chat',
        responseId: 'resp_test',
        inputTokens: { count: 11, source: 'reported' },
        outputTokens: { count: 5, source: 'reported' },
        finishReasons: ['completed'],
        outcome: 'completed',
      });
    }
    expect(records.map((r) => r.streaming)).toEqual([false, true, true]);
    expect(records[1].chunks).toBe(DEFAULT_TEXT_PIECES.length);
  });

  it('records embeddings with their input tokens and returns the same vectors', async () => {
    t.fresh();
    const { plain, wrapped } = clients();
    const expected = await plain.embeddings.create({ model: 'text-embedding-3-small', input: 'hello' });
    const got = await wrapped.embeddings.create({ model: 'text-embedding-3-small', input: 'hello' });
    expect(got.data[0].embedding).toEqual(expected.data[0].embedding);
    const [r] = await t.rec.waitFor(1);
    expect(r).toMatchObject({ operation: 'embeddings', inputTokens: { count: 4, source: 'reported' }, outputTokens: undefined, notes: [] });
  });

  it('records legacy completions, streaming and not', async () => {
    t.fresh();
    const { wrapped } = clients();
    const res = await wrapped.completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'Say hello.' });
    expect(res.choices[0].text).toBe(DEFAULT_TEXT);
    let text = '';
    for await (const c of await wrapped.completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'Say hello.', stream: true })) {
      text += c.choices[0]?.text ?? '';
    }
    expect(text).toBe(DEFAULT_TEXT);
    const records = await t.rec.waitFor(2);
    expect(records.map((r) => [r.operation, r.streaming, r.outputTokens?.count])).toEqual([
      ['text_completion', false, 5],
      ['text_completion', true, countTokens(DEFAULT_TEXT)],
    ]);
  });

  it('passes every other method and property through untouched and untimed', async () => {
    t.fresh();
    const raw = new OpenAI({ apiKey: 'test-key', baseURL: t.server.url, maxRetries: 0 });
    const wrapped = t.monitor.wrap(raw);
    expect(wrapped).toBeInstanceOf(OpenAI);
    expect(wrapped.models).toBe(raw.models);
    expect(wrapped.apiKey).toBe('test-key');
    expect(wrapped.baseURL).toBe(t.server.url);
    const models = await wrapped.models.list();
    expect(models.data.length).toBeGreaterThan(0);
    await t.rec.settle();
    expect(t.rec.records).toHaveLength(0);
  });

  it('observes only the wrapped instance, never other clients of the same class', async () => {
    t.fresh();
    const { plain, wrapped } = clients();
    await plain.chat.completions.create({ model: 'gpt-4o-mini', messages });
    await t.rec.settle();
    expect(t.rec.records).toHaveLength(0);
    await wrapped.chat.completions.create({ model: 'gpt-4o-mini', messages });
    await t.rec.waitFor(1);
  });

  it('does not count twice a client wrapped twice', async () => {
    t.fresh();
    const raw = new OpenAI({ apiKey: 'test-key', baseURL: t.server.url, maxRetries: 0 });
    const once = t.monitor.wrap(raw);
    const twice = t.monitor.wrap(once);
    expect(twice).toBe(once);
    expect(t.monitor.wrap(raw)).toBe(once);
    await twice.chat.completions.create({ model: 'gpt-4o-mini', messages });
    await t.rec.settle();
    expect(t.rec.records).toHaveLength(1);
  });

  it('names the provider from wrap options', async () => {
    t.fresh();
    const wrapped = t.monitor.wrap(new OpenAI({ apiKey: 'k', baseURL: t.server.url, maxRetries: 0 }), { provider: 'vllm' });
    await wrapped.chat.completions.create({ model: 'llama', messages });
    const [r] = await t.rec.waitFor(1);
    expect(r.provider).toBe('vllm');
  });
});
