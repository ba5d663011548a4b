/**
 * Gauges that aggregate right across processes: a real node:cluster of 2 workers, each running a
 * monitor on its own registry, and a primary that scrapes them with prom-client's
 * `AggregatorRegistry.clusterMetrics()`. Host-wide readings (system memory and CPU, GPUs) come out as
 * one worker's reading, per-process ones summed, percentiles averaged.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RESOURCE_METRIC } from '../../src/semconv.js';
import { parseExposition, type Sample } from '../support/exposition.js';
import { writeCjsPackage } from '../support/dist.js';
import { alive, installFakeNvidiaSmi, MIB, uuidOf, waitFor, type FakeNvidiaSmi } from './support.js';

// The workers load the package as one CommonJS file: dist/index.cjs when `npm run build` made it fresh,
// else the source bundled by esbuild (support/dist.ts). prom-client stays external either way, so the
// primary and the workers share the repository's copy.
const dir = fileURLToPath(new URL('../artifacts/cluster/', import.meta.url));
const bundle = `${dir}llm-vitals.cjs`;
const script = `${dir}cluster.cjs`;

/**
 * The primary forks 2 workers (2 and 3 calls left in flight), waits until each has a resource sample
 * with the event loop and both GPUs, scrapes the cluster, and prints the aggregate with what each
 * worker answered for its own registry at the same moment. Workers leave when the primary does.
 */
const CLUSTER_SCRIPT = `
const cluster = require('node:cluster');
const { AggregatorRegistry, Registry } = require('prom-client');
const REQUEST = 'prom-client:getMetricsReq';

if (cluster.isPrimary) {
  const aggregator = new AggregatorRegistry();
  const workers = [cluster.fork({ IN_FLIGHT: '2' }), cluster.fork({ IN_FLIGHT: '3' })];
  const own = new Map();
  let ready = 0;
  const stop = (code) => {
    for (const worker of workers) worker.process.kill('SIGKILL');
    process.exit(code);
  };
  setTimeout(() => {
    console.error('cluster: timed out, ' + ready + ' workers ready');
    stop(2);
  }, 20000).unref();
  for (const worker of workers) {
    worker.on('message', async (message) => {
      if (message.type === 'own') own.set(worker.id, message.metrics);
      if (message.type !== 'ready' || ++ready < workers.length) return;
      const aggregated = await aggregator.clusterMetrics();
      while (own.size < workers.length) await new Promise((resolve) => setTimeout(resolve, 10));
      process.stdout.write(JSON.stringify({ aggregated, own: [...own.values()], pids: workers.map((w) => w.process.pid) }), () => stop(0));
    });
  }
} else {
  new AggregatorRegistry(); // answers the primary's requests
  const { createMonitor } = require('./llm-vitals.cjs');
  const registry = new Registry();
  AggregatorRegistry.setRegistries([registry]);
  const monitor = createMonitor({ registry, detect: false, resources: { intervalMs: 250 } });
  const hang = monitor.track(() => new Promise(() => {}), { provider: 'openai', operation: 'chat', model: 'model-a' });
  for (let i = 0; i < Number(process.env.IN_FLIGHT); i++) hang();
  // What this worker answers the primary, read in the same turn as prom-client reads it (the same sample).
  process.on('message', (message) => {
    if (message && message.type === REQUEST) registry.getMetricsAsJSON().then((metrics) => process.send({ type: 'own', metrics }));
  });
  let sent = false;
  monitor.on('resources', (sample) => {
    if (sent || sample.eventLoop === undefined || sample.eventLoop.delayP50Ms === undefined || sample.gpus.length < 2) return;
    sent = true;
    process.send({ type: 'ready' });
  });
  process.on('disconnect', () => process.exit(0));
}
`;

beforeAll(async () => {
  mkdirSync(dir, { recursive: true });
  await writeCjsPackage(bundle);
  writeFileSync(script, CLUSTER_SCRIPT);
});

let fake: FakeNvidiaSmi | undefined;
afterEach(() => {
  fake?.restore();
  fake = undefined;
});

interface JsonMetric {
  name: string;
  values: { labels: Record<string, string | number>; value: number; metricName?: string }[];
}

interface ClusterScrape {
  aggregated: string;
  own: JsonMetric[][];
  pids: number[];
}

