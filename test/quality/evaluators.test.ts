/**
 * The built-in and custom evaluators, run on real responses (the `openai` client over HTTP to the
 * local server): what each one says, `record.quality`, `llm_vitals_evaluations_total` and
 * `llm_vitals_quality_score` in the real exposition, and that evaluation runs off the app's path.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import OpenAI from 'openai';
import { createMonitor, type CallRecord } from '../../src/index.js';
import { chatChunks, chatCompletion } from '../support/openai-server.js';
import { openAIFixture } from '../support/fixture.js';
import { valueOf } from '../support/exposition.js';
import { missingToolMessage, tools } from '../support/tools.mjs';

const t = openAIFixture({ serviceName: 'quality', otel: false, resources: false });

type Body = Omit<OpenAI.Chat.ChatCompletionCreateParamsNonStreaming, 'model' | 'messages'>;
const ask = (body: Body = {}) => t.openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'q' }], ...body });

/** One call answered with `reply`; its record once published. */
async function judged(reply: Parameters<typeof chatCompletion>[0], body: Body = {}): Promise<CallRecord> {
  const before = t.rec.records.length;
  t.server.enqueue({ body: chatCompletion(reply) });
  await ask(body);
  const records = await t.rec.waitFor(before + 1);
  return records.at(-1)!;
}

const SCHEMA = {
  type: 'object',
  properties: { answer: { type: 'string' }, confidence: { type: 'number' }, tags: { type: 'array', items: { enum: ['a', 'b'] } } },
  required: ['answer'],
  additionalProperties: false,
};
const jsonSchema: Body = { response_format: { type: 'json_schema', json_schema: { name: 'reply', schema: SCHEMA } } };

