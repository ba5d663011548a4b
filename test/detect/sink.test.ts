import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import type { CallRecord } from '../../src/index.js';
import { DetectorSink, type AnomalyEvent, type AnomalyResolvedEvent, type DriftEvent } from '../../src/detect/sink.js';
import { resolveDetectOptions, type DetectOptions } from '../../src/detect/options.js';
import type { ResourceSample } from '../../src/resources/sample.js';
import { normal } from './random.js';

function record(overrides: Partial<CallRecord> = {}): CallRecord {
  return {
    id: 'r',
    provider: 'openai',
    operation: 'chat',
    requestModel: 'gpt-4o-mini',
    responseModel: 'gpt-4o-mini-2024-07-18',
    responseId: undefined,
    streaming: false,
    serverAddress: undefined,
    serverPort: undefined,
    startTime: 1_700_000_000_000,
    duration: 200,
    timeToFirstChunk: undefined,
    chunks: 0,
    timePerOutputChunk: undefined,
    chunkIntervals: undefined,
    inputTokens: { count: 100, source: 'reported' },
    outputTokens: { count: 50, source: 'reported' },
    cachedInputTokens: undefined,
    cacheCreationInputTokens: undefined,
    reasoningTokens: undefined,
    outputTokensPerSecond: 250,
    finishReasons: ['stop'],
    outcome: 'completed',
    errorType: undefined,
    errorClass: undefined,
    httpStatus: undefined,
    notes: [],
    context: undefined,
    request: {},
    content: undefined,
    alerts: undefined,
    cost: undefined,
    quality: undefined,
    segment: undefined,
    ...overrides,
  } as CallRecord;
}

function sink(options: DetectOptions = {}, registry?: Registry) {
  const anomalies: AnomalyEvent[] = [];
  const drifts: DriftEvent[] = [];
  const recoveries: AnomalyResolvedEvent[] = [];
  const faults: unknown[] = [];
  const resolved = resolveDetectOptions({ warmup: 20, ...options });
  if (resolved === false) throw new Error('unreachable');
  const detectors = new DetectorSink({
    options: resolved,
    registry,
    emit: (event: 'anomaly' | 'anomaly_resolved' | 'drift', payload: any) =>
      (event === 'anomaly' ? anomalies : event === 'anomaly_resolved' ? recoveries : drifts).push(payload),
    fault: (_c, e) => faults.push(e),
  });
  return { detectors, anomalies, drifts, recoveries, faults };
}

