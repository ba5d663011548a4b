import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import OpenAI, { APIConnectionError, InternalServerError, RateLimitError } from 'openai';
import {
  chatChunks,
  chatCompletion,
  startOpenAIServer,
  streamUsage,
  type OpenAITestServer,
} from './openai-server.js';

const TEXT = 'Hello from the local server';
const PIECES = ['Hello', ' from', ' the', ' local', ' server'];

describe('local OpenAI-compatible test server', () => {
  let server: OpenAITestServer;
  let client: OpenAI;

  beforeEach(async () => {
    server = await startOpenAIServer();
    client = new OpenAI({ apiKey: 'test', baseURL: server.url, maxRetries: 0 });
  });

  afterEach(async () => {
    await server.close();
  });

  it('listens on 127.0.0.1 with a /v1 base URL', () => {
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/v1`);
  });

  it('answers a non-streaming chat completion with content and usage', async () => {
    const res = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(res.id).toBe('chatcmpl-test');
    expect(res.object).toBe('chat.completion');
    expect(res.model).toBe('gpt-4o-mini');
    expect(res.choices[0]!.message.content).toBe(TEXT);
    expect(res.choices[0]!.finish_reason).toBe('stop');
    expect(res.usage).toEqual({
      prompt_tokens: 11,
      completion_tokens: 5,
      total_tokens: 16,
      prompt_tokens_details: { cached_tokens: 2 },
      completion_tokens_details: { reasoning_tokens: 1 },
    });

    expect(server.requests).toHaveLength(1);
    const req = server.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/v1/chat/completions');
    expect(req.headers['authorization']).toBe('Bearer test');
    expect(req.body).toMatchObject({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
  });

  it('streams the 5 content pieces in order, with a usage chunk when include_usage is set', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const pieces: string[] = [];
    let finishReason: string | null = null;
    let usage: unknown;
    for await (const chunk of stream) {
      expect(chunk.object).toBe('chat.completion.chunk');
      const choice = chunk.choices[0];
      if (choice?.delta.content) pieces.push(choice.delta.content);
      if (choice?.finish_reason) finishReason = choice.finish_reason;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(pieces).toEqual(PIECES);
    expect(finishReason).toBe('stop');
    expect(usage).toEqual({ prompt_tokens: 11, completion_tokens: 5, total_tokens: 16 });
  });

  it('streams without a usage chunk when include_usage is not set', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.every((c) => c.usage == null)).toBe(true);
    expect(chunks.every((c) => c.choices.length === 1)).toBe(true);
  });

  it('chat.completions.stream() finalChatCompletion works', async () => {
    const runner = client.chat.completions.stream({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
      stream_options: { include_usage: true },
    });
    const deltas: string[] = [];
    runner.on('content', (delta) => deltas.push(delta));
    const final = await runner.finalChatCompletion();
    expect(final.choices[0]!.message.content).toBe(TEXT);
    expect(final.choices[0]!.finish_reason).toBe('stop');
    expect(final.usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 5, total_tokens: 16 });
    expect(deltas.join('')).toBe(TEXT);
  });

  it('answers legacy completions (non-stream and stream)', async () => {
    const res = await client.completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'hi' });
    expect(res.object).toBe('text_completion');
    expect(res.choices[0]!.text).toBe(TEXT);
    expect(res.usage).toEqual({ prompt_tokens: 11, completion_tokens: 5, total_tokens: 16 });

    const stream = await client.completions.create({
      model: 'gpt-3.5-turbo-instruct',
      prompt: 'hi',
      stream: true,
      stream_options: { include_usage: true },
    });
    const pieces: string[] = [];
    let usage: unknown;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.text) pieces.push(chunk.choices[0].text);
      if (chunk.usage) usage = chunk.usage;
    }
    expect(pieces).toEqual(PIECES);
    expect(usage).toEqual({ prompt_tokens: 11, completion_tokens: 5, total_tokens: 16 });
  });

  it('embeddings decode (default base64 encoding) to [0.1, 0.2, 0.3]', async () => {
    const res = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'hello' });
    expect(server.requests[0]!.body.encoding_format).toBe('base64');
    expect(res.object).toBe('list');
    expect(res.model).toBe('text-embedding-3-small');
    expect(res.usage).toEqual({ prompt_tokens: 4, total_tokens: 4 });
    expect(res.data).toHaveLength(1);
    const emb = res.data[0]!.embedding;
    expect(emb).toHaveLength(3);
    [0.1, 0.2, 0.3].forEach((v, i) => expect(emb[i]).toBeCloseTo(v, 6));
  });

  it('embeddings return one entry per input, as floats when asked', async () => {
    const res = await client.embeddings.create({
      model: 'text-embedding-3-small',
      input: ['a', 'b', 'c'],
      encoding_format: 'float',
    });
    expect(res.data.map((d) => d.index)).toEqual([0, 1, 2]);
    expect(res.data[2]!.embedding).toEqual([0.1, 0.2, 0.3]);
  });

  it('responses non-stream output_text equals the text', async () => {
    const res = await client.responses.create({ model: 'gpt-4o-mini', input: 'hi' });
    expect(res.id).toBe('resp_test');
    expect(res.status).toBe('completed');
    expect(res.output_text).toBe(TEXT);
    expect(res.usage).toMatchObject({ input_tokens: 11, output_tokens: 5, total_tokens: 16 });
  });

  it('responses stream: raw events carry type and sequence_number, no [DONE] needed', async () => {
    const stream = await client.responses.create({ model: 'gpt-4o-mini', input: 'hi', stream: true });
    const types: string[] = [];
    const deltas: string[] = [];
    const seqs: number[] = [];
    for await (const event of stream) {
      types.push(event.type);
      seqs.push(event.sequence_number);
      if (event.type === 'response.output_text.delta') deltas.push(event.delta);
    }
    expect(types[0]).toBe('response.created');
    expect(types.at(-1)).toBe('response.completed');
    expect(types).toContain('response.output_item.added');
    expect(types).toContain('response.content_part.added');
    expect(types).toContain('response.output_text.done');
    expect(types).toContain('response.content_part.done');
    expect(types).toContain('response.output_item.done');
    expect(deltas).toEqual(PIECES);
    expect(seqs).toEqual(seqs.map((_, i) => i));
  });

  it('responses.stream() finalResponse works', async () => {
    const stream = client.responses.stream({ model: 'gpt-4o-mini', input: 'hi' });
    const deltas: string[] = [];
    stream.on('response.output_text.delta', (e) => deltas.push(e.delta));
    const final = await stream.finalResponse();
    expect(final.output_text).toBe(TEXT);
    expect(final.status).toBe('completed');
    expect(final.usage).toMatchObject({ input_tokens: 11, output_tokens: 5, total_tokens: 16 });
    expect(deltas).toEqual(PIECES);
  });

  it('runTools works with scripted tool-call replies (non-stream and stream)', async () => {
    const tools = [
      {
        type: 'function' as const,
        function: {
          name: 'get_weather',
          description: 'weather',
          parameters: { type: 'object', properties: { city: { type: 'string' } } },
          parse: JSON.parse,
          function: (args: { city: string }) => `sunny in ${args.city}`,
        },
      },
    ];
    server.enqueue(
      { body: chatCompletion({ toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' }] }) },
      { body: chatCompletion({ content: 'It is sunny.' }) },
    );
    const runner = client.chat.completions.runTools({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'weather?' }],
      tools,
    });
    expect(await runner.finalContent()).toBe('It is sunny.');
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1]!.body.messages.at(-1)).toMatchObject({
      role: 'tool',
      tool_call_id: 'call_1',
      content: 'sunny in Paris',
    });

    server.enqueue(
      { chunks: chatChunks([], { toolCalls: [{ id: 'call_2', name: 'get_weather', arguments: '{"city":"Rome"}' }] }) },
      { chunks: chatChunks(['Also', ' sunny.'], { usage: streamUsage() }) },
    );
    const streaming = client.chat.completions.runTools({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'weather?' }],
      tools,
      stream: true,
    });
    expect(await streaming.finalContent()).toBe('Also sunny.');
    expect(server.requests[3]!.body.messages.at(-1)).toMatchObject({ role: 'tool', content: 'sunny in Rome' });
  });

  it('a queued 429 with retry-after surfaces as RateLimitError', async () => {
    server.enqueue({ status: 429, headers: { 'retry-after': '0' } });
    const err = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    expect((err as RateLimitError).status).toBe(429);
    expect((err as RateLimitError).headers?.get('retry-after')).toBe('0');
    // The queue is consumed: the next call gets the default answer.
    const ok = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    expect(ok.choices[0]!.message.content).toBe(TEXT);
  });

  it('a queued 500 surfaces as InternalServerError', async () => {
    server.enqueue({ status: 500 });
    await expect(
      client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
    ).rejects.toBeInstanceOf(InternalServerError);
  });

  it('a queued retry-after 429 is retried by the SDK when retries are enabled', async () => {
    const retrying = new OpenAI({ apiKey: 'test', baseURL: server.url, maxRetries: 1 });
    server.enqueue({ status: 429, headers: { 'retry-after': '0' } });
    const res = await retrying.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(res.choices[0]!.message.content).toBe(TEXT);
    expect(server.requests).toHaveLength(2);
  });

  it('dropAfterChunks makes stream iteration throw', async () => {
    server.enqueue({ chunks: chatChunks(PIECES), dropAfterChunks: 3 });
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    });
    const pieces: string[] = [];
    const consume = async () => {
      for await (const chunk of stream) {
        const c = chunk.choices[0]?.delta.content;
        if (c) pieces.push(c);
      }
    };
    await expect(consume()).rejects.toThrow();
    expect(pieces).toEqual(['Hello', ' from']);
  });

  it('dropAfterChunks makes chat.completions.stream() reject', async () => {
    server.enqueue({ chunks: chatChunks(PIECES), dropAfterChunks: 2 });
    const runner = client.chat.completions.stream({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    runner.on('error', () => undefined);
    await expect(runner.finalChatCompletion()).rejects.toThrow();
  });

  it('delayBeforeHeadersMs 200 makes the call take >= 200 ms', async () => {
    server.enqueue({ delayBeforeHeadersMs: 200 });
    const t0 = performance.now();
    const res = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    const elapsed = performance.now() - t0;
    expect(res.choices[0]!.message.content).toBe(TEXT);
    expect(elapsed).toBeGreaterThanOrEqual(195); // timer granularity
  });

  it('chunk delays are applied (time to first chunk and between chunks)', async () => {
    server.enqueue({ chunks: chatChunks(['a', 'b']), delayBeforeFirstChunkMs: 120, delayBetweenChunksMs: 30 });
    const t0 = performance.now();
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    });
    const tHeaders = performance.now() - t0;
    let tFirst = -1;
    for await (const _chunk of stream) {
      if (tFirst < 0) tFirst = performance.now() - t0;
    }
    const tEnd = performance.now() - t0;
    expect(tFirst).toBeGreaterThanOrEqual(115);
    expect(tFirst - tHeaders).toBeGreaterThanOrEqual(100); // headers came before the first-chunk delay
    expect(tEnd).toBeGreaterThanOrEqual(115 + 3 * 30 - 10);
  });

  it('raw string bodies are sent as-is', async () => {
    server.enqueue({ status: 502, body: '<html>Bad gateway</html>', headers: { 'content-type': 'text/html' } });
    const err = await client.chat.completions
      .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
  });

  it('uses a custom defaultHandler and closes even with a request in flight', async () => {
    const custom = await startOpenAIServer({
      defaultHandler: () => ({ body: chatCompletion({ content: 'custom' }) }),
    });
    const c = new OpenAI({ apiKey: 'test', baseURL: custom.url, maxRetries: 0 });
    const res = await c.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });
    expect(res.choices[0]!.message.content).toBe('custom');

    custom.enqueue({ delayBeforeHeadersMs: 60_000 });
    const pending = c.chat.completions
      .create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    while (custom.requests.length < 2) await new Promise((r) => setTimeout(r, 5));
    const t0 = performance.now();
    await custom.close();
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(await pending).toBeInstanceOf(APIConnectionError);
  });
});
