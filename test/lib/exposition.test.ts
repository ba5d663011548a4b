/**
 * The monitor renders its own metrics straight to text, in slices (src/lib/exposition.ts). What it
 * writes must be byte for byte what prom-client's `Registry.metrics()` writes for the same state, with
 * the app's metrics in registry order, for Prometheus and OpenMetrics registries, with default labels.
 */
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Counter as PromCounter, Gauge as PromGauge, Histogram as PromHistogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createMonitor, type Monitor } from '../../src/index.js';
import { renderExposition } from '../../src/lib/exposition.js';
import { Counter, Gauge, Histogram } from '../../src/lib/metrics.js';
import { recorder } from '../support/records.js';
import { missingToolMessage, tools } from '../support/tools.mjs';

const OPENMETRICS = Registry.OPENMETRICS_CONTENT_TYPE;

/** A registry of this content type (prom-client types the two kinds apart; the monitor takes either). */
function registryOf(contentType: string): Registry {
  const registry = new Registry<any>();
  registry.setContentType(contentType as typeof OPENMETRICS);
  return registry as unknown as Registry;
}
const families = (text: string) => [...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]);

/** Calls of every shape through `track`: completed, streamed, failed with 429 and 500, on several models. */
async function traffic(monitor: Monitor, models: string[]): Promise<void> {
  const records = recorder(monitor);
  let expected = 0;
  for (const model of models) {
    const options = { provider: 'openai', operation: 'chat', model, readUsage: (v: any) => v?.usage };
    const complete = monitor.track(async () => ({ usage: { inputTokens: 12, outputTokens: 3, cachedInputTokens: 4 } }), options);
    const stream = monitor.track(async function* () {
      for (let i = 0; i < 5; i++) yield { usage: i === 4 ? { inputTokens: 7, outputTokens: 5 } : undefined };
    }, options);
    const limited = monitor.track(async () => Promise.reject(Object.assign(new Error('slow down'), { status: 429 })), options);
    const broken = monitor.track(async () => Promise.reject(Object.assign(new Error('oops'), { status: 500 })), options);
    await complete();
    for await (const _ of stream());
    await limited().catch(() => {});
    await broken().catch(() => {});
    expected += 4;
  }
  await records.waitFor(expected);
}

/** An app's own prom-client metrics, with values that do not move between two renders. */
function appMetrics(registry: Registry, prefix: string) {
  const counter = new PromCounter({ name: `${prefix}_requests_total`, help: 'App requests.', labelNames: ['route'], registers: [registry] });
  counter.inc({ route: '/a' }, 3);
  const gauge = new PromGauge({ name: `${prefix}_queue_depth`, help: 'App "queue"\\depth.', registers: [registry] });
  gauge.set(-2.5);
  const histogram = new PromHistogram({ name: `${prefix}_work_seconds`, help: 'App work.', buckets: [0.1, 1], registers: [registry] });
  histogram.observe(0.5);
}

/** GET a path of a local server: status, content type and body (rejects if the response is cut). */
function get(server: http.Server, path: string): Promise<{ status: number; type: string | undefined; body: string }> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (body += chunk));
        res.on('aborted', () => reject(new Error('response cut')));
        res.on('error', reject);
        res.on('end', () => resolve({ status: res.statusCode!, type: res.headers['content-type'], body }));
      })
      .on('error', reject);
  });
}

