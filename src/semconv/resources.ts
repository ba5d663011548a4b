/**
 * Names of the resource metrics (process, event loop, host, GPUs), part of the one table of exported names that `semconv.ts` re-exports (import
 * them from there). Split out only to keep each file short.
 */

// ---- Resource sampling (src/resources/) -----------------------------------------------------------

/**
 * One resource figure as exported: Prometheus name and type, OpenTelemetry name and instrument.
 * `prom` or `otel` is undefined where that side leaves the figure out.
 */
export interface ResourceMetricName {
  prom: string | undefined;
  promType: 'gauge' | 'counter';
  otel: string | undefined;
  otelInstrument: 'gauge' | 'counter' | 'updowncounter';
  unit: string;
  help: string;
}

/**
 * The resource sampler's metrics (src/resources/). Naming rules, in order:
 * 1. Where prom-client's default metrics (`collectDefaultMetrics`) name the value, the Prometheus name
 *    and help are theirs (`process_cpu_*`, `process_resident_memory_bytes`, `nodejs_heap_size_*`,
 *    `nodejs_eventloop_lag_*`): existing dashboards work, and on a registry that already has them
 *    (the app called collectDefaultMetrics first) the monitor leaves those names to prom-client.
 * 2. Otherwise the OpenTelemetry semantic conventions' name (process.*, nodejs.eventloop.*, system.*,
 *    hw.*; development status), in Prometheus form: dots to underscores, unit suffix `By` -> `_bytes`,
 *    `1` -> `_ratio`, `W` -> `_watts`, `Cel` -> `_celsius`.
 * 3. What the conventions do not name gets the project's prefix (`llm_vitals_`, `llm_vitals.`).
 * GPU temperature and power use the conventions' generic `hw.temperature` / `hw.power` with
 * `hw.type="gpu"`: there is no `hw.gpu.temperature` or `hw.gpu.power`, and the conventions define
 * `hw.temperature` on a sensor component; nvidia-smi reports the GPU's core sensor as the GPU's own.
 */
