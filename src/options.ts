/**
 * Options of `createMonitor` and `wrap`: their types, their defaults, and the validation that turns a
 * bad option into an error naming it, at the boundary, before anything is wired.
 */
import type { Registry } from 'prom-client';
import type { Sink } from './sinks/sink.js';
import {
  PRIVACY_COST_QUALITY_KEYS,
  resolvePrivacyCostQuality,
  type PrivacyCostQualityOptions,
  type ResolvedPrivacyCostQuality,
} from './quality/options.js';
import { resolveDetectOptions, type DetectOptions, type ResolvedDetectOptions } from './detect/options.js';
import { checkInteger, checkKeys, describeValue, isObjectLiteral, optionFailure, optionKeys, type OptionFailure } from './lib/option-error.js';

const fail: OptionFailure = optionFailure('createMonitor');

export interface TokenOptions {
  /**
   * Count tokens with a local tokenizer when the provider reports no usage, and mark those counts
   * `estimated`. Counting runs after the call has ended, off the app's path. Default `true`.
   */
  estimate?: boolean;
  /**
   * For OpenAI-style streaming chat and text completions that did not ask for usage, add
   * `stream_options: { include_usage: true }` to the request so the server reports real counts.
   * The extra usage-only chunk this makes the server send is consumed by the monitor and never
   * shown to the app. Default `false`: the request is sent exactly as the app wrote it.
   */
  includeStreamUsage?: boolean;
}

export interface SnapshotOptions {
  /** Recent calls kept per provider/operation/model for the snapshot's percentiles. Default 1024. */
  samples?: number;
  /** Seconds of history behind the snapshot's requests/s and tokens/s. Default 60. */
  rateWindowSeconds?: number;
}

/** Privacy (`capture`, `hashKey`, `hashAttributes`), cost (`prices`), quality (`evaluators`, `evaluationSampleRate`, `evaluationTimeoutMs`) and `segment`: see quality/options.ts. */
export interface MonitorOptions extends PrivacyCostQualityOptions {
  /** Your service's name, carried on exported data (`service` label is not added to metrics). */
  serviceName?: string;
  /** A prom-client Registry to register the metrics on. Default: the monitor's own Registry. */
  registry?: Registry;
  /** Turn the Prometheus metrics off (`false`). Default on. */
  prometheus?: boolean;
  /**
   * Cardinality guard: each metric label keeps at most this many distinct values; the rest fold into
   * `other` and are counted in `llm_vitals_label_overflow_total`. Default 100.
   */
  maxLabelValues?: number;
  tokens?: TokenOptions;
  snapshot?: SnapshotOptions;
  /**
   * Your own sinks, each called with every finished record after the built-in ones (`callEnded`;
   * optional `callStarted`, `callFinished`, `flush` and `shutdown`). Each runs isolated: one that
   * throws is counted in `llm_vitals_internal_errors_total{component=<its name>}`, reported on
   * `monitor.on('error')`, and never keeps the app or the other sinks from the record.
   */
  sinks?: Sink[];
  /**
   * OpenTelemetry: a span per call and the GenAI metrics through `@opentelemetry/api` (an optional
   * peer dependency; without it, or with no SDK registered, this costs next to nothing). Default on,
   * using the global providers; `false` turns both off. See `OtelOptions`.
   */
  otel?: boolean | OtelOptions;
  /**
   * Resource sampling: process CPU and memory, event-loop delay and utilisation, host CPU and memory,
   * NVIDIA GPUs, exported next to the call metrics and on `monitor.on('resources')`. Default on with
   * the defaults of `ResourceOptions`; `false` turns it off.
   */
  resources?: boolean | ResourceOptions;
  /**
   * Anomaly and drift detection on every call signal (latency, time to first chunk, tokens, errors,
   * finish reasons, ...): events `anomaly` and `drift`, `record.alerts`, the `llm_vitals_anomal*` and
   * `llm_vitals_drift_score` metrics, `snapshot().detectors`. Default on with the defaults of
   * `DetectOptions`; `false` turns it off.
   */
  detect?: boolean | DetectOptions;
  /**
   * Milliseconds `monitor.shutdown()` waits for the calls still open (streams being read, requests in
   * flight) to end before it shuts the sinks down, so their records and spans get out. Calls still
   * open then are not waited for. Default 5000; 0 does not wait.
   */
  shutdownTimeoutMs?: number;
}

