import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { createMonitor, type AnomalyEvent, type DriftEvent, type Monitor, type MonitorOptions } from '../../src/index.js';
import { chatCompletion, defaultReply, startOpenAIServer, type OpenAITestServer } from '../support/openai-server.js';
import { recorder } from '../support/records.js';
import { normal } from './random.js';

let server: OpenAITestServer;
let monitor: Monitor;

beforeAll(async () => {
  // A model that answers in about 15 ms, so latencies have a steady baseline to depart from.
  server = await startOpenAIServer({ defaultHandler: (req) => ({ ...defaultReply(req), delayBeforeHeadersMs: 15 }) });
  // Warm the SDK's code paths up before any monitor times them (the first calls run cold).
  const plain = new OpenAI({ apiKey: 'test-key', baseURL: server.url, maxRetries: 0 });
  for (let i = 0; i < 10; i++) await plain.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
});
afterAll(async () => {
  await server.close();
});
afterEach(async () => {
  await monitor?.shutdown();
});

const messages = [{ role: 'user' as const, content: 'Say hello.' }];

function setUp(options: MonitorOptions = {}) {
  monitor = createMonitor({ resources: false, otel: false, detect: { warmup: 20, drift: { reference: 30, window: 30, every: 10 } }, ...options });
  const client = monitor.wrap(new OpenAI({ apiKey: 'test-key', baseURL: server.url, maxRetries: 0 }));
  const anomalies: AnomalyEvent[] = [];
  const drifts: DriftEvent[] = [];
  monitor.on('anomaly', (e) => anomalies.push(e));
  monitor.on('drift', (e) => drifts.push(e));
  return { client, anomalies, drifts, rec: recorder(monitor) };
}

async function calls(client: OpenAI, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await client.chat.completions.create({ model: 'gpt-4o-mini', messages });
}

