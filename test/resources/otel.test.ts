import { metrics } from '@opentelemetry/api';
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMonitor, type Monitor, type ResourceSample } from '../../src/index.js';
import { observeResources } from '../../src/resources/otel.js';
import { GPU_NAME, installFakeNvidiaSmi, MIB, uuidOf, waitFor, type FakeNvidiaSmi } from './support.js';

let monitor: Monitor | undefined;
let fake: FakeNvidiaSmi | undefined;
let provider: MeterProvider | undefined;

afterEach(async () => {
  await monitor?.shutdown();
  monitor = undefined;
  fake?.restore();
  fake = undefined;
  await provider?.shutdown();
  provider = undefined;
});

/** An SDK MeterProvider whose reader exports to memory when asked. */
function meterSdk() {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  provider = new MeterProvider({ readers: [reader] });
  return {
    provider,
    /** The llm-vitals metrics as exported now, by name. */
    async collect(): Promise<Map<string, MetricData>> {
      await reader.forceFlush();
      const out = new Map<string, MetricData>();
      for (const scope of exporter.getMetrics().at(-1)?.scopeMetrics ?? []) {
        if (scope.scope.name !== 'llm-vitals') continue;
        for (const metric of scope.metrics) out.set(metric.descriptor.name, metric);
      }
      return out;
    },
  };
}

/** The points of one metric as [attributes, value] pairs. */
function points(all: Map<string, MetricData>, name: string): [Record<string, unknown>, number][] {
  const metric = all.get(name);
  if (metric === undefined) throw new Error(`no metric ${name}; have ${[...all.keys()].join(', ')}`);
  return metric.dataPoints.map((p) => [p.attributes as Record<string, unknown>, p.value as number]);
}

const SAMPLE: ResourceSample = {
  time: 1_700_000_000_000,
  intervalMs: 2500,
  process: { cpuUserSeconds: 12.5, cpuSystemSeconds: 2.25, cpuCoreShare: 0.5, residentMemoryBytes: 150e6, heapUsedBytes: 40e6, heapTotalBytes: 60e6 },
  eventLoop: { delayP50Ms: 50.1, delayP99Ms: 61, delayMaxMs: 250, utilization: 0.42, resolutionMs: 50 },
  system: { cpuUtilization: 0.3, cpuCount: 4, loadAverage1m: 1.5, memoryUsedBytes: 8e9, memoryTotalBytes: 16e9 },
  gpus: [
    {
      index: 0, uuid: 'GPU-a', name: 'NVIDIA L4', utilization: 0.9, memoryControllerUtilization: 0.2, memoryUsedBytes: 1000 * MIB,
      memoryTotalBytes: 23034 * MIB, memoryUtilization: 1000 / 23034, temperatureCelsius: 60, powerWatts: 70.5, ageMs: 10,
    },
    { index: 1, uuid: 'GPU-b', name: 'NVIDIA L4', utilization: 0.1, memoryUsedBytes: 5 * MIB, memoryTotalBytes: 23034 * MIB, memoryUtilization: 5 / 23034, ageMs: 10 },
  ],
};