describe('exposition', () => {
  for (const [format, contentType] of [
    ['Prometheus', Registry.PROMETHEUS_CONTENT_TYPE],
    ['OpenMetrics', OPENMETRICS],
  ] as const) {
    it(`writes what prom-client writes, app metrics in registry order (${format})`, async () => {
      const registry = registryOf(contentType);
      appMetrics(registry, 'before');
      const monitor = createMonitor({ registry, resources: false });
      appMetrics(registry, 'after');
      // Label values that need escaping: a quote, a backslash, a newline.
      await traffic(monitor, ['model-a', 'model-b', 'we"ird\\mod\nel']);
      const fast = await monitor.metrics();
      const generic = await registry.metrics();
      expect(fast).toBe(generic);
      // And again, now that the OpenMetrics render has renamed the counters in place.
      expect(await monitor.metrics()).toBe(await registry.metrics());
      const names = families(fast);
      expect(names.slice(0, 3)).toEqual(contentType === OPENMETRICS ? ['before_requests', 'before_queue_depth', 'before_work_seconds'] : ['before_requests_total', 'before_queue_depth', 'before_work_seconds']);
      expect(names.slice(-3)[0]).toMatch(/^after_requests/);
      if (contentType === OPENMETRICS) expect(fast.endsWith('\n# EOF\n')).toBe(true);
      expect(fast).toContain('we\\"ird\\\\mod\\nel');
      await monitor.shutdown();
    });
  }

  it('writes what prom-client writes with the registry default labels, one of them also a series label', async () => {
    const registry = new Registry();
    registry.setDefaultLabels({ env: 'prod', gen_ai_provider_name: 'default-provider', le: 'x', shard: 3 as unknown as string });
    appMetrics(registry, 'app');
    const monitor = createMonitor({ registry, resources: false });
    await traffic(monitor, ['model-a']);
    const fast = await monitor.metrics();
    expect(fast).toBe(await registry.metrics());
    expect(fast).toMatch(/gen_ai_client_operation_duration_seconds_bucket\{[^}]*le="\+Inf",env="prod",shard="3"\}/);
    await monitor.shutdown();
  });

  it('writes exemplars and shared labels of other metrics as prom-client does', async () => {
    const registry = registryOf(OPENMETRICS);
    const counter = new PromCounter({ name: 'app_hits_total', help: 'Hits.', labelNames: ['route'], enableExemplars: true, registers: [registry] });
    // (prom-client's typings want exemplar labels named like the metric's own; any names work.)
    counter.inc({ labels: { route: '/a' }, value: 2, exemplarLabels: { trace_id: 'abc' } } as never);
    const histogram = new PromHistogram({ name: 'app_wait_seconds', help: 'Wait.', buckets: [1], enableExemplars: true, registers: [registry] });
    histogram.observe({ labels: {}, value: 0.5, exemplarLabels: { trace_id: 'def' } } as never);
    // A hand-made metric with the `sharedLabels` prom-client's renderer knows.
    registry.registerMetric({
      name: 'app_shared',
      help: 'Shared.',
      type: 'gauge',
      aggregator: 'sum',
      get: async () => ({ name: 'app_shared', help: 'Shared.', type: 'gauge', values: [{ value: 1, labels: { a: '1', b: '2' }, sharedLabels: { b: '2', c: 'x"y' } }] }),
      reset() {},
    } as never);
    const monitor = createMonitor({ registry, resources: false, detect: false });
    const fast = await monitor.metrics();
    expect(fast).toBe(await registry.metrics());
    expect(fast).toContain('# {trace_id="abc"} 2 ');
    await monitor.shutdown();
  });

  it('keeps prom-client default metrics, in registry order', async () => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    const monitor = createMonitor({ registry, resources: false, detect: false });
    await traffic(monitor, ['model-a']);
    const fast = await monitor.metrics();
    // Their values move between two renders (CPU time, heap): the same families in the same order.
    expect(families(fast)).toEqual(families(await registry.metrics()));
    expect(families(fast)).toContain('nodejs_eventloop_lag_p50_seconds');
    expect(families(fast).indexOf('process_cpu_user_seconds_total')).toBeLessThan(families(fast).indexOf('llm_vitals_calls_total'));
    await monitor.shutdown();
  });

  it('writes NaN, infinities, negatives and fractions as prom-client does', async () => {
    for (const contentType of [Registry.PROMETHEUS_CONTENT_TYPE, OPENMETRICS]) {
      const registry = registryOf(contentType);
      const counter = new Counter(registry, 'odd_total', 'Odd\nvalues.');
      counter.series({}).inc(NaN);
      counter.series({ k: 'inf' }).inc(Infinity);
      const gauge = new Gauge(registry, 'odd_gauge', 'Odd gauge.', 'average');
      gauge.series({ k: 'neg' }).set(-Infinity);
      gauge.series({ k: 'frac' }).set(0.1 + 0.2);
      gauge.series({ k: 'big' }).set(1e21);
      const histogram = new Histogram(registry, 'odd_seconds', 'Odd histogram.', [1, 0.5, 2.5]);
      const observed = histogram.series({ k: 'a' });
      for (const v of [0.1, 0.7, 3, 1e-7]) observed.observe(v);
      histogram.series({ k: 'never observed' });
      histogram.series({}).observe(2);
      expect(await renderExposition(registry)).toBe(await registry.metrics());
    }
  });

  it('yields to the event loop while it renders many series, and writes the same text', async () => {
    const registry = new Registry();
    const histogram = new Histogram(registry, 'many_seconds', 'Many series.', [0.1, 0.2, 0.5, 1, 2, 5, 10]);
    for (let i = 0; i < 5_000; i++) histogram.series({ model: `model-${i}`, outcome: 'completed' }).observe(i / 1000);
    let turns = 0;
    let running = true;
    const spin = () => {
      turns++;
      if (running) setImmediate(spin);
    };
    setImmediate(spin);
    const fast = await renderExposition(registry);
    running = false;
    // 50,000 lines take far longer than one 5 ms slice: other work ran in between.
    expect(turns).toBeGreaterThan(1);
    expect(fast).toBe(await registry.metrics());
  });

  it('serves the same text from metricsHandler(), written in pieces, with the registry content type', async () => {
    for (const contentType of [Registry.PROMETHEUS_CONTENT_TYPE, OPENMETRICS]) {
      const registry = registryOf(contentType);
      appMetrics(registry, 'app');
      const monitor = createMonitor({ registry, resources: false });
      // Enough models for the text to leave in several pieces (one about every 64 K characters).
      await traffic(monitor, Array.from({ length: 30 }, (_, i) => `model-${i}`));
      const server = http.createServer(monitor.metricsHandler());
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { status, type, body } = await get(server, '/metrics');
      expect(status).toBe(200);
      expect(type).toBe(contentType);
      expect(body.length).toBeGreaterThan(4 * 65536);
      expect(body).toBe(await registry.metrics());
      await new Promise((resolve) => server.close(resolve));
      await monitor.shutdown();
    }
  });

  it('answers 500 when a metric fails before anything was sent, and cuts the response when after', async () => {
    for (const late of [false, true]) {
      const registry = new Registry();
      const monitor = createMonitor({ registry, resources: false, detect: false });
      if (late) await traffic(monitor, Array.from({ length: 30 }, (_, i) => `model-${i}`));
      const errors: Error[] = [];
      monitor.on('error', (error) => errors.push(error));
      registry.registerMetric({ name: 'app_broken', help: 'Broken.', type: 'gauge', aggregator: 'sum', get: async () => Promise.reject(new Error('broken')), reset() {} } as never);
      const server = http.createServer(monitor.metricsHandler());
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      if (late) {
        // Part of the text had left: the scrape must fail, not read a part as the whole.
        await expect(get(server, '/metrics')).rejects.toThrow();
      } else {
        const { status, body } = await get(server, '/metrics');
        expect(status).toBe(500);
        expect(body).toBe('metrics unavailable\n');
      }
      expect(errors.map((e) => e.message).join()).toMatch(/broken/);
      await new Promise((resolve) => server.close(resolve));
      await monitor.shutdown();
    }
  });

  it('leaves a registry whose metrics() is its own to render itself', async () => {
    class Custom extends Registry {
      override async metrics() {
        return `# custom\n${await super.metrics()}`;
      }
    }
    const registry = new Custom();
    const monitor = createMonitor({ registry, resources: false, detect: false });
    expect((await monitor.metrics()).startsWith('# custom\n')).toBe(true);
    await monitor.shutdown();
  });

  it('passes promtool check metrics with the app and default metrics beside the monitor', async () => {
    const promtool = tools.promtool;
    expect(promtool, missingToolMessage('promtool')).toBeDefined();
    // (Not with collectDefaultMetrics: promtool objects to prom-client's own nodejs_active_*_total gauges.)
    const registry = new Registry();
    appMetrics(registry, 'app');
    const monitor = createMonitor({ registry, resources: false });
    await traffic(monitor, ['model-a', 'model-b']);
    const result = spawnSync(promtool!, ['check', 'metrics'], { input: await monitor.metrics(), encoding: 'utf8' });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
    await monitor.shutdown();
  });
});