describe('detectors in the monitor', () => {
  it('reports a latency spike as an anomaly, on the event, the record and the metrics', async () => {
    // No cooldown: on a loaded machine a call just before the spike may itself be slow enough to alert,
    // and the spike must not fall in that alert's cooldown.
    const { client, anomalies, rec } = setUp({ detect: { warmup: 20, cooldown: 0, drift: { reference: 30, window: 30, every: 10 } } });
    // Latency incidents open, and the call count at the latest latency event.
    const open = new Set<string>();
    let n = 0;
    let lastEvent = 0;
    monitor.on('anomaly', (e) => {
      if (e.signal === 'latency') open.add(e.incident), (lastEvent = n);
    });
    monitor.on('anomaly_resolved', (e) => {
      if (e.signal === 'latency') open.delete(e.incident), (lastEvent = n);
    });
    // At least 200 calls: the point test reads the tail from the signal's own history (its top tenth),
    // which a few dozen calls on a loaded machine do not pin down. On a loaded machine latencies may creep up enough for a level alert. The incident then stays open
    // until latency settles (one incident, one alert: a spike inside it raises nothing new), and the
    // detector learns its baseline again from a few values, too few to call even a 30-fold value rare
    // at the promised false-alarm rate. So call on until it is watching, no incident is open, and 200
    // calls have passed since the latest latency event (a failure in CI, a level_up 10 calls before
    // the spike, looked just like this).
    const latencyPhase = () => monitor.snapshot().detectors!.groups[0].signals.latency.anomaly!.phase;
    while (n < 200 || ((latencyPhase() !== 'watching' || open.size > 0 || n - lastEvent < 200) && n < 1200)) {
      await calls(client, 1);
      await rec.waitFor(++n);
    }
    expect({ open: open.size, settledFor: Math.min(n - lastEvent, 200) }, 'latency unsettled after 1,200 calls').toEqual({ open: 0, settledFor: 200 });
    // The spike stands well clear of the slowest earlier call, however loaded the machine is.
    const slowestWarmUp = Math.max(...(await rec.waitFor(n)).map((r) => r.duration));
    const delay = Math.max(800, Math.ceil(30 * slowestWarmUp));
    server.enqueue({ delayBeforeHeadersMs: delay });
    await calls(client, 1);
    const records = await rec.waitFor(n + 1);
    const slow = records[n];
    expect(slow.duration).toBeGreaterThanOrEqual(delay - 10);
    const event = anomalies.find((e) => e.signal === 'latency' && e.recordId === slow.id);
    expect(event, JSON.stringify({ anomalies, durations: records.map((r) => Math.round(r.duration)) })).toBeDefined();
    expect(event).toMatchObject({
      kind: 'anomaly',
      signal: 'latency',
      labels: { provider: 'openai', model: 'gpt-4o-mini' },
      threshold: 0.5,
      windows: { warmup: 20, memory: 500, cooldown: 0 },
    });
    expect(event!.value).toBe(slow.duration);
    expect(event!.baseline!).toBeLessThan(slow.duration / 4);
    expect(event!.score).toBeGreaterThanOrEqual(0.5);
    expect(event!.score).toBeLessThan(1);
    expect(Math.abs(event!.time - (slow.startTime + slow.duration))).toBeLessThan(1);
    // The record the 'call' listeners saw already carried the alert (the detector sink runs first).
    expect(slow.alerts).toContainEqual({ kind: 'anomaly', signal: 'latency', score: event!.score, threshold: 0.5, value: slow.duration });
    const text = await monitor.metrics();
    expect(text).toMatch(
      new RegExp(`llm_vitals_anomalies_total\\{signal="latency",gen_ai_provider_name="openai",gen_ai_request_model="gpt-4o-mini",reason="${event!.reason}"\\} [1-9]`),
    );
    expect(text).toMatch(/# TYPE llm_vitals_anomaly_score gauge/);
    expect(text).toMatch(/llm_vitals_anomaly_score\{signal="error_rate",gen_ai_provider_name="openai",gen_ai_request_model="gpt-4o-mini"\} 0/);
   }, 60_000);

  it('finds a latency incident that starts soon after the warm-up, through the real SDK', async () => {
    // The model answers in lognormal times (median 20 ms, σ 0.3 in log space), then from call 80 in
    // 100 ms, for 10 calls. Past the history's range the point test's p is tempered by the few
    // surprises seen so far, and the scores once fell below a value just inside the range: such an
    // incident went unalerted in about half of the runs. This run is one draw, the path end to end; the
    // count over 100 seeds that tells the two apart is in test/detect/families.test.ts.
    const { client, anomalies, rec } = setUp({ detect: { drift: false } });
    const g = normal(31);
    for (let i = 0; i < 90; i++) {
      server.enqueue({ delayBeforeHeadersMs: i >= 80 ? 100 : Math.round(20 * Math.exp(0.3 * g())) });
      await calls(client, 1);
    }
    const records = await rec.waitFor(90);
    const incident = new Set(records.slice(80).map((r) => r.id));
    const alerts = anomalies.filter((e) => e.signal === 'latency' && incident.has(e.recordId!));
    expect(alerts.length, JSON.stringify({ anomalies, durations: records.map((r) => Math.round(r.duration)) })).toBe(1);
    expect(alerts[0].value).toBeGreaterThanOrEqual(100);
    expect(alerts[0].baseline!).toBeLessThan(40);
  });

  it('reports a burst of failures as an error_rate anomaly', async () => {
    const { client, anomalies, rec } = setUp();
    await calls(client, 30);
    for (let i = 0; i < 14; i++) server.enqueue({ status: 500 });
    for (let i = 0; i < 14; i++) await client.chat.completions.create({ model: 'gpt-4o-mini', messages }).catch(() => undefined);
    await rec.waitFor(44);
    const errors = anomalies.filter((e) => e.signal === 'error_rate');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ reason: 'rate', value: 1 });
    expect(errors[0].baseline).toBeLessThan(0.05);
  });

  it('reports a change of the finish-reason mix as drift, once per episode, with both windows', async () => {
    const { client, drifts, anomalies, rec } = setUp();
    await calls(client, 40);
    for (let i = 0; i < 30; i++) server.enqueue({ body: chatCompletion({ finishReason: 'length' }) });
    await calls(client, 30);
    await rec.waitFor(70);
    const mix = drifts.filter((e) => e.signal === 'finish_reason');
    expect(mix).toHaveLength(1);
    expect(mix[0]).toMatchObject({ kind: 'drift', statistic: 'js_distance', statisticThreshold: 0.1, threshold: 0.5, baseline: { stop: 1 } });
    expect((mix[0].value as Record<string, number>).length).toBeGreaterThan(0.3);
    expect(mix[0].statistics.chi_squared_p_value).toBeLessThan(0.001);
    expect(mix[0].windows).toEqual({ reference: 30, current: 30, every: 10 });
    // `length` finishes rising is also a rate anomaly.
    expect(anomalies.some((e) => e.signal === 'truncation_rate')).toBe(true);
    expect(await monitor.metrics()).toMatch(/llm_vitals_drift_score\{signal="finish_reason",gen_ai_provider_name="openai",gen_ai_request_model="gpt-4o-mini",statistic="js_distance"\} (1|0\.[0-9]+)\n/);
  });

  it('shows each detector in snapshot().detectors', async () => {
    const { client, rec } = setUp();
    await calls(client, 25);
    await rec.waitFor(25);
    const detectors = monitor.snapshot().detectors!;
    expect(detectors.falseAlarmRate).toBe(1e-4);
    const group = detectors.groups.find((g) => g.labels.provider === 'openai')!;
    expect(group.labels).toEqual({ provider: 'openai', model: 'gpt-4o-mini' });
    expect(group.signals.latency.kind).toBe('numeric');
    // Latency's phase depends on the machine's load (creeping latencies are a level alert, a slow call a
    // point alert); output tokens are the same on every call.
    expect(group.signals.latency.anomaly).toMatchObject({ detector: 'combined', observations: 25 });
    expect(group.signals.output_tokens.anomaly).toMatchObject({ detector: 'combined', phase: 'watching', observations: 25, alerts: 0 });
    expect(group.signals.latency.drift).toMatchObject({ phase: 'collecting_reference', referenceSize: 25, currentSize: 25 });
    expect(group.signals.output_tokens.anomaly!.expected).toBeCloseTo(5, 5);
    expect(group.signals.error_rate.anomaly).toMatchObject({ detector: 'rate', phase: 'watching' });
    expect(group.signals.time_to_first_chunk).toBeUndefined();
  });

  it('observe() feeds the app\'s own signals, with their labels', async () => {
    setUp({ detect: { warmup: 10, signals: { quality_score: { direction: 'down', drift: false } } } });
    const anomalies: AnomalyEvent[] = [];
    monitor.on('anomaly', (e) => anomalies.push(e));
    for (let i = 0; i < 50; i++) monitor.observe('quality_score', 0.9 + 0.01 * Math.sin(i), { route: '/chat', team: 'a' });
    monitor.observe('quality_score', 0.2, { route: '/chat', team: 'a' });
    expect(anomalies).toHaveLength(1);
    expect(anomalies[0]).toMatchObject({ signal: 'quality_score', labels: { route: '/chat', team: 'a' }, value: 0.2, recordId: undefined });
    expect(await monitor.metrics()).toMatch(/llm_vitals_anomalies_total\{signal="quality_score",http_route="\/chat",reason="point"\} 1/);
    // Direction "down": a jump up is not an incident.
    monitor.observe('quality_score', 5, { route: '/chat', team: 'a' });
    expect(anomalies).toHaveLength(1);
    expect(() => monitor.observe('Bad Name', 1)).toThrow(TypeError);
    expect(() => monitor.observe('x', '1' as never)).toThrow(/value must be a finite number/);
    expect(() => monitor.observe('x', 1, { a: 1 as never })).toThrow(/label "a" must be a string/);
  });

  it('rebaseline() makes what happens now the baseline', async () => {
    setUp({ detect: { warmup: 10, drift: { reference: 50, window: 50, every: 10 } } });
    const drifts: DriftEvent[] = [];
    monitor.on('drift', (e) => drifts.push(e));
    for (let i = 0; i < 100; i++) monitor.observe('queue_depth', 10 + (i % 5));
    for (let i = 0; i < 60; i++) monitor.observe('queue_depth', 40 + (i % 5));
    expect(drifts).toHaveLength(1);
    // Found while the current window still mixes old and new values: its median has just moved.
    expect(drifts[0]).toMatchObject({ statistic: 'psi', baseline: 12, statisticThreshold: 0.2 });
    expect(drifts[0].value).toBeGreaterThan(12);
    expect(drifts[0].statisticValue).toBeGreaterThanOrEqual(0.2);
    monitor.rebaseline();
    const state = monitor.snapshot().detectors!.groups[0].signals.queue_depth;
    expect(state.anomaly!.phase).toBe('warming_up');
    expect(state.drift!.referenceSize).toBe(50);
    for (let i = 0; i < 100; i++) monitor.observe('queue_depth', 40 + (i % 5));
    expect(drifts).toHaveLength(1);
  });

  it('keeps a throwing anomaly listener away from the app', async () => {
    const { client, rec } = setUp();
    monitor.on('anomaly', () => {
      throw new Error('listener bug');
    });
    // Enough calls for the point test to know the latencies' tail (see the spike test above).
    await calls(client, 200);
    server.enqueue({ delayBeforeHeadersMs: 2000 });
    const reply = await client.chat.completions.create({ model: 'gpt-4o-mini', messages });
    expect(reply.choices[0].message.content).toBeTruthy();
    await rec.waitFor(201);
    expect(rec.errors.some((e) => /listener bug/.test(e.message))).toBe(true);
  });

  it('is off with detect: false', async () => {
    monitor = createMonitor({ resources: false, otel: false, detect: false });
    const client = monitor.wrap(new OpenAI({ apiKey: 'test-key', baseURL: server.url, maxRetries: 0 }));
    await calls(client, 3);
    monitor.observe('anything', 1);
    expect(monitor.snapshot().detectors).toBeUndefined();
    expect(await monitor.metrics()).not.toMatch(/llm_vitals_anomal/);
  });

  it('validates the detect option with messages that name it', () => {
    expect(() => createMonitor({ detect: 'on' as never })).toThrow(/option "detect" must be a boolean or an object/);
    expect(() => createMonitor({ detect: { warmup: 1 } })).toThrow(/option "detect.warmup" must be an integer from 5/);
    expect(() => createMonitor({ detect: { falseAlarmRate: 2 } })).toThrow(/option "detect.falseAlarmRate"/);
    expect(() => createMonitor({ detect: { drift: { psi: 0 } } })).toThrow(/option "detect.drift.psi"/);
    expect(() => createMonitor({ detect: { drift: { bins: 3 } as never } })).toThrow(/unknown option "detect.drift.bins"/);
    expect(() => createMonitor({ detect: { windows: 3 } as never })).toThrow(/unknown option "detect.windows"/);
    expect(() => createMonitor({ detect: { ignore: ['latancy'] } })).toThrow(/"detect.ignore" names an unknown signal "latancy"/);
    expect(() => createMonitor({ detect: { signals: { q: { direction: 'sideways' as never } } } })).toThrow(/option "detect.signals.q.direction"/);
    expect(() => createMonitor({ detect: { maxGroups: 0 } })).toThrow(/option "detect.maxGroups"/);
  });
});
