// NOTE TO ENGINEERS WORKING IN PARALLEL: read /work/main/docs/PARALLEL.md first (rules: no commits, no npm install, no build into dist/, small additive edits in shared files). The lead removes this line.
/**
 * createMonitor: options in, then the wiring of instrument → record → sinks.
 *
 * Each call becomes one `Call` (instrument/), which tells the monitor when it starts and ends; the
 * monitor fills the derived fields, has missing token counts estimated off the app's path, and fans
 * the record out to the sinks in order, each one isolated: a sink or listener that throws is counted
 * in `llm_vitals_internal_errors_total{component}` and reported on `monitor.on('error')`, never
 * thrown into the app, and never keeps the other sinks from the record.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Registry } from 'prom-client';
import { Call, type CallRecord, type CallSink } from './record.js';
import { resolveOptions, resolveWrapOptions, type MonitorOptions, type ResolvedOptions, type WrapOptions } from './options.js';
import { LabelGuard } from './lib/label-guard.js';
import { LABEL } from './semconv.js';
import { isOpenAIClient, openAIMethods, type InstrumentContext } from './instrument/openai.js';
import { proxyClient } from './instrument/proxy.js';
import { Estimator } from './tokens/estimator.js';
import { needsEstimate } from './tokens/usage.js';
import { PrometheusSink } from './sinks/prometheus.js';
import { SnapshotSink, type Snapshot } from './sinks/snapshot.js';
import { EventsSink, Listeners } from './sinks/events.js';
import type { Sink } from './sinks/sink.js';

/** A fault inside the monitor, reported on `monitor.on('error')`. The app never sees it thrown. */
export class MonitorError extends Error {
  readonly component: string;
  constructor(component: string, cause: unknown) {
    super(`llm-vitals: fault in ${component}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'MonitorError';
    this.component = component;
  }
}

export interface MonitorEvents {
  /** Each finished call, as one CallRecord. */
  call: CallRecord;
  /** A fault inside the monitor (a sink, a listener, the tokenizer, a malformed response). */
  error: MonitorError;
}

export interface Monitor {
  /** Observe a client (same object type back; every call works exactly as before). */
  wrap<T extends object>(client: T, options?: WrapOptions): T;
  on<E extends keyof MonitorEvents>(event: E, listener: (payload: MonitorEvents[E]) => void): Monitor;
  off<E extends keyof MonitorEvents>(event: E, listener: (payload: MonitorEvents[E]) => void): Monitor;
  /** Prometheus exposition text. */
  metrics(): Promise<string>;
  /** A `(req, res)` handler serving the exposition, for node:http and Express. */
  metricsHandler(): (req: IncomingMessage, res: ServerResponse) => void;
  /** Plain JSON of recent traffic per provider / operation / model. */
  snapshot(): Snapshot;
  /** Stop timers, flush pending records, detach from wrapped clients. Idempotent. */
  shutdown(): Promise<void>;
  /** The prom-client Registry the metrics live on. */
  readonly registry: Registry;
}

class MonitorImpl implements Monitor, CallSink, InstrumentContext {
  readonly registry: Registry;
  readonly includeStreamUsage: boolean;
  active = true;
  readRequestParams = false;
  private readonly options: ResolvedOptions;
  private readonly listeners: Listeners;
  private readonly sinks: Sink[] = [];
  private readonly prometheus: PrometheusSink | undefined;
  private readonly snapshots: SnapshotSink;
  private readonly estimator: Estimator;
  private readonly guard: LabelGuard;
  private readonly wrapped = new WeakMap<object, object>();
  private readonly proxies = new WeakSet<object>();
  private stopping: Promise<void> | undefined;

  constructor(options: ResolvedOptions) {
    this.options = options;
    this.includeStreamUsage = options.tokens.includeStreamUsage;
    this.registry = options.registry ?? new Registry();
    this.listeners = new Listeners(this.fault);
    const guard = (this.guard = new LabelGuard(options.maxLabelValues));
    if (options.prometheus) {
      try {
        this.prometheus = new PrometheusSink(this.registry);
      } catch (error) {
        throw new TypeError(
          `createMonitor: option "registry" could not take the llm-vitals metrics (${(error as Error).message}); use one monitor per registry`,
        );
      }
      const prometheus = this.prometheus;
      guard.onOverflow = (label) => prometheus.labelOverflow(label);
      this.sinks.push(prometheus);
    }
    this.snapshots = new SnapshotSink(options.serviceName, guard, options.snapshot.samples, options.snapshot.rateWindowSeconds);
    this.sinks.push(this.snapshots, new EventsSink(this.listeners));
    this.estimator = new Estimator((call) => this.publish(call), this.fault);
  }

  // ---- InstrumentContext ----

  startCall(provider: string, operation: string, requestModel: string | undefined, streaming: boolean, request: unknown): Call {
    return new Call(this, provider, operation, requestModel, streaming, request);
  }

  readonly fault = (component: string, error: unknown): void => {
    try {
      this.prometheus?.internalError(component);
      this.snapshots?.internalError(component);
      if (this.listeners.count('error') > 0) this.listeners.emit('error', new MonitorError(component, error));
    } catch {
      // Reporting a fault must never become one.
    }
  };

  // ---- CallSink: the record's way out ----

  started(call: Call): void {
    const record = call.record;
    const guard = this.guard;
    // The cardinality guard runs once per call, here; a folded value is counted once, here.
    const labels = (call.labels = {
      operation: guard.value(LABEL.operationName, record.operation, true),
      provider: guard.value(LABEL.providerName, record.provider, true),
      requestModel: guard.value(LABEL.requestModel, record.requestModel, true),
      responseModel: '',
    });
    for (let i = 0; i < this.sinks.length; i++) {
      const sink = this.sinks[i];
      if (sink.callStarted === undefined) continue;
      try {
        sink.callStarted(record, labels);
      } catch (error) {
        this.fault(sink.name, error);
      }
    }
  }

  ended(call: Call): void {
    const record = call.record;
    const reachedProvider = record.outcome !== 'failed' || record.chunks > 0;
    if (this.options.tokens.estimate && reachedProvider && call.pending !== undefined && needsEstimate(record)) {
      this.estimator.enqueue(call);
    } else this.publish(call);
  }

  private publish(call: Call): void {
    call.pending = undefined;
    const record = call.record;
    setThroughput(record);
    const labels = call.labels!;
    labels.responseModel = this.guard.value(LABEL.responseModel, record.responseModel, true);
    for (let i = 0; i < this.sinks.length; i++) {
      const sink = this.sinks[i];
      try {
        sink.callEnded(record, labels);
      } catch (error) {
        this.fault(sink.name, error);
      }
    }
  }

  // ---- Public API ----

  wrap<T extends object>(client: T, options?: WrapOptions): T {
    const wrapOptions = resolveWrapOptions(options);
    if (client === null || (typeof client !== 'object' && typeof client !== 'function')) {
      throw new TypeError(`wrap: expected an LLM client object, got ${client === null ? 'null' : typeof client}`);
    }
    // Wrapping twice never counts twice.
    if (this.proxies.has(client)) return client;
    const existing = this.wrapped.get(client);
    if (existing !== undefined) return existing as T;
    // A client another monitor wrapped is observed again through that monitor's proxy: both see it.
    const target = client;
    if (!isOpenAIClient(target)) {
      throw new TypeError('wrap: unsupported client: expected an official `openai` client (with chat.completions.create)');
    }
    const proxy = proxyClient(target, openAIMethods(target, this, wrapOptions.provider));
    this.wrapped.set(client, proxy);
    this.proxies.add(proxy);
    return proxy;
  }

  on<E extends keyof MonitorEvents>(event: E, listener: (payload: MonitorEvents[E]) => void): Monitor {
    if (typeof listener !== 'function') throw new TypeError(`on: listener for "${event}" must be a function`);
    this.listeners.on(event, listener);
    return this;
  }

  off<E extends keyof MonitorEvents>(event: E, listener: (payload: MonitorEvents[E]) => void): Monitor {
    this.listeners.off(event, listener);
    return this;
  }

  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  metricsHandler(): (req: IncomingMessage, res: ServerResponse) => void {
    return (_req, res) => {
      this.registry.metrics().then(
        (text) => {
          res.statusCode = 200;
          res.setHeader('Content-Type', this.registry.contentType);
          res.end(text);
        },
        (error) => {
          this.fault('prometheus', error);
          res.statusCode = 500;
          res.setHeader('Content-Type', 'text/plain; charset=utf-8');
          res.end('metrics unavailable\n');
        },
      );
    };
  }

  snapshot(): Snapshot {
    return this.snapshots.snapshot();
  }

  shutdown(): Promise<void> {
    if (this.stopping === undefined) {
      this.active = false;
      this.stopping = (async () => {
        await this.estimator.flush();
        for (const sink of this.sinks) {
          try {
            await sink.shutdown?.();
          } catch (error) {
            this.fault(sink.name, error);
          }
        }
      })();
    }
    return this.stopping;
  }
}

/** Output tokens per second: over the time after the first chunk for streams, the whole call otherwise. */
function setThroughput(record: CallRecord): void {
  const output = record.outputTokens?.count;
  if (output === undefined || output <= 0) return;
  const ms = record.timeToFirstChunk !== undefined ? record.duration - record.timeToFirstChunk : record.duration;
  if (ms > 0) record.outputTokensPerSecond = output / (ms / 1000);
}

/** Create a monitor. Options are validated here; a bad one throws a TypeError that names it. */
export function createMonitor(options?: MonitorOptions): Monitor {
  return new MonitorImpl(resolveOptions(options));
}
