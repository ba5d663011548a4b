/**
 * The resource samples as OpenTelemetry observable instruments: one batch callback, read by the SDK
 * at its collection time, observes the latest sample. Names, instruments and units come from
 * RESOURCE_METRIC in `semconv.ts` (the process.*, nodejs.eventloop.*, system.* and hw.* conventions).
 *
 * `@opentelemetry/api` is an optional peer: only its types are imported here; the module itself is
 * handed in (`observeResources` takes a Meter, `followMeterProvider` the loaded API).
 */
import type { Attributes, BatchObservableResult, Meter, Observable } from '@opentelemetry/api';
import { RESOURCE_ATTR, RESOURCE_METRIC, RESOURCE_VALUE, type ResourceMetricName } from '../semconv.js';
import type { GpuSample, ResourceSample } from './sample.js';

/** The instrumentation scope: the same as the GenAI metrics'. */
export const RESOURCE_METER_NAME = 'llm-vitals';

const USER: Attributes = { [RESOURCE_ATTR.cpuMode]: RESOURCE_VALUE.cpuModeUser };
const SYSTEM: Attributes = { [RESOURCE_ATTR.cpuMode]: RESOURCE_VALUE.cpuModeSystem };
const MEMORY_USED: Attributes = { [RESOURCE_ATTR.systemMemoryState]: RESOURCE_VALUE.memoryStateUsed };
const GPU_TASK: Attributes = { [RESOURCE_ATTR.hwGpuTask]: RESOURCE_VALUE.gpuTaskGeneral };

function gpuAttributes(gpu: GpuSample): Attributes {
  return {
    [RESOURCE_ATTR.hwId]: gpu.uuid,
    [RESOURCE_ATTR.hwModel]: gpu.name,
    [RESOURCE_ATTR.hwType]: RESOURCE_VALUE.hwTypeGpu,
    [RESOURCE_ATTR.gpuIndex]: gpu.index,
  };
}

/**
 * Create the observable instruments on `meter` and observe `latest()` on each collection. Returns a
 * function that stops observing.
 */
export function observeResources(meter: Meter, latest: () => ResourceSample | undefined): () => void {
  const create = (spec: ResourceMetricName): Observable => {
    const options = { unit: spec.unit, description: spec.help };
    if (spec.otelInstrument === 'counter') return meter.createObservableCounter(spec.otel!, options);
    if (spec.otelInstrument === 'updowncounter') return meter.createObservableUpDownCounter(spec.otel!, options);
    return meter.createObservableGauge(spec.otel!, options);
  };
  const m = RESOURCE_METRIC;
  const cpuTime = create(m.processCpuUser); // process.cpu.time, by cpu.mode
  const cpuUtilization = create(m.processCpuUtilization);
  const memory = create(m.residentMemory);
  const delayP50 = create(m.eventLoopDelayP50);
  const delayP99 = create(m.eventLoopDelayP99);
  const delayMax = create(m.eventLoopDelayMax);
  const loopUtilization = create(m.eventLoopUtilization);
  const systemCpu = create(m.systemCpuUtilization);
  const systemMemory = create(m.systemMemoryUsage);
  const systemMemoryLimit = create(m.systemMemoryLimit);
  const gpuUtilization = create(m.gpuUtilization);
  const gpuMemoryUsage = create(m.gpuMemoryUsage);
  const gpuMemoryLimit = create(m.gpuMemoryLimit);
  const gpuMemoryUtilization = create(m.gpuMemoryUtilization);
  const gpuMemoryController = create(m.gpuMemoryControllerUtilization);
  const gpuPower = create(m.gpuPower);
  const gpuTemperature = create(m.gpuTemperature);
  const observables = [
    cpuTime, cpuUtilization, memory, delayP50, delayP99, delayMax, loopUtilization, systemCpu, systemMemory, systemMemoryLimit,
    gpuUtilization, gpuMemoryUsage, gpuMemoryLimit, gpuMemoryUtilization, gpuMemoryController, gpuPower, gpuTemperature,
  ];

  const callback = (result: BatchObservableResult): void => {
    const sample = latest();
    if (sample === undefined) return;
    const observe = (observable: Observable, value: number | undefined, attributes?: Attributes) => {
      if (value !== undefined && Number.isFinite(value)) result.observe(observable, value, attributes);
    };
    const p = sample.process;
    observe(cpuTime, p.cpuUserSeconds, USER);
    observe(cpuTime, p.cpuSystemSeconds, SYSTEM);
    observe(cpuUtilization, p.cpuCoreShare / Math.max(1, sample.system.cpuCount));
    observe(memory, p.residentMemoryBytes);
    const loop = sample.eventLoop;
    if (loop !== undefined) {
      observe(delayP50, loop.delayP50Ms === undefined ? undefined : loop.delayP50Ms / 1000);
      observe(delayP99, loop.delayP99Ms === undefined ? undefined : loop.delayP99Ms / 1000);
      observe(delayMax, loop.delayMaxMs === undefined ? undefined : loop.delayMaxMs / 1000);
      observe(loopUtilization, loop.utilization);
    }
    observe(systemCpu, sample.system.cpuUtilization);
    observe(systemMemory, sample.system.memoryUsedBytes, MEMORY_USED);
    observe(systemMemoryLimit, sample.system.memoryTotalBytes);
    for (const gpu of sample.gpus) {
      const attributes = gpuAttributes(gpu);
      observe(gpuUtilization, gpu.utilization, { ...attributes, ...GPU_TASK });
      observe(gpuMemoryUsage, gpu.memoryUsedBytes, attributes);
      observe(gpuMemoryLimit, gpu.memoryTotalBytes, attributes);
      observe(gpuMemoryUtilization, gpu.memoryUtilization, attributes);
      observe(gpuMemoryController, gpu.memoryControllerUtilization, attributes);
      observe(gpuPower, gpu.powerWatts, attributes);
      observe(gpuTemperature, gpu.temperatureCelsius, attributes);
    }
  };
  meter.addBatchObservableCallback(callback, observables);
  return () => meter.removeBatchObservableCallback(callback, observables);
}

/** What followMeterProvider needs of `@opentelemetry/api`. */
export interface MeterApi {
  metrics: { getMeterProvider(): { getMeter(name: string): Meter } };
  createNoopMeter?: () => Meter;
}

/**
 * Observe on the app's MeterProvider, or on the global one. The metrics API has no proxy provider: a
 * meter taken before the SDK registers stays a no-op for good, so `check()` (called once per sample)
 * looks again until a real meter appears, and moves over if the global provider is replaced.
 */
export function followMeterProvider(
  api: MeterApi,
  meterProvider: { getMeter(name: string): unknown } | undefined,
  latest: () => ResourceSample | undefined,
  fault: (error: unknown) => void,
): { check(): void; stop(): void } {
  let provider: unknown;
  let stopObserving: (() => void) | undefined;
  let stopped = false;
  const check = () => {
    if (stopped) return;
    try {
      const current = meterProvider ?? api.metrics.getMeterProvider();
      if (current === provider) return;
      const meter = (current as { getMeter(name: string): Meter }).getMeter(RESOURCE_METER_NAME);
      if (typeof api.createNoopMeter === 'function' && meter === api.createNoopMeter()) return;
      stopObserving?.();
      provider = current;
      stopObserving = observeResources(meter, latest);
    } catch (error) {
      fault(error);
    }
  };
  check();
  return {
    check,
    stop: () => {
      stopped = true;
      try {
        stopObserving?.();
      } catch (error) {
        fault(error);
      }
      stopObserving = undefined;
    },
  };
}
