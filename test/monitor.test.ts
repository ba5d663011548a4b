import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { createMonitor, MonitorError, type Monitor } from '../src/index.js';
import { chatChunks, DEFAULT_TEXT, DEFAULT_TEXT_PIECES, startOpenAIServer, type OpenAITestServer } from './support/openai-server.js';
import { recorder } from './support/records.js';
import { valueOf } from './support/exposition.js';

let server: OpenAITestServer;
let monitor: Monitor;
beforeAll(async () => {
  server = await startOpenAIServer();
});
afterAll(() => server.close());
afterEach(() => monitor?.shutdown());

const messages = [{ role: 'user' as const, content: 'Say hello.' }];
const newClient = () => new OpenAI({ apiKey: 'k', baseURL: server.url, maxRetries: 0 });

describe('createMonitor options', () => {
  const cases: [string, unknown, RegExp][] = [
    ['unknown option', { servicename: 'x' }, /unknown option "servicename"/],
    ['serviceName', { serviceName: '' }, /option "serviceName" must be a non-empty string, got ""/],
    ['registry', { registry: {} }, /option "registry" must be a prom-client Registry/],
    ['prometheus', { prometheus: 'yes' }, /option "prometheus" must be a boolean, got "yes"/],
    ['maxLabelValues', { maxLabelValues: 0 }, /option "maxLabelValues" must be an integer from 1 to 100000, got 0/],
    ['maxLabelValues fraction', { maxLabelValues: 1.5 }, /option "maxLabelValues"/],
    ['tokens', { tokens: true }, /option "tokens" must be an object, got true/],
    ['tokens.estimate', { tokens: { estimate: 1 } }, /option "tokens.estimate" must be a boolean, got 1/],
    ['tokens.includeStreamUsage', { tokens: { includeStreamUsage: 'no' } }, /option "tokens.includeStreamUsage"/],
    ['snapshot.samples', { snapshot: { samples: 3 } }, /option "snapshot.samples" must be an integer from 16/],
    ['snapshot.rateWindowSeconds', { snapshot: { rateWindowSeconds: 0 } }, /option "snapshot.rateWindowSeconds"/],
    ['shutdownTimeoutMs negative', { shutdownTimeoutMs: -1 }, /option "shutdownTimeoutMs" must be a number from 0 to 2147483647 \(milliseconds\), got -1/],
    ['shutdownTimeoutMs NaN', { shutdownTimeoutMs: NaN }, /option "shutdownTimeoutMs" must be .*, got NaN/],
    ['shutdownTimeoutMs Infinity', { shutdownTimeoutMs: Infinity }, /option "shutdownTimeoutMs" must be .*, got Infinity/],
    ['shutdownTimeoutMs string', { shutdownTimeoutMs: '5000' }, /option "shutdownTimeoutMs" must be .*, got "5000"/],
  ];
  for (const [name, options, message] of cases) {
    it(`rejects a bad ${name} with a TypeError that names it`, () => {
      expect(() => createMonitor(options as any)).toThrow(TypeError);
      expect(() => createMonitor(options as any)).toThrow(message);
    });
  }

  it('accepts no options at all', async () => {
    monitor = createMonitor();
    expect(monitor.snapshot().service).toBe('unknown_service');
  });
});

describe('wrap', () => {
  it('rejects what it cannot observe, naming the problem', () => {
    monitor = createMonitor();
    expect(() => monitor.wrap(null as any)).toThrow(/wrap: expected an LLM client object, got null/);
    expect(() => monitor.wrap({} as any)).toThrow(/wrap: unsupported client/);
    expect(() => monitor.wrap(newClient(), { provider: 3 as any })).toThrow(/wrap: option "provider" must be a non-empty string/);
  });
});

