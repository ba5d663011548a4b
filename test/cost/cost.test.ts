/**
 * Cost: the price table, model-name matching, the token arithmetic per provider, and cost per call on
 * the record, in `llm_vitals_cost_usd_total` (real prom-client exposition) and in the snapshot, with
 * the real `openai` client over HTTP to the local server.
 */
import { describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { createMonitor, PRICES_CHECKED_AT, type CallRecord } from '../../src/index.js';
import { PriceBook, undated, usdOf } from '../../src/cost/cost.js';
import { PRICES } from '../../src/cost/prices.js';
import { chatCompletion } from '../support/openai-server.js';
import { openAIFixture } from '../support/fixture.js';
import { valueOf } from '../support/exposition.js';

/** A record with just what pricing reads. */
function record(fields: Partial<CallRecord>): CallRecord {
  return {
    provider: 'openai',
    requestModel: undefined,
    responseModel: undefined,
    inputTokens: undefined,
    outputTokens: undefined,
    cachedInputTokens: undefined,
    cacheCreationInputTokens: undefined,
    reasoningTokens: undefined,
    outcome: 'completed',
    chunks: 0,
    ...fields,
  } as CallRecord;
}
const reported = (count: number) => ({ count, source: 'reported' as const });

describe('model names', () => {
  it.each([
    ['gpt-4o-2024-08-06', 'gpt-4o'],
    ['gpt-4o-mini-2024-07-18', 'gpt-4o-mini'],
    ['gpt-4-0613', 'gpt-4'],
    ['gpt-3.5-turbo-0125', 'gpt-3.5-turbo'],
    ['claude-sonnet-4-20250514', 'claude-sonnet-4'],
    ['claude-3-7-sonnet-latest', 'claude-3-7-sonnet'],
    ['o3-mini', 'o3-mini'],
    ['text-embedding-3-small', 'text-embedding-3-small'],
  ])('reads %s as %s', (model, bare) => {
    expect(undated(model)).toBe(bare);
  });

  it('matches dated variants to the undated price, except a dated variant with its own', () => {
    const book = new PriceBook(undefined);
    expect(book.lookup('openai', 'gpt-4o-2024-08-06')).toEqual({ price: PRICES.openai['gpt-4o'], key: 'openai/gpt-4o', source: 'price_table' });
    expect(book.lookup('openai', 'gpt-4o-2024-05-13')!.key).toBe('openai/gpt-4o-2024-05-13');
    expect(book.lookup('openai', 'GPT-4o-Mini')!.key).toBe('openai/gpt-4o-mini');
    expect(book.lookup('anthropic', 'claude-sonnet-4-5-20250929')!.key).toBe('anthropic/claude-sonnet-4-5');
    // A prefix is not a match: a fine-tune or a gateway's own name is unknown, not priced as its base.
    expect(book.lookup('openai', 'gpt-4o-mini-tuned')).toBeUndefined();
    expect(book.lookup('openai', 'ft:gpt-4o-mini:acme::abc')).toBeUndefined();
    // Another provider's price is not assumed (Azure, a local server).
    expect(book.lookup('azure.ai.openai', 'gpt-4o')).toBeUndefined();
    expect(book.lookup('vllm', 'gpt-4o')).toBeUndefined();
  });

  it('puts the app prices first: exact, then undated, then `*` for any provider', () => {
    const book = new PriceBook({
      'openai/gpt-4o': { input: 1, output: 2 },
      '*/llama-3.1-8b': { input: 0.05, output: 0.08 },
      'vllm/qwen2.5-7b-instruct': { input: 0, output: 0 },
    });
    expect(book.lookup('openai', 'gpt-4o-2024-08-06')).toEqual({ price: { input: 1, output: 2 }, key: 'openai/gpt-4o', source: 'options' });
    expect(book.lookup('ollama', 'llama-3.1-8b')!.key).toBe('*/llama-3.1-8b');
    expect(book.lookup('vllm', 'Qwen2.5-7B-Instruct')!.source).toBe('options');
    expect(book.lookup('openai', 'gpt-4o-mini')!.source).toBe('price_table');
  });
});

describe('token arithmetic', () => {
  it('OpenAI: cached input is inside the input count and reasoning inside the output count', () => {
    // 800 uncached × 2.50 + 200 cached × 1.25 + 500 output × 10.00, per million.
    const r = record({ inputTokens: reported(1000), cachedInputTokens: reported(200), outputTokens: reported(500), reasoningTokens: reported(100) });
    expect(usdOf(r, PRICES.openai['gpt-4o'])).toBeCloseTo((800 * 2.5 + 200 * 1.25 + 500 * 10) / 1e6, 12);
  });

  it('Anthropic: the recorded input count includes cache reads and writes (as the instrument sums them), each priced once', () => {
    // Anthropic reported input_tokens 1000 (uncached), cache reads 2000, cache writes 500: the record holds 3500.
    const r = record({
      provider: 'anthropic',
      inputTokens: reported(3500),
      cachedInputTokens: reported(2000),
      cacheCreationInputTokens: reported(500),
      outputTokens: reported(300),
    });
    expect(usdOf(r, PRICES.anthropic['claude-sonnet-4'])).toBeCloseTo((1000 * 3 + 2000 * 0.3 + 500 * 3.75 + 300 * 15) / 1e6, 12);
  });

  it('prices reasoning apart when a price says so', () => {
    const r = record({ inputTokens: reported(0), outputTokens: reported(1000), reasoningTokens: reported(600) });
    expect(usdOf(r, { input: 1, output: 10, reasoning: 20 })).toBeCloseTo((400 * 10 + 600 * 20) / 1e6, 12);
  });

  it('says where the figure came from, and leaves an unknown model unknown, never 0', () => {
    const book = new PriceBook(undefined);
    expect(book.cost(record({ requestModel: 'gpt-4o', inputTokens: { count: 10, source: 'estimated' }, outputTokens: reported(1) }))).toEqual({
      usd: (10 * 2.5 + 1 * 10) / 1e6,
      source: 'price_table',
      priceKey: 'openai/gpt-4o',
      pricesCheckedAt: PRICES_CHECKED_AT,
      tokens: 'estimated',
    });
    expect(book.cost(record({ requestModel: 'my-model', inputTokens: reported(10), outputTokens: reported(1) }))).toEqual({
      usd: undefined,
      source: 'unknown',
      priceKey: undefined,
      pricesCheckedAt: undefined,
      tokens: 'reported',
    });
    // No counts from a call that got an answer: unknown. A call that never reached the provider: no cost at all.
    expect(book.cost(record({ requestModel: 'gpt-4o' }))!.usd).toBeUndefined();
    expect(book.cost(record({ requestModel: 'gpt-4o' }))!.source).toBe('unknown');
    expect(book.cost(record({ requestModel: 'gpt-4o', outcome: 'failed' }))).toBeUndefined();
  });

  it('prefers the model the response named', () => {
    const book = new PriceBook(undefined);
    const r = record({ requestModel: 'my-alias', responseModel: 'gpt-4o-mini-2024-07-18', inputTokens: reported(1_000_000), outputTokens: reported(0) });
    expect(book.cost(r)).toMatchObject({ usd: 0.15, priceKey: 'openai/gpt-4o-mini' });
  });
});

describe('through the monitor', () => {
  const t = openAIFixture({ serviceName: 'cost', otel: false, resources: false });
  const chat = (model: string) => t.openai.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] });

  // The local server's usage: 11 prompt tokens (2 cached), 5 completion tokens (1 reasoning).
  const miniUsd = (9 * 0.15 + 2 * 0.075 + 5 * 0.6) / 1e6;

  it('puts the cost on the record, in llm_vitals_cost_usd_total and in the snapshot', async () => {
    t.fresh();
    await chat('gpt-4o-mini');
    await chat('gpt-4o-mini');
    const records = await t.rec.waitFor(2);
    expect(records[0].cost).toEqual({ usd: expect.closeTo(miniUsd, 15), source: 'price_table', priceKey: 'openai/gpt-4o-mini', pricesCheckedAt: PRICES_CHECKED_AT, tokens: 'reported' });
    const text = await t.monitor.metrics();
    expect(text).toContain('# TYPE llm_vitals_cost_usd_total counter');
    expect(valueOf(text, 'llm_vitals_cost_usd_total', { gen_ai_provider_name: 'openai', gen_ai_request_model: 'gpt-4o-mini', source: 'reported' })).toBeCloseTo(
      2 * miniUsd,
      12,
    );
    const cost = t.monitor.snapshot().cost!;
    expect(cost).toMatchObject({ pricedCalls: 2, unknownCostCalls: 0, estimatedUsd: 0, pricesCheckedAt: PRICES_CHECKED_AT });
    expect(cost.usd).toBeCloseTo(2 * miniUsd, 12);
    expect(cost.groups).toEqual([{ provider: 'openai', model: 'gpt-4o-mini', route: '', usd: cost.usd, estimatedUsd: 0, pricedCalls: 2, unknownCostCalls: 0 }]);
  });

  it('counts calls to a model without a price as unknown cost, never as 0', async () => {
    t.fresh();
    t.server.enqueue({ body: chatCompletion({ model: 'my-local-model' }) });
    await chat('my-local-model');
    const [r] = await t.rec.waitFor(1);
    expect(r.cost).toMatchObject({ usd: undefined, source: 'unknown' });
    const text = await t.monitor.metrics();
    expect(valueOf(text, 'llm_vitals_cost_unknown_calls_total', { gen_ai_provider_name: 'openai', gen_ai_request_model: 'my-local-model' })).toBe(1);
    expect(text).not.toMatch(/llm_vitals_cost_usd_total\{[^}]*my-local-model/);
    expect(t.monitor.snapshot().cost).toMatchObject({ usd: 0, pricedCalls: 0, unknownCostCalls: 1 });
  });

  it('labels a cost priced from estimated tokens `source="estimated"`', async () => {
    t.fresh();
    t.server.enqueue({ body: chatCompletion({ usage: null }) });
    await chat('gpt-4o-mini');
    const [r] = await t.rec.waitFor(1);
    expect(r.inputTokens!.source).toBe('estimated');
    expect(r.cost).toMatchObject({ source: 'price_table', tokens: 'estimated' });
    expect(r.cost!.usd).toBeCloseTo((r.inputTokens!.count * 0.15 + r.outputTokens!.count * 0.6) / 1e6, 12);
    const text = await t.monitor.metrics();
    expect(valueOf(text, 'llm_vitals_cost_usd_total', { gen_ai_provider_name: 'openai', gen_ai_request_model: 'gpt-4o-mini', source: 'estimated' })).toBeCloseTo(
      r.cost!.usd!,
      12,
    );
    expect(t.monitor.snapshot().cost!.estimatedUsd).toBeCloseTo(r.cost!.usd!, 12);
  });

  it('gives no cost to a call that failed before any answer', async () => {
    t.fresh();
    t.server.enqueue({ status: 503 });
    await expect(chat('gpt-4o-mini')).rejects.toThrow();
    const [r] = await t.rec.waitFor(1);
    expect(r.cost).toBeUndefined();
    expect(t.monitor.snapshot().cost).toMatchObject({ pricedCalls: 0, unknownCostCalls: 0 });
  });

  it('uses the prices option, marked as such', async () => {
    t.fresh({ prices: { 'openai/gpt-4o-mini': { input: 1, output: 2 } } });
    await chat('gpt-4o-mini');
    const [r] = await t.rec.waitFor(1);
    expect(r.cost).toEqual({ usd: expect.closeTo((11 * 1 + 5 * 2) / 1e6, 15), source: 'options', priceKey: 'openai/gpt-4o-mini', pricesCheckedAt: undefined, tokens: 'reported' });
  });

  it('splits cost by the route of the Express request', async () => {
    t.fresh();
    const app = express();
    app.use(t.monitor.express());
    app.get('/ask/:id', async (_req, res) => res.json(await chat('gpt-4o-mini')));
    const http: Server = app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => http.once('listening', () => resolve()));
    try {
      await fetch(`http://127.0.0.1:${(http.address() as AddressInfo).port}/ask/7`);
      await t.rec.waitFor(1);
      const text = await t.monitor.metrics();
      expect(
        valueOf(text, 'llm_vitals_cost_usd_total', { gen_ai_provider_name: 'openai', gen_ai_request_model: 'gpt-4o-mini', http_route: '/ask/:id', source: 'reported' }),
      ).toBeCloseTo(miniUsd, 12);
      expect(t.monitor.snapshot().cost!.groups[0].route).toBe('/ask/:id');
    } finally {
      await new Promise<void>((resolve) => (http.closeAllConnections(), http.close(() => resolve())));
    }
  });

  it('keeps cost and quality in the snapshot with the Prometheus metrics off', async () => {
    t.fresh({ prometheus: false });
    await chat('gpt-4o-mini');
    await t.rec.waitFor(1);
    expect(await t.monitor.metrics()).not.toContain('llm_vitals_cost_usd_total');
    expect(t.monitor.snapshot().cost!.usd).toBeCloseTo(miniUsd, 12);
    expect(t.monitor.snapshot().quality![0].evaluated).toBe(1);
  });

  it('refuses malformed prices with a TypeError naming the option', () => {
    expect(() => createMonitor({ prices: { 'gpt-4o': { input: 1, output: 1 } } })).toThrow(/option "prices" key "gpt-4o" must be 'provider\/model'/);
    expect(() => createMonitor({ prices: { 'openai/x': { input: -1, output: 1 } } })).toThrow(/option "prices\["openai\/x"\]\.input" must be a number/);
    expect(() => createMonitor({ prices: { 'openai/x': { input: 1 } as any } })).toThrow(/option "prices\["openai\/x"\]\.output"/);
    expect(() => createMonitor({ prices: { 'openai/x': { input: 1, output: 1, cached: 1 } as any } })).toThrow(/unknown option "prices\["openai\/x"\]\.cached"/);
  });
});
