/**
 * The resource sampler: on one unref'd interval timer, reads the process, event-loop, system and GPU
 * probes into one ResourceSample and hands it on. Nothing here runs on the app's call path, and no
 * timer, histogram or child process it starts keeps the app alive.
 *
 * `startResourceSampling` is the monitor's one entry point: it starts the sampler and connects the
 * samples to the Prometheus gauges, the OpenTelemetry observable gauges and the monitor's listeners.
 */
import type { Registry } from 'prom-client';
import { RESOURCE_METRIC } from '../semconv.js';
import { EventLoopProbe } from './event-loop.js';
import { EventLoopWindow, type WindowDelays } from './event-loop-window.js';
import { GpuProbe } from './gpu.js';
import { ProcessProbe } from './process.js';
import { ResourceGauges } from './prometheus.js';
import { followMeterProvider, type MeterApi } from './otel.js';
import type { ResourceSample } from './sample.js';
import { SystemProbe } from './system.js';
import { monotonic } from '../lib/clock.js';

export interface ResourceSamplerOptions {
  intervalMs: number;
  /** 'auto': sample NVIDIA GPUs through nvidia-smi when it is on PATH. */
  gpu: 'auto' | false;
  eventLoop: boolean;
  /** A fault inside the sampler (a probe that threw, nvidia-smi failing); never thrown. */
  fault: (error: unknown) => void;
  /** Each new sample. */
  onSample: (sample: ResourceSample) => void;
  /** Fed each interval's event-loop delays (the Prometheus gauges' since-the-previous-scrape window). */
  eventLoopWindow?: EventLoopWindow;
}

export class ResourceSampler {
  private readonly options: ResourceSamplerOptions;
  private readonly processProbe = new ProcessProbe();
  private readonly systemProbe = new SystemProbe();
  private readonly eventLoopProbe: EventLoopProbe | undefined;
  readonly gpuProbe: GpuProbe | undefined;
  private readonly timer: NodeJS.Timeout;
  private lastAt = monotonic();
  private latestSample: ResourceSample | undefined;
  private stopped = false;

  constructor(options: ResourceSamplerOptions) {
    this.options = options;
    const window = options.eventLoopWindow;
    this.eventLoopProbe = options.eventLoop ? new EventLoopProbe(window === undefined ? undefined : (delays) => window.add(delays)) : undefined;
    this.gpuProbe = options.gpu === 'auto' ? new GpuProbe({ intervalMs: options.intervalMs, fault: options.fault }) : undefined;
    // Sampled from setImmediate: an event-loop delay tick that is overdue (the loop was blocked) runs
    // in the timers phase with this timer, maybe after it; by the check phase it has been recorded.
    this.timer = setInterval(() => setImmediate(this.tickSoon).unref(), options.intervalMs);
    this.timer.unref();
  }

  /** The most recent sample; undefined until the first interval has passed. */
  latest(): ResourceSample | undefined {
    return this.latestSample;
  }

  private readonly tickSoon = () => {
    this.tick();
  };

  /** Take a sample now (the interval timer calls this). */
  tick(): ResourceSample | undefined {
    if (this.stopped) return undefined;
    let sample: ResourceSample;
    try {
      const now = monotonic();
      sample = {
        time: Date.now(),
        intervalMs: now - this.lastAt,
        process: this.processProbe.read(),
        eventLoop: this.eventLoopProbe?.read(),
        system: this.systemProbe.read(),
        gpus: this.gpuProbe?.read() ?? [],
      };
      this.lastAt = now;
    } catch (error) {
      this.options.fault(error);
      return undefined;
    }
    this.latestSample = sample;
    try {
      this.options.onSample(sample);
    } catch (error) {
      this.options.fault(error);
    }
    return sample;
  }

  /** Stop the timer, the event-loop histogram and nvidia-smi. Idempotent. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    this.eventLoopProbe?.stop();
    this.gpuProbe?.stop();
  }
}

export interface ResourceSampling {
  readonly sampler: ResourceSampler;
  latest(): ResourceSample | undefined;
  /** Stop sampling and take the gauges off the registry and the meter. Idempotent. */
  stop(): void;
}

/**
 * Start sampling for a monitor: the sampler, its Prometheus metrics on `registry` (when given) and its
 * OpenTelemetry observable instruments (when `otel` is given: on its meterProvider, else the global one).
 */
export function startResourceSampling(
  options: { intervalMs: number; gpu: 'auto' | false; eventLoop: boolean },
  wiring: {
    registry: Registry | undefined;
    otel: { api: MeterApi | undefined; meterProvider: { getMeter(name: string): unknown } | undefined } | undefined;
    fault: (component: string, error: unknown) => void;
    onSample: (sample: ResourceSample) => void;
  },
): ResourceSampling {
  const fault = (error: unknown) => wiring.fault('resources', error);
  let sampler: ResourceSampler | undefined;
  const latest = () => sampler?.latest();
  // prom-client's event-loop gauges cover the time since the previous scrape, not the latest interval:
  // the gauges see each sample with its delays replaced by that window's, unless prom-client's own
  // collector already has those names on the registry.
  const registry = wiring.registry;
  const window =
    options.eventLoop && registry !== undefined && PROM_CLIENT_DELAY_NAMES.some((name) => registry.getSingleMetric(name) === undefined)
      ? new EventLoopWindow()
      : undefined;
  // The exporters first: if one could not be set up, no timer or child process is left behind.
  const gauges = registry !== undefined ? new ResourceGauges(registry, window === undefined ? latest : withScrapeWindow(latest, window)) : undefined;
  const otel = wiring.otel?.api !== undefined ? followMeterProvider(wiring.otel.api, wiring.otel.meterProvider, latest, fault) : undefined;
  sampler = new ResourceSampler({
    ...options,
    eventLoopWindow: window,
    fault,
    onSample: (sample) => {
      otel?.check();
      wiring.onSample(sample);
    },
  });
  let stopped = false;
  return {
    sampler,
    latest,
    stop: () => {
      if (stopped) return;
      stopped = true;
      sampler!.stop();
      gauges?.remove();
      otel?.stop();
    },
  };
}

const PROM_CLIENT_DELAY_NAMES = [RESOURCE_METRIC.eventLoopDelayP50.prom, RESOURCE_METRIC.eventLoopDelayP99.prom, RESOURCE_METRIC.eventLoopDelayMax.prom];

/**
 * The latest sample as the Prometheus gauges read it: event-loop delays over the intervals since the
 * previous scrape. The first gauge read in a scrape takes the window; the others get the same (a read
 * with no new interval repeats the last), so one object serves the whole scrape.
 */
function withScrapeWindow(latest: () => ResourceSample | undefined, window: EventLoopWindow): () => ResourceSample | undefined {
  let from: ResourceSample | undefined;
  let delays: WindowDelays | undefined;
  let view: ResourceSample | undefined;
  return () => {
    const sample = latest();
    if (sample?.eventLoop === undefined) return sample;
    const current = window.read();
    if (sample !== from || current !== delays) {
      from = sample;
      delays = current;
      view = { ...sample, eventLoop: { ...sample.eventLoop, delayP50Ms: current?.p50Ms, delayP99Ms: current?.p99Ms, delayMaxMs: current?.maxMs } };
    }
    return view;
  };
}