export const RESOURCE_METRIC = {
  processCpuUser: {
    prom: 'process_cpu_user_seconds_total', promType: 'counter', otel: 'process.cpu.time', otelInstrument: 'counter', unit: 's',
    help: 'Total user CPU time spent in seconds.',
  },
  processCpuSystem: {
    prom: 'process_cpu_system_seconds_total', promType: 'counter', otel: 'process.cpu.time', otelInstrument: 'counter', unit: 's',
    help: 'Total system CPU time spent in seconds.',
  },
  processCpu: {
    prom: 'process_cpu_seconds_total', promType: 'counter', otel: undefined, otelInstrument: 'counter', unit: 's',
    help: 'Total user and system CPU time spent in seconds.',
  },
  processCpuUtilization: {
    prom: undefined, promType: 'gauge', otel: 'process.cpu.utilization', otelInstrument: 'gauge', unit: '1',
    help: 'CPU time of the process over the last sampling interval, divided by the elapsed time and the CPUs available to the process.',
  },
  residentMemory: {
    prom: 'process_resident_memory_bytes', promType: 'gauge', otel: 'process.memory.usage', otelInstrument: 'updowncounter', unit: 'By',
    help: 'Resident memory size in bytes.',
  },
  heapUsed: {
    prom: 'nodejs_heap_size_used_bytes', promType: 'gauge', otel: undefined, otelInstrument: 'gauge', unit: 'By',
    help: 'Process heap size used from Node.js in bytes.',
  },
  heapTotal: {
    prom: 'nodejs_heap_size_total_bytes', promType: 'gauge', otel: undefined, otelInstrument: 'gauge', unit: 'By',
    help: 'Process heap size from Node.js in bytes.',
  },
  eventLoopDelayP50: {
    prom: 'nodejs_eventloop_lag_p50_seconds', promType: 'gauge', otel: 'nodejs.eventloop.delay.p50', otelInstrument: 'gauge', unit: 's',
    help: 'The 50th percentile of the recorded event loop delays (Prometheus: since the previous scrape, as prom-client reports it; OpenTelemetry: the last sampling interval).',
  },
  eventLoopDelayP99: {
    prom: 'nodejs_eventloop_lag_p99_seconds', promType: 'gauge', otel: 'nodejs.eventloop.delay.p99', otelInstrument: 'gauge', unit: 's',
    help: 'The 99th percentile of the recorded event loop delays (Prometheus: since the previous scrape, as prom-client reports it; OpenTelemetry: the last sampling interval).',
  },
  eventLoopDelayMax: {
    prom: 'nodejs_eventloop_lag_max_seconds', promType: 'gauge', otel: 'nodejs.eventloop.delay.max', otelInstrument: 'gauge', unit: 's',
    help: 'The maximum recorded event loop delay (Prometheus: since the previous scrape, as prom-client reports it; OpenTelemetry: the last sampling interval).',
  },
  eventLoopUtilization: {
    prom: 'nodejs_eventloop_utilization_ratio', promType: 'gauge', otel: 'nodejs.eventloop.utilization', otelInstrument: 'gauge', unit: '1',
    help: 'Share of the last sampling interval the event loop spent running callbacks rather than waiting.',
  },
  systemCpuUtilization: {
    prom: 'system_cpu_utilization_ratio', promType: 'gauge', otel: 'system.cpu.utilization', otelInstrument: 'gauge', unit: '1',
    help: 'Busy share of all logical CPUs of the host over the last sampling interval.',
  },
  systemMemoryUsage: {
    prom: 'system_memory_usage_bytes', promType: 'gauge', otel: 'system.memory.usage', otelInstrument: 'updowncounter', unit: 'By',
    help: 'Host memory in use (total minus available), by state.',
  },
  systemMemoryLimit: {
    prom: 'system_memory_limit_bytes', promType: 'gauge', otel: 'system.memory.limit', otelInstrument: 'updowncounter', unit: 'By',
    help: 'Total host memory.',
  },
  gpuUtilization: {
    prom: 'hw_gpu_utilization_ratio', promType: 'gauge', otel: 'hw.gpu.utilization', otelInstrument: 'gauge', unit: '1',
    help: 'Share of the last sample period in which a kernel was running on the GPU (nvidia-smi utilization.gpu).',
  },
  gpuMemoryUsage: {
    prom: 'hw_gpu_memory_usage_bytes', promType: 'gauge', otel: 'hw.gpu.memory.usage', otelInstrument: 'updowncounter', unit: 'By',
    help: 'GPU memory used.',
  },
  gpuMemoryLimit: {
    prom: 'hw_gpu_memory_limit_bytes', promType: 'gauge', otel: 'hw.gpu.memory.limit', otelInstrument: 'updowncounter', unit: 'By',
    help: 'Size of the GPU memory.',
  },
  gpuMemoryUtilization: {
    prom: 'hw_gpu_memory_utilization_ratio', promType: 'gauge', otel: 'hw.gpu.memory.utilization', otelInstrument: 'gauge', unit: '1',
    help: 'Fraction of GPU memory used.',
  },
  gpuMemoryControllerUtilization: {
    prom: 'llm_vitals_gpu_memory_controller_utilization_ratio', promType: 'gauge',
    otel: 'llm_vitals.gpu.memory_controller.utilization', otelInstrument: 'gauge', unit: '1',
    help: 'Share of the last sample period in which GPU memory was being read or written (nvidia-smi utilization.memory).',
  },
  gpuPower: {
    prom: 'hw_power_watts', promType: 'gauge', otel: 'hw.power', otelInstrument: 'gauge', unit: 'W',
    help: 'Instantaneous power drawn by the GPU (nvidia-smi power.draw).',
  },
  gpuTemperature: {
    prom: 'hw_temperature_celsius', promType: 'gauge', otel: 'hw.temperature', otelInstrument: 'gauge', unit: 'Cel',
    help: 'GPU core temperature in degrees Celsius (nvidia-smi temperature.gpu).',
  },
} as const satisfies Record<string, ResourceMetricName>;

/** Attributes of the resource metrics (OTel form); a GPU's are `hw.id` (UUID), `hw.model` (name), `gpu.index`, `hw.type`. */
export const RESOURCE_ATTR = {
  cpuMode: 'cpu.mode',
  systemMemoryState: 'system.memory.state',
  hwId: 'hw.id',
  hwModel: 'hw.model',
  hwType: 'hw.type',
  hwGpuTask: 'hw.gpu.task',
  /** Not in the conventions: nvidia-smi's index, what `CUDA_VISIBLE_DEVICES` and people use. */
  gpuIndex: 'gpu.index',
} as const;

/** The Prometheus labels of the resource metrics: RESOURCE_ATTR with dots as underscores. */
export const RESOURCE_LABEL = {
  systemMemoryState: 'system_memory_state',
  hwId: 'hw_id',
  hwModel: 'hw_model',
  hwType: 'hw_type',
  hwGpuTask: 'hw_gpu_task',
  gpuIndex: 'gpu_index',
} as const;

/** Attribute values of the resource metrics. */
export const RESOURCE_VALUE = {
  hwTypeGpu: 'gpu',
  /** `hw.gpu.task` of nvidia-smi's utilization.gpu: any kernel running. */
  gpuTaskGeneral: 'general',
  memoryStateUsed: 'used',
  cpuModeUser: 'user',
  cpuModeSystem: 'system',
} as const;