export interface WrapOptions {
  /** `gen_ai.provider.name` for this client. Default: inferred from the client's base URL, else `openai`. */
  provider?: string;
}

export interface ResolvedOptions extends ResolvedPrivacyCostQuality {
  serviceName: string;
  registry: Registry | undefined;
  prometheus: boolean;
  maxLabelValues: number;
  tokens: Required<TokenOptions>;
  snapshot: Required<SnapshotOptions>;
  sinks: Sink[];
  otel: ResolvedOtelOptions;
  resources: Required<ResourceOptions> | false;
  detect: ResolvedDetectOptions | false;
  shutdownTimeoutMs: number;
}

const KNOWN = [
  ...optionKeys<Omit<MonitorOptions, keyof PrivacyCostQualityOptions>>({
    serviceName: true,
    registry: true,
    prometheus: true,
    maxLabelValues: true,
    tokens: true,
    snapshot: true,
    sinks: true,
    otel: true,
    resources: true,
    detect: true,
    shutdownTimeoutMs: true,
  }),
  ...PRIVACY_COST_QUALITY_KEYS,
];
const TOKENS_KNOWN = optionKeys<TokenOptions>({ estimate: true, includeStreamUsage: true });
const SNAPSHOT_KNOWN = optionKeys<SnapshotOptions>({ samples: true, rateWindowSeconds: true });
const SINK_KNOWN = optionKeys<Sink>({ name: true, callStarted: true, callFinished: true, callEnded: true, flush: true, shutdown: true });
const WRAP_KNOWN = optionKeys<WrapOptions>({ provider: true });
/**
 * Most distinct values one label keeps. Each kept value is a series of every metric that has the
 * label (a dozen, times the other labels' values) and an entry in the guard's memory: 100,000 is
 * already more series than one Prometheus target should expose; past it the guard guards nothing.
 */
export const MAX_LABEL_VALUES = 100_000;
/** The longest delay `setTimeout` takes: 2^31 - 1 ms (about 24.8 days). */
const MAX_TIMER_MS = 2_147_483_647;

