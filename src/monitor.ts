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
import { MonitorError, type Monitor, type MonitorEvents } from './api.js';
import { Registry } from 'prom-client';
import { type CallRecord } from './record.js';
import { Call, type CallSink } from './call.js';
import { resolveOptions, resolveWrapOptions, type MonitorOptions, type ResolvedOptions, type WrapOptions } from './options.js';
import { LabelGuard, type LabelSlot } from './lib/label-guard.js';
import { renderExposition, writeExposition } from './lib/exposition.js';
import { LABEL } from './semconv.js';
import { isOpenAIClient, openAIMethods } from './instrument/openai.js';
import type { InstrumentContext } from './instrument/context.js';
import { proxyClient } from './instrument/proxy.js';
import { anthropicMethods, isAnthropicClient } from './instrument/anthropic.js';
import { resolveTrackOptions, trackFunction, type TrackOptions } from './instrument/track.js';
import { PrometheusSink } from './sinks/prometheus.js';
import { SnapshotSink, type Snapshot } from './sinks/snapshot.js';
import { EventsSink, Listeners } from './sinks/events.js';
import { OtelTraceSink } from './sinks/otel-traces.js';
import { OtelMetricsSink } from './sinks/otel-metrics.js';
import { loadOtelApi, optsInToLatestGenAi } from './lib/otel-api.js';
import { startResourceSampling, type ResourceSampling } from './resources/sampler.js';
import type { Sink } from './sinks/sink.js';
import { QualitySink } from './sinks/quality.js';
import { Enricher } from './quality/enrich.js';
import { Pipeline } from './pipeline.js';
import { EstimateStage } from './stages/estimate.js';
import { EnrichStage } from './stages/enrich.js';
import { LabelsStage } from './stages/labels.js';
import type { Feedback } from './quality/feedback.js';
import { SegmentTracker } from './segments/segments.js';
import { lazyDashboard, RequestTracker } from './express/middleware.js';
import { resolveExpressOptions, type ExpressMiddleware, type ExpressOptions, type ExpressRequest } from './express/options.js';
import { checkObservation, DetectorSink } from './detect/sink.js';
import { checkName } from './lib/option-error.js';

/** The events of `on` and `off`: an event added to `MonitorEvents` and not here is a type error. */
const EVENTS = Object.keys({ call: 0, error: 0, resources: 0, anomaly: 0, anomaly_resolved: 0, drift: 0 } satisfies Record<keyof MonitorEvents, 0>);

class MonitorImpl implements Monitor, CallSink, InstrumentContext {
  readonly registry: Registry;
  readonly includeStreamUsage: boolean;
  active = true;
  readRequestParams = false;
  private readonly options: ResolvedOptions;
  private readonly listeners: Listeners;
  /** The sinks, in order, while the constructor composes them; then the pipeline's. */
  private readonly sinks: Sink[] = [];
  /** The record's one way out: stages, then sinks. */
  private readonly pipeline: Pipeline;
  private readonly prometheus: PrometheusSink | undefined;
  private readonly snapshots: SnapshotSink;
  /** Fills segment, cost, content and quality before the sinks; holds sampled calls for capture and evaluation. */
  private readonly enricher: Enricher;
  private readonly quality: QualitySink;
  private readonly guard: LabelGuard;
  /** The guard's slots of the labels every call has, kept: no lookup of the label per call. */
  private readonly operationLabel: LabelSlot;
  private readonly providerLabel: LabelSlot;
  private readonly requestModelLabel: LabelSlot;
  private readonly wrapped = new WeakMap<object, object>();
  private readonly proxies = new WeakSet<object>();
  private stopping: Promise<void> | undefined;
  /** The resource sampler (option `resources`); undefined when it is off. */
  private readonly resources: ResourceSampling | undefined;
  /** Anomaly and drift detection (option `detect`); undefined when it is off. */
  private readonly detectors: DetectorSink | undefined;
  /** Request contexts of `express()`; undefined until the app asks for the middleware, so calls pay nothing. */
  private requests: RequestTracker | undefined;