/** Run the cluster; resolve with what the primary printed, or reject (primary killed) after `ms`. */
function runCluster(ms = 30_000): Promise<ClusterScrape> {
  return new Promise((resolve, reject) => {
    const primary = spawn(process.execPath, [script], { env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    primary.stdout.on('data', (d) => (stdout += d));
    primary.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      primary.kill('SIGKILL');
      reject(new Error(`the cluster was still running after ${ms} ms\n${stderr}`));
    }, ms);
    primary.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`the cluster's primary exited with ${code}\n${stderr}`));
      else resolve(JSON.parse(stdout));
    });
  });
}

/** One worker's value of a metric for labels that include `labels`. */
function ownValue(metrics: JsonMetric[], name: string, labels: Record<string, string> = {}): number {
  const metric = metrics.find((m) => m.name === name);
  const value = metric?.values.find((v) => Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want));
  if (value === undefined) throw new Error(`worker has no ${name} ${JSON.stringify(labels)}`);
  return value.value;
}

function aggregatedValue(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const hits = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  expect(hits, `${name} ${JSON.stringify(labels)}`).toHaveLength(1);
  return hits[0].value;
}

describe('a node:cluster of 2 workers scraped with AggregatorRegistry', () => {
  it('sums per-process figures, averages percentiles, and takes one reading of the host and its GPUs', async () => {
    fake = installFakeNvidiaSmi({ gpus: 2 });
    const { aggregated, own, pids } = await runCluster();
    const samples = parseExposition(aggregated);
    const [a, b] = own;
    const r = RESOURCE_METRIC;
    const both = (name: string, labels: Record<string, string> = {}) => [ownValue(a, name, labels), ownValue(b, name, labels)];

    // Calls in flight: 2 in one worker, 3 in the other.
    expect(aggregatedValue(samples, 'llm_vitals_in_flight_calls', { gen_ai_request_model: 'model-a' })).toBe(5);

    // The host: one reading, the highest of the workers', never their sum.
    const used = { system_memory_state: 'used' };
    const hostUsed = aggregatedValue(samples, r.systemMemoryUsage.prom, used);
    expect(hostUsed).toBe(Math.max(...both(r.systemMemoryUsage.prom, used)));
    expect(both(r.systemMemoryUsage.prom, used)).toContain(hostUsed);
    const hostTotal = aggregatedValue(samples, r.systemMemoryLimit.prom);
    expect(hostTotal).toBe(ownValue(a, r.systemMemoryLimit.prom));
    expect(hostUsed).toBeLessThan(hostTotal);
    const cpu = aggregatedValue(samples, r.systemCpuUtilization.prom);
    expect(cpu).toBe(Math.max(...both(r.systemCpuUtilization.prom)));
    expect(cpu).toBeGreaterThanOrEqual(0);
    expect(cpu).toBeLessThanOrEqual(1);

    // A GPU seen by both workers: its own figures, once (the fake's GPU 0 uses 4096 MiB of 81559).
    const gpu0 = { hw_id: uuidOf(0) };
    expect(aggregatedValue(samples, r.gpuMemoryUsage.prom, gpu0)).toBe(4096 * MIB);
    expect(aggregatedValue(samples, r.gpuMemoryLimit.prom, gpu0)).toBe(81559 * MIB);
    expect(aggregatedValue(samples, r.gpuUtilization.prom, gpu0)).toBeCloseTo(0.37, 10);
    expect(aggregatedValue(samples, r.gpuPower.prom, gpu0)).toBeCloseTo(123.45, 10);

    // Per process: the cluster's total.
    const rss = both(r.residentMemory.prom);
    expect(aggregatedValue(samples, r.residentMemory.prom)).toBe(rss[0] + rss[1]);
    const cpuSeconds = both(r.processCpu.prom);
    expect(aggregatedValue(samples, r.processCpu.prom)).toBeCloseTo(cpuSeconds[0] + cpuSeconds[1], 9);

    // Event loop: percentiles and utilisation averaged, the maximum the highest.
    for (const spec of [r.eventLoopDelayP50, r.eventLoopDelayP99, r.eventLoopUtilization]) {
      const values = both(spec.prom);
      expect(aggregatedValue(samples, spec.prom), spec.prom).toBeCloseTo((values[0] + values[1]) / 2, 12);
    }
    expect(aggregatedValue(samples, r.eventLoopDelayMax.prom)).toBe(Math.max(...both(r.eventLoopDelayMax.prom)));

    // The workers are gone with the primary.
    for (const pid of pids) await waitFor(`worker ${pid} to exit`, () => (alive(pid) ? undefined : true));
  });
});