/** Validate options and fill defaults. Throws a TypeError naming the first bad option. */
export function resolveOptions(options: MonitorOptions | undefined): ResolvedOptions {
  if (options === undefined || options === null) options = {};
  if (typeof options !== 'object') fail('options', 'an object', options);
  checkKeys('createMonitor', options, KNOWN);
  const o = options;
  if (o.serviceName !== undefined && (typeof o.serviceName !== 'string' || o.serviceName === '')) {
    fail('serviceName', 'a non-empty string', o.serviceName);
  }
  if (o.registry !== undefined && (typeof o.registry !== 'object' || typeof (o.registry as any).registerMetric !== 'function')) {
    fail('registry', 'a prom-client Registry', o.registry);
  }
  if (o.prometheus !== undefined && typeof o.prometheus !== 'boolean') fail('prometheus', 'a boolean', o.prometheus);
  checkInteger(fail, 'maxLabelValues', o.maxLabelValues, 1, MAX_LABEL_VALUES);
  const tokens = objectOption('tokens', o.tokens);
  checkKeys('createMonitor', tokens, TOKENS_KNOWN, 'tokens.');
  if (tokens.estimate !== undefined && typeof tokens.estimate !== 'boolean') fail('tokens.estimate', 'a boolean', tokens.estimate);
  if (tokens.includeStreamUsage !== undefined && typeof tokens.includeStreamUsage !== 'boolean') {
    fail('tokens.includeStreamUsage', 'a boolean', tokens.includeStreamUsage);
  }
  const snapshot = objectOption('snapshot', o.snapshot);
  checkKeys('createMonitor', snapshot, SNAPSHOT_KNOWN, 'snapshot.');
  checkInteger(fail, 'snapshot.samples', snapshot.samples, 16, 1 << 20);
  checkInteger(fail, 'snapshot.rateWindowSeconds', snapshot.rateWindowSeconds, 1, 3600);
  // Up to the longest delay a Node timer takes (a longer one fires at once).
  const timeout = o.shutdownTimeoutMs;
  if (timeout !== undefined && !(typeof timeout === 'number' && timeout >= 0 && timeout <= MAX_TIMER_MS)) {
    fail('shutdownTimeoutMs', `a number from 0 to ${MAX_TIMER_MS} (milliseconds)`, timeout);
  }
  if (o.sinks !== undefined && !Array.isArray(o.sinks)) fail('sinks', 'an array of sinks', o.sinks);
  const sinks = o.sinks ?? [];
  for (let i = 0; i < sinks.length; i++) {
    const sink = sinks[i] as any;
    if (sink === null || typeof sink !== 'object') fail(`sinks[${i}]`, 'an object with a name and a callEnded function', sink);
    if (typeof sink.name !== 'string' || sink.name === '') fail(`sinks[${i}].name`, 'a non-empty string', sink.name);
    // A literal's every key is a hook or its name (as TypeScript's excess-property check has it); a
    // class instance's own fields are its state.
    if (isObjectLiteral(sink)) checkKeys('createMonitor', sink, SINK_KNOWN, `sinks[${i}].`);
    if (typeof sink.callEnded !== 'function') fail(`sinks[${i}].callEnded`, 'a function', sink.callEnded);
    for (const hook of ['callStarted', 'callFinished', 'flush', 'shutdown']) {
      if (sink[hook] !== undefined && typeof sink[hook] !== 'function') fail(`sinks[${i}].${hook}`, 'a function', sink[hook]);
    }
  }
  return {
    serviceName: o.serviceName ?? 'unknown_service',
    registry: o.registry,
    prometheus: o.prometheus ?? true,
    maxLabelValues: o.maxLabelValues ?? 100,
    tokens: { estimate: tokens.estimate ?? true, includeStreamUsage: tokens.includeStreamUsage ?? false },
    snapshot: { samples: snapshot.samples ?? 1024, rateWindowSeconds: snapshot.rateWindowSeconds ?? 60 },
    sinks: [...sinks],
    otel: resolveOtelOptions(o.otel),
    resources: resolveResourceOptions(o.resources),
    detect: resolveDetectOptions(o.detect),
    shutdownTimeoutMs: timeout ?? 5000,
    ...resolvePrivacyCostQuality(o),
  };
}

/** Validate the options of `wrap`. */
export function resolveWrapOptions(options: WrapOptions | undefined): WrapOptions {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`wrap: options must be an object, got ${describeValue(options)}`);
  }
  checkKeys('wrap', options, WRAP_KNOWN);
  if (options.provider !== undefined && (typeof options.provider !== 'string' || options.provider === '')) {
    throw new TypeError(`wrap: option "provider" must be a non-empty string, got ${describeValue(options.provider)}`);
  }
  return options;
}

function objectOption<T extends object>(name: string, value: T | undefined): Partial<T> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(name, 'an object', value);
  return value;
}

// ---- otel -----------------------------------------------------------------------------------------

/**
 * `createMonitor({ otel })`. The provider types are structural, so these typings need no
 * `@opentelemetry/api`; pass the SDK's `TracerProvider` / `MeterProvider` objects.
 */
export interface OtelOptions {
  /** Where spans go. Default: the global tracer provider, looked up until an SDK registers one. */
  tracerProvider?: { getTracer(name: string, version?: string, options?: object): unknown };
  /** Where the GenAI metrics go. Default: the global meter provider, looked up until an SDK registers one. */
  meterProvider?: { getMeter(name: string, version?: string, options?: object): unknown };
  /** A CLIENT span per call (`{gen_ai.operation.name} {gen_ai.request.model}`). Default `true`. */
  traces?: boolean;
  /** The four GenAI client histograms. Default `true`. */
  metrics?: boolean;
}