describe('built-in evaluators', () => {
  it('pass a plain good answer on every check that applies', async () => {
    t.fresh();
    const r = await judged({ content: 'Paris is the capital of France.' });
    expect(r.quality).toEqual({ score: 1, evaluations: { non_empty: 'pass', not_truncated: 'pass', no_refusal: 'pass' } });
  });

  it('fail an empty answer, and one cut by the length limit', async () => {
    t.fresh();
    expect((await judged({ content: '  ' })).quality!.evaluations.non_empty).toBe('fail');
    const cut = await judged({ content: 'The list: 1, 2,', finishReason: 'length' });
    expect(cut.quality).toEqual({ score: 2 / 3, evaluations: { non_empty: 'pass', not_truncated: 'fail', no_refusal: 'pass' } });
  });

  it('fail invalid JSON when JSON was asked for, and judge nothing about JSON otherwise', async () => {
    t.fresh();
    const asked: Body = { response_format: { type: 'json_object' } };
    expect((await judged({ content: '{"a": 1}' }, asked)).quality!.evaluations.valid_json).toBe('pass');
    expect((await judged({ content: 'Sure! {"a": 1}' }, asked)).quality!.evaluations.valid_json).toBe('fail');
    expect((await judged({ content: 'Sure! {"a": 1}' })).quality!.evaluations.valid_json).toBeUndefined();
  });

  it('fail JSON that does not match the schema the request gave', async () => {
    t.fresh();
    const ok = await judged({ content: '{"answer":"x","confidence":0.9,"tags":["a"]}' }, jsonSchema);
    expect(ok.quality!.evaluations).toMatchObject({ valid_json: 'pass', matches_schema: 'pass' });
    for (const wrong of ['{"answer":1}', '{"confidence":0.9}', '{"answer":"x","extra":true}', '{"answer":"x","tags":["c"]}']) {
      expect((await judged({ content: wrong }, jsonSchema)).quality!.evaluations.matches_schema, wrong).toBe('fail');
    }
    // Invalid JSON is valid_json's failure, not counted twice.
    const broken = await judged({ content: '{"answer":' }, jsonSchema);
    expect(broken.quality!.evaluations).toMatchObject({ valid_json: 'fail' });
    expect(broken.quality!.evaluations.matches_schema).toBeUndefined();
  });

  it('fail refusal phrasing at the start of the answer, straight or curly apostrophes, and content_filter', async () => {
    t.fresh();
    for (const refusal of ["I'm sorry, but I can't help with that.", 'I’m unable to assist with this request.', 'As an AI language model, I cannot do that.']) {
      expect((await judged({ content: refusal })).quality!.evaluations.no_refusal, refusal).toBe('fail');
    }
    expect((await judged({ content: '', finishReason: 'content_filter' })).quality!.evaluations.no_refusal).toBe('fail');
    // An answer that mentions not being able to do something later is not a refusal.
    const fine = await judged({ content: 'Here is the plan. Note: I cannot guarantee delivery times.' });
    expect(fine.quality!.evaluations.no_refusal).toBe('pass');
  });

  it('fail tool calls whose arguments do not parse as a JSON object, streamed or not', async () => {
    t.fresh();
    const good = await judged({ toolCalls: [{ id: 'c1', name: 'f', arguments: '{"city":"Paris"}' }] });
    expect(good.quality).toEqual({ score: 1, evaluations: { not_truncated: 'pass', tool_arguments: 'pass' } });
    const bad = await judged({ toolCalls: [{ id: 'c1', name: 'f', arguments: '{"city":"Paris"}' }, { id: 'c2', name: 'g', arguments: '{"city":' }] });
    expect(bad.quality!.evaluations.tool_arguments).toBe('fail');
    t.server.enqueue({ chunks: chatChunks([], { toolCalls: [{ id: 'c1', name: 'f', arguments: '["not", "an object"]' }] }) });
    for await (const _ of await t.openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'q' }], stream: true }));
    const [, , streamed] = await t.rec.waitFor(3);
    expect(streamed.quality!.evaluations.tool_arguments).toBe('fail');
  });

  it('judge no failed call, cancelled stream or embeddings', async () => {
    t.fresh();
    t.server.enqueue({ status: 500 });
    await expect(ask()).rejects.toThrow();
    await t.openai.embeddings.create({ model: 'text-embedding-3-small', input: 'x' });
    t.server.enqueue({ chunks: chatChunks(['a', 'b', 'c']) });
    for await (const _ of await t.openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'q' }], stream: true })) break;
    const records = await t.rec.waitFor(3);
    expect(records.map((r) => [r.outcome, r.quality])).toEqual([
      ['failed', undefined],
      ['completed', undefined],
      ['cancelled', undefined],
    ]);
  });

  it('counts every result in llm_vitals_evaluations_total and each score in llm_vitals_quality_score', async () => {
    t.fresh();
    await judged({ content: '{"a":1}' }, { response_format: { type: 'json_object' } });
    await judged({ content: 'no json' }, { response_format: { type: 'json_object' } });
    const text = await t.monitor.metrics();
    const labels = { gen_ai_provider_name: 'openai', gen_ai_request_model: 'gpt-4o-mini' };
    expect(valueOf(text, 'llm_vitals_evaluations_total', { ...labels, evaluator: 'valid_json', result: 'pass' })).toBe(1);
    expect(valueOf(text, 'llm_vitals_evaluations_total', { ...labels, evaluator: 'valid_json', result: 'fail' })).toBe(1);
    expect(valueOf(text, 'llm_vitals_evaluations_total', { ...labels, evaluator: 'non_empty', result: 'pass' })).toBe(2);
    // Scores 1 and 3/4 (non_empty, not_truncated, no_refusal pass; valid_json fails).
    expect(valueOf(text, 'llm_vitals_quality_score_count', { ...labels, source: 'evaluators' })).toBe(2);
    expect(valueOf(text, 'llm_vitals_quality_score_sum', { ...labels, source: 'evaluators' })).toBeCloseTo(1.75, 12);
    expect(valueOf(text, 'llm_vitals_quality_score_bucket', { ...labels, source: 'evaluators', le: '0.7' })).toBe(0);
    expect(valueOf(text, 'llm_vitals_quality_score_bucket', { ...labels, source: 'evaluators', le: '0.8' })).toBe(1);
    // The cost and quality metric families, as the monitor exposes them, pass promtool's lint.
    const promtool = tools.promtool;
    expect(promtool, missingToolMessage('promtool')).toBeDefined();
    t.monitor.feedback(t.rec.records[0].id, { expected: 'a', actual: 'a' });
    const ours = (await t.monitor.metrics())
      .split('\n')
      .filter((line) => /^(# (HELP|TYPE) )?llm_vitals_(cost_usd_total|cost_unknown_calls_total|quality_score(_bucket|_sum|_count)?|evaluations_total)[{ ]/.test(line))
      .join('\n');
    expect(ours).toContain('llm_vitals_cost_usd_total{');
    expect(ours).toContain('llm_vitals_quality_score_bucket{');
    expect(ours).toContain('source="ground_truth"');
    const lint = spawnSync(promtool!, ['check', 'metrics'], { input: `${ours}\n`, encoding: 'utf8' });
    expect(lint.stdout + lint.stderr).toBe('');
    expect(lint.status).toBe(0);
    const [quality] = t.monitor.snapshot().quality!;
    expect(quality).toMatchObject({ provider: 'openai', model: 'gpt-4o-mini', route: '', evaluated: 2, meanScore: 0.875 });
    expect(quality.evaluations.valid_json).toEqual({ pass: 1, fail: 1, error: 0, timeout: 0, failRate: 0.5 });
  });
});