describe('snapshot', () => {
  it('summarises calls per provider/operation/model with latency, first-chunk percentiles, tokens, errors and rates', async () => {
    monitor = createMonitor({ serviceName: 'chat-api' });
    const rec = recorder(monitor);
    const openai = monitor.wrap(newClient());
    for (const delay of [50, 100, 150]) {
      server.enqueue({ delayBeforeHeadersMs: delay });
      await openai.chat.completions.create({ model: 'gpt-4o-mini', messages });
    }
    server.enqueue({ chunks: chatChunks(DEFAULT_TEXT_PIECES, { usage: { prompt_tokens: 3, completion_tokens: 5 } }), delayBeforeFirstChunkMs: 120 });
    for await (const _ of await openai.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true }));
    server.enqueue({ status: 429 }, { status: 503 });
    await openai.chat.completions.create({ model: 'gpt-4o-mini', messages }).catch(() => undefined);
    await openai.chat.completions.create({ model: 'gpt-4o-mini', messages }).catch(() => undefined);
    await openai.embeddings.create({ model: 'text-embedding-3-small', input: 'x' });
    await monitor.flush();
    const records = rec.records;
    expect(records).toHaveLength(7);

    const snap = monitor.snapshot();
    expect(snap.service).toBe('chat-api');
    expect(snap.calls).toBe(7);
    expect(snap.inFlight).toBe(0);
    expect(JSON.parse(JSON.stringify(snap))).toEqual(snap);
    const chat = snap.groups.find((g) => g.operation === 'chat')!;
    expect(chat).toMatchObject({ provider: 'openai', model: 'gpt-4o-mini', calls: 6, inFlight: 0 });
    expect(chat.outcomes).toEqual({ completed: 4, failed: 2 });
    expect(chat.errors).toEqual({ rate_limit: 1, http_5xx: 1 });
    const latencies = records.filter((r) => r.operation === 'chat').map((r) => r.duration).sort((a, b) => a - b);
    expect(chat.latencyMs.p50).toBe(latencies[2]);
    expect(chat.latencyMs.p99).toBe(latencies[5]);
    expect(chat.latencyMs.p95).toBeGreaterThanOrEqual(150);
    expect(chat.timeToFirstChunkMs.p50).toBeGreaterThanOrEqual(120);
    expect(chat.tokens).toMatchObject({ input: 11 * 3 + 3, output: 5 * 3 + 5, cachedInput: 6, reasoning: 3, estimated: 0 });
    expect(chat.requestsPerSecond).toBeGreaterThan(0);
    expect(chat.tokensPerSecond).toBeGreaterThan(0);
    expect(chat.outputTokensPerSecond.p50).toBeGreaterThan(0);
    const embeddings = snap.groups.find((g) => g.operation === 'embeddings')!;
    expect(embeddings).toMatchObject({ model: 'text-embedding-3-small', calls: 1, tokens: { input: 4, output: 0 } });
    expect(snap.requestsPerSecond).toBeCloseTo(chat.requestsPerSecond + embeddings.requestsPerSecond, 9);
  });
});

describe('events', () => {
  it('isolates a throwing listener: the app gets its result, other listeners run, the fault is counted and reported', async () => {
    monitor = createMonitor();
    const seen: string[] = [];
    const faults: MonitorError[] = [];
    monitor.on('call', () => {
      throw new Error('listener bug');
    });
    monitor.on('call', (r) => seen.push(r.outcome));
    monitor.on('error', (e) => faults.push(e));
    const res = await monitor.wrap(newClient()).chat.completions.create({ model: 'gpt-4o-mini', messages });
    expect(res.choices[0].message.content).toBe(DEFAULT_TEXT);
    await monitor.flush();
    expect(seen).toEqual(['completed']);
    expect(faults).toHaveLength(1);
    expect(faults[0]).toBeInstanceOf(MonitorError);
    expect(faults[0].component).toBe('listener');
    expect((faults[0].cause as Error).message).toBe('listener bug');
    expect(valueOf(await monitor.metrics(), 'llm_vitals_internal_errors_total', { component: 'listener' })).toBe(1);
    expect(monitor.snapshot().internalErrors).toEqual({ listener: 1 });
  });

  it('runs the listeners after every built-in sink: the record is final, its call in the snapshot and known to feedback', async () => {
    monitor = createMonitor({ resources: false });
    const seen: { feedback: boolean; calls: number }[] = [];
    monitor.on('call', (r) => seen.push({ feedback: monitor.feedback(r.id, { score: 1 }), calls: monitor.snapshot().calls }));
    await monitor.wrap(newClient()).chat.completions.create({ model: 'gpt-4o-mini', messages });
    await monitor.flush();
    expect(seen).toEqual([{ feedback: true, calls: 1 }]);
  });

  it('stops calling a listener removed with off()', async () => {
    monitor = createMonitor();
    let calls = 0;
    const listener = () => calls++;
    monitor.on('call', listener);
    const openai = monitor.wrap(newClient());
    await openai.chat.completions.create({ model: 'gpt-4o-mini', messages });
    await monitor.flush();
    expect(calls).toBe(1);
    monitor.off('call', listener);
    await openai.chat.completions.create({ model: 'gpt-4o-mini', messages });
    await monitor.flush();
    expect(calls).toBe(1);
  });
});

