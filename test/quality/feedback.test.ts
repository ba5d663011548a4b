/**
 * Feedback that arrives after the call, by record id or provider response id: scores, labels and
 * ground truth in `llm_vitals_quality_score` (real exposition), the snapshot, and the quality signals.
 */
import { describe, expect, it } from 'vitest';
import type { AnomalyEvent, CallRecord } from '../../src/index.js';
import { LabelGuard } from '../../src/lib/label-guard.js';
import { correct, RecentCalls } from '../../src/quality/feedback.js';
import { QualitySink, type QualitySignal } from '../../src/sinks/quality.js';
import { chatCompletion } from '../support/openai-server.js';
import { openAIFixture } from '../support/fixture.js';
import { valueOf } from '../support/exposition.js';

const t = openAIFixture({ serviceName: 'feedback', otel: false, resources: false, evaluators: [] });

async function call(responseId: string, content = 'ok'): Promise<CallRecord> {
  const before = t.rec.records.length;
  t.server.enqueue({ body: chatCompletion({ id: responseId, content }) });
  await t.openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'classify' }] });
  await t.monitor.flush();
  expect(t.rec.records).toHaveLength(before + 1);
  return t.rec.records.at(-1)!;
}

const labels = { gen_ai_provider_name: 'openai', gen_ai_request_model: 'gpt-4o-mini' };

describe('monitor.feedback', () => {
  it('takes scores by record id and by response id, with labels', async () => {
    t.fresh();
    const a = await call('chatcmpl-a');
    await call('chatcmpl-b');
    expect(t.monitor.feedback(a.id, { score: 1, label: 'thumbs_up' })).toBe(true);
    expect(t.monitor.feedback('chatcmpl-b', { score: 0, label: 'thumbs_down' })).toBe(true);
    expect(t.monitor.feedback('chatcmpl-b', { score: 0.5 })).toBe(true);
    const text = await t.monitor.metrics();
    expect(valueOf(text, 'llm_vitals_quality_score_count', { ...labels, source: 'feedback' })).toBe(3);
    expect(valueOf(text, 'llm_vitals_quality_score_sum', { ...labels, source: 'feedback' })).toBe(1.5);
    expect(valueOf(text, 'llm_vitals_quality_score_bucket', { ...labels, source: 'feedback', le: '0' })).toBe(1);
    expect(t.monitor.snapshot().quality).toEqual([
      expect.objectContaining({
        provider: 'openai',
        model: 'gpt-4o-mini',
        evaluated: 0,
        feedback: { count: 3, meanScore: 0.5, labels: { thumbs_up: 1, thumbs_down: 1 } },
      }),
    ]);
  });

  it('gives an accuracy rate from ground truth', async () => {
    t.fresh();
    const answers = ['spam', 'ham', 'spam', 'spam'];
    const truth = ['spam', 'ham', 'ham', 'spam'];
    const records: CallRecord[] = [];
    for (let i = 0; i < answers.length; i++) records.push(await call(`chatcmpl-${i}`, answers[i]));
    records.forEach((r, i) => t.monitor.feedback(r.id, { expected: truth[i], actual: answers[i] }));
    expect(t.monitor.snapshot().quality![0].groundTruth).toEqual({ count: 4, correct: 3, accuracy: 0.75 });
    const text = await t.monitor.metrics();
    expect(valueOf(text, 'llm_vitals_quality_score_sum', { ...labels, source: 'ground_truth' })).toBe(3);
    expect(valueOf(text, 'llm_vitals_quality_score_count', { ...labels, source: 'ground_truth' })).toBe(4);
  });

  it('knows a call by the time the on("call") listeners see it, as docs/privacy-cost-quality.md shows', async () => {
    t.fresh();
    const answers: boolean[] = [];
    t.monitor.on('call', (r) => answers.push(t.monitor.feedback(r.id, { score: 1, label: 'auto' })));
    await call('chatcmpl-listener');
    await t.monitor.flush();
    expect(answers).toEqual([true]);
    expect(t.monitor.snapshot().quality![0].feedback).toEqual({ count: 1, meanScore: 1, labels: { auto: 1 } });
  });

  it('sends feedback scores and ground truth to the detectors, in the call\'s provider and model', async () => {
    t.fresh({ detect: { warmup: 20 } });
    const anomalies: AnomalyEvent[] = [];
    t.monitor.on('anomaly', (e) => anomalies.push(e));
    const records: CallRecord[] = [];
    for (let i = 0; i < 3; i++) records.push(await call(`chatcmpl-d${i}`));
    // 200 ratings, one in ten negative, then users start to dislike the answers.
    for (let i = 0; i < 200; i++) t.monitor.feedback(records[i % 3].id, { score: i % 10 === 0 ? 0 : 1 });
    for (let i = 0; i < 100; i++) t.monitor.feedback(records[0].id, { expected: 'spam', actual: 'spam' });
    expect(anomalies).toEqual([]);
    for (let i = 0; i < 40; i++) t.monitor.feedback(records[1].id, { score: i % 3 === 0 ? 1 : 0.25 });
    const group = t.monitor.snapshot().detectors!.groups.find((g) => g.labels.provider === 'openai' && g.labels.model === 'gpt-4o-mini' && g.labels.route === undefined)!;
    expect(group.signals.negative_feedback_rate.anomaly!.observations).toBe(240);
    expect(group.signals.incorrect_rate.anomaly!.observations).toBe(100);
    expect(anomalies.map((e) => e.signal)).toContain('negative_feedback_rate');
    expect(anomalies.find((e) => e.signal === 'negative_feedback_rate')!.labels).toEqual({ provider: 'openai', model: 'gpt-4o-mini' });
  });

  it('refuses feedback for an id it does not know (false), and malformed feedback (TypeError)', async () => {
    t.fresh();
    const r = await call('chatcmpl-x');
    expect(t.monitor.feedback('chatcmpl-unknown', { score: 1 })).toBe(false);
    expect(() => t.monitor.feedback(r.id, { score: 1.5 })).toThrow(/feedback: score must be a number from 0 to 1, got 1.5/);
    expect(() => t.monitor.feedback(r.id, {})).toThrow(/feedback: give a score/);
    expect(() => t.monitor.feedback(r.id, { expected: 'a' })).toThrow(/ground truth needs both expected and actual/);
    expect(() => t.monitor.feedback('', { score: 1 })).toThrow(/feedback: id must be a non-empty string/);
    expect(() => t.monitor.feedback(r.id, { score: 1, label: '' })).toThrow(/label must be a non-empty string/);
    expect(t.monitor.snapshot().quality).toEqual([]);
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