describe('custom evaluators and the options', () => {
  it('runs custom evaluators, sync and async, next to the chosen built-ins', async () => {
    t.fresh({
      evaluators: [
        'non_empty',
        function mentionsParis({ output }) {
          return output.includes('Paris');
        },
        { name: 'length_score', evaluate: ({ output }) => Math.min(1, output.length / 100) },
        { name: 'remote_judge', evaluate: async ({ record }) => ({ pass: record.outputTokens!.count > 0, score: 0.9 }) },
        { name: 'not_for_me', evaluate: () => undefined },
      ],
    });
    const r = await judged({ content: 'Paris, ' + 'x'.repeat(43) });
    expect(r.quality!.evaluations).toEqual({ non_empty: 'pass', mentionsParis: 'pass', length_score: 'pass', remote_judge: 'pass' });
    expect(r.quality!.score).toBeCloseTo((1 + 1 + 0.5 + 0.9) / 4, 12);
  });

  it('counts an evaluator that throws as error and one that runs past the timeout as timeout, without holding the record', async () => {
    t.fresh({
      evaluationTimeoutMs: 50,
      evaluators: [
        'non_empty',
        {
          name: 'broken',
          evaluate: () => {
            throw new Error('judge crashed');
          },
        },
        { name: 'slow', evaluate: () => new Promise(() => undefined) },
        { name: 'rejects', evaluate: async () => Promise.reject(new Error('judge offline')) },
        { name: 'out_of_range', evaluate: () => 7 },
      ],
    });
    const started = performance.now();
    const r = await judged({ content: 'ok' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
    expect(r.quality).toEqual({
      score: 1,
      evaluations: { non_empty: 'pass', broken: 'error', slow: 'timeout', rejects: 'error', out_of_range: 'error' },
    });
    expect(t.rec.errors.map((e) => (e as any).component)).toEqual(['evaluator', 'evaluator', 'evaluator']);
    expect(valueOf(await t.monitor.metrics(), 'llm_vitals_evaluations_total', {
      gen_ai_provider_name: 'openai',
      gen_ai_request_model: 'gpt-4o-mini',
      evaluator: 'slow',
      result: 'timeout',
    })).toBe(1);
  });

  it('runs after the app has its response, never on its path', async () => {
    let ran = false;
    t.fresh({ evaluators: [{ name: 'spy', evaluate: () => ((ran = true), true) }] });
    const response = await ask();
    // The app holds its answer; the evaluation has not run yet, and its record is not out.
    expect(response.choices[0].message.content).toBe('Hello from the local server');
    expect(ran).toBe(false);
    expect(t.rec.records).toHaveLength(0);
    await t.rec.waitFor(1);
    expect(ran).toBe(true);
  });

  it('evaluates nothing at evaluationSampleRate 0, or with no evaluators', async () => {
    t.fresh({ evaluationSampleRate: 0 });
    await ask();
    expect((await t.rec.waitFor(1))[0].quality).toBeUndefined();
    await t.monitor.shutdown();
    t.fresh({ evaluators: [] });
    await ask();
    expect((await t.rec.waitFor(1))[0].quality).toBeUndefined();
  });

  it('publishes every held record by shutdown', async () => {
    t.fresh({ evaluators: [{ name: 'later', evaluate: () => new Promise((r) => setTimeout(() => r(true), 30)) }] });
    await Promise.all([ask(), ask(), ask()]);
    await t.monitor.shutdown();
    expect(t.rec.records).toHaveLength(3);
    expect(t.rec.records.every((r) => r.quality!.evaluations.later === 'pass')).toBe(true);
  });

  it('refuses malformed evaluator options with a TypeError naming the option', () => {
    expect(() => createMonitor({ evaluators: ['valid_jsn'] })).toThrow(/option "evaluators\[0\]" names no built-in evaluator: "valid_jsn"/);
    expect(() => createMonitor({ evaluators: [() => true] })).toThrow(/option "evaluators\[0\].name" must be a name/);
    expect(() => createMonitor({ evaluators: [{ name: 'bad name', evaluate: () => true }] })).toThrow(/evaluators\[0\].name/);
    expect(() => createMonitor({ evaluators: ['non_empty', { name: 'non_empty', evaluate: () => true }] })).toThrow(/repeats the evaluator name "non_empty"/);
    expect(() => createMonitor({ evaluators: {} as any })).toThrow(/option "evaluators" must be an array/);
    expect(() => createMonitor({ evaluationSampleRate: 2 })).toThrow(/option "evaluationSampleRate" must be a number from 0 to 1, got 2/);
    expect(() => createMonitor({ evaluationTimeoutMs: 0 })).toThrow(/option "evaluationTimeoutMs" must be an integer from 1 to 60000/);
  });
});