export interface ResolvedOtelOptions {
  traces: boolean;
  metrics: boolean;
  tracerProvider: OtelOptions['tracerProvider'];
  meterProvider: OtelOptions['meterProvider'];
}

const OTEL_KNOWN = optionKeys<OtelOptions>({ tracerProvider: true, meterProvider: true, traces: true, metrics: true });

function resolveOtelOptions(value: boolean | OtelOptions | undefined): ResolvedOtelOptions {
  if (value === undefined || value === true) {
    return { traces: true, metrics: true, tracerProvider: undefined, meterProvider: undefined };
  }
  if (value === false) return { traces: false, metrics: false, tracerProvider: undefined, meterProvider: undefined };
  const otel = objectOption<OtelOptions>('otel', value as OtelOptions);
  checkKeys('createMonitor', otel, OTEL_KNOWN, 'otel.');
  if (otel.tracerProvider !== undefined && typeof (otel.tracerProvider as any)?.getTracer !== 'function') {
    fail('otel.tracerProvider', 'an OpenTelemetry TracerProvider (with getTracer)', otel.tracerProvider);
  }
  if (otel.meterProvider !== undefined && typeof (otel.meterProvider as any)?.getMeter !== 'function') {
    fail('otel.meterProvider', 'an OpenTelemetry MeterProvider (with getMeter)', otel.meterProvider);
  }
  if (otel.traces !== undefined && typeof otel.traces !== 'boolean') fail('otel.traces', 'a boolean', otel.traces);
  if (otel.metrics !== undefined && typeof otel.metrics !== 'boolean') fail('otel.metrics', 'a boolean', otel.metrics);
  return {
    traces: otel.traces ?? true,
    metrics: otel.metrics ?? true,
    tracerProvider: otel.tracerProvider,
    meterProvider: otel.meterProvider,
  };
}

// ---- resources ------------------------------------------------------------------------------------

/** `createMonitor({ resources })`: the resource sampler (src/resources/). */
export interface ResourceOptions {
  /**
   * Milliseconds between samples, also nvidia-smi's `-lms` interval. Default 5000. From 250 to
   * 3600000; at 1000 the sampler costs about 1% of a core, most of it the event-loop delay timer's
   * 10 ms ticks (prom-client's resolution); see BENCHMARKS.md (Resources).
   */
  intervalMs?: number;
  /**
   * `'auto'` (default): sample NVIDIA GPUs through one long-lived `nvidia-smi` child when it is on
   * PATH, and quietly skip them when it is not. `false`: never start nvidia-smi.
   */
  gpu?: 'auto' | false;
  /** Event-loop delay (p50, p99, max) and utilisation. Default `true`. */
  eventLoop?: boolean;
}

const RESOURCES_KNOWN = optionKeys<ResourceOptions>({ intervalMs: true, gpu: true, eventLoop: true });

function resolveResourceOptions(value: boolean | ResourceOptions | undefined): Required<ResourceOptions> | false {
  if (value === false) return false;
  if (value !== undefined && value !== true && (typeof value !== 'object' || value === null || Array.isArray(value))) {
    fail('resources', 'false or an object ({ intervalMs, gpu, eventLoop })', value);
  }
  const resources: ResourceOptions = value === undefined || value === true ? {} : value;
  checkKeys('createMonitor', resources, RESOURCES_KNOWN, 'resources.');
  const { intervalMs, gpu, eventLoop } = resources;
  // At least 250: two ticks of the 100 ms event-loop delay timer per interval (src/resources/event-loop.ts).
  checkInteger(fail, 'resources.intervalMs', intervalMs, 250, 3_600_000);
  if (gpu !== undefined && gpu !== 'auto' && gpu !== false) fail('resources.gpu', '"auto" or false', gpu);
  if (eventLoop !== undefined && typeof eventLoop !== 'boolean') fail('resources.eventLoop', 'a boolean', eventLoop);
  return { intervalMs: intervalMs ?? 5000, gpu: gpu ?? 'auto', eventLoop: eventLoop ?? true };
}
