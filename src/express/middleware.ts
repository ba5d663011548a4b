/**
 * `monitor.express()`: Express (4 and 5) middleware that gives each request an AsyncLocalStorage
 * context, so every LLM call made while handling it carries the route template, the method and the
 * app's attributes; that reports, per request, its LLM calls, tokens and LLM-busy share of time by
 * route; that adds `Server-Timing: llm;dur=<ms>`; and that serves the Prometheus exposition and the
 * live dashboard at the paths it is given, behind the app's guard.
 *
 * It uses only what Express 4 and 5 share (`req.route`, `req.baseUrl`, `req.path`, `res.on('finish')`),
 * and node:http for the rest.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { Call } from '../call.js';
import type { Monitor } from '../api.js';
import type { LabelGuard } from '../lib/label-guard.js';
import { dashboardHandler } from '../dashboard/handler.js';
import { RequestState } from './context.js';
import { RequestMetrics } from './request-metrics.js';
import type { ExpressMiddleware, ExpressRequest, NextFunction, ResolvedExpressOptions } from './options.js';
import { monotonic } from '../lib/clock.js';

export type { ExpressMiddleware, NextFunction } from './options.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
type Dashboard = Handler & { close?(): void };

/** What the tracker needs from its monitor. */
export interface TrackerDeps {
  guard: LabelGuard;
  /** The registry for the per-request histograms; undefined when the monitor's Prometheus metrics are off. */
  registry: Registry | undefined;
  fault: (component: string, error: unknown) => void;
}

/** What one middleware serves besides the app's own routes. */
export interface Endpoints {
  metrics: Handler;
  /** Creates the dashboard handler; asked once per monitor, when a middleware with `dashboardPath` is set up. */
  dashboard: (() => Dashboard) | undefined;
}

/**
 * The live dashboard, created when the middleware is set up, not at its first request, so that it
 * remembers the alerts and history from then on. Its page and chart library are still imported on
 * the first page request (dashboard/handler.ts), so they stay out of `import 'llm-vitals'`.
 */
export function lazyDashboard(monitor: Monitor): () => Dashboard {
  return () => dashboardHandler(monitor);
}

/**
 * One per monitor: the request context store, the per-request histograms, and the link from a call to
 * the request it was made for. Every middleware the monitor creates shares it.
 */
export class RequestTracker {
  private readonly storage = new AsyncLocalStorage<RequestState>();
  /** The request of each call made inside one, until the call is gone. */
  private readonly requestOf = new WeakMap<Call, RequestState>();
  private readonly metrics: RequestMetrics | undefined;
  private readonly guard: LabelGuard;
  /** The monitor's dashboard, shared by its middlewares (one history), closed (timer stopped, streams ended) on shutdown. */
  private dashboard: Dashboard | Error | undefined;
  private readonly fault: (component: string, error: unknown) => void;

  constructor(deps: TrackerDeps) {
    this.guard = deps.guard;
    this.fault = deps.fault;
    this.metrics = deps.registry === undefined ? undefined : new RequestMetrics(deps.registry);
  }

  /** A call is starting: when inside a request, attach the request's context to its record. One store lookup otherwise. */
  callStarted(call: Call): void {
    const request = this.storage.getStore();
    if (request === undefined) return;
    try {
      this.requestOf.set(call, request);
      request.callStarted(call);
    } catch (error) {
      this.fault('express', error);
    }
  }

  /** A call's record has been through the sinks. */
  callPublished(call: Call): void {
    const request = this.requestOf.get(call);
    if (request === undefined) return;
    this.requestOf.delete(call);
    try {
      request.callPublished(call);
    } catch (error) {
      this.fault('express', error);
    }
    if (request.finishedAt !== undefined && request.unpublished === 0) this.report(request);
  }

