/**
 * Feedback that arrives after the call, by record id or provider response id: scores, labels and
 * ground truth in `llm_vitals_quality_score` (real exposition), the snapshot, and the quality signals.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { createMonitor, type CallRecord, type Monitor } from '../../src/index.js';
import { LabelGuard } from '../../src/lib/label-guard.js';
import { correct, RecentCalls } from '../../src/quality/feedback.js';
import { QualitySink, type QualitySignal } from '../../src/sinks/quality.js';
import { chatCompletion, startOpenAIServer, type OpenAITestServer } from '../support/openai-server.js';
import { recorder } from '../support/records.js';
import { valueOf } from '../support/exposition.js';

let server: OpenAITestServer;
let monitor: Monitor;
let rec: ReturnType<typeof recorder>;
let openai: OpenAI;

beforeAll(async () => {
  server = await startOpenAIServer();
});
afterAll(async () => {
  await server.close();
});
afterEach(async () => {
  await monitor?.shutdown();
});

function fresh() {
  monitor = createMonitor({ serviceName: 'feedback', otel: false, resources: false, evaluators: [] });
  rec = recorder(monitor);
  openai = monitor.wrap(new OpenAI({ apiKey: 'test-key', baseURL: server.url, maxRetries: 0 }));
}

async function call(responseId: string, content = 'ok'): Promise<CallRecord> {
  const before = rec.records.length;
  server.enqueue({ body: chatCompletion({ id: responseId, content }) });
  await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'classify' }] });
  return (await rec.waitFor(before + 1)).at(-1)!;
}

const labels = { gen_ai_provider_name: 'openai', gen_ai_request_model: 'gpt-4o-mini' };

describe('monitor.feedback', () => {
  it('takes scores by record id and by response id, with labels', async () => {
    fresh();
    const a = await call('chatcmpl-a');
    await call('chatcmpl-b');
    expect(monitor.feedback(a.id, { score: 1, label: 'thumbs_up' })).toBe(true);
    expect(monitor.feedback('chatcmpl-b', { score: 0, label: 'thumbs_down' })).toBe(true);
    expect(monitor.feedback('chatcmpl-b', { score: 0.5 })).toBe(true);
    const text = await monitor.metrics();
    expect(valueOf(text, 'llm_vitals_quality_score_count', { ...labels, source: 'feedback' })).toBe(3);
    expect(valueOf(text, 'llm_vitals_quality_score_sum', { ...labels, source: 'feedback' })).toBe(1.5);
    expect(valueOf(text, 'llm_vitals_quality_score_bucket', { ...labels, source: 'feedback', le: '0' })).toBe(1);
    expect(monitor.snapshot().quality).toEqual([
      expect.objectContaining({
        provider: 'openai',
        model: 'gpt-4o-mini',
        evaluated: 0,
        feedback: { count: 3, meanScore: 0.5, labels: { thumbs_up: 1, thumbs_down: 1 } },
      }),
    ]);
  });

  it('gives an accuracy rate from ground truth', async () => {
    fresh();
    const answers = ['spam', 'ham', 'spam', 'spam'];
    const truth = ['spam', 'ham', 'ham', 'spam'];
    const records: CallRecord[] = [];
    for (let i = 0; i < answers.length; i++) records.push(await call(`chatcmpl-${i}`, answers[i]));
    records.forEach((r, i) => monitor.feedback(r.id, { expected: truth[i], actual: answers[i] }));
    expect(monitor.snapshot().quality![0].groundTruth).toEqual({ count: 4, correct: 3, accuracy: 0.75 });
    const text = await monitor.metrics();
    expect(valueOf(text, 'llm_vitals_quality_score_sum', { ...labels, source: 'ground_truth' })).toBe(3);
    expect(valueOf(text, 'llm_vitals_quality_score_count', { ...labels, source: 'ground_truth' })).toBe(4);
  });

  it('refuses feedback for an id it does not know (false), and malformed feedback (TypeError)', async () => {
    fresh();
    const r = await call('chatcmpl-x');
    expect(monitor.feedback('chatcmpl-unknown', { score: 1 })).toBe(false);
    expect(() => monitor.feedback(r.id, { score: 1.5 })).toThrow(/feedback: score must be a number from 0 to 1, got 1.5/);
    expect(() => monitor.feedback(r.id, {})).toThrow(/feedback: give a score/);
    expect(() => monitor.feedback(r.id, { expected: 'a' })).toThrow(/ground truth needs both expected and actual/);
    expect(() => monitor.feedback('', { score: 1 })).toThrow(/feedback: id must be a non-empty string/);
    expect(() => monitor.feedback(r.id, { score: 1, label: '' })).toThrow(/label must be a non-empty string/);
    expect(monitor.snapshot().quality).toEqual([]);
  });
});

describe('the parts', () => {
  it('forgets the least recently used ids past its size, keeping what was used', () => {
    const recent = new RecentCalls<number>(4);
    for (const [id, v] of [['a', 1], ['b', 2], ['c', 3], ['d', 4]] as const) recent.remember(id, v);
    expect(recent.recall('a')).toBe(1);
    recent.remember('e', 5);
    expect(recent.recall('b')).toBeUndefined();
    expect([recent.recall('a'), recent.recall('e')]).toEqual([1, 5]);
    for (let i = 0; i < 1000; i++) {
      recent.remember(`id${i}`, i);
      expect(recent.size).toBeLessThanOrEqual(4);
    }
    expect(recent.recall('id999')).toBe(999);
    expect(recent.recall('id0')).toBeUndefined();
  });

  it('compares ground truth by value', () => {
    expect(correct('spam', ' spam ')).toBe(true);
    expect(correct(3, 3)).toBe(true);
    expect(correct({ a: [1, 2] }, { a: [1, 2] })).toBe(true);
    expect(correct('3', 3)).toBe(false);
    expect(correct(null, 'null')).toBe(false);
  });

  it('sends each quality figure to the signal listeners, isolated', () => {
    const faults: unknown[] = [];
    const sink = new QualitySink(undefined, new LabelGuard(10), undefined, (_c, e) => faults.push(e));
    const signals: QualitySignal[] = [];
    sink.onSignal(() => {
      throw new Error('detector down');
    });
    sink.onSignal((s) => signals.push(s));
    const record = {
      id: 'r1',
      responseId: 'resp_1',
      context: { 'http.route': '/ask' },
      segment: 'pro',
      quality: { score: 0.5, evaluations: { non_empty: 'pass', valid_json: 'fail' } },
    } as unknown as CallRecord;
    sink.callEnded(record, { operation: 'chat', provider: 'openai', requestModel: 'gpt-4o', responseModel: 'gpt-4o' });
    sink.feedback('resp_1', { score: 0.25 });
    sink.feedback('r1', { expected: 'a', actual: 'b' });
    expect(signals.map(({ time, ...s }) => s)).toEqual([
      { provider: 'openai', model: 'gpt-4o', route: '/ask', segment: 'pro', source: 'evaluators', score: 0.5 },
      { provider: 'openai', model: 'gpt-4o', route: '/ask', segment: 'pro', source: 'feedback', score: 0.25 },
      { provider: 'openai', model: 'gpt-4o', route: '/ask', segment: 'pro', source: 'ground_truth', score: 0 },
    ]);
    expect(faults).toHaveLength(3);
  });
});
