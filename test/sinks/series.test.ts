/**
 * Series that exist only when something happened, and counters that exist at 0 before their first
 * event (issue: "Series that exist only when something happened"). Real `openai` client over HTTP.
 */
import { describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { createMonitor } from '../../src/index.js';
import { FAULT_COMPONENTS } from '../../src/semconv.js';
import { chatChunks, errorBody, startOpenAIServer } from '../support/openai-server.js';
import { parseExposition, samplesOf } from '../support/exposition.js';

const messages = [{ role: 'user' as const, content: 'hi' }];

describe('Prometheus series', () => {
  it('one 429 on a new model adds no histogram series with count 0', async () => {
    const server = await startOpenAIServer();
    const monitor = createMonitor({ resources: false, detect: false });
    const openai = monitor.wrap(new OpenAI({ apiKey: 'k', baseURL: server.url, maxRetries: 0 }));
    const before = parseExposition(await monitor.metrics()).length;
    server.enqueue({ status: 429, body: errorBody(429) });
    await expect(openai.chat.completions.create({ model: 'model-a', messages })).rejects.toThrow();
    await monitor.flush();
    const text = await monitor.metrics();
    const counts = parseExposition(text).filter((s) => s.name.endsWith('_count'));
    // Each histogram series present holds at least one observation: the failed call's duration only.
    expect(counts.length).toBeGreaterThan(0);
    for (const c of counts) expect(c.value, `${c.name} ${JSON.stringify(c.labels)}`).toBeGreaterThan(0);
    expect(samplesOf(text, 'gen_ai_client_operation_duration_seconds_count')).toHaveLength(1);
    expect(samplesOf(text, 'gen_ai_client_operation_time_to_first_chunk_seconds_count')).toHaveLength(0);
    expect(samplesOf(text, 'gen_ai_client_token_usage_count')).toHaveLength(0);
    // The model added a handful of series, not 155 (a duration histogram is 17 lines: 15 buckets, sum, count).
    const added = parseExposition(text).length - before;
    expect(added).toBeLessThanOrEqual(25);
    await monitor.shutdown();
    await server.close();
  });

  it('a stream observes time per output chunk in the conventions buckets, up to 81.92 s', async () => {
    const server = await startOpenAIServer();
    const monitor = createMonitor({ resources: false, detect: false });
    const openai = monitor.wrap(new OpenAI({ apiKey: 'k', baseURL: server.url, maxRetries: 0 }));
    server.enqueue({ chunks: chatChunks(['a', 'b', 'c']) });
    for await (const _ of await openai.chat.completions.create({ model: 'model-a', messages, stream: true }));
    await monitor.flush();
    const buckets = samplesOf(await monitor.metrics(), 'gen_ai_client_operation_time_per_output_chunk_seconds_bucket').map((s) => s.labels.le);
    expect(buckets).toEqual(['0.01', '0.02', '0.04', '0.08', '0.16', '0.32', '0.64', '1.28', '2.56', '5.12', '10.24', '20.48', '40.96', '81.92', '+Inf']);
    await monitor.shutdown();
    await server.close();
  });

  it('the counters the alerts read with increase() exist at 0 before their first event', async () => {
    const monitor = createMonitor({ resources: false, detect: false });
    const text = await monitor.metrics();
    const faults = samplesOf(text, 'llm_vitals_internal_errors_total');
    expect(faults.map((s) => s.labels.component).sort()).toEqual([...FAULT_COMPONENTS].sort());
    expect(faults.every((s) => s.value === 0)).toBe(true);
    const overflow = samplesOf(text, 'llm_vitals_label_overflow_total');
    expect(overflow.map((s) => s.labels.label)).toContain('gen_ai_request_model');
    expect(overflow.every((s) => s.value === 0)).toBe(true);
    await monitor.shutdown();
  });
});