  middleware<Req extends IncomingMessage>(options: ResolvedExpressOptions<Req>, endpoints: Endpoints): ExpressMiddleware<Req> {
    const { metricsPath, dashboardPath, guard, serverTiming } = options;
    const attributes = options.attributes as ((req: ExpressRequest) => Record<string, any> | undefined) | undefined;
    const serves = metricsPath !== undefined || dashboardPath !== undefined;
    if (dashboardPath !== undefined && endpoints.dashboard !== undefined && this.dashboard === undefined) {
      try {
        this.dashboard = endpoints.dashboard();
      } catch (error) {
        // Setting up the app goes on; the dashboard's path answers 500 with the reason.
        this.fault('express', error);
        this.dashboard = error instanceof Error ? error : new Error(String(error));
      }
    }

    const serve = (req: Req, res: ServerResponse, next: NextFunction, handler: () => void): void => {
      if (guard === undefined) return handler();
      const allow = (verdict: unknown) => {
        if (verdict === true) handler();
        else if (!res.headersSent) {
          res.statusCode = 403;
          res.setHeader('Content-Type', 'text/plain; charset=utf-8');
          res.end('forbidden\n');
        }
      };
      let verdict: boolean | Promise<boolean>;
      try {
        verdict = guard(req);
      } catch (error) {
        return next(error);
      }
      if (verdict !== null && typeof (verdict as Promise<boolean>)?.then === 'function') (verdict as Promise<boolean>).then(allow).catch(next);
      else allow(verdict);
    };

    const serveDashboard = (req: Req, res: ServerResponse): void => {
      const dashboard = this.dashboard;
      if (typeof dashboard === 'function') return dashboard(req, res);
      res.statusCode = 500;
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      res.end(`llm-vitals dashboard unavailable: ${dashboard?.message ?? 'not set up'}\n`);
    };

    return (req, res, next) => {
      if (serves) {
        const path = pathOf(req as IncomingMessage as ExpressRequest);
        if (path === metricsPath && (req.method === 'GET' || req.method === 'HEAD')) {
          return serve(req, res, next, () => endpoints.metrics(req, res));
        }
        if (dashboardPath !== undefined && (path === dashboardPath || path.startsWith(`${dashboardPath}/`))) {
          return serve(req, res, next, () => serveDashboard(req, res));
        }
      }
      // A second middleware of this monitor on the same request (app and router level): the first one observes it.
      if (this.storage.getStore()?.req === (req as IncomingMessage)) return next();
      let request: RequestState;
      try {
        request = new RequestState(req as IncomingMessage as ExpressRequest, this.guard, attributes, this.fault);
        this.watch(request, res, serverTiming);
      } catch (error) {
        // Monitoring never fails a request: without its context the request goes on unobserved.
        this.fault('express', error);
        return next();
      }
      this.storage.run(request, next);
    };
  }

  /** Stop the dashboard's history timer and end its open event streams, so the app's server can close. */
  async shutdown(): Promise<void> {
    this.metrics?.release();
    if (typeof this.dashboard === 'function') this.dashboard.close?.();
  }

  private watch(request: RequestState, res: ServerResponse, serverTiming: boolean): void {
    const finished = () => {
      if (request.finishedAt !== undefined) return;
      request.finishedAt = monotonic();
      try {
        request.resolveRoute();
        if (request.unpublished === 0) this.report(request);
      } catch (error) {
        this.fault('express', error);
      }
    };
    // 'finish' when the response was sent; 'close' alone when the client went away first.
    res.once('finish', finished);
    res.once('close', finished);
    if (!serverTiming) return;
    const writeHead = res.writeHead;
    // Every way of sending headers (writeHead, write, end, Express's send) goes through writeHead.
    res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
      if (request.callCount > 0 && !this.headersSent) addServerTiming(this, request);
      return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
    } as typeof res.writeHead;
  }

  private report(request: RequestState): void {
    try {
      this.metrics?.observe(request.outcome());
    } catch (error) {
      this.fault('express', error);
    }
  }
}

/** `llm;dur=<ms>`: how long LLM calls had been in flight while handling the request, when its headers go out. */
function addServerTiming(res: ServerResponse, request: RequestState): void {
  try {
    const ms = Math.round(request.llmTime(monotonic()) * 10) / 10;
    const entry = `llm;dur=${ms}`;
    const existing = res.getHeader('Server-Timing');
    if (existing === undefined) res.setHeader('Server-Timing', entry);
    else res.setHeader('Server-Timing', `${Array.isArray(existing) ? existing.join(', ') : String(existing)}, ${entry}`);
  } catch {
    // A header the app made unwritable: the response goes out without ours.
  }
}

/** The request path relative to where the middleware is mounted, without the query string. */
function pathOf(req: ExpressRequest): string {
  let path = req.path;
  if (typeof path !== 'string') {
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    path = query < 0 ? url : url.slice(0, query);
  }
  // Express routes `/metrics/` as `/metrics` unless told to be strict; so does the middleware.
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}
