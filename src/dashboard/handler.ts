/**
 * The live dashboard: one `(req, res)` handler, for node:http and Express, that serves
 *
 * - the page (any path not named below): self-contained HTML with the chart library inlined, no CDN,
 *   works offline; it finds its data endpoints relative to its own path, so it works wherever mounted;
 * - `<path>/data.json`: `{ snapshot, alerts, history }`, the monitor's `snapshot()`, the kept anomaly
 *   and drift alerts, and the kept history of every charted series;
 * - `<path>/events`: Server-Sent Events: on connect `alerts` (the kept list), `history` (the kept
 *   points) and `vitals` (a snapshot, without the sections the page does not draw); then every
 *   `intervalSeconds` a `point` (the newest point of every series) and a `vitals`; `alert`, each
 *   new alert as it fires (one per anomaly incident, whatever label sets it spans); and `resolved`
 *   (`{ seq, resolvedAt }`) when an anomaly's incident closes.
 *
 * It remembers from the moment it is created, not from its first request (`monitor.express({
 * dashboardPath })` creates it when the middleware is set up): the last `maxAlerts` alerts from
 * `monitor.on('anomaly' | 'drift')`, and one point of every series every `intervalSeconds`, the last
 * `historyPoints` of them (an hour at the defaults) in fixed-size rings (history.ts: 1.9 MB at most
 * at the defaults). One timer takes the points and feeds the open event streams; it never keeps the
 * process alive, and `close()` stops it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Monitor } from '../api.js';
import type { Snapshot } from '../sinks/snapshot.js';
import { checkInteger, checkKeys, optionFailure, optionKeys } from '../lib/option-error.js';
import { HistoryRings, type DashboardHistory } from './history.js';
import { SeriesReader } from './series.js';

export type { DashboardHistory } from './history.js';

const failOption = optionFailure('dashboardHandler');

export interface DashboardOptions {
  /** Seconds between two points of history (and two pushes on the event stream). Default 1. */
  intervalSeconds?: number;
  /** Alerts kept for the page, the oldest dropped first. Default 200. */
  maxAlerts?: number;
  /**
   * Points kept per series, the oldest dropped first: `historyPoints × intervalSeconds` is the span
   * the page can show. Default 3600 (an hour at 1 s).
   */
  historyPoints?: number;
  /** Series kept at most (6 per provider/operation/model group, plus rates, errors, resources). Default 128. */
  maxSeries?: number;
  /** The page's title. Default `llm-vitals · <serviceName>`. */
  title?: string;
}

/** An anomaly or drift alert as the dashboard shows it. */
export interface DashboardAlert {
  /** Increases by one per alert, so the page can tell new ones from ones it has. */
  seq: number;
  kind: 'anomaly' | 'drift';
  /** Epoch milliseconds of the observation that raised it. */
  time: number;
  /** The signal the detector watched: `latency`, `error_rate`, `input_tokens`, ... */
  signal: string;
  score: number | undefined;
  threshold: number | undefined;
  /** The observed value (anomalies) or the current window's median (numeric drift), in the signal's units. */
  value: number | undefined;
  /** What the value was compared with: the baseline's median, or the reference window's. */
  baseline: number | undefined;
  /** The label set the alert is about (`openai · gpt-4o-mini · /chat/:id`), when it had one. */
  group: string | undefined;
  /** Why it fired: the anomaly's reason (`level_up`, ...) or the drift statistic against its threshold. */
  detail: string | undefined;
  /** An anomaly's incident id: its `anomaly_resolved` event carries the same. */
  incident?: string;
  /** The other label sets that alerted in the same incident (an anomaly named after a route: its model's). */
  related?: string[];
  /** Epoch milliseconds at which the anomaly's incident closed (`monitor.on('anomaly_resolved')`); absent while it is open. */
  resolvedAt?: number;
}

/** What `data.json` answers and what the page is built on. */
export interface DashboardData {
  snapshot: Snapshot;
  alerts: DashboardAlert[];
  history: DashboardHistory;
}

export type DashboardHandler = ((req: IncomingMessage, res: ServerResponse) => void) & {
  /** The data the page would get now. */
  data(): DashboardData;
  /** Stop listening for alerts and end the open event streams. Idempotent. */
  close(): void;
};

/** Unsent bytes an event stream may hold before its client counts as gone. */
const MAX_BUFFERED_BYTES = 1 << 20;

interface ResolvedDashboardOptions {
  intervalMs: number;
  maxAlerts: number;
  historyPoints: number;
  maxSeries: number;
  title: string | undefined;
}

