/**
 * Fault injection: malformed provider data, sent by the local servers to the real SDKs. For each case the
 * wrapped client gives the app exactly what the unwrapped one gives (value or error), and the record says
 * what was off in `notes` (or fails the way the SDK failed). Shapes the monitor expects to vary (no usage,
 * `usage: null`, chunks without choices, unknown event types) are not monitor faults: the internal error
 * counter stays at zero for them. Data that makes the monitor's own reading throw is a fault: counted
 * under `instrument` and emitted, and the app still gets its value.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { createMonitor, type Monitor } from '../../src/index.js';
import { chatChunks, chatCompletion, DEFAULT_TEXT, DEFAULT_TEXT_PIECES, responseEvents, startOpenAIServer, type OpenAITestServer } from '../support/openai-server.js';
import { CLAUDE_MODEL, CLAUDE_TEXT_PIECES, messageEvents, startAnthropicServer, type AnthropicTestServer } from '../support/anthropic-server.js';
import { samplesOf, valueOf } from '../support/exposition.js';
import { recorder } from '../support/records.js';

let openaiServer: OpenAITestServer;
let anthropicServer: AnthropicTestServer;
let monitor: Monitor;
let rec: ReturnType<typeof recorder>;

beforeAll(async () => {
  [openaiServer, anthropicServer] = await Promise.all([startOpenAIServer(), startAnthropicServer()]);
});
afterAll(async () => {
  await Promise.all([openaiServer.close(), anthropicServer.close()]);
});
afterEach(async () => {
  await monitor?.shutdown();
});

const messages = [{ role: 'user' as const, content: 'Say hello.' }];
const claudeBody = { model: CLAUDE_MODEL, max_tokens: 64, messages };

function fresh() {
  monitor = createMonitor({ serviceName: 'faults' });
  rec = recorder(monitor);
  const openai = {
    plain: new OpenAI({ apiKey: 'k', baseURL: openaiServer.url, maxRetries: 0 }),
    wrapped: monitor.wrap(new OpenAI({ apiKey: 'k', baseURL: openaiServer.url, maxRetries: 0 })),
  };
  const anthropic = {
    plain: new Anthropic({ apiKey: 'k', baseURL: anthropicServer.url, maxRetries: 0 }),
    wrapped: monitor.wrap(new Anthropic({ apiKey: 'k', baseURL: anthropicServer.url, maxRetries: 0 })),
  };
  return { openai, anthropic };
}

/** What a call gave: its value (streams read to the end) or its error, comparable across clients. */
async function outcomeOf(call: () => Promise<any>): Promise<{ value?: unknown; items?: unknown[]; error?: { cls: unknown; message: string } }> {
  try {
    const value = await call();
    if (value !== null && typeof value === 'object' && typeof value[Symbol.asyncIterator] === 'function') {
      const items: unknown[] = [];
      try {
        for await (const item of value) items.push(item);
      } catch (error: any) {
        return { items, error: { cls: error.constructor, message: error.message } };
      }
      return { items };
    }
    return { value };
  } catch (error: any) {
    return { error: { cls: error.constructor, message: error.message } };
  }
}

/** Send the same scripted reply to the unwrapped and the wrapped call and require the same outcome. */
async function same(server: { enqueue(...r: any[]): void }, reply: object, plain: () => Promise<any>, wrapped: () => Promise<any>) {
  server.enqueue(reply, reply);
  const expected = await outcomeOf(plain);
  const got = await outcomeOf(wrapped);
  expect(got).toEqual(expected);
  return got;
}

async function internalErrors(): Promise<number> {
  return samplesOf(await monitor.metrics(), 'llm_vitals_internal_errors_total').reduce((sum, s) => sum + s.value, 0);
}