  constructor(options: ResolvedOptions) {
    this.options = options;
    this.includeStreamUsage = options.tokens.includeStreamUsage;
    this.registry = options.registry ?? new Registry();
    this.listeners = new Listeners(this.fault);
    const guard = (this.guard = new LabelGuard(options.maxLabelValues));
    this.operationLabel = guard.slot(LABEL.operationName);
    this.providerLabel = guard.slot(LABEL.providerName);
    this.requestModelLabel = guard.slot(LABEL.requestModel);
    // Detectors first: the alerts they put on a record are seen by every later sink (OTel span events).
    if (options.detect !== false) {
      try {
        this.detectors = new DetectorSink({
          options: options.detect,
          registry: options.prometheus ? this.registry : undefined,
          emit: (event: 'anomaly' | 'anomaly_resolved' | 'drift', payload: unknown) => {
            if (this.listeners.count(event) > 0) this.listeners.emit(event, payload);
          },
          fault: this.fault,
          guard,
        });
      } catch (error) {
        throw new TypeError(
          `createMonitor: option "registry" could not take the llm-vitals detector metrics (${(error as Error).message}); use one monitor per registry`,
        );
      }
      this.sinks.push(this.detectors);
    }
    if (options.prometheus) {
      try {
        this.prometheus = new PrometheusSink(this.registry);
      } catch (error) {
        // The detector metrics registered above must not outlive this failed monitor.
        this.detectors?.shutdown();
        throw new TypeError(
          `createMonitor: option "registry" could not take the llm-vitals metrics (${(error as Error).message}); use one monitor per registry`,
        );
      }
      const prometheus = this.prometheus;
      guard.onOverflow = (label) => prometheus.labelOverflow(label);
      this.sinks.push(prometheus);
    }
    this.snapshots = new SnapshotSink(options.serviceName, guard, options.snapshot.samples, options.snapshot.rateWindowSeconds);
    this.sinks.push(this.snapshots);
    // Cost, quality, feedback and segments; the enricher fills those record fields before any sink runs.
    const segment = options.segment;
    const segments = segment === undefined ? undefined : new SegmentTracker(segment.attribute, segment.minSamples, segment.alpha);
    this.quality = new QualitySink(options.prometheus ? this.registry : undefined, guard, segments, this.fault);
    this.sinks.push(this.quality);
    const enrich = new EnrichStage((publish) => new Enricher(options, guard, publish, this.fault));
    this.enricher = enrich.enricher;
    this.addOtelSinks(options);
    // Resource sampling: timers, histogram and nvidia-smi are unref'd, so they never keep the app alive.
    if (options.resources !== false) {
      this.resources = startResourceSampling(options.resources, {
        registry: options.prometheus ? this.registry : undefined,
        otel: options.otel.metrics ? { api: loadOtelApi(), meterProvider: options.otel.meterProvider } : undefined,
        fault: this.fault,
        onSample: (sample) => this.listeners.emit('resources', sample),
      });
    }
    // The detectors watch event-loop delay and GPU memory through the resource samples.
    const detectors = this.detectors;
    if (detectors !== undefined && this.resources !== undefined) this.listeners.on('resources', (sample) => detectors.resourceSample(sample));
    // Feedback arrives after its call was published: the detectors watch it in the call's label sets.
    if (detectors !== undefined) this.quality.onSignal((signal) => detectors.quality(signal.source, signal.score, signal, signal.time));
    // The app's own sinks (option `sinks`) come after the built-in ones, isolated like them.
    for (const sink of options.sinks) this.sinks.push(sink);
    // The app's listeners last: the record they get is final, its call is in the snapshot and known
    // to `feedback()`, its span is queued, and what they do (observe, feedback) changes no sink's view of it.
    this.sinks.push(new EventsSink(this.listeners));
    // Token estimate first (cost prices its counts), then segment, cost, capture and evaluation, then
    // the final labels and throughput: each stage once, in this order, then every sink.
    this.pipeline = new Pipeline([new EstimateStage(options.tokens.estimate, this.fault), enrich, new LabelsStage(guard)], this.sinks, this.fault);
  }

  /**
   * OpenTelemetry: a span and the GenAI metrics per call, on the app's SDK (the providers named in
   * `otel`, else the ones registered globally through `@opentelemetry/api`; no OTel code is loaded).
   * Both sinks do nothing until there is an SDK (they look for one on each call), so an app without
   * one pays a property read per call; `record.request` is read only once spans are live. Spans end
   * on the next turn, after every sink has seen the record: the detectors' alerts are on it.
   */
  private addOtelSinks(options: ResolvedOptions): void {
    const otel = options.otel;
    const latest = optsInToLatestGenAi(process.env.OTEL_SEMCONV_STABILITY_OPT_IN);
    if (otel.traces) {
      const onLive = () => {
        this.readRequestParams = true;
      };
      this.sinks.push(new OtelTraceSink({ tracerProvider: otel.tracerProvider, latest, fault: this.fault, onLive }));
    }
    if (otel.metrics) this.sinks.push(new OtelMetricsSink({ meterProvider: otel.meterProvider, latest, fault: this.fault }));
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
    // The cardinality guard runs once per call, here; a folded value is counted once, here.
    call.labels = {
      operation: this.operationLabel.value(record.operation, true),
      provider: this.providerLabel.value(record.provider, true),
      requestModel: this.requestModelLabel.value(record.requestModel, true),
      responseModel: '',
    };
    // Inside an Express request: the record gets its context before any sink sees it.
    if (this.requests !== undefined) this.requests.callStarted(call);
    // User identifiers in the context are hashed before any sink sees them.
    if (record.context !== undefined) this.enricher.started(record);
    this.pipeline.started(call);
  }