/** Serve the live dashboard page and its data for `monitor`. */
export function dashboardHandler(monitor: Monitor, options?: DashboardOptions): DashboardHandler {
  const resolved = resolveDashboardOptions(options);
  const alerts: DashboardAlert[] = [];
  /** Each open event stream, with the unsent bytes it may hold before its client counts as gone. */
  const streams = new Map<ServerResponse, number>();
  const history = new HistoryRings(resolved.historyPoints, resolved.maxSeries, resolved.intervalMs);
  const reader = new SeriesReader();
  let nextSeq = 1;
  let closed = false;
  let page: Promise<string> | undefined;

  const onAlert = (kind: 'anomaly' | 'drift') => (payload: unknown) => {
    const alert = toDashboardAlert(kind, payload, nextSeq);
    if (alert === undefined) return;
    nextSeq++;
    alerts.push(alert);
    if (alerts.length > resolved.maxAlerts) alerts.splice(0, alerts.length - resolved.maxAlerts);
    if (streams.size > 0) broadcast(sse('alert', alert));
  };
  const onAnomaly = onAlert('anomaly');
  const onDrift = onAlert('drift');
  // An incident that closed marks its alert resolved (one row per incident, from firing to resolved).
  const onResolved = (payload: unknown) => {
    const p = payload as { incident?: unknown; time?: unknown } | null;
    if (p === null || typeof p !== 'object' || typeof p.incident !== 'string') return;
    const alert = alerts.find((a) => a.incident === p.incident);
    if (alert === undefined) return;
    alert.resolvedAt = finite(p.time) ?? Date.now();
    if (streams.size > 0) broadcast(sse('resolved', { seq: alert.seq, resolvedAt: alert.resolvedAt }));
  };
  monitor.on('anomaly', onAnomaly).on('drift', onDrift).on('anomaly_resolved', onResolved);

  function data(): DashboardData {
    return { snapshot: monitor.snapshot(), alerts: alerts.slice(), history: history.toJSON() };
  }

  function broadcast(frame: string): void {
    for (const [res, maxBuffered] of streams) {
      if (res.destroyed || res.writableEnded) streams.delete(res);
      // A client that stops reading would have its frames pile up here: end it (EventSource reconnects).
      else if (res.writableLength > maxBuffered) {
        streams.delete(res);
        res.destroy();
      } else res.write(frame);
    }
  }

  /** Take one point of every series; push it, and the snapshot for the tiles, to the open pages. */
  function tick(): void {
    try {
      const snapshot = monitor.snapshot();
      const point = reader.read(snapshot);
      history.add(point);
      if (streams.size > 0) broadcast(sse('point', point) + sse('vitals', drawn(snapshot)));
    } catch {
      // A failed snapshot skips one point on the charts; the next tick tries again.
    }
  }

  // The first point now, so the first interval's errors and cost are counted from here.
  tick();
  const timer = setInterval(tick, resolved.intervalMs);
  timer.unref?.();

  function openStream(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      // Proxies (nginx) would otherwise buffer the stream.
      'X-Accel-Buffering': 'no',
    });
    const first = `retry: 2000\n\n${sse('alerts', alerts)}event: history\ndata: ${history.toText()}\n\n${sse('vitals', drawn(monitor.snapshot()))}`;
    res.write(first);
    // The history can be megabytes: a client still reading it is not a client that stopped.
    streams.set(res, MAX_BUFFERED_BYTES + Buffer.byteLength(first));
    const forget = () => streams.delete(res);
    req.on('close', forget);
    res.on('close', forget);
    res.on('error', forget);
  }

  const handler = ((req: IncomingMessage, res: ServerResponse) => {
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('method not allowed\n');
        return;
      }
      const path = pathOf(req.url);
      if (path.endsWith('/events')) {
        if (req.method === 'HEAD') {
          res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache, no-transform' });
          res.end();
        } else if (closed) {
          res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8' });
          res.end('dashboard closed\n');
        } else openStream(req, res);
        return;
      }
      if (path.endsWith('/data.json')) {
        const body = `{"snapshot":${JSON.stringify(monitor.snapshot())},"alerts":${JSON.stringify(alerts)},"history":${history.toText()}}`;
        res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : body);
        return;
      }
      if (page === undefined) page = loadPage(monitor, resolved);
      page.then(
        (html) => {
          res.writeHead(200, {
            'Content-Type': 'text/html; charset=utf-8',
            'Cache-Control': 'no-store',
            // Everything the page needs is in it: nothing may load from elsewhere.
            'Content-Security-Policy':
              "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'",
            'X-Content-Type-Options': 'nosniff',
          });
          res.end(req.method === 'HEAD' ? undefined : html);
        },
        (error: unknown) => {
          page = undefined;
          fail(res, error);
        },
      );
    } catch (error) {
      fail(res, error);
    }
  }) as DashboardHandler;

  handler.data = data;
  handler.close = () => {
    if (closed) return;
    closed = true;
    monitor.off('anomaly', onAnomaly).off('drift', onDrift).off('anomaly_resolved', onResolved);
    clearInterval(timer);
    for (const res of streams.keys()) res.end();
    streams.clear();
  };
  return handler;
}

function fail(res: ServerResponse, error: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(`dashboard unavailable: ${error instanceof Error ? error.message : String(error)}\n`);
}