describe('flush', () => {
  it('resolves once every call that has ended has reached the listeners and the snapshot, tokenizer included', async () => {
    monitor = createMonitor({ resources: false });
    const rec = recorder(monitor);
    const openai = monitor.wrap(newClient());
    await openai.chat.completions.create({ model: 'gpt-4o-mini', messages });
    // A stream without usage: its tokens are counted by the tokenizer (loaded on first use) after it ends.
    for await (const _ of await openai.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true }));
    await monitor.flush();
    expect(rec.records.map((r) => r.streaming)).toEqual([false, true]);
    expect(rec.records[1].outputTokens).toEqual({ count: expect.any(Number), source: 'estimated' });
    expect(monitor.snapshot().calls).toBe(2);
  });

  it('waits for the evaluations of the calls that had ended when it was called, not for later ones', async () => {
    const gates: ((pass: boolean) => void)[] = [];
    monitor = createMonitor({
      resources: false,
      evaluationTimeoutMs: 60_000,
      evaluators: [{ name: 'gated', evaluate: () => new Promise<boolean>((resolve) => gates.push(resolve)) }],
    });
    const rec = recorder(monitor);
    const openai = monitor.wrap(newClient());
    await openai.chat.completions.create({ model: 'gpt-4o-mini', messages });
    let flushed = false;
    const flush = monitor.flush().then(() => (flushed = true));
    // A call that ends while flush() waits, and whose evaluation never finishes before the test says so.
    await openai.chat.completions.create({ model: 'gpt-4o-mini', messages });
    await until(() => gates.length === 2);
    expect(flushed).toBe(false);
    gates[0](true);
    await flush;
    expect(rec.records).toHaveLength(1);
    expect(rec.records[0].quality).toEqual({ score: 1, evaluations: { gated: 'pass' } });
    gates[1](false);
    await monitor.flush();
    expect(rec.records.map((r) => r.quality?.evaluations.gated)).toEqual(['pass', 'fail']);
  });

  it('resolves at once when nothing is pending, does not wait for calls still open, and leaves the monitor attached', async () => {
    monitor = createMonitor({ resources: false });
    const rec = recorder(monitor);
    const openai = monitor.wrap(newClient());
    const resolvedBeforeNextTurn = async () => {
      let done = false;
      const flushed = monitor.flush().then(() => (done = true));
      await new Promise((r) => setImmediate(r));
      await flushed;
      return done;
    };
    expect(await resolvedBeforeNextTurn()).toBe(true);
    server.enqueue({ chunks: chatChunks(DEFAULT_TEXT_PIECES, { usage: { prompt_tokens: 3, completion_tokens: 5 } }) });
    const stream = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    // The stream is open (not read yet): flush() has no ended call to wait for.
    expect(await resolvedBeforeNextTurn()).toBe(true);
    expect(rec.records).toHaveLength(0);
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta?.content ?? '';
    expect(text).toBe(DEFAULT_TEXT);
    await monitor.flush();
    expect(rec.records).toHaveLength(1);
    // Still attached: the next call is recorded too.
    await openai.chat.completions.create({ model: 'gpt-4o-mini', messages });
    await monitor.flush();
    expect(rec.records).toHaveLength(2);
  });

  it('waits for a sink of the app that has its own flush', async () => {
    const flushed: string[] = [];
    const pending: string[] = [];
    monitor = createMonitor({
      resources: false,
      sinks: [
        {
          name: 'batched',
          callEnded: (record) => void pending.push(record.id),
          flush: async () => {
            await new Promise((r) => setTimeout(r, 20));
            flushed.push(...pending.splice(0));
          },
        },
      ],
    });
    const openai = monitor.wrap(newClient());
    await openai.chat.completions.create({ model: 'gpt-4o-mini', messages });
    await monitor.flush();
    expect(flushed).toHaveLength(1);
  });
});

describe('shutdown', () => {
  it('is idempotent, detaches wrapped clients, and lets an open stream complete for the app', async () => {
    monitor = createMonitor();
    const rec = recorder(monitor);
    const openai = monitor.wrap(newClient());
    server.enqueue({ chunks: chatChunks(DEFAULT_TEXT_PIECES), delayBetweenChunksMs: 20 });
    const stream = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    const first = shutdownTwice(monitor);
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta?.content ?? '';
    expect(text).toBe(DEFAULT_TEXT);
    await first;
    // After shutdown: calls go straight through and are not recorded.
    const before = rec.records.length;
    const res = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages });
    expect(res.choices[0].message.content).toBe(DEFAULT_TEXT);
    await monitor.flush();
    expect(rec.records.length).toBe(before);
  });

  it('flushes records still waiting for token estimation', async () => {
    monitor = createMonitor();
    const rec = recorder(monitor);
    const openai = monitor.wrap(newClient());
    for await (const _ of await openai.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true }));
    await monitor.shutdown();
    expect(rec.records).toHaveLength(1);
    expect(rec.records[0].outputTokens?.source).toBe('estimated');
  });
});

/** Poll for something the monitor does on a later turn that flush() would wait past (an evaluator being called). */
async function until(condition: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function shutdownTwice(m: Monitor) {
  const a = m.shutdown();
  const b = m.shutdown();
  expect(a).toBe(b);
  await a;
}
