/**
 * The app's OpenTelemetry providers, read from where `@opentelemetry/api` keeps them: one object on
 * `globalThis` under `Symbol.for('opentelemetry.js.api.1')`, which every copy of the 1.x API reads
 * and writes (that is how an app's ESM copy and a library's CommonJS copy share one SDK). Reading it
 * directly means llm-vitals loads no OpenTelemetry code at all: `@opentelemetry/api` stays an
 * optional peer, used here for types only, and with no SDK registered a call costs one property read.
 *
 * Why not load the API module: it would have to be a synchronous `require` (an `import()` would miss
 * the first calls), and neither `require` nor `import.meta.url` exists in both the ESM and the
 * CommonJS builds (tsup converts the ESM build to CommonJS and leaves `import.meta` in it, a syntax
 * error there).
 *
 * The few enum values used are the API's own and fixed for 1.x (SpanKind.CLIENT = 2,
 * SpanStatusCode.ERROR = 2, ValueType.INT = 0, ValueType.DOUBLE = 1).
 */
import type { Context, Meter, MeterProvider, TracerProvider } from '@opentelemetry/api';
import { GEN_AI_LATEST_EXPERIMENTAL } from '../semconv.js';

const GLOBAL_KEY = Symbol.for('opentelemetry.js.api.1');

/** What the 1.x API registers globally (only the parts read here). */
interface OtelGlobal {
  version?: string;
  /** The registering API's ProxyTracerProvider, its delegate the SDK's provider. */
  trace?: TracerProvider & { getDelegateTracer?(name: string, version?: string): unknown };
  context?: { active(): Context };
  metrics?: MeterProvider;
}

export const SPAN_KIND_CLIENT = 2;
export const SPAN_STATUS_ERROR = 2;
export const VALUE_TYPE_INT = 0;
export const VALUE_TYPE_DOUBLE = 1;

function otelGlobal(): OtelGlobal | undefined {
  return (globalThis as any)[GLOBAL_KEY];
}

/** The registered tracer provider, if any. */
export function globalTracerProvider(): OtelGlobal['trace'] {
  return otelGlobal()?.trace;
}

/** The registered meter provider, if any (the metrics API has no proxy: none until an SDK sets one). */
export function globalMeterProvider(): MeterProvider | undefined {
  return otelGlobal()?.metrics;
}

/** The active context, when the app registered a context manager; undefined otherwise (the root). */
export function activeContext(): Context | undefined {
  return otelGlobal()?.context?.active();
}

/** A stand-in for the API's no-op meter: never used to record, only told apart by identity. */
const NOOP_METER = Object.freeze({}) as Meter;
const NOOP_METER_PROVIDER = Object.freeze({ getMeter: (): Meter => NOOP_METER });

/** The part of `@opentelemetry/api` that code following the global meter provider asks for. */
export interface OtelApi {
  metrics: { getMeterProvider(): { getMeter(name: string): Meter } };
  createNoopMeter(): Meter;
}

const API: OtelApi = Object.freeze({
  metrics: Object.freeze({ getMeterProvider: () => (globalMeterProvider() as { getMeter(name: string): Meter } | undefined) ?? NOOP_METER_PROVIDER }),
  createNoopMeter: () => NOOP_METER,
});

/**
 * `metrics.getMeterProvider()` and `createNoopMeter()` as the API has them, over the global registry
 * (for the resource sampler, which follows the global meter provider the same way).
 */
export function loadOtelApi(): OtelApi {
  return API;
}

/**
 * True when `OTEL_SEMCONV_STABILITY_OPT_IN` (a comma-separated list) holds `gen_ai_latest_experimental`:
 * the app asks for the GenAI names newer than v1.41 (SPAN_ATTR_LATEST, GENAI_METRIC_LATEST).
 */
export function optsInToLatestGenAi(optIn: string | undefined): boolean {
  if (optIn === undefined || optIn === '') return false;
  return optIn.split(',').some((value) => value.trim() === GEN_AI_LATEST_EXPERIMENTAL);
}
