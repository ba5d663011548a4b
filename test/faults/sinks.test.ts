/**
 * Fault injection: sinks and listeners that throw. The app's calls (the real SDKs over HTTP to the local
 * servers) return exactly what they would unwrapped; each fault is counted under its component and
 * emitted on `monitor.on('error')`; the other sinks and listeners still see every record.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { createMonitor, MonitorError, type CallRecord, type Monitor, type Sink } from '../../src/index.js';
import { chatChunks, DEFAULT_TEXT, DEFAULT_TEXT_PIECES, startOpenAIServer, type OpenAITestServer } from '../support/openai-server.js';
import { CLAUDE_MODEL, CLAUDE_TEXT, startAnthropicServer, type AnthropicTestServer } from '../support/anthropic-server.js';
import { samplesOf, valueOf } from '../support/exposition.js';

let openaiServer: OpenAITestServer;
let anthropicServer: AnthropicTestServer;
let monitor: Monitor;

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

/** A sink that keeps what it saw. */
function keeper(name = 'keeper') {
  const started: CallRecord[] = [];
  const ended: CallRecord[] = [];
  const sink: Sink = { name, callStarted: (r) => void started.push(r), callEnded: (r) => void ended.push(r) };
  return { sink, started, ended };
}

/** A sink that throws from every hook. */
function thrower(name = 'broken'): Sink {
  return {
    name,
    callStarted() {
      throw new Error(`${name} start`);
    },
    callEnded() {
      throw new Error(`${name} end`);
    },
    shutdown() {
      throw new Error(`${name} shutdown`);
    },
  };
}

