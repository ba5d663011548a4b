/**
 * Opt-in content capture through the real `openai` and `@anthropic-ai/sdk` clients: the request's
 * messages and the output in the GenAI message shape, redacted, truncated and sampled.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Anthropic from '@anthropic-ai/sdk';
import type { CallRecord, MonitorOptions } from '../../src/index.js';
import { chatChunks, chatCompletion, completion, responseObject } from '../support/openai-server.js';
import { CLAUDE_MODEL, message, startAnthropicServer, type AnthropicTestServer } from '../support/anthropic-server.js';
import { openAIFixture } from '../support/fixture.js';

const t = openAIFixture({ serviceName: 'capture', otel: false, resources: false });
let claude: AnthropicTestServer;

beforeAll(async () => {
  claude = await startAnthropicServer();
});
afterAll(async () => {
  await claude.close();
});

/** A monitor that captures content (`capture`, default `{ content: true }`). */
function fresh(capture: MonitorOptions['capture'] = { content: true }, options: MonitorOptions = {}) {
  t.fresh({ capture, ...options });
}

async function one(): Promise<CallRecord> {
  const [r] = await t.rec.waitFor(1);
  return r;
}

describe('chat completions', () => {
  it('captures system, user parts, assistant tool calls and tool results, and the answer, redacted', async () => {
    fresh();
    t.server.enqueue({ body: chatCompletion({ content: 'Mail ops@example.com for card 4242 4242 4242 4242' }) });
    await t.openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'developer', content: 'Be brief.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'My number is +1 415 555 2671' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
          ],
        },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'find', arguments: '{"ip":"10.0.0.7"}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: 'found jane@corp.example' },
      ],
    });
    const r = await one();
    expect(r.content).toEqual({
      input: [
        { role: 'system', parts: [{ type: 'text', content: 'Be brief.' }] },
        { role: 'user', parts: [{ type: 'text', content: 'My number is [redacted:phone]' }, { type: 'image_url' }] },
        { role: 'assistant', parts: [{ type: 'tool_call', id: 'call_1', name: 'find', arguments: '{"ip":"[redacted:ip]"}' }] },
        { role: 'tool', parts: [{ type: 'tool_call_response', id: 'call_1', response: 'found [redacted:email]' }] },
      ],
      output: [{ role: 'assistant', parts: [{ type: 'text', content: 'Mail [redacted:email] for card [redacted:card]' }], finish_reason: 'stop' }],
    });
    // The image's data never got in.
    expect(JSON.stringify(r.content)).not.toContain('base64');
  });

  it('captures streamed tool calls as tool_call parts, one per call', async () => {
    fresh();
    t.server.enqueue({
      chunks: chatChunks([], {
        toolCalls: [
          { id: 'call_a', name: 'a', arguments: '{"city":"Paris"}' },
          { id: 'call_b', name: 'b', arguments: '{"city":"Rome"}' },
        ],
      }),
    });
    for await (const _ of await t.openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'weather' }], stream: true }));
    const r = await one();
    expect(r.content!.output).toEqual([
      {
        role: 'assistant',
        parts: [
          { type: 'tool_call', arguments: '{"city":"Paris"}' },
          { type: 'tool_call', arguments: '{"city":"Rome"}' },
        ],
        finish_reason: 'tool_calls',
      },
    ]);
  });

  it('captures the prompt of a failed call, with no output', async () => {
    fresh();
    t.server.enqueue({ status: 500 });
    await expect(t.openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] })).rejects.toThrow();
    const r = await one();
    expect(r.outcome).toBe('failed');
    expect(r.content).toEqual({ input: [{ role: 'user', parts: [{ type: 'text', content: 'hello' }] }], output: [] });
  });
});

