/**
 * The public shape of a monitor: the `Monitor` interface, its events and its fault type. Types only
 * (and the small error class), so the parts that take a monitor (the Express middleware, the
 * dashboard, the demo) depend on this file, not on `monitor.ts`, which composes them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { CallRecord } from './record.js';
import type { WrapOptions } from './options.js';
import type { TrackOptions } from './instrument/track.js';
import type { Snapshot } from './sinks/snapshot.js';
import type { ResourceSample } from './resources/sample.js';
import type { Feedback } from './quality/feedback.js';
import type { ExpressMiddleware, ExpressOptions, ExpressRequest } from './express/options.js';
import type { AnomalyEvent, AnomalyResolvedEvent, DriftEvent } from './detect/events.js';

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
  /**
   * Each resource sample (process, event loop, system, GPUs), once per `resources.intervalMs`: the hook
   * through which the detectors and the dashboard get the samples.
   */
  resources: ResourceSample;
  /**
   * An anomaly incident opened (detect/): one per incident of a signal, named after the most specific
   * label set that alerted (`related`: the others), with its value, baseline, score and reason.
   */
  anomaly: AnomalyEvent;
  /** That incident closed: every label set in it recovered (same `incident` id). */
  anomaly_resolved: AnomalyResolvedEvent;
  /** A signal's distribution drifted from its reference window (detect/): once per drift episode. */
  drift: DriftEvent;
}

export interface Monitor {
  /** Observe a client (same object type back; every call works exactly as before). */
  wrap<T extends object>(client: T, options?: WrapOptions): T;
  /**
   * Observe any function that calls a model (a raw `fetch`, an SDK not wrapped): the same signature
   * back, one record per call; an async iterable it returns is tapped like a stream.
   */
  track<F extends (...args: any[]) => any>(fn: F, options: TrackOptions): F;
  on<E extends keyof MonitorEvents>(event: E, listener: (payload: MonitorEvents[E]) => void): Monitor;
  off<E extends keyof MonitorEvents>(event: E, listener: (payload: MonitorEvents[E]) => void): Monitor;
  /** Prometheus exposition text. */
  metrics(): Promise<string>;
  /** A `(req, res)` handler serving the exposition, for node:http and Express. */
  metricsHandler(): (req: IncomingMessage, res: ServerResponse) => void;
  /**
   * Express (4 and 5) middleware: LLM calls made while handling a request carry its route template,
   * method and `attributes`; per-request histograms by route; `Server-Timing: llm;dur=<ms>`; and, when
   * asked, the exposition at `metricsPath` and the dashboard at `dashboardPath`, behind `guard`.
   */
  express<Req extends IncomingMessage = ExpressRequest>(options?: ExpressOptions<Req>): ExpressMiddleware<Req>;
  /** Plain JSON of recent traffic per provider / operation / model. */
  snapshot(): Snapshot;
  /**
   * Feedback on a recent call, by its record id or the provider's response id: `{ score, label? }`
   * (score in [0, 1]) or ground truth `{ expected, actual }`. False when the id is not among the
   * recent calls remembered. Throws a TypeError for malformed feedback.
   */
  feedback(id: string, feedback: Feedback): boolean;
  /**
   * One value of a signal the app measures itself (or of a built-in one), for the detectors: anomaly
   * and drift alerts come out as for the call signals. `labels` group the values (`provider`, `model`
   * and `route` also become metric labels). Throws a TypeError for a malformed signal, value (NaN,
   * ±Infinity included) or labels, detection on or off; does nothing else when it is off (`detect: false`).
   */
  observe(signal: string, value: number, labels?: Record<string, string>): void;
  /** Make what every signal does now its baseline: detectors learn again; drift references become the current windows. */
  rebaseline(): void;
  /**
   * Resolves once every call that had ended when `flush()` was called has reached every sink: token
   * counts estimated, capture and evaluations done, the `call` listeners, `snapshot()`, Prometheus and
   * the detectors updated, OTel spans ended and GenAI metrics recorded on the app's SDK (exporting
   * them is the SDK's: its `forceFlush()`), and the app's own sinks' `flush()` awaited. Calls still
   * open are not waited for (`shutdown()` does that), nor, necessarily, calls that end meanwhile.
   * Resolves at once when nothing is pending; the monitor stays attached. Never rejects: a sink that
   * fails is reported on `on('error')`.
   */
  flush(): Promise<void>;
  /**
   * Stop recording (calls made from now on pass straight through), wait for the calls still open
   * (streams being read, requests in flight) to end, up to `shutdownTimeoutMs` (calls still open then
   * are not waited for), flush what is pending, shut the sinks down (OTel spans ended, so an SDK
   * shutdown after it exports them), stop the timers, detach. Returns the same promise every time.
   */
  shutdown(): Promise<void>;
  /** The prom-client Registry the metrics live on. */
  readonly registry: Registry;
}