  ended(call: Call): void {
    this.pipeline.ended(call);
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
    let methods;
    // `client.withOptions(...)` hands back a new client: monitored by this monitor, with the same options.
    const rewrap = (clone: object): object => this.wrap(clone, options);
    if (isOpenAIClient(target)) methods = openAIMethods(target, this, wrapOptions.provider, rewrap);
    else if (isAnthropicClient(target)) methods = anthropicMethods(target, this, wrapOptions.provider, rewrap);
    else {
      throw new TypeError(
        'wrap: unsupported client: expected an official `openai` client (with chat.completions.create) or `@anthropic-ai/sdk` client (with messages.create); for anything else use monitor.track(fn, options)',
      );
    }
    const proxy = proxyClient(target, methods);
    this.wrapped.set(client, proxy);
    this.proxies.add(proxy);
    return proxy;
  }

  track<F extends (...args: any[]) => any>(fn: F, options: TrackOptions): F {
    return trackFunction(this, fn, resolveTrackOptions(fn, options));
  }

  on<E extends keyof MonitorEvents>(event: E, listener: (payload: MonitorEvents[E]) => void): Monitor {
    checkName('on', 'event', event, EVENTS);
    if (typeof listener !== 'function') throw new TypeError(`on: listener for "${event}" must be a function`);
    this.listeners.on(event, listener);
    return this;
  }

  off<E extends keyof MonitorEvents>(event: E, listener: (payload: MonitorEvents[E]) => void): Monitor {
    checkName('off', 'event', event, EVENTS);
    this.listeners.off(event, listener);
    return this;
  }

  metrics(): Promise<string> {
    return renderExposition(this.registry);
  }

  metricsHandler(): (req: IncomingMessage, res: ServerResponse) => void {
    return (_req, res) => {
      // Written piece by piece as it is rendered: a large exposition is never one string to copy.
      const write = (piece: string) => {
        if (!res.headersSent) {
          res.statusCode = 200;
          res.setHeader('Content-Type', this.registry.contentType);
        }
        res.write(piece);
      };
      writeExposition(this.registry, write).then(
        () => res.end(),
        (error) => {
          this.fault('prometheus', error);
          // Part of it sent: cut the response, so the scrape fails rather than reads a part as the whole.
          if (res.headersSent) return void res.destroy();
          res.statusCode = 500;
          res.setHeader('Content-Type', 'text/plain; charset=utf-8');
          res.end('metrics unavailable\n');
        },
      );
    };
  }

  express<Req extends IncomingMessage = ExpressRequest>(options?: ExpressOptions<Req>): ExpressMiddleware<Req> {
    const resolved = resolveExpressOptions(options);
    if (this.requests === undefined) {
      try {
        const requests = (this.requests = new RequestTracker({ guard: this.guard, registry: this.prometheus ? this.registry : undefined, fault: this.fault }));
        // Not keyed on record.context: hashing may have dropped it, and the request must still see its call end.
        this.pipeline.afterSinks = (call) => requests.callPublished(call);
      } catch (error) {
        throw new TypeError(
          `createMonitor: option "registry" could not take the llm-vitals request metrics (${(error as Error).message}); use one monitor per registry`,
        );
      }
    }
    return this.requests.middleware(resolved, {
      metrics: this.metricsHandler(),
      dashboard: resolved.dashboardPath === undefined ? undefined : lazyDashboard(this),
    });
  }

  snapshot(): Snapshot {
    const snapshot = this.snapshots.snapshot();
    const resources = this.resources?.latest();
    if (resources !== undefined) snapshot.resources = resources;
    snapshot.cost = this.quality.cost();
    snapshot.quality = this.quality.quality();
    const segments = this.quality.segmentsSnapshot();
    if (segments !== undefined) snapshot.segments = segments;
    if (this.detectors !== undefined) snapshot.detectors = this.detectors.snapshot();
    return snapshot;
  }

  feedback(id: string, feedback: Feedback): boolean {
    return this.quality.feedback(id, feedback);
  }

  observe(signal: string, value: number, labels?: Record<string, string>): void {
    if (this.detectors === undefined) checkObservation(signal, value, labels);
    else this.detectors.observe(signal, value, labels);
  }

  rebaseline(): void {
    try {
      this.detectors?.rebaseline();
    } catch (error) {
      this.fault('detectors', error);
    }
  }

  flush(): Promise<void> {
    return this.pipeline.flush();
  }

  shutdown(): Promise<void> {
    if (this.stopping === undefined) {
      this.active = false;
      // Synchronously: nvidia-smi is killed and the timers cleared even if the app does not await.
      this.resources?.stop();
      this.stopping = (async () => {
        // The calls still open first (streams the app is reading, requests in flight): their records,
        // spans among them, must reach the sinks before the sinks shut down.
        await this.pipeline.openCallsEnded(this.options.shutdownTimeoutMs);
        await this.pipeline.heldPublished();
        await this.requests?.shutdown();
        await this.pipeline.shutdown();
      })();
    }
    return this.stopping;
  }
}

/** Create a monitor. Options are validated here; a bad one throws a TypeError that names it. */
export function createMonitor(options?: MonitorOptions): Monitor {
  return new MonitorImpl(resolveOptions(options));
}

export { MonitorError, type Monitor, type MonitorEvents };
