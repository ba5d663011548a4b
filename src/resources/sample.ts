/**
 * ResourceSample: what the resource sampler measured over one interval, as plain JSON. One shape for
 * every consumer: the Prometheus and OpenTelemetry gauges, `snapshot().resources`,
 * `monitor.on('resources')` and the detectors all read the same object.
 *
 * Times are milliseconds, like the CallRecord's; sizes are bytes; utilisations are fractions in [0, 1].
 * A figure the source could not give (a GPU field nvidia-smi reports as `[N/A]`) is left undefined,
 * never guessed and never zero.
 */

export interface ResourceSample {
  /** Epoch milliseconds when the sample was taken. */
  time: number;
  /** Milliseconds the interval figures cover (since the previous sample, or since the sampler started). */
  intervalMs: number;
  process: ProcessSample;
  /** Undefined when `resources.eventLoop` is false. */
  eventLoop: EventLoopSample | undefined;
  system: SystemSample;
  /** One entry per GPU nvidia-smi reported recently; empty when there is none or nvidia-smi is not running. */
  gpus: GpuSample[];
}

/** This Node.js process. Source: `process.cpuUsage()`, `process.memoryUsage()`. */
export interface ProcessSample {
  /** User CPU seconds since the process started. */
  cpuUserSeconds: number;
  /** System (kernel) CPU seconds since the process started. */
  cpuSystemSeconds: number;
  /**
   * CPU time over the interval as a share of one core: 1 means one core busy the whole interval
   * (more than 1 is possible with worker threads or a busy libuv thread pool).
   */
  cpuCoreShare: number;
  /** Resident set size. */
  residentMemoryBytes: number;
  /** V8 heap in use. */
  heapUsedBytes: number;
  /** V8 heap reserved. */
  heapTotalBytes: number;
}

/**
 * The event loop over the interval. Source: `perf_hooks.monitorEventLoopDelay` (reset each interval)
 * and `performance.eventLoopUtilization`.
 *
 * The delays are the histogram's values as Node.js records them: the time between two ticks of a
 * timer that is due every `resolutionMs`, so an idle loop reads about `resolutionMs`, and a loop
 * blocked for 200 ms reads at least 200 ms. Subtract `resolutionMs` for how late the timer was.
 */
export interface EventLoopSample {
  /** Undefined when the timer did not tick in the interval. */
  delayP50Ms: number | undefined;
  delayP99Ms: number | undefined;
  delayMaxMs: number | undefined;
  /** Share of the interval the loop spent running callbacks rather than waiting for I/O, in [0, 1]. */
  utilization: number;
  /** The delay timer's period. */
  resolutionMs: number;
}

/**
 * The host (or the container's view of it: these are the kernel's host-wide figures, not cgroup
 * limits). Sources: `/proc/stat` on Linux, `os.cpus()` elsewhere; `os.totalmem()`, `os.freemem()`
 * (MemAvailable on Linux), `os.loadavg()`.
 */
export interface SystemSample {
  /** Busy share of all logical CPUs over the interval (not idle, not iowait); undefined on the first sample. */
  cpuUtilization: number | undefined;
  /** Logical CPUs available to the process. */
  cpuCount: number;
  /** One-minute load average; undefined where the OS has none (Windows). */
  loadAverage1m: number | undefined;
  /** Total minus available memory. */
  memoryUsedBytes: number;
  memoryTotalBytes: number;
}

/**
 * One NVIDIA GPU, from the long-lived `nvidia-smi --query-gpu=... -lms <interval>` child. Each figure is
 * undefined when nvidia-smi reported it as `[N/A]`, `[Not Supported]` or anything not a number.
 */
export interface GpuSample {
  /** nvidia-smi's index of the GPU. */
  index: number;
  /** The GPU's UUID (`GPU-...`), stable across reboots and index changes. */
  uuid: string;
  /** Product name (`NVIDIA H100 80GB HBM3`). */
  name: string;
  /** Share of the last sample period in which a kernel was running (nvidia-smi `utilization.gpu`). */
  utilization?: number;
  /**
   * Share of the last sample period in which device memory was being read or written (nvidia-smi
   * `utilization.memory`): memory-controller activity, not how full the memory is.
   */
  memoryControllerUtilization?: number;
  memoryUsedBytes?: number;
  memoryTotalBytes?: number;
  /** memoryUsedBytes / memoryTotalBytes: how full the GPU memory is. */
  memoryUtilization?: number;
  temperatureCelsius?: number;
  powerWatts?: number;
  /** Milliseconds between nvidia-smi printing this reading and the sample. */
  ageMs: number;
}