async function until(check: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('a sink that throws', () => {
  it('never reaches the app, never keeps the next sink from the record, and is counted and emitted per fault', async () => {
    const after = keeper();
    monitor = createMonitor({ sinks: [thrower(), after.sink] });
    const errors: MonitorError[] = [];
    monitor.on('error', (e) => errors.push(e));
    const calls: CallRecord[] = [];
    monitor.on('call', (r) => calls.push(r));
    const openai = monitor.wrap(new OpenAI({ apiKey: 'k', baseURL: openaiServer.url, maxRetries: 0 }));
    const anthropic = monitor.wrap(new Anthropic({ apiKey: 'k', baseURL: anthropicServer.url, maxRetries: 0 }));

    const chat = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages });
    expect(chat.choices[0].message.content).toBe(DEFAULT_TEXT);
    let text = '';
    for await (const c of await openai.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true })) text += c.choices[0]?.delta?.content ?? '';
    expect(text).toBe(DEFAULT_TEXT);
    const message = await anthropic.messages.create({ model: CLAUDE_MODEL, max_tokens: 64, messages });
    expect((message.content[0] as any).text).toBe(CLAUDE_TEXT);
    expect(await anthropic.messages.stream({ model: CLAUDE_MODEL, max_tokens: 64, messages }).finalText()).toBe(CLAUDE_TEXT);

    await until(() => after.ended.length === 4);
    expect(after.started).toHaveLength(4);
    // The events sink comes before the app's sinks: the listeners saw every record too.
    expect(calls).toHaveLength(4);
    // (The OpenAI stream had no usage: its record waited for the tokenizer, so order is not kept.)
    expect(after.ended.map((r) => [r.provider, r.streaming, r.outcome]).sort()).toEqual([
      ['anthropic', false, 'completed'],
      ['anthropic', true, 'completed'],
      ['openai', false, 'completed'],
      ['openai', true, 'completed'],
    ]);
    expect(errors).toHaveLength(8);
    expect(errors.every((e) => e instanceof MonitorError && e.component === 'broken')).toBe(true);
    expect(errors.filter((e) => (e.cause as Error).message === 'broken start')).toHaveLength(4);
    const text2 = await monitor.metrics();
    expect(valueOf(text2, 'llm_vitals_internal_errors_total', { component: 'broken' })).toBe(8);
    // The built-in Prometheus sink counted every call.
    expect(samplesOf(text2, 'llm_vitals_calls_total').reduce((sum, s) => sum + s.value, 0)).toBe(4);

    // A sink that throws on shutdown does not make shutdown throw.
    await expect(monitor.shutdown()).resolves.toBeUndefined();
    expect(errors.at(-1)!.message).toMatch(/broken shutdown/);
  });

  it('isolates each of several failing sinks from the others', async () => {
    const first = keeper('first');
    const last = keeper('last');
    monitor = createMonitor({ sinks: [first.sink, thrower('a'), thrower('b'), last.sink] });
    const openai = monitor.wrap(new OpenAI({ apiKey: 'k', baseURL: openaiServer.url, maxRetries: 0 }));
    await openai.chat.completions.create({ model: 'gpt-4o-mini', messages });
    await until(() => last.ended.length === 1);
    expect(first.ended[0]).toBe(last.ended[0]);
    const text = await monitor.metrics();
    expect(valueOf(text, 'llm_vitals_internal_errors_total', { component: 'a' })).toBe(2);
    expect(valueOf(text, 'llm_vitals_internal_errors_total', { component: 'b' })).toBe(2);
  });

  it('calls the hooks each sink had when the monitor was created, with the sink as this', async () => {
    class Counting {
      readonly name = 'counting';
      started = 0;
      ended: CallRecord[] = [];
      callStarted(): void {
        this.started++;
      }
      callEnded(record: CallRecord): void {
        this.ended.push(record);
      }
    }
    const sink = new Counting();
    monitor = createMonitor({ sinks: [sink] });
    // Replaced after createMonitor: the monitor keeps calling the one it read (docs/architecture.md).
    const replaced: CallRecord[] = [];
    sink.callEnded = (record: CallRecord) => void replaced.push(record);
    const openai = monitor.wrap(new OpenAI({ apiKey: 'k', baseURL: openaiServer.url, maxRetries: 0 }));
    await openai.chat.completions.create({ model: 'gpt-4o-mini', messages });
    await monitor.flush();
    expect(sink.started).toBe(1);
    expect(sink.ended).toHaveLength(1);
    expect(sink.ended[0].outcome).toBe('completed');
    expect(replaced).toHaveLength(0);
  });

  it('validates the sinks option with a TypeError that names the bad entry', () => {
    expect(() => createMonitor({ sinks: {} as any })).toThrow(/option "sinks" must be an array of sinks, got an object/);
    expect(() => createMonitor({ sinks: [null as any] })).toThrow(/option "sinks\[0\]" must be an object/);
    expect(() => createMonitor({ sinks: [{ name: 'x' } as any] })).toThrow(/option "sinks\[0\]\.callEnded" must be a function, got undefined/);
    expect(() => createMonitor({ sinks: [{ name: '', callEnded() {} }] })).toThrow(/option "sinks\[0\]\.name" must be a non-empty string, got ""/);
    expect(() => createMonitor({ sinks: [keeper().sink, { name: 'y', callEnded() {}, shutdown: 1 } as any] })).toThrow(/"sinks\[1\]\.shutdown" must be a function/);
  });
});

describe('a listener that throws', () => {
  it('is counted as a listener fault while the other listeners and the app go on', async () => {
    monitor = createMonitor();
    const seen: CallRecord[] = [];
    const errors: MonitorError[] = [];
    monitor.on('call', () => {
      throw new Error('listener bug');
    });
    monitor.on('call', (r) => seen.push(r));
    monitor.on('error', (e) => errors.push(e));
    // An error listener that throws itself is swallowed: it can never loop back into 'error'.
    monitor.on('error', () => {
      throw new Error('error listener bug');
    });
    const openai = monitor.wrap(new OpenAI({ apiKey: 'k', baseURL: openaiServer.url, maxRetries: 0 }));
    openaiServer.enqueue({ chunks: chatChunks(DEFAULT_TEXT_PIECES) });
    const got: any[] = [];
    for await (const c of await openai.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true })) got.push(c);
    expect(got).toHaveLength(chatChunks(DEFAULT_TEXT_PIECES).length);
    await until(() => seen.length === 1);
    expect(errors.map((e) => [e.component, (e.cause as Error).message])).toEqual([['listener', 'listener bug']]);
    expect(valueOf(await monitor.metrics(), 'llm_vitals_internal_errors_total', { component: 'listener' })).toBe(1);
  });
});
