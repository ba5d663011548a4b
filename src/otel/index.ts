/**
 * `llm-vitals/otel`: a one-call OpenTelemetry setup for an app that has no OTel SDK yet.
 *
 * It builds a tracer provider from `@opentelemetry/sdk-trace-base` with a BatchSpanProcessor around
 * the exporter you pass (OTLP/HTTP, console, anything that is a `SpanExporter`), registers it as the
 * global provider, so `createMonitor()` finds it with no option, and returns a `shutdown()` that
 * flushes what is queued, after handing the exporter every span still in the batch.
 *
 * ```ts
 * import { setupOtel } from 'llm-vitals/otel';
 * import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
 * const otel = setupOtel({ exporter: new OTLPTraceExporter(), serviceName: 'chat-api' });
 * // ... createMonitor(), monitor.wrap(new OpenAI()) ...
 * process.on('SIGTERM', async () => { await monitor.shutdown(); await otel.shutdown(); });
 * ```
 *
 * An app that already has an SDK (NodeSDK, its own provider) needs none of this: the monitor uses
 * the global providers, or the ones named in `createMonitor({ otel })`. Metrics are not set up here:
 * register a MeterProvider from `@opentelemetry/sdk-metrics` and the monitor's histograms use it.
 *
 * Needs `@opentelemetry/sdk-trace-base` and `@opentelemetry/resources` (which it depends on).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { context, ROOT_CONTEXT, trace, type Context, type ContextManager } from '@opentelemetry/api';
import { defaultResource, detectResources, envDetector, resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type BufferConfig, type Sampler, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { checkKeys, describeValue, optionKeys } from '../lib/option-error.js';

export interface SetupOtelOptions {
  /** Where spans go, e.g. `new OTLPTraceExporter()` from `@opentelemetry/exporter-trace-otlp-http`. */
  exporter: SpanExporter;
  /** `service.name`. Default: `OTEL_SERVICE_NAME`, else the SDK's `unknown_service:node`. Wins over the environment. */
  serviceName?: string;
  /** More resource attributes (`service.version`, `deployment.environment.name`, ...). */
  resourceAttributes?: Record<string, string | number | boolean>;
  /** Default: the SDK's (parent-based, always on; `OTEL_TRACES_SAMPLER` is honoured). */
  sampler?: Sampler;
  /** BatchSpanProcessor tuning: `maxQueueSize`, `maxExportBatchSize`, `scheduledDelayMillis`, `exportTimeoutMillis`. */
  batch?: BufferConfig;
  /**
   * Keeps the active span across `await`, so LLM spans nest under the app's own spans. Default: one
   * built on Node's AsyncLocalStorage. `false`: register none.
   */
  contextManager?: ContextManager | false;
  /** Register as the global tracer provider (and context manager). Default `true`. */
  register?: boolean;
}

export interface OtelSetup {
  readonly tracerProvider: BasicTracerProvider;
  /**
   * Export every span still queued, shut the exporter down, and unregister
   * what this setup registered. Idempotent. Call `monitor.shutdown()` first, so the spans of calls
   * that just ended are queued.
   */
  shutdown(): Promise<void>;
}

const KNOWN = optionKeys<SetupOtelOptions>({
  exporter: true,
  serviceName: true,
  resourceAttributes: true,
  sampler: true,
  batch: true,
  contextManager: true,
  register: true,
});
/** The BatchSpanProcessor's `BufferConfig`. */
const BATCH_KNOWN = optionKeys<BufferConfig>({ maxQueueSize: true, maxExportBatchSize: true, scheduledDelayMillis: true, exportTimeoutMillis: true });

