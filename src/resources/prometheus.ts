/**
 * The resource samples as Prometheus metrics, on the monitor's registry, read from the latest sample
 * when the registry is scraped (nothing is done per sample, nothing when nobody scrapes).
 *
 * Names come from RESOURCE_METRIC in `semconv.ts`. The `process_*` and `nodejs_*` names are
 * prom-client's default-metric names: if the registry already has one (the app ran
 * `collectDefaultMetrics` on it before creating the monitor), that name is left to prom-client rather
 * than registered twice. A figure the sample does not have (no sample yet, a GPU field nvidia-smi
 * reported as `[N/A]`, a GPU gone) is left out of the exposition, never written as 0.
 *
 * Each metric says how prom-client's `AggregatorRegistry` combines it across the workers of a
 * node:cluster (each worker runs its own monitor and sampler): per-process counts and sizes are
 * summed, per-process percentiles and ratios averaged (prom-client's own event-loop gauges do the
 * same), and what every worker reads alike, the host and its GPUs, is one reading (the highest),
 * never a sum.
 */
import type { Registry } from 'prom-client';
import type { Aggregator } from '../lib/metrics.js';
import { RESOURCE_LABEL, RESOURCE_METRIC, RESOURCE_VALUE, type ResourceMetricName } from '../semconv.js';
import type { GpuSample, ResourceSample } from './sample.js';

type Labels = Record<string, string>;
type Value = { labels: Labels; value: number };

const NO_LABELS: Labels = Object.freeze({}) as Labels;

/**
 * A metric whose values are computed from the latest sample at scrape time. It implements what
 * prom-client's Registry uses of a metric: `name`, `help`, `type`, `aggregator`, `get()`, `reset()`.
 */
class SampledMetric {
  // Not readonly: in OpenMetrics mode the Registry renames counters (drops `_total`).
  name: string;
  readonly help: string;
  readonly type: 'gauge' | 'counter';

  constructor(
    spec: ResourceMetricName,
    readonly aggregator: Aggregator,
    private readonly latest: () => ResourceSample | undefined,
    private readonly values: (sample: ResourceSample) => Value[],
  ) {
    this.name = spec.prom!;
    this.help = spec.help;
    this.type = spec.promType;
  }

  async get() {
    const sample = this.latest();
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: sample === undefined ? [] : this.values(sample) };
  }

  reset(): void {
    // Values live in the samples; there is nothing to reset.
  }
}

/** One unlabelled value, or none when the sample lacks it. */
function single(value: number | undefined): Value[] {
  return value === undefined || !Number.isFinite(value) ? [] : [{ labels: NO_LABELS, value }];
}

function gpuLabels(gpu: GpuSample): Labels {
  return {
    [RESOURCE_LABEL.gpuIndex]: String(gpu.index),
    [RESOURCE_LABEL.hwId]: gpu.uuid,
    [RESOURCE_LABEL.hwModel]: gpu.name,
    [RESOURCE_LABEL.hwType]: RESOURCE_VALUE.hwTypeGpu,
  };
}

/** One value per GPU that has the figure. */
function perGpu(read: (gpu: GpuSample) => number | undefined, extra?: Labels) {
  return (sample: ResourceSample): Value[] => {
    const values: Value[] = [];
    for (const gpu of sample.gpus) {
      const value = read(gpu);
      if (value === undefined) continue;
      const labels = gpuLabels(gpu);
      values.push({ labels: extra === undefined ? labels : { ...labels, ...extra }, value });
    }
    return values;
  };
}

const msToSeconds = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);

export class ResourceGauges {
  /** The metrics this instance registered (not those it left to prom-client's default metrics), by registered name. */
  readonly registered = new Map<string, SampledMetric>();

  constructor(
    private readonly registry: Registry,
    latest: () => ResourceSample | undefined,
  ) {
    const m = RESOURCE_METRIC;
    const add = (spec: ResourceMetricName, aggregator: Aggregator, values: (sample: ResourceSample) => Value[]) => {
      if (registry.getSingleMetric(spec.prom!) !== undefined) return;
      const metric = new SampledMetric(spec, aggregator, latest, values);
      registry.registerMetric(metric as never);
      this.registered.set(spec.prom!, metric);
    };
    add(m.processCpuUser, 'sum', (s) => single(s.process.cpuUserSeconds));
    add(m.processCpuSystem, 'sum', (s) => single(s.process.cpuSystemSeconds));
    add(m.processCpu, 'sum', (s) => single(s.process.cpuUserSeconds + s.process.cpuSystemSeconds));
    add(m.residentMemory, 'sum', (s) => single(s.process.residentMemoryBytes));
    add(m.heapUsed, 'sum', (s) => single(s.process.heapUsedBytes));
    add(m.heapTotal, 'sum', (s) => single(s.process.heapTotalBytes));
    add(m.eventLoopDelayP50, 'average', (s) => single(msToSeconds(s.eventLoop?.delayP50Ms)));
    add(m.eventLoopDelayP99, 'average', (s) => single(msToSeconds(s.eventLoop?.delayP99Ms)));
    add(m.eventLoopDelayMax, 'max', (s) => single(msToSeconds(s.eventLoop?.delayMaxMs)));
    add(m.eventLoopUtilization, 'average', (s) => single(s.eventLoop?.utilization));
    add(m.systemCpuUtilization, 'max', (s) => single(s.system.cpuUtilization));
    add(m.systemMemoryUsage, 'max', (s) => [{ labels: { [RESOURCE_LABEL.systemMemoryState]: RESOURCE_VALUE.memoryStateUsed }, value: s.system.memoryUsedBytes }]);
    add(m.systemMemoryLimit, 'max', (s) => single(s.system.memoryTotalBytes));
    add(m.gpuUtilization, 'max', perGpu((g) => g.utilization, { [RESOURCE_LABEL.hwGpuTask]: RESOURCE_VALUE.gpuTaskGeneral }));
    add(m.gpuMemoryUsage, 'max', perGpu((g) => g.memoryUsedBytes));
    add(m.gpuMemoryLimit, 'max', perGpu((g) => g.memoryTotalBytes));
    add(m.gpuMemoryUtilization, 'max', perGpu((g) => g.memoryUtilization));
    add(m.gpuMemoryControllerUtilization, 'max', perGpu((g) => g.memoryControllerUtilization));
    add(m.gpuPower, 'max', perGpu((g) => g.powerWatts));
    add(m.gpuTemperature, 'max', perGpu((g) => g.temperatureCelsius));
  }

  /** Take the metrics off the registry (the monitor shut down: its last sample must not be scraped forever). */
  remove(): void {
    // By the name it was registered under: in OpenMetrics mode the Registry renames counters in place.
    for (const [name, metric] of this.registered) {
      if (this.registry.getSingleMetric(name) === (metric as never)) this.registry.removeSingleMetric(name);
    }
    this.registered.clear();
  }
}