describe('OpenAI-compatible responses', () => {
  it('handles no usage and usage: null as usage_missing, estimating the counts', async () => {
    const { openai } = fresh();
    const { usage: _, ...noUsage } = chatCompletion();
    const create = (c: OpenAI) => () => c.chat.completions.create({ model: 'gpt-4o-mini', messages });
    await same(openaiServer, { body: noUsage }, create(openai.plain), create(openai.wrapped));
    await same(openaiServer, { body: chatCompletion({ usage: null }) }, create(openai.plain), create(openai.wrapped));
    const records = await rec.waitFor(2);
    for (const r of records) {
      expect(r.outcome).toBe('completed');
      expect(r.notes).toEqual(['usage_missing']);
      expect(r.outputTokens?.source).toBe('estimated');
    }
    expect(await internalErrors()).toBe(0);
  });

  it('handles a response without choices', async () => {
    const { openai } = fresh();
    const { choices: _, ...noChoices } = chatCompletion();
    const create = (c: OpenAI) => () => c.chat.completions.create({ model: 'gpt-4o-mini', messages });
    await same(openaiServer, { body: noChoices }, create(openai.plain), create(openai.wrapped));
    const [r] = await rec.waitFor(1);
    expect(r).toMatchObject({ outcome: 'completed', finishReasons: [], inputTokens: { count: 11, source: 'reported' } });
    expect(r.notes).toEqual(['choices_missing', 'finish_reason_missing']);
    expect(await internalErrors()).toBe(0);
  });

  it('handles stream chunks without choices, with null choices, null or odd deltas, and chunks that are not objects', async () => {
    const { openai } = fresh();
    const [role, first, ...rest] = chatChunks(DEFAULT_TEXT_PIECES);
    const chunks = [
      role,
      { id: 'chatcmpl-test', object: 'chat.completion.chunk', model: 'gpt-4o-mini' },
      { id: 'chatcmpl-test', object: 'chat.completion.chunk', model: 'gpt-4o-mini', choices: null },
      { ...first, choices: [{ index: 1, delta: null }, { index: 2, delta: { tool_calls: 5, content: 7 } }, { index: 3 }] },
      'data: null\n\n',
      'data: 42\n\n',
      'data: "text"\n\n',
      first,
      ...rest,
    ];
    const create = (c: OpenAI) => () => c.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    const got = await same(openaiServer, { chunks }, create(openai.plain), create(openai.wrapped));
    expect(got.items).toHaveLength(chunks.length);
    const [r] = await rec.waitFor(1);
    // Only the chunks that carried text are timed; the others reached the app as they were.
    expect(r).toMatchObject({ outcome: 'completed', chunks: DEFAULT_TEXT_PIECES.length, finishReasons: ['stop'] });
    expect(await internalErrors()).toBe(0);
  });

  it('handles unknown event types in a Responses API stream', async () => {
    const { openai } = fresh();
    const events = responseEvents(DEFAULT_TEXT_PIECES);
    const withUnknown = [events[0], { type: 'response.brand_new_event', payload: { x: 1 } }, ...events.slice(1, 5), { type: 'response.output_text.delta', delta: null }, ...events.slice(5)];
    const create = (c: OpenAI) => () => c.responses.create({ model: 'gpt-4o-mini', input: 'hi', stream: true });
    const got = await same(openaiServer, { chunks: withUnknown, sendDone: false }, create(openai.plain), create(openai.wrapped));
    expect(got.items).toHaveLength(withUnknown.length);
    const [r] = await rec.waitFor(1);
    expect(r).toMatchObject({ outcome: 'completed', chunks: DEFAULT_TEXT_PIECES.length, outputTokens: { count: 5, source: 'reported' }, notes: [] });
    expect(await internalErrors()).toBe(0);
  });

  it('gives the app the text of a body that is not JSON, and notes it', async () => {
    const { openai } = fresh();
    const create = (c: OpenAI) => () => c.chat.completions.create({ model: 'gpt-4o-mini', messages });
    const got = await same(openaiServer, { body: 'upstream proxy says hello' }, create(openai.plain), create(openai.wrapped));
    expect(got.value).toBe('upstream proxy says hello');
    const [r] = await rec.waitFor(1);
    expect(r.outcome).toBe('completed');
    expect(r.notes).toContain('response_not_object');
    expect(await internalErrors()).toBe(0);
  });

  it('fails like the SDK on a JSON content type whose body is not JSON, and on a stream data line that is not JSON', async () => {
    const { openai } = fresh();
    const create = (c: OpenAI) => () => c.chat.completions.create({ model: 'gpt-4o-mini', messages });
    const bad = await same(openaiServer, { body: '{"id": "chatcmpl-', headers: { 'content-type': 'application/json' } }, create(openai.plain), create(openai.wrapped));
    expect(bad.error?.cls).toBe(SyntaxError);
    const stream = (c: OpenAI) => () => c.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    const chunks = [...chatChunks(DEFAULT_TEXT_PIECES).slice(0, 3), 'data: {not json\n\n'];
    const cut = await same(openaiServer, { chunks }, stream(openai.plain), stream(openai.wrapped));
    expect(cut.items).toHaveLength(3);
    expect(cut.error?.cls).toBe(SyntaxError);
    const records = await rec.waitFor(2);
    expect(records.map((r) => [r.outcome, r.errorType, r.errorClass])).toEqual([
      ['failed', 'invalid_response', 'SyntaxError'],
      ['failed', 'invalid_response', 'SyntaxError'],
    ]);
    expect(await internalErrors()).toBe(0);
  });
});