/** Set up tracing for an app with no OpenTelemetry SDK. */
export function setupOtel(options: SetupOtelOptions): OtelSetup {
  validate(options);
  // The SDK's defaults, then OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES, then the options.
  let resource: Resource = defaultResource().merge(detectResources({ detectors: [envDetector] }));
  const attributes: Record<string, string | number | boolean> = { ...options.resourceAttributes };
  if (options.serviceName !== undefined) attributes['service.name'] = options.serviceName;
  if (Object.keys(attributes).length > 0) resource = resource.merge(resourceFromAttributes(attributes));

  const tracerProvider = new BasicTracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor(options.exporter, options.batch)],
    ...(options.sampler !== undefined ? { sampler: options.sampler } : {}),
  });

  const register = options.register ?? true;
  let registeredTraces = false;
  let registeredContext = false;
  if (register) {
    registeredTraces = trace.setGlobalTracerProvider(tracerProvider);
    const manager = options.contextManager === undefined ? new AsyncLocalStorageContextManager() : options.contextManager;
    // An app that already has a context manager keeps it (the API refuses a second one).
    if (manager) registeredContext = context.setGlobalContextManager(manager.enable());
  }

  let stopping: Promise<void> | undefined;
  return {
    tracerProvider,
    shutdown() {
      stopping ??= (async () => {
        // One turn first: spans of calls that ended just now are started and ended on it.
        await new Promise<void>((resolve) => setImmediate(resolve));
        try {
          await tracerProvider.shutdown();
        } finally {
          if (registeredTraces) trace.disable();
          if (registeredContext) context.disable();
        }
      })();
      return stopping;
    },
  };
}

function validate(options: SetupOtelOptions): void {
  if (options === null || typeof options !== 'object') throw new TypeError('setupOtel: options must be an object with an `exporter`');
  checkKeys('setupOtel', options, KNOWN);
  if (options.batch !== undefined) {
    if (options.batch === null || typeof options.batch !== 'object' || Array.isArray(options.batch)) {
      throw new TypeError(`setupOtel: option "batch" must be an object { ${BATCH_KNOWN.join(', ')} }, got ${describeValue(options.batch)}`);
    }
    checkKeys('setupOtel', options.batch, BATCH_KNOWN, 'batch.');
  }
  const exporter = options.exporter as Partial<SpanExporter> | undefined;
  if (exporter === null || typeof exporter !== 'object' || typeof exporter.export !== 'function' || typeof exporter.shutdown !== 'function') {
    throw new TypeError('setupOtel: option "exporter" must be a SpanExporter (with export and shutdown), e.g. new OTLPTraceExporter()');
  }
  if (options.serviceName !== undefined && (typeof options.serviceName !== 'string' || options.serviceName === '')) {
    throw new TypeError('setupOtel: option "serviceName" must be a non-empty string');
  }
  if (options.register !== undefined && typeof options.register !== 'boolean') throw new TypeError('setupOtel: option "register" must be a boolean');
  const manager = options.contextManager as any;
  if (manager !== undefined && manager !== false && (typeof manager?.active !== 'function' || typeof manager?.with !== 'function')) {
    throw new TypeError('setupOtel: option "contextManager" must be a ContextManager or false');
  }
}

/**
 * The active context kept across `await` by Node's AsyncLocalStorage: what an SDK's context manager
 * does, without the dependency. Event emitters are not rebound (`bind` wraps functions only).
 */
class AsyncLocalStorageContextManager implements ContextManager {
  private readonly storage = new AsyncLocalStorage<Context>();

  active(): Context {
    return this.storage.getStore() ?? ROOT_CONTEXT;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(ctx: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    return this.storage.run(ctx, () => fn.apply(thisArg, args));
  }

  bind<T>(ctx: Context, target: T): T {
    if (typeof target !== 'function') return target;
    const manager = this;
    const bound = function (this: unknown, ...args: unknown[]) {
      return manager.with(ctx, () => (target as (...a: unknown[]) => unknown).apply(this, args));
    };
    return bound as T;
  }

  enable(): this {
    return this;
  }

  disable(): this {
    this.storage.disable();
    return this;
  }
}
