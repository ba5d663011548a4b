/**
 * Fault injection: a tokenizer that fails. The real tokenizer package is replaced (vi.mock) by one whose
 * cl100k encoding cannot be loaded and whose o200k encoding throws when counting; the estimator reaches
 * them through its ordinary lazy import. Calls through the real SDK over HTTP return what they would
 * unwrapped; the record goes on to the sinks without counts, noted `estimate_failed`; the fault is counted
 * under `tokenizer` and emitted.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import OpenAI from 'openai';
import { createMonitor, type Monitor } from '../../src/index.js';
import { chatCompletion, DEFAULT_TEXT, startOpenAIServer, type OpenAITestServer } from '../support/openai-server.js';
import { valueOf } from '../support/exposition.js';
import { recorder } from '../support/records.js';

// A module that loads but cannot be used: reading its counter throws while the estimator sets it up.
vi.mock('gpt-tokenizer/encoding/cl100k_base', () => ({
  get countTokens(): never {
    throw new Error('cl100k_base could not be loaded');
  },
  default: undefined,
}));
vi.mock('gpt-tokenizer/encoding/o200k_base', () => ({
  countTokens() {
    throw new Error('o200k_base failed to count');
  },
}));

let server: OpenAITestServer;
let monitor: Monitor;

beforeAll(async () => {
  server = await startOpenAIServer();
});
afterAll(async () => {
  await server.close();
});
afterEach(async () => {
  await monitor?.shutdown();
});

const messages = [{ role: 'user' as const, content: 'Say hello.' }];

describe('a tokenizer that fails', () => {
  it.each([
    ['cannot be loaded', 'gpt-4', 'cl100k_base could not be loaded'],
    ['throws while counting', 'gpt-4o-mini', 'o200k_base failed to count'],
  ])('that %s never reaches the app, and the record goes on uncounted, noted and counted as a fault', async (_, model, message) => {
    monitor = createMonitor();
    const rec = recorder(monitor);
    const openai = monitor.wrap(new OpenAI({ apiKey: 'k', baseURL: server.url, maxRetries: 0 }));
    server.enqueue({ body: chatCompletion({ model, usage: null }) });
    const got = await openai.chat.completions.create({ model, messages });
    expect(got.choices[0].message.content).toBe(DEFAULT_TEXT);
    expect(got.usage).toBeNull();
    let text = '';
    for await (const c of await openai.chat.completions.create({ model, messages, stream: true })) text += c.choices[0]?.delta?.content ?? '';
    expect(text).toBe(DEFAULT_TEXT);

    const records = await rec.waitFor(2);
    for (const r of records) {
      expect(r.outcome).toBe('completed');
      expect(r.inputTokens).toBeUndefined();
      expect(r.outputTokens).toBeUndefined();
      expect(r.notes).toEqual(['usage_missing', 'estimate_failed']);
    }
    expect(rec.errors.map((e: any) => [e.component, e.cause.message])).toEqual([
      ['tokenizer', message],
      ['tokenizer', message],
    ]);
    const text2 = await monitor.metrics();
    expect(valueOf(text2, 'llm_vitals_internal_errors_total', { component: 'tokenizer' })).toBe(2);
    expect(valueOf(text2, 'llm_vitals_calls_total', { gen_ai_operation_name: 'chat', gen_ai_provider_name: 'openai', gen_ai_request_model: model, gen_ai_response_model: model, outcome: 'completed' })).toBe(2);
  });
});