describe('Anthropic responses', () => {
  it('handles a message with usage: null and without content', async () => {
    const { anthropic } = fresh();
    const create = (c: Anthropic) => () => c.messages.create(claudeBody);
    await same(anthropicServer, { body: { id: 'msg_1', type: 'message', model: CLAUDE_MODEL, usage: null, stop_reason: 'end_turn' } }, create(anthropic.plain), create(anthropic.wrapped));
    const [r] = await rec.waitFor(1);
    expect(r).toMatchObject({ outcome: 'completed', finishReasons: ['end_turn'], notes: ['usage_missing'] });
    expect(r.outputTokens).toEqual({ count: 0, source: 'estimated' });
    expect(await internalErrors()).toBe(0);
  });

  it('handles unknown event types, events without a body, null deltas and null usage in a stream', async () => {
    const { anthropic } = fresh();
    const events = messageEvents(CLAUDE_TEXT_PIECES);
    const odd = [
      { type: 'message_start', message: null },
      ...events,
      { type: 'content_block_magic', index: 9, sparkle: true },
      { type: 'content_block_delta', index: 0, delta: null },
      { type: 'content_block_delta', index: 0, delta: { type: 'brand_new_delta', stuff: 'x' } },
      { type: 'message_delta', delta: null, usage: null },
      'event: message_delta\ndata: {"no_type": true}\n\n',
    ];
    const create = (c: Anthropic) => () => c.messages.create({ ...claudeBody, stream: true });
    const got = await same(anthropicServer, { events: odd }, create(anthropic.plain), create(anthropic.wrapped));
    // The SDK drops `ping` events: everything else reached the app.
    expect(got.items).toHaveLength(odd.length - 1);
    const [r] = await rec.waitFor(1);
    expect(r).toMatchObject({
      outcome: 'completed',
      chunks: CLAUDE_TEXT_PIECES.length,
      inputTokens: { count: 19, source: 'reported' }, // 12 uncached + 4 cache reads + 3 cache writes
      outputTokens: { count: 6, source: 'reported' },
      finishReasons: ['end_turn'],
      notes: [],
    });
    expect(await internalErrors()).toBe(0);
  });

  it('fails like the SDK on a stream data line that is not JSON and on a JSON body that is not JSON', async () => {
    const { anthropic } = fresh();
    const stream = (c: Anthropic) => () => c.messages.create({ ...claudeBody, stream: true });
    const events = [...messageEvents(CLAUDE_TEXT_PIECES).slice(0, 4), 'event: content_block_delta\ndata: {oops\n\n'];
    const cut = await same(anthropicServer, { events }, stream(anthropic.plain), stream(anthropic.wrapped));
    expect(cut.error?.cls).toBe(SyntaxError);
    const create = (c: Anthropic) => () => c.messages.create(claudeBody);
    const bad = await same(anthropicServer, { body: '<html>502 Bad Gateway</html>', headers: { 'content-type': 'application/json' } }, create(anthropic.plain), create(anthropic.wrapped));
    expect(bad.error?.cls).toBe(SyntaxError);
    const records = await rec.waitFor(2);
    expect(records.map((r) => [r.outcome, r.errorType, r.chunks])).toEqual([
      ['failed', 'invalid_response', 1],
      ['failed', 'invalid_response', 0],
    ]);
    expect(await internalErrors()).toBe(0);
  });
});

describe('data that makes the monitor’s own reading throw', () => {
  /** A client shaped like `openai` (the wrapper reads shapes only), answering with `respond()`. */
  function fakeOpenAI(respond: (body: any) => unknown) {
    return { baseURL: 'http://127.0.0.1:1/v1', chat: { completions: { create: async (body: any) => respond(body) } } };
  }
  const hostile = () => {
    const value: any = { id: 'x', model: 'm' };
    Object.defineProperty(value, 'choices', {
      get() {
        throw new Error('hostile getter');
      },
    });
    return value;
  };

  it('counts a throwing response as an instrument fault, emits it, and returns the very object to the app', async () => {
    monitor = createMonitor();
    rec = recorder(monitor);
    const response = hostile();
    const client = monitor.wrap(fakeOpenAI(() => response));
    expect(await client.chat.completions.create({ model: 'm', messages })).toBe(response);
    const [r] = await rec.waitFor(1);
    expect(r.outcome).toBe('completed');
    expect(rec.errors.map((e: any) => [e.component, e.cause.message])).toEqual([['instrument', 'hostile getter']]);
    expect(valueOf(await monitor.metrics(), 'llm_vitals_internal_errors_total', { component: 'instrument' })).toBe(1);
  });

  it('counts a throwing stream chunk as a fault and still hands every chunk to the app', async () => {
    monitor = createMonitor({ tokens: { estimate: false } });
    rec = recorder(monitor);
    const chunks = [hostile(), { choices: [{ index: 0, delta: { content: 'ok' }, finish_reason: 'stop' }] }];
    const client = monitor.wrap(
      fakeOpenAI(() =>
        (async function* () {
          yield* chunks;
        })(),
      ),
    );
    const got: unknown[] = [];
    for await (const c of (await client.chat.completions.create({ model: 'm', messages, stream: true })) as any) got.push(c);
    expect(got).toEqual(chunks);
    expect(got[0]).toBe(chunks[0]);
    const [r] = await rec.waitFor(1);
    expect(r).toMatchObject({ outcome: 'completed', finishReasons: ['stop'] });
    expect(rec.errors.map((e: any) => e.component)).toEqual(['instrument']);
  });
});
