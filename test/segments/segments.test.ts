/**
 * Segments: rates split by a user-defined attribute (here the Express `attributes` option and a
 * function of the record), bounded by the cardinality guard, and the two-proportion test that flags
 * a segment doing worse than the rest, with real traffic through the `openai` client.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import OpenAI from 'openai';
import { createMonitor, type Monitor, type MonitorOptions } from '../../src/index.js';
import { erf, twoProportionTest } from '../../src/segments/z-test.js';
import { chatCompletion, startOpenAIServer, type OpenAITestServer } from '../support/openai-server.js';
import { recorder } from '../support/records.js';

describe('two-proportion z-test', () => {
  it('matches the textbook figures', () => {
    // erf(1) = 0.8427007929..., erf(2) = 0.9953222650...
    expect(erf(1)).toBeCloseTo(0.8427008, 6);
    expect(erf(-2)).toBeCloseTo(-0.9953223, 6);
    // 30/100 against 10/100: pooled 0.2, SE = sqrt(0.2 * 0.8 * 0.02) = 0.0565685, z = 3.5355, p = 4.07e-4.
    const test = twoProportionTest(30, 100, 10, 100)!;
    expect(test.rate).toBe(0.3);
    expect(test.rest).toBe(0.1);
    expect(test.z).toBeCloseTo(3.5355, 4);
    expect(test.pValue).toBeCloseTo(4.07e-4, 5);
    // No difference: p = 1.
    expect(twoProportionTest(5, 50, 10, 100)!.pValue).toBeCloseTo(1, 6);
    expect(twoProportionTest(0, 50, 0, 50)).toEqual({ rate: 0, rest: 0, z: 0, pValue: 1 });
    expect(twoProportionTest(1, 0, 1, 10)).toBeUndefined();
  });
});

describe('through the monitor', () => {
  let llm: OpenAITestServer;
  let monitor: Monitor;
  let rec: ReturnType<typeof recorder>;
  let openai: OpenAI;
  let app: Server | undefined;
  let base: string;

  beforeAll(async () => {
    llm = await startOpenAIServer();
  });
  afterAll(async () => {
    await llm.close();
  });
  afterEach(async () => {
    await monitor?.shutdown();
    if (app) await new Promise<void>((resolve) => (app!.closeAllConnections(), app!.close(() => resolve())));
    app = undefined;
  });

  /** A monitor whose calls are made from an Express route, with `tier` from the x-tier header. */
  async function fresh(options: MonitorOptions = {}) {
    monitor = createMonitor({ serviceName: 'segments', otel: false, resources: false, segment: 'tier', ...options });
    rec = recorder(monitor);
    openai = monitor.wrap(new OpenAI({ apiKey: 'test-key', baseURL: llm.url, maxRetries: 0 }));
    const server = express();
    server.use(monitor.express({ attributes: (req) => ({ tier: req.headers['x-tier'] as string | undefined }) }));
    server.get('/ask', async (_req, res) => {
      try {
        res.json(await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'q' }] }));
      } catch {
        res.status(502).end();
      }
    });
    app = server.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => app!.once('listening', () => resolve()));
    base = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
  }

  async function request(tier: string | undefined, reply?: Parameters<OpenAITestServer['enqueue']>[0]) {
    if (reply) llm.enqueue(reply);
    await fetch(`${base}/ask`, { headers: tier === undefined ? {} : { 'x-tier': tier } });
  }

  it('flags the segment whose error and refusal rates are higher than the rest', async () => {
    await fresh();
    // 40 free calls: 1 in 4 fails, 1 in 4 is a refusal. 40 pro calls: all fine.
    for (let i = 0; i < 40; i++) {
      const reply = i % 4 === 0 ? { status: 500 } : i % 4 === 1 ? { body: chatCompletion({ content: "I'm sorry, but I can't help with that." }) } : undefined;
      await request('free', reply);
      await request('pro');
    }
    await rec.waitFor(80);
    const segments = monitor.snapshot().segments!;
    expect(segments.attribute).toBe('tier');
    const free = segments.segments.find((s) => s.segment === 'free')!;
    const pro = segments.segments.find((s) => s.segment === 'pro')!;
    expect(free.calls).toBe(40);
    expect(free.rates.error).toMatchObject({ n: 40, rate: 0.25, rest: 0, flagged: true });
    // Refusals are counted over the evaluated calls: the 30 free calls that completed.
    expect(free.rates.refusal).toMatchObject({ n: 30, rate: 10 / 30, rest: 0, flagged: true });
    expect(free.rates.low_quality.flagged).toBe(true);
    expect(pro.rates.error).toMatchObject({ n: 40, rate: 0, rest: 0.25, flagged: false });
    expect(segments.flagged.map((f) => [f.segment, f.signal]).sort()).toEqual([
      ['free', 'error'],
      ['free', 'low_quality'],
      ['free', 'refusal'],
    ]);
    for (const f of segments.flagged) expect(f.pValue).toBeLessThan(0.01 / 8);
    expect(rec.records.filter((r) => r.segment === 'free')).toHaveLength(40);
  });

  it('flags nothing below the minimum sample size, however different the rates', async () => {
    await fresh({ segment: { by: 'tier', minSamples: 30 } });
    for (let i = 0; i < 10; i++) {
      await request('free', { status: 500 });
      await request('pro');
    }
    await rec.waitFor(20);
    const segments = monitor.snapshot().segments!;
    expect(segments.segments.find((s) => s.segment === 'free')!.rates.error).toMatchObject({ n: 10, rate: 1, rest: 0, pValue: undefined, flagged: false });
    expect(segments.flagged).toEqual([]);
  });

  it('bounds segment values through the cardinality guard, and groups calls without one under ""', async () => {
    await fresh({ maxLabelValues: 2 });
    for (const tier of ['a', 'b', 'c', 'd', undefined]) await request(tier);
    await rec.waitFor(5);
    expect(rec.records.map((r) => r.segment)).toEqual(['a', 'b', 'other', 'other', '']);
    expect(monitor.snapshot().segments!.segments.map((s) => [s.segment, s.calls])).toEqual([
      ['a', 1],
      ['b', 1],
      ['other', 2],
      ['', 1],
    ]);
  });

  it('takes a function of the record, and survives one that throws', async () => {
    monitor = createMonitor({
      serviceName: 'segments',
      otel: false,
      resources: false,
      segment: (record) => {
        if (record.requestModel === 'boom') throw new Error('segment function failed');
        return record.requestModel === 'gpt-4o' ? 'large' : 'small';
      },
    });
    rec = recorder(monitor);
    openai = monitor.wrap(new OpenAI({ apiKey: 'test-key', baseURL: llm.url, maxRetries: 0 }));
    for (const model of ['gpt-4o', 'gpt-4o-mini', 'boom']) await openai.chat.completions.create({ model, messages: [{ role: 'user', content: 'q' }] });
    const records = await rec.waitFor(3);
    expect(records.map((r) => r.segment)).toEqual(['large', 'small', undefined]);
    expect(rec.errors.map((e) => (e as any).component)).toEqual(['segment']);
    expect(monitor.snapshot().segments!.attribute).toBe('function');
  });

  it('adds feedback to the segment of the call it is about', async () => {
    await fresh();
    await request('pro');
    const [r] = await rec.waitFor(1);
    monitor.feedback(r.id, { score: 0.5 });
    expect(monitor.snapshot().segments!.segments[0]).toMatchObject({ segment: 'pro', feedback: { count: 1, meanScore: 0.5 } });
  });

  it('refuses a malformed segment option with a TypeError naming it', () => {
    expect(() => createMonitor({ segment: '' })).toThrow(/option "segment" must be an attribute name or a function/);
    expect(() => createMonitor({ segment: { by: 'tier', minSamples: 2 } })).toThrow(/option "segment.minSamples" must be an integer from 5/);
    expect(() => createMonitor({ segment: { by: 'tier', alpha: 0 } })).toThrow(/option "segment.alpha" must be a number above 0/);
  });
});
