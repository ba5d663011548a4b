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
import type { Call } from '../record.js';
import type { Monitor } from '../monitor.js';
import type { LabelGuard } from '../lib/label-guard.js';
import { RequestState } from './context.js';
import { RequestMetrics } from './request-metrics.js';
import type { ExpressRequest, ResolvedExpressOptions } from './options.js';

/** Express's `next`: no argument continues, an error goes to the app's error handlers. */
export type NextFunction = (error?: unknown) => void;

/** What `monitor.express()` returns: an ordinary three-argument Express middleware. */
export type ExpressMiddleware<Req extends IncomingMessage = ExpressRequest> = (req: Req, res: ServerResponse, next: NextFunction) => void;

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
  /** Resolves to the dashboard handler; only asked for when `dashboardPath` is set. */
  dashboard: (() => Promise<Dashboard>) | undefined;
}

/**
 * The live dashboard, imported on first use: the page and its chart library stay out of
 * `import 'llm-vitals'` and out of apps that never mount it.
 */
export function lazyDashboard(monitor: Monitor): () => Promise<Dashboard> {
  return async () => {
    const { dashboardHandler } = await import('../dashboard/handler.js');
    return dashboardHandler(monitor);
  };
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
  /** Dashboards created by this monitor's middlewares, closed (event streams ended) on shutdown. */
  private readonly dashboards: Promise<Dashboard>[] = [];
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
    let dashboard: Promise<Dashboard> | undefined;

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
      if (dashboard === undefined && endpoints.dashboard !== undefined) this.dashboards.push((dashboard = endpoints.dashboard()));
      if (dashboard === undefined) return;
      dashboard.then(
        (handler) => handler(req, res),
        (error: unknown) => {
          this.fault('express', error);
          if (res.headersSent) return void res.destroy();
          res.statusCode = 500;
          res.setHeader('Content-Type', 'text/plain; charset=utf-8');
          res.end(`llm-vitals dashboard unavailable: ${error instanceof Error ? error.message : String(error)}\n`);
        },
      );
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

  /** End the dashboards' open event streams, so the app's server can close. */
  async shutdown(): Promise<void> {
    this.metrics?.release();
    const dashboards = await Promise.allSettled(this.dashboards);
    for (const dashboard of dashboards) if (dashboard.status === 'fulfilled') dashboard.value.close?.();
  }

  private watch(request: RequestState, res: ServerResponse, serverTiming: boolean): void {
    const finished = () => {
      if (request.finishedAt !== undefined) return;
      request.finishedAt = performance.now();
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
    const ms = Math.round(request.llmTime(performance.now()) * 10) / 10;
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