describe('the detector sink', () => {
  it('watches each route on its own as well as the provider and model together', () => {
    const g = normal(1);
    const { detectors, anomalies } = sink();
    for (let i = 0; i < 200; i++) {
      const route = i % 2 === 0 ? '/chat' : '/search';
      detectors.callEnded(record({ id: `r${i}`, duration: 200 * Math.exp(0.1 * g()), context: { 'http.route': route } }));
    }
    // /search slows down to 4x; /chat does not.
    const slow = record({ id: 'slow', duration: 800, context: { 'http.route': '/search' } });
    detectors.callEnded(slow);
    // Both label sets alerted on the call: one alert, named after the route, the model's linked.
    const latency = anomalies.filter((e) => e.recordId === 'slow' && e.signal === 'latency');
    expect(latency).toHaveLength(1);
    expect(latency[0].labels).toEqual({ provider: 'openai', model: 'gpt-4o-mini', route: '/search' });
    expect(latency[0].related).toEqual([{ provider: 'openai', model: 'gpt-4o-mini' }]);
    expect(slow.alerts!.filter((a) => a.signal === 'latency')).toHaveLength(1);
    const groups = detectors.snapshot().groups.map((g) => g.labels);
    expect(groups).toEqual([
      { provider: 'openai', model: 'gpt-4o-mini' },
      { provider: 'openai', model: 'gpt-4o-mini', route: '/chat' },
      { provider: 'openai', model: 'gpt-4o-mini', route: '/search' },
    ]);
    expect(detectors.snapshot().groups[1].signals.latency.anomaly!.observations).toBe(100);
  });

  it('raises one drift event for a drift its model and its route both see, named after the route', () => {
    const g = normal(11);
    const { detectors, drifts } = sink({ drift: { reference: 40, window: 40, every: 10 } });
    const tokens = (typical: number) => ({ count: Math.round(typical * Math.exp(0.1 * g())), source: 'reported' as const });
    for (let i = 0; i < 60; i++) detectors.callEnded(record({ id: `r${i}`, inputTokens: tokens(100), context: { 'http.route': '/chat' } }));
    for (let i = 0; i < 80; i++) detectors.callEnded(record({ id: `s${i}`, inputTokens: tokens(400), context: { 'http.route': '/chat' } }));
    const input = drifts.filter((e) => e.signal === 'input_tokens');
    expect(input).toHaveLength(1);
    expect(input[0].labels).toEqual({ provider: 'openai', model: 'gpt-4o-mini', route: '/chat' });
    expect(input[0].related).toEqual([{ provider: 'openai', model: 'gpt-4o-mini' }]);
  });

  it('keeps the alerts of the call being published when an anomaly listener calls observe()', () => {
    const g = normal(3);
    let detectors!: DetectorSink;
    const seen: AnomalyEvent[] = [];
    const resolved = resolveDetectOptions({ warmup: 20 });
    if (resolved === false) throw new Error('unreachable');
    detectors = new DetectorSink({
      options: resolved,
      registry: undefined,
      emit: (event: 'anomaly' | 'anomaly_resolved' | 'drift', payload: any) => {
        if (event !== 'anomaly') return;
        seen.push(payload);
        // The app reacts to the alert with a measurement of its own, as the README suggests.
        detectors.observe('queue_depth', 3, undefined);
      },
      fault: (_c, e) => {
        throw e;
      },
    });
    for (let i = 0; i < 100; i++) detectors.callEnded(record({ id: `r${i}`, duration: 200 * Math.exp(0.1 * g()), context: { 'http.route': '/chat' } }));
    const slow = record({ id: 'slow', duration: 2000, context: { 'http.route': '/chat' } });
    detectors.callEnded(slow);
    const fromSlow = seen.filter((e) => e.recordId === 'slow');
    expect(fromSlow.length).toBeGreaterThanOrEqual(1);
    expect(slow.alerts).toHaveLength(fromSlow.length);
    // The model's and the route's alerts on it are one incident: one alert on the record.
    expect(slow.alerts!.filter((a) => a.signal === 'latency')).toHaveLength(1);
  });

  it('gives each call its own alerts: a later call never shares or clears an earlier one\'s', () => {
    const g = normal(4);
    const { detectors } = sink();
    for (let i = 0; i < 100; i++) detectors.callEnded(record({ id: `r${i}`, duration: 200 * Math.exp(0.1 * g()) }));
    const slow = record({ id: 'slow', duration: 2000 });
    detectors.callEnded(slow);
    const alerts = slow.alerts!.slice();
    expect(alerts.length).toBeGreaterThan(0);
    detectors.callEnded(record({ id: 'next', duration: 3000 }));
    detectors.observe('latency', 5000, { provider: 'openai', model: 'gpt-4o-mini' });
    expect(slow.alerts).toEqual(alerts);
  });

  it('watches feedback scores and ground truth that arrive after the call, as rates', () => {
    const { detectors, anomalies } = sink();
    const labels = { provider: 'openai', model: 'gpt-4o-mini', route: '/chat' };
    for (let i = 0; i < 200; i++) detectors.quality('feedback', i % 10 === 0 ? 0 : 1, labels, i);
    for (let i = 0; i < 50; i++) detectors.quality('ground_truth', 1, labels, i);
    // The evaluators' scores are on the record (signal `quality`): not fed twice.
    detectors.quality('evaluators', 0, labels, 0);
    expect(anomalies).toEqual([]);
    for (let i = 0; i < 30; i++) detectors.quality('feedback', 0.2, labels, 300 + i);
    const groups = detectors.snapshot().groups;
    expect(groups.map((g) => g.labels)).toEqual([
      { provider: 'openai', model: 'gpt-4o-mini' },
      { provider: 'openai', model: 'gpt-4o-mini', route: '/chat' },
    ]);
    expect(groups[0].signals.negative_feedback_rate.anomaly!.observations).toBe(230);
    expect(groups[1].signals.incorrect_rate.anomaly!.observations).toBe(50);
    expect(groups[0].signals.quality).toBeUndefined();
    expect(anomalies.filter((e) => e.signal === 'negative_feedback_rate').map((e) => e.reason)).toContain('rate');
  });

  it('leaves feedback out of the detectors when its signal is ignored', () => {
    const { detectors } = sink({ ignore: ['negative_feedback_rate'] });
    detectors.quality('feedback', 0, { provider: 'openai', model: 'gpt-4o-mini' }, 0);
    detectors.quality('ground_truth', 0, { provider: 'openai', model: 'gpt-4o-mini' }, 0);
    expect(Object.keys(detectors.snapshot().groups[0].signals)).toEqual(['incorrect_rate']);
  });

  it('keeps the routes together with perRoute: false', () => {
    const { detectors } = sink({ perRoute: false });
    detectors.callEnded(record({ context: { 'http.route': '/chat' } }));
    expect(detectors.snapshot().groups.map((g) => g.labels)).toEqual([{ provider: 'openai', model: 'gpt-4o-mini' }]);
  });

  it('uses the label values the monitor guarded, when it passes them', () => {
    const { detectors } = sink();
    detectors.callEnded(record({ requestModel: 'model-201' }), { operation: 'chat', provider: 'openai', requestModel: 'other', responseModel: '' });
    expect(detectors.snapshot().groups[0].labels).toEqual({ provider: 'openai', model: 'other' });
  });

  it('folds label sets past maxGroups into one `other` set', () => {
    const { detectors } = sink({ maxGroups: 2 });
    for (const model of ['a', 'b', 'c', 'd']) detectors.callEnded(record({ requestModel: model }));
    const groups = detectors.snapshot().groups;
    expect(groups.map((g) => g.labels)).toEqual([
      { provider: 'openai', model: 'a' },
      { provider: 'openai', model: 'b' },
      { provider: 'other', model: 'other' },
    ]);
    expect(groups[2].signals.latency.anomaly!.observations).toBe(2);
  });

  it('reads each signal only from calls that give it: latency from completed calls, errors from settled ones', () => {
    const { detectors } = sink();
    detectors.callEnded(record({ outcome: 'failed', errorType: 'rate_limit', finishReasons: [], outputTokens: undefined, outputTokensPerSecond: undefined }));
    detectors.callEnded(record({ outcome: 'cancelled' }));
    let signals = detectors.snapshot().groups[0].signals;
    expect(signals.latency).toBeUndefined();
    expect(signals.output_tokens).toBeUndefined();
    expect(signals.finish_reason).toBeUndefined();
    expect(signals.input_tokens.anomaly!.observations).toBe(1);
    expect(signals.error_rate.anomaly!.observations).toBe(1);
    expect(signals.rate_limit_rate.anomaly!.observations).toBe(1);
    detectors.callEnded(record());
    signals = detectors.snapshot().groups[0].signals;
    expect(signals.latency.anomaly!.observations).toBe(1);
    expect(signals.error_rate.anomaly!.observations).toBe(2);
    expect(signals.finish_reason.drift!.observations).toBe(1);
    expect(signals.time_to_first_chunk).toBeUndefined();
  });

  it('leaves out ignored signals', () => {
    const { detectors } = sink({ ignore: ['latency', 'finish_reason'] });
    detectors.callEnded(record());
    const signals = detectors.snapshot().groups[0].signals;
    expect(signals.latency).toBeUndefined();
    expect(signals.finish_reason).toBeUndefined();
    expect(signals.output_tokens).toBeDefined();
  });

  it('watches event-loop delay and GPU memory from resource samples', () => {
    const g = normal(2);
    const registry = new Registry();
    const { detectors, anomalies } = sink({}, registry);
    const sample = (delay: number, gpuBytes: number, time: number): ResourceSample =>
      ({
        time,
        intervalMs: 5000,
        process: {} as never,
        system: {} as never,
        eventLoop: { delayP50Ms: 10, delayP99Ms: delay, delayMaxMs: delay, utilization: 0.1, resolutionMs: 10 },
        gpus: [{ index: 0, uuid: 'GPU-1', name: 'H100', memoryUsedBytes: gpuBytes, ageMs: 1 }],
      }) as ResourceSample;
    for (let i = 0; i < 100; i++) detectors.resourceSample(sample(11 + 0.5 * g(), 4e10 + 1e8 * g(), i));
    detectors.resourceSample(sample(250, 4e10, 100));
    expect(anomalies).toHaveLength(1);
    expect(anomalies[0]).toMatchObject({ signal: 'event_loop_delay', labels: {}, value: 250, time: 100 });
    for (let i = 0; i < 40; i++) detectors.resourceSample(sample(11, 7.5e10, 200 + i));
    const gpu = anomalies.find((e) => e.signal === 'gpu_memory');
    expect(gpu).toMatchObject({ labels: { gpu: '0' }, value: 7.5e10 });
    expect(gpu!.baseline! / 4e10).toBeCloseTo(1, 1);
  });

  it('reports a fault of its own instead of throwing, for an observe() it cannot handle', () => {
    const { detectors, faults } = sink();
    // A spec whose reader throws stands in for a bug.
    (detectors as any).feed = () => {
      throw new Error('bug');
    };
    expect(() => detectors.observe('x', 1, undefined)).not.toThrow();
    expect(faults).toHaveLength(1);
  });
});