describe('other APIs', () => {
  it('captures the Responses API (instructions, input items, function calls and outputs)', async () => {
    fresh();
    t.server.enqueue({ body: responseObject({ text: 'Done.' }) });
    await t.openai.responses.create({
      model: 'gpt-4o-mini',
      instructions: 'You are a bot.',
      input: [
        { role: 'user', content: [{ type: 'input_text', text: 'Hi from 8.8.8.8' }] },
        { type: 'function_call', call_id: 'fc_1', name: 'lookup', arguments: '{}' },
        { type: 'function_call_output', call_id: 'fc_1', output: 'none' },
      ],
    });
    const r = await one();
    expect(r.content).toEqual({
      input: [
        { role: 'system', parts: [{ type: 'text', content: 'You are a bot.' }] },
        { role: 'user', parts: [{ type: 'text', content: 'Hi from [redacted:ip]' }] },
        { role: 'assistant', parts: [{ type: 'tool_call', id: 'fc_1', name: 'lookup', arguments: '{}' }] },
        { role: 'tool', parts: [{ type: 'tool_call_response', id: 'fc_1', response: 'none' }] },
      ],
      output: [{ role: 'assistant', parts: [{ type: 'text', content: 'Done.' }], finish_reason: 'completed' }],
    });
  });

  it('captures legacy completions and embeddings inputs', async () => {
    fresh();
    t.server.enqueue({ body: completion({ text: ' world' }) });
    await t.openai.completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'hello' });
    await t.openai.embeddings.create({ model: 'text-embedding-3-small', input: ['one', 'two'] });
    const [c, e] = await t.rec.waitFor(2);
    expect(c.content).toEqual({
      input: [{ role: 'user', parts: [{ type: 'text', content: 'hello' }] }],
      output: [{ role: 'assistant', parts: [{ type: 'text', content: ' world' }], finish_reason: 'stop' }],
    });
    expect(e.content).toEqual({
      input: [{ role: 'user', parts: [{ type: 'text', content: 'one' }, { type: 'text', content: 'two' }] }],
      output: [],
    });
  });

  it('captures Anthropic messages (system, text, tool use)', async () => {
    fresh();
    const anthropic = t.monitor.wrap(new Anthropic({ apiKey: 'test-key', baseURL: claude.url, maxRetries: 0 }));
    claude.enqueue({ body: message({ text: 'Sure.' }) });
    await anthropic.messages.create({
      model: CLAUDE_MODEL,
      max_tokens: 32,
      system: [{ type: 'text', text: 'Be kind.' }],
      messages: [
        { role: 'user', content: 'Find bob@example.org' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'tu_1', name: 'find', input: { who: 'bob@example.org' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'tu_1', content: [{ type: 'text', text: 'gone' }] }] },
      ],
    });
    const r = await one();
    expect(r.content!.input).toEqual([
      { role: 'system', parts: [{ type: 'text', content: 'Be kind.' }] },
      { role: 'user', parts: [{ type: 'text', content: 'Find [redacted:email]' }] },
      { role: 'assistant', parts: [{ type: 'tool_call', id: 'tu_1', name: 'find', arguments: '{"who":"[redacted:email]"}' }] },
      { role: 'user', parts: [{ type: 'tool_call_response', id: 'tu_1', response: 'gone' }] },
    ]);
    expect(r.content!.output).toEqual([{ role: 'assistant', parts: [{ type: 'text', content: 'Sure.' }], finish_reason: 'end_turn' }]);
  });
});

describe('truncation, sampling, the app redaction', () => {
  it('truncates each text to maxLength after redaction', async () => {
    fresh({ content: true, maxLength: 20 });
    t.server.enqueue({ body: chatCompletion({ content: 'x'.repeat(50) }) });
    await t.openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `a@b.io ${'y'.repeat(40)}` }] });
    const r = await one();
    // 17 characters of marker and space, 3 of the 40 y: 37 cut.
    expect(r.content!.input[0]).toEqual({ role: 'user', parts: [{ type: 'text', content: `[redacted:email] yyy…[truncated 37 chars]` }] });
    expect((r.content!.output[0] as any).parts[0].content).toBe(`${'x'.repeat(20)}…[truncated 30 chars]`);
  });

  it('keeps only the most recent 64 messages of a long conversation', async () => {
    fresh();
    const messages = Array.from({ length: 100 }, (_, i) => ({ role: 'user' as const, content: `m${i}` }));
    await t.openai.chat.completions.create({ model: 'gpt-4o-mini', messages });
    const r = await one();
    expect(r.content!.input).toHaveLength(64);
    expect((r.content!.input[0] as any).parts[0].content).toBe('m36');
    expect((r.content!.input[63] as any).parts[0].content).toBe('m99');
  });

  it('captures about sampleRate of the calls, and none at 0', async () => {
    fresh({ content: true, sampleRate: 0.5 });
    const n = 100;
    for (let i = 0; i < n; i++) await t.openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `q${i}` }] });
    const records = await t.rec.waitFor(n);
    const captured = records.filter((r) => r.content !== undefined).length;
    // Binomial(100, 0.5): outside 25..75 has a probability under 1e-6.
    expect(captured).toBeGreaterThan(25);
    expect(captured).toBeLessThan(75);
    await t.monitor.shutdown();

    fresh({ content: true, sampleRate: 0 });
    for (let i = 0; i < 10; i++) await t.openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `q${i}` }] });
    expect((await t.rec.waitFor(10)).every((r) => r.content === undefined)).toBe(true);
  });

  it('applies the app patterns and function, and drops the text when the function throws', async () => {
    fresh({ content: true, redact: { patterns: [/ticket-\d+/], fn: (text) => text.replace('secret', 's*****') } });
    await t.openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'secret ticket-42' }] });
    expect((await one()).content!.input[0]).toEqual({ role: 'user', parts: [{ type: 'text', content: 's***** [redacted]' }] });
    await t.monitor.shutdown();

    fresh({
      content: true,
      redact: {
        fn: () => {
          throw new Error('redactor down');
        },
      },
    });
    await t.openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'private' }] });
    const r = await one();
    expect(r.content!.input[0]).toEqual({ role: 'user', parts: [{ type: 'text', content: '[redacted:dropped]' }] });
    expect(JSON.stringify(r)).not.toContain('private');
  });

  it('leaves capture off when content is not true', async () => {
    fresh({ content: false, maxLength: 100 });
    await t.openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    expect((await one()).content).toBeUndefined();
  });
});
