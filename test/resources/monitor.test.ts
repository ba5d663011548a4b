import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createMonitor, type Monitor, type MonitorError, type ResourceSample } from '../../src/index.js';
import { samplesOf, valueOf } from '../support/exposition.js';
import { alive, GPU_NAME, installFakeNvidiaSmi, MIB, uuidOf, waitFor, type FakeNvidiaSmi } from './support.js';
import { missingToolMessage, tools } from '../support/tools.mjs';

let monitor: Monitor | undefined;
let fake: FakeNvidiaSmi | undefined;

afterEach(async () => {
  await monitor?.shutdown();
  monitor = undefined;
  fake?.restore();
  fake = undefined;
});

/** A monitor sampling every 250 ms with the fake nvidia-smi (two GPUs, GPU 1 with [N/A] fields). */
async function monitorWithGpus(options: Parameters<typeof createMonitor>[0] = {}) {
  fake = installFakeNvidiaSmi({ mode: 'na' });
  const samples: ResourceSample[] = [];
  const errors: MonitorError[] = [];
  monitor = createMonitor({ resources: { intervalMs: 250 }, otel: false, ...options });
  monitor.on('resources', (s) => samples.push(s));
  monitor.on('error', (e) => errors.push(e));
  const sample = await waitFor('a sample with both GPUs', () => samples.find((s) => s.gpus.length === 2));
  return { monitor, samples, errors, sample };
}

const gpu = (i: number) => ({ gpu_index: String(i), hw_id: uuidOf(i), hw_model: GPU_NAME, hw_type: 'gpu' });