describe('OpenTelemetry observable instruments', () => {
  it('observe the latest sample under the semantic-convention names, units and attributes', async () => {
    const sdk = meterSdk();
    let latest: ResourceSample | undefined;
    const stop = observeResources(sdk.provider.getMeter('llm-vitals'), () => latest);
    // Nothing before the first sample: no zeros.
    expect((await sdk.collect()).size).toBe(0);
    latest = SAMPLE;
    const all = await sdk.collect();
    expect(points(all, 'process.cpu.time')).toEqual([
      [{ 'cpu.mode': 'user' }, 12.5],
      [{ 'cpu.mode': 'system' }, 2.25],
    ]);
    expect(all.get('process.cpu.time')!.dataPointType).toBe(DataPointType.SUM);
    expect(all.get('process.cpu.time')!.descriptor.unit).toBe('s');
    expect(points(all, 'process.cpu.utilization')).toEqual([[{}, 0.5 / 4]]);
    expect(points(all, 'process.memory.usage')).toEqual([[{}, 150e6]]);
    expect(all.get('process.memory.usage')!.descriptor.unit).toBe('By');
    expect(points(all, 'nodejs.eventloop.delay.p50')).toEqual([[{}, 0.0501]]);
    expect(points(all, 'nodejs.eventloop.delay.p99')).toEqual([[{}, 0.061]]);
    expect(points(all, 'nodejs.eventloop.delay.max')).toEqual([[{}, 0.25]]);
    expect(all.get('nodejs.eventloop.delay.max')!.dataPointType).toBe(DataPointType.GAUGE);
    expect(points(all, 'nodejs.eventloop.utilization')).toEqual([[{}, 0.42]]);
    expect(points(all, 'system.cpu.utilization')).toEqual([[{}, 0.3]]);
    expect(points(all, 'system.memory.usage')).toEqual([[{ 'system.memory.state': 'used' }, 8e9]]);
    expect(points(all, 'system.memory.limit')).toEqual([[{}, 16e9]]);
    const a = { 'hw.id': 'GPU-a', 'hw.model': 'NVIDIA L4', 'hw.type': 'gpu', 'gpu.index': 0 };
    const b = { 'hw.id': 'GPU-b', 'hw.model': 'NVIDIA L4', 'hw.type': 'gpu', 'gpu.index': 1 };
    expect(points(all, 'hw.gpu.utilization')).toEqual([
      [{ ...a, 'hw.gpu.task': 'general' }, 0.9],
      [{ ...b, 'hw.gpu.task': 'general' }, 0.1],
    ]);
    expect(points(all, 'hw.gpu.memory.usage')).toEqual([
      [a, 1000 * MIB],
      [b, 5 * MIB],
    ]);
    expect(points(all, 'hw.gpu.memory.limit')).toEqual([
      [a, 23034 * MIB],
      [b, 23034 * MIB],
    ]);
    expect(points(all, 'hw.gpu.memory.utilization')).toEqual([
      [a, 1000 / 23034],
      [b, 5 / 23034],
    ]);
    // GPU b has no temperature, power or memory-controller figure: no point for it.
    expect(points(all, 'hw.temperature')).toEqual([[a, 60]]);
    expect(all.get('hw.temperature')!.descriptor.unit).toBe('Cel');
    expect(points(all, 'hw.power')).toEqual([[a, 70.5]]);
    expect(all.get('hw.power')!.descriptor.unit).toBe('W');
    expect(points(all, 'llm_vitals.gpu.memory_controller.utilization')).toEqual([[a, 0.2]]);
    stop();
  });

  it("come from a monitor's samples through otel.meterProvider, fake nvidia-smi GPUs included", async () => {
    const sdk = meterSdk();
    fake = installFakeNvidiaSmi();
    const samples: ResourceSample[] = [];
    monitor = createMonitor({ resources: { intervalMs: 250 }, otel: { meterProvider: sdk.provider, traces: false } });
    monitor.on('resources', (s) => samples.push(s));
    await waitFor('a sample with both GPUs', () => samples.find((s) => s.gpus.length === 2));
    const all = await sdk.collect();
    const sample = monitor.snapshot().resources!;
    const gpu1 = { 'hw.id': uuidOf(1), 'hw.model': GPU_NAME, 'hw.type': 'gpu', 'gpu.index': 1 };
    expect(points(all, 'hw.gpu.memory.usage')).toContainEqual([gpu1, 8192 * MIB]);
    expect(points(all, 'hw.power')).toContainEqual([gpu1, 223.45]);
    expect(points(all, 'system.memory.limit')).toEqual([[{}, sample.system.memoryTotalBytes]]);
    // Gaps between the ticks of a 10 ms timer: an idle loop reads about 10 ms.
    expect(points(all, 'nodejs.eventloop.delay.p50')[0][1]).toBeGreaterThan(0.009);
  });

  it('find a global MeterProvider registered after the monitor was created, and stop on shutdown', async () => {
    const sdk = meterSdk();
    const samples: ResourceSample[] = [];
    monitor = createMonitor({ resources: { intervalMs: 250, gpu: false }, otel: { traces: false } });
    monitor.on('resources', (s) => samples.push(s));
    await waitFor('a sample', () => samples[0]);
    expect(metrics.setGlobalMeterProvider(sdk.provider)).toBe(true);
    try {
      const count = samples.length;
      await waitFor('a sample after the SDK arrived', () => samples[count]);
      expect(points(await sdk.collect(), 'process.memory.usage')).toHaveLength(1);
      // The SDK hands out one Meter per scope name: the monitor's.
      const removed = vi.spyOn(sdk.provider.getMeter('llm-vitals'), 'removeBatchObservableCallback');
      await monitor.shutdown();
      expect(removed).toHaveBeenCalledTimes(1);
    } finally {
      metrics.disable();
    }
  });

  it('are left out with otel: false', async () => {
    const sdk = meterSdk();
    expect(metrics.setGlobalMeterProvider(sdk.provider)).toBe(true);
    try {
      const samples: ResourceSample[] = [];
      monitor = createMonitor({ resources: { intervalMs: 250, gpu: false }, otel: false });
      monitor.on('resources', (s) => samples.push(s));
      await waitFor('two samples', () => samples[1]);
      expect((await sdk.collect()).size).toBe(0);
    } finally {
      metrics.disable();
    }
  });
});