async function loadPage(monitor: Monitor, options: ResolvedDashboardOptions): Promise<string> {
  // The page and its chart library (70 kB): loaded on the first page request, never by `import 'llm-vitals'`.
  const [{ pageHtml }, assets] = await Promise.all([import('./page.js'), import('./assets.generated.js')]);
  const service = monitor.snapshot().service;
  return pageHtml({
    title: options.title ?? `llm-vitals · ${service}`,
    intervalMs: options.intervalMs,
    chartScript: assets.UPLOT_JS,
    chartStyle: assets.UPLOT_CSS,
  });
}

/**
 * The parts of a snapshot the page draws. The detectors' states, quality and segment sections can
 * be most of a snapshot's size and are not charted: they stay in `data.json`, out of every push.
 */
function drawn(snapshot: Snapshot): Partial<Snapshot> {
  const { detectors: _detectors, quality: _quality, segments: _segments, labelValues: _labelValues, ...rest } = snapshot as Snapshot &
    Record<'detectors' | 'quality' | 'segments', unknown>;
  return rest;
}

function pathOf(url: string | undefined): string {
  const raw = url ?? '/';
  const query = raw.indexOf('?');
  const path = query < 0 ? raw : raw.slice(0, query);
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

function sse(event: string, payload: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(payload)}\n\n`;
}

const finite = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * An `anomaly` or `drift` event as the page shows it. Read defensively, field by field: a payload too
 * malformed to show (not an object) is dropped rather than breaking the page, and a field of the
 * wrong type is left out.
 */
export function toDashboardAlert(kind: 'anomaly' | 'drift', payload: unknown, seq: number): DashboardAlert | undefined {
  if (payload === null || typeof payload !== 'object') return undefined;
  const p = payload as Record<string, unknown>;
  let time = finite(p.time);
  if (time === undefined && (typeof p.time === 'string' || p.time instanceof Date)) time = new Date(p.time).getTime();
  if (time === undefined || !Number.isFinite(time)) time = Date.now();
  return {
    seq,
    kind: p.kind === 'anomaly' || p.kind === 'drift' ? p.kind : kind,
    time,
    signal: text(p.signal) ?? 'unknown',
    score: finite(p.score),
    threshold: finite(p.threshold),
    value: finite(p.value),
    baseline: finite(p.baseline),
    group: groupOf(p.labels),
    detail: detailOf(p),
    ...(typeof p.incident === 'string' ? { incident: p.incident } : {}),
    ...(Array.isArray(p.related) && p.related.length > 0 ? { related: p.related.map(groupOf).filter((g): g is string => g !== undefined) } : {}),
  };
}

/** `{ provider, model, route }` and any label the app gave `observe`, in that order. */
function groupOf(labels: unknown): string | undefined {
  if (labels === null || typeof labels !== 'object') return undefined;
  const l = labels as Record<string, unknown>;
  const known = ['provider', 'operation', 'model', 'route'];
  const keys = [...known.filter((k) => k in l), ...Object.keys(l).filter((k) => !known.includes(k)).sort()];
  const parts = keys.map((k) => text(l[k])).filter((s): s is string => s !== undefined);
  return parts.length > 0 ? parts.join(' · ') : undefined;
}

function detailOf(p: Record<string, unknown>): string | undefined {
  const statistic = text(p.statistic);
  const statisticValue = finite(p.statisticValue);
  if (statistic !== undefined && statisticValue !== undefined) {
    const limit = finite(p.statisticThreshold);
    return `${statistic} ${round(statisticValue)}${limit !== undefined ? ` (threshold ${round(limit)})` : ''}`;
  }
  const reason = text(p.reason);
  return reason?.replace(/_/g, ' ');
}

const round = (n: number) => (Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 1 ? n.toFixed(2) : n.toPrecision(2));

const DASHBOARD_KNOWN = optionKeys<DashboardOptions>({ intervalSeconds: true, maxAlerts: true, historyPoints: true, maxSeries: true, title: true });

function resolveDashboardOptions(options: DashboardOptions | undefined): ResolvedDashboardOptions {
  if (options === undefined || options === null) options = {};
  if (typeof options !== 'object') throw new TypeError(`dashboardHandler: options must be an object, got ${typeof options}`);
  checkKeys('dashboardHandler', options, DASHBOARD_KNOWN);
  const { intervalSeconds, maxAlerts, historyPoints, maxSeries, title } = options;
  if (intervalSeconds !== undefined && !(typeof intervalSeconds === 'number' && intervalSeconds >= 0.1 && intervalSeconds <= 3600)) {
    failOption('intervalSeconds', 'a number from 0.1 to 3600', intervalSeconds);
  }
  checkInteger(failOption, 'maxAlerts', maxAlerts, 1, 10_000);
  checkInteger(failOption, 'historyPoints', historyPoints, 10, 100_000);
  checkInteger(failOption, 'maxSeries', maxSeries, 8, 10_000);
  if (title !== undefined && typeof title !== 'string') {
    throw new TypeError(`dashboardHandler: option "title" must be a string, got ${typeof title}`);
  }
  return {
    intervalMs: Math.round((intervalSeconds ?? 1) * 1000),
    maxAlerts: maxAlerts ?? 200,
    historyPoints: historyPoints ?? 3600,
    maxSeries: maxSeries ?? 128,
    title,
  };
}