describe('Prometheus exposition', () => {
  it('exports the GPU gauges with hw.gpu.* names, labelled by index, uuid and name; [N/A] fields are absent', async () => {
    const { monitor } = await monitorWithGpus();
    const text = await monitor.metrics();
    expect(valueOf(text, 'hw_gpu_utilization_ratio', { ...gpu(0), hw_gpu_task: 'general' })).toBe(0.37);
    expect(valueOf(text, 'hw_gpu_utilization_ratio', { ...gpu(1), hw_gpu_task: 'general' })).toBe(0.81);
    expect(valueOf(text, 'hw_gpu_memory_usage_bytes', gpu(0))).toBe(4096 * MIB);
    expect(valueOf(text, 'hw_gpu_memory_usage_bytes', gpu(1))).toBe(8192 * MIB);
    expect(valueOf(text, 'hw_gpu_memory_limit_bytes', gpu(1))).toBe(81559 * MIB);
    expect(valueOf(text, 'hw_gpu_memory_utilization_ratio', gpu(0))).toBeCloseTo(4096 / 81559, 12);
    expect(valueOf(text, 'llm_vitals_gpu_memory_controller_utilization_ratio', gpu(0))).toBe(0.12);
    expect(valueOf(text, 'hw_temperature_celsius', gpu(0))).toBe(45);
    expect(valueOf(text, 'hw_power_watts', gpu(0))).toBe(123.45);
    // GPU 1 said [N/A] / [Not Supported] for these: no series, not a 0.
    expect(samplesOf(text, 'hw_temperature_celsius').map((s) => s.labels.gpu_index)).toEqual(['0']);
    expect(samplesOf(text, 'hw_power_watts').map((s) => s.labels.gpu_index)).toEqual(['0']);
    expect(samplesOf(text, 'llm_vitals_gpu_memory_controller_utilization_ratio').map((s) => s.labels.gpu_index)).toEqual(['0']);
  });

  it('exports process, event-loop and system figures under the prom-client default names, from the same sample as the snapshot', async () => {
    const { monitor, samples } = await monitorWithGpus();
    // snapshot() and metrics() read the same latest sample when no new one arrived while the
    // exposition was rendered (it yields to the event loop every few ms): render again if one did.
    let snapshot = monitor.snapshot();
    let text = '';
    // The samples the final render's event-loop window may cover: all on the first render; after a
    // retry, those from about the previous render on.
    let from = 0;
    for (let tries = 0; tries < 20; tries++) {
      const seen = samples.length;
      snapshot = monitor.snapshot();
      text = await monitor.metrics();
      if (samples.length === seen) break;
      from = Math.max(0, seen - 1);
    }
    const r = snapshot.resources!;
    expect(r).toBeDefined();
    expect(valueOf(text, 'process_cpu_user_seconds_total', {})).toBe(r.process.cpuUserSeconds);
    expect(valueOf(text, 'process_cpu_system_seconds_total', {})).toBe(r.process.cpuSystemSeconds);
    expect(valueOf(text, 'process_cpu_seconds_total', {})).toBeCloseTo(r.process.cpuUserSeconds + r.process.cpuSystemSeconds, 9);
    expect(valueOf(text, 'process_resident_memory_bytes', {})).toBe(r.process.residentMemoryBytes);
    expect(valueOf(text, 'nodejs_heap_size_used_bytes', {})).toBe(r.process.heapUsedBytes);
    expect(valueOf(text, 'nodejs_heap_size_total_bytes', {})).toBe(r.process.heapTotalBytes);
    // The event-loop delays, as prom-client's, cover every sample since the previous scrape (here the
    // first: every sample so far), not only the latest.
    const loops = samples.slice(from).map((s) => s.eventLoop!);
    expect(loops.at(-1)).toEqual(r.eventLoop);
    const p50 = valueOf(text, 'nodejs_eventloop_lag_p50_seconds', {})! * 1000;
    expect(p50).toBeGreaterThanOrEqual(Math.min(...loops.map((l) => l.delayP50Ms!)));
    // Across several intervals the window's p50 comes from each interval's top gaps (event-loop-window.ts):
    // it may sit a little above every interval's own p50, never above their p99s.
    expect(p50).toBeLessThanOrEqual(Math.max(...loops.map((l) => l.delayP99Ms!)));
    const p99 = valueOf(text, 'nodejs_eventloop_lag_p99_seconds', {})! * 1000;
    expect(p99).toBeGreaterThanOrEqual(Math.min(...loops.map((l) => l.delayP99Ms!)));
    expect(p99).toBeLessThanOrEqual(Math.max(...loops.map((l) => l.delayMaxMs!)));
    if (from === 0) expect(valueOf(text, 'nodejs_eventloop_lag_max_seconds', {})).toBeCloseTo(Math.max(...loops.map((l) => l.delayMaxMs!)) / 1000, 12);
    else expect(valueOf(text, 'nodejs_eventloop_lag_max_seconds', {})! * 1000).toBeLessThanOrEqual(Math.max(...samples.map((l) => l.eventLoop!.delayMaxMs!)));
    expect(valueOf(text, 'nodejs_eventloop_utilization_ratio', {})).toBe(r.eventLoop!.utilization);
    expect(valueOf(text, 'system_memory_limit_bytes', {})).toBe(os.totalmem());
    expect(valueOf(text, 'system_memory_usage_bytes', { system_memory_state: 'used' })).toBe(r.system.memoryUsedBytes);
    expect(valueOf(text, 'system_cpu_utilization_ratio', {})).toBe(r.system.cpuUtilization);
    expect(text).toContain('# TYPE process_cpu_seconds_total counter');
    expect(text).toContain('# TYPE process_resident_memory_bytes gauge');
    // The snapshot carries the GPUs too, as plain JSON.
    expect(JSON.parse(JSON.stringify(r.gpus))).toEqual(r.gpus);
    expect(r.gpus.map((g) => g.uuid)).toEqual([uuidOf(0), uuidOf(1)]);
  });

  it('passes promtool check metrics', async () => {
    const promtool = tools.promtool;
    expect(promtool, missingToolMessage('promtool')).toBeDefined();
    const { monitor } = await monitorWithGpus();
    const text = await monitor.metrics();
    expect(text).toContain('hw_gpu_utilization_ratio{');
    const result = spawnSync(promtool!, ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('leaves prom-client default-metric names to collectDefaultMetrics when the registry already has them', async () => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    const { monitor } = await monitorWithGpus({ registry });
    const text = await monitor.metrics();
    // Once each, from prom-client; the names it does not have come from the monitor.
    expect(text.match(/^# TYPE process_cpu_seconds_total /gm)).toHaveLength(1);
    expect(text.match(/^# TYPE nodejs_eventloop_lag_p99_seconds /gm)).toHaveLength(1);
    expect(text.match(/^# TYPE nodejs_eventloop_utilization_ratio gauge$/gm)).toHaveLength(1);
    expect(valueOf(text, 'hw_gpu_utilization_ratio', { ...gpu(0), hw_gpu_task: 'general' })).toBe(0.37);
    // prom-client's help text, not ours: its collector owns the name.
    expect(text).toContain('# HELP nodejs_eventloop_lag_p99_seconds The 99th percentile of the recorded event loop delays.\n');
  });

  it('writes counters the OpenMetrics way on an OpenMetrics registry', async () => {
    const registry = new Registry<typeof Registry.OPENMETRICS_CONTENT_TYPE>();
    registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    const { monitor } = await monitorWithGpus({ registry: registry as unknown as Registry });
    const text = await monitor.metrics();
    expect(text).toMatch(/^# TYPE process_cpu_seconds counter$/m);
    expect(text).toMatch(/^process_cpu_seconds_total \d/m);
  });

  it('takes the resource metrics off the registry on shutdown, and kills nvidia-smi', async () => {
    const registry = new Registry();
    const { monitor } = await monitorWithGpus({ registry });
    const pid = fake!.runs()[0].pid;
    expect(alive(pid)).toBe(true);
    await monitor.shutdown();
    const text = await registry.metrics();
    expect(text).not.toContain('hw_gpu_');
    expect(text).not.toContain('process_resident_memory_bytes');
    expect(text).toContain('llm_vitals_calls_total');
    await waitFor('nvidia-smi to exit', () => (alive(pid) ? undefined : true));
  });

  it('registers nothing and starts nothing with resources: false', async () => {
    fake = installFakeNvidiaSmi();
    const events: ResourceSample[] = [];
    monitor = createMonitor({ resources: false, otel: false });
    monitor.on('resources', (s) => events.push(s));
    await new Promise((r) => setTimeout(r, 300));
    expect(await monitor.metrics()).not.toMatch(/process_|nodejs_|hw_|system_/);
    expect(monitor.snapshot().resources).toBeUndefined();
    expect(events).toEqual([]);
    expect(fake.runs()).toEqual([]);
  });

  it('never starts nvidia-smi with gpu: false', async () => {
    fake = installFakeNvidiaSmi();
    const samples: ResourceSample[] = [];
    monitor = createMonitor({ resources: { intervalMs: 250, gpu: false }, otel: false });
    monitor.on('resources', (s) => samples.push(s));
    await waitFor('three samples', () => samples[2]);
    expect(samples.every((s) => s.gpus.length === 0)).toBe(true);
    expect(fake.runs()).toEqual([]);
    expect(await monitor.metrics()).not.toContain('hw_gpu_utilization_ratio{');
  });

  it("reports nvidia-smi's crash as a monitor fault and keeps sampling", async () => {
    fake = installFakeNvidiaSmi({ mode: 'crash', crashAfter: 2 });
    const samples: ResourceSample[] = [];
    const errors: MonitorError[] = [];
    monitor = createMonitor({ resources: { intervalMs: 250 }, otel: false });
    monitor.on('resources', (s) => samples.push(s));
    monitor.on('error', (e) => errors.push(e));
    await waitFor('the crash', () => errors[0]);
    expect(errors[0].component).toBe('resources');
    expect(errors[0].message).toMatch(/nvidia-smi exited with code 1/);
    expect(valueOf(await monitor.metrics(), 'llm_vitals_internal_errors_total', { component: 'resources' })).toBe(1);
    expect(monitor.snapshot().internalErrors).toEqual({ resources: 1 });
    // The sampler kept going through it; after the default 1 s backoff the GPUs are back.
    const count = samples.length;
    await waitFor('GPUs after the restart', () => samples.slice(count).find((s) => s.gpus.length === 2), 5000);
    expect(fake.runs()).toHaveLength(2);
  });

  it('reports an nvidia-smi that hangs (alive, printing nothing) as a monitor fault, kills it and restarts it', async () => {
    fake = installFakeNvidiaSmi({ mode: 'hang', hangAfter: 2 });
    const samples: ResourceSample[] = [];
    const errors: MonitorError[] = [];
    monitor = createMonitor({ resources: { intervalMs: 250 }, otel: false });
    monitor.on('resources', (s) => samples.push(s));
    monitor.on('error', (e) => errors.push(e));
    await waitFor('GPUs', () => samples.find((s) => s.gpus.length === 2));
    const firstPid = fake.runs()[0].pid;
    // At a 250 ms interval the probe waits the 5 s floor for a reading.
    await waitFor('the hang to be reported', () => errors[0], 8000);
    expect(errors).toHaveLength(1);
    expect(errors[0].component).toBe('resources');
    expect(errors[0].message).toBe('llm-vitals: fault in resources: nvidia-smi printed no reading for 5000 ms while still running: killed it');
    expect(valueOf(await monitor.metrics(), 'llm_vitals_internal_errors_total', { component: 'resources' })).toBe(1);
    await waitFor('the hung nvidia-smi to be gone', () => (alive(firstPid) ? undefined : true));
    // After the default 1 s backoff a new one runs and the GPUs are back in the samples and the exposition.
    const count = samples.length;
    await waitFor('GPUs after the restart', () => samples.slice(count).find((s) => s.gpus.length === 2), 5000);
    expect(fake.runs()).toHaveLength(2);
    expect(valueOf(await monitor.metrics(), 'hw_gpu_utilization_ratio', { ...gpu(0), hw_gpu_task: 'general' })).toBe(0.37);
    expect(errors).toHaveLength(1);
  }, 20_000);
});
