import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { execFileSync } from 'node:child_process';
import OpenAI from 'openai';
import express from 'express';
import { createMonitor, type Monitor } from '../../src/index.js';
import { dashboardHandler, toDashboardAlert, type DashboardHandler } from '../../src/dashboard/handler.js';
import { startOpenAIServer, type OpenAITestServer } from '../support/openai-server.js';
import { FAST_DETECT, raiseAnomaly, raiseDrift } from './alerts.js';

/**
 * These tests are about the dashboard, not the resource sampler. (With it on and no nvidia-smi on
 * PATH, a monitor shut down right after it was created can kill the whole process group: see
 * src/resources/gpu.ts, GpuProbe.stop() calling kill() on a child whose spawn failed.)
 */
const NO_SAMPLER = { resources: false, detect: FAST_DETECT } as const;

let llm: OpenAITestServer;
let monitor: Monitor;
let dashboard: DashboardHandler | undefined;
let app: http.Server | undefined;

beforeAll(async () => {
  llm = await startOpenAIServer();
});
afterAll(async () => {
  await llm.close();
});
afterEach(async () => {
  dashboard?.close();
  dashboard = undefined;
  if (app) {
    app.closeAllConnections();
    await new Promise((r) => app!.close(r));
    app = undefined;
  }
  await monitor?.shutdown();
});

async function serve(handler: http.RequestListener): Promise<string> {
  app = http.createServer(handler);
  await new Promise<void>((r) => app!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
}

function wrappedClient() {
  return monitor.wrap(new OpenAI({ apiKey: 'test-key', baseURL: llm.url, maxRetries: 0 }));
}

/** Read Server-Sent Events from `url` until `enough` says so (or 5 s pass). */
async function readEvents(url: string, enough: (events: { event: string; data: any }[]) => boolean) {
  const controller = new AbortController();
  const res = await fetch(url, { signal: controller.signal });
  const events: { event: string; data: any }[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  const deadline = Date.now() + 5000;
  const reader = res.body!.getReader();
  while (Date.now() < deadline && !enough(events)) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(frame)?.[1];
      const data = /^data: (.*)$/m.exec(frame)?.[1];
      if (event && data) events.push({ event, data: JSON.parse(data) });
    }
  }
  controller.abort();
  return { res, events };
}

describe('dashboard data endpoints', () => {
  it('answers data.json with the snapshot of real calls and the alerts heard', async () => {
    monitor = createMonitor({ serviceName: 'dash-test', ...NO_SAMPLER });
    dashboard = dashboardHandler(monitor);
    const base = await serve(dashboard);
    const openai = wrappedClient();
    llm.enqueue({ delayBeforeHeadersMs: 60 }, { delayBeforeHeadersMs: 60 }, { status: 429 });
    await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    await expect(openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })).rejects.toThrow();
    raiseAnomaly(monitor, 'queue_depth', 950, { provider: 'openai', model: 'gpt-4o-mini', route: '/chat/:id' });

    const res = await fetch(`${base}/llm-vitals/data.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = await res.json();
    expect(body.snapshot.service).toBe('dash-test');
    // The whole snapshot, the detectors' states included.
    expect(body.snapshot.detectors.groups.length).toBeGreaterThan(0);
    expect(body.snapshot.calls).toBe(3);
    const [group] = body.snapshot.groups;
    expect(group).toMatchObject({ provider: 'openai', operation: 'chat', model: 'gpt-4o-mini', calls: 3, errors: { rate_limit: 1 } });
    expect(group.latencyMs.p95).toBeGreaterThanOrEqual(60);
    expect(body.alerts).toHaveLength(1);
    expect(body.alerts[0]).toEqual({
      seq: 1,
      kind: 'anomaly',
      time: expect.any(Number),
      signal: 'queue_depth',
      score: expect.any(Number),
      threshold: 0.5,
      value: 950,
      baseline: expect.any(Number),
      group: 'openai · gpt-4o-mini · /chat/:id',
      detail: expect.stringMatching(/^(point|level up)$/),
      incident: expect.any(String),
    });
    expect(body.alerts[0].score).toBeGreaterThanOrEqual(0.5);
    expect(body.alerts[0].baseline).toBeGreaterThanOrEqual(10);
    expect(body.alerts[0].baseline).toBeLessThanOrEqual(14);
    expect(Math.abs(body.alerts[0].time - Date.now())).toBeLessThan(10_000);
  });

  it('keeps one row per anomaly incident and marks it resolved when the incident closes', async () => {
    monitor = createMonitor(NO_SAMPLER);
    dashboard = dashboardHandler(monitor);
    raiseAnomaly(monitor, 'queue_depth', 950);
    // Spikes while the incident is open are the same incident: no new row.
    for (let i = 0; i < 3; i++) monitor.observe('queue_depth', 950);
    expect(dashboard.data().alerts).toHaveLength(1);
    expect(dashboard.data().alerts[0].resolvedAt).toBeUndefined();
    for (let i = 0; i < 60; i++) monitor.observe('queue_depth', 10 + (i % 5));
    const [alert] = dashboard.data().alerts;
    expect(dashboard.data().alerts).toHaveLength(1);
    expect(alert.resolvedAt).toBeGreaterThanOrEqual(alert.time);
  });

  it('streams the kept alerts and history, then a point and a snapshot every interval, then each new alert as it fires', async () => {
    monitor = createMonitor(NO_SAMPLER);
    dashboard = dashboardHandler(monitor, { intervalSeconds: 0.1 });
    const base = await serve(dashboard);
    raiseDrift(monitor, 'prompt_words', { team: 'support' });
    const openai = wrappedClient();
    await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });

    let fired = false;
    const { res, events } = await readEvents(`${base}/events`, (events) => {
      const vitals = events.filter((e) => e.event === 'vitals').length;
      if (vitals >= 2 && !fired) {
        fired = true;
        raiseAnomaly(monitor, 'queue_depth', 500);
      }
      return events.some((e) => e.event === 'alert');
    });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    // On connect: every alert so far. The jump from 10 to 100 is a drift (and an anomaly too).
    expect(events[0].event).toBe('alerts');
    const kept = events[0].data as { seq: number; kind: string; signal: string; value: number; baseline: number }[];
    expect(kept.map((a) => a.seq)).toEqual(kept.map((_, i) => i + 1));
    const drifts = kept.filter((a) => a.kind === 'drift');
    expect(drifts).toHaveLength(1);
    expect(drifts[0]).toMatchObject({ signal: 'prompt_words', group: 'support', detail: expect.stringMatching(/^psi \S+ \(threshold 0\.20\)$/) });
    // The current window's median, against the reference's (10 to 16).
    expect(drifts[0].baseline).toBeGreaterThanOrEqual(10);
    expect(drifts[0].baseline).toBeLessThanOrEqual(16);
    expect(drifts[0].value).toBeGreaterThan(drifts[0].baseline);
    // Then the history kept since the handler was created: at least the point taken then.
    expect(events[1].event).toBe('history');
    expect(events[1].data).toMatchObject({ intervalMs: 100, capacity: 3600, droppedSeries: 0 });
    expect(events[1].data.times.length).toBeGreaterThanOrEqual(1);
    expect(events[2].event).toBe('vitals');
    expect(events[2].data.calls).toBe(1);
    // Pushes carry what the page draws, not the detectors' states.
    expect(events[2].data.groups).toHaveLength(1);
    expect(events[2].data).not.toHaveProperty('detectors');
    // Each interval, the newest point of every series, just before its snapshot.
    const points = events.filter((e) => e.event === 'point');
    expect(points.length).toBeGreaterThanOrEqual(1);
    expect(points[0].data.values).toHaveProperty('lat|openai · chat · gpt-4o-mini|p50');
    expect(points[0].data.time).toBeGreaterThan(events[1].data.times.at(-1));
    const vitals = events.filter((e) => e.event === 'vitals');
    expect(vitals.length).toBeGreaterThanOrEqual(2);
    // Snapshots are taken fresh for each push.
    expect(Date.parse(vitals[vitals.length - 1].data.time)).toBeGreaterThan(Date.parse(vitals[0].data.time));
    // Then the new one, as it fired, numbered after the kept ones.
    expect(events.at(-1)).toEqual({ event: 'alert', data: expect.objectContaining({ seq: kept.length + 1, kind: 'anomaly', signal: 'queue_depth', value: 500 }) });
  });

  it('serves a self-contained page that loads nothing from elsewhere', async () => {
    monitor = createMonitor({ serviceName: 'shop', ...NO_SAMPLER });
    dashboard = dashboardHandler(monitor);
    const base = await serve(dashboard);
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await res.text();
    expect(html).toContain('<title>llm-vitals · shop</title>');
    expect(html).toContain('uPlot');
    // No external script, stylesheet, image or font.
    expect(html).not.toMatch(/\b(src|href)\s*=\s*["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/@import|url\(\s*["']?https?:/i);
    // The inlined library cannot end its <script> early.
    expect(html.match(/<\/script>/g)).toHaveLength(3);
  });

  it('works mounted in Express under a path, as the middleware mounts it', async () => {
    monitor = createMonitor(NO_SAMPLER);
    dashboard = dashboardHandler(monitor);
    const e = express();
    e.use('/ops/llm', dashboard);
    const base = await serve(e as unknown as http.RequestListener);
    expect((await fetch(`${base}/ops/llm`)).headers.get('content-type')).toBe('text/html; charset=utf-8');
    const data = await (await fetch(`${base}/ops/llm/data.json`)).json();
    expect(data.snapshot.calls).toBe(0);
    expect(data.alerts).toEqual([]);
  });

  it('refuses methods other than GET and HEAD', async () => {
    monitor = createMonitor(NO_SAMPLER);
    dashboard = dashboardHandler(monitor);
    const base = await serve(dashboard);
    const res = await fetch(`${base}/data.json`, { method: 'POST' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
  });

  it('keeps only the last maxAlerts alerts, and stops listening once closed', async () => {
    monitor = createMonitor(NO_SAMPLER);
    dashboard = dashboardHandler(monitor, { maxAlerts: 3 });
    for (let i = 0; i < 5; i++) raiseAnomaly(monitor, `signal_${i}`, 1000);
    expect(dashboard.data().alerts.map((a) => [a.seq, a.signal])).toEqual([
      [3, 'signal_2'],
      [4, 'signal_3'],
      [5, 'signal_4'],
    ]);
    dashboard.close();
    raiseAnomaly(monitor, 'after_close', 1000);
    expect(dashboard.data().alerts.map((a) => a.signal)).toEqual(['signal_2', 'signal_3', 'signal_4']);
  });

  it('ends open event streams on close, so the server can stop', async () => {
    monitor = createMonitor(NO_SAMPLER);
    dashboard = dashboardHandler(monitor, { intervalSeconds: 0.1 });
    const base = await serve(dashboard);
    const res = await fetch(`${base}/events`);
    const reader = res.body!.getReader();
    await reader.read();
    dashboard.close();
    let done = false;
    for (let i = 0; i < 100 && !done; i++) done = (await reader.read()).done;
    expect(done).toBe(true);
  });
});

describe('dashboard options and alert payloads', () => {
  it('rejects bad options with a TypeError that names the option', () => {
    monitor = createMonitor(NO_SAMPLER);
    expect(() => dashboardHandler(monitor, { intervalSeconds: 0 })).toThrow(/option "intervalSeconds"/);
    expect(() => dashboardHandler(monitor, { maxAlerts: 1.5 })).toThrow(/option "maxAlerts"/);
    expect(() => dashboardHandler(monitor, { historyPoints: 5 })).toThrow(/option "historyPoints"/);
    expect(() => dashboardHandler(monitor, { maxSeries: 4 })).toThrow(/option "maxSeries" must be an integer from 8 to 10000/);
    expect(() => dashboardHandler(monitor, { title: 3 as unknown as string })).toThrow(/option "title"/);
    expect(() => dashboardHandler(monitor, { colour: 'red' } as never)).toThrow(/unknown option "colour"/);
    expect(() => dashboardHandler(monitor, { maxAlerts: 0 })).toThrow(TypeError);
  });

  it('reads an alert whatever optional fields it carries, and drops one that is not an object', () => {
    expect(toDashboardAlert('drift', null, 1)).toBeUndefined();
    expect(toDashboardAlert('anomaly', 'latency', 1)).toBeUndefined();
    expect(
      toDashboardAlert(
        'drift',
        { kind: 'drift', signal: 'input_tokens', time: Date.parse('2025-01-02T03:04:05.000Z'), value: 240, baseline: 61, score: 0.8, threshold: 0.5,
          statistic: 'psi', statisticValue: 0.8123, statisticThreshold: 0.2, labels: { route: '/chat/:id', model: 'gpt-4o', provider: 'openai' } },
        7,
      ),
    ).toEqual({
      seq: 7,
      kind: 'drift',
      time: Date.parse('2025-01-02T03:04:05.000Z'),
      signal: 'input_tokens',
      score: 0.8,
      threshold: 0.5,
      value: 240,
      baseline: 61,
      group: 'openai · gpt-4o · /chat/:id',
      detail: 'psi 0.81 (threshold 0.20)',
    });
    // A categorical drift's value is a share per category: no single number to show.
    const categorical = toDashboardAlert('drift', { signal: 'finish_reason', value: { stop: 0.2, length: 0.8 }, statistic: 'js_distance', statisticValue: 0.35 }, 8)!;
    expect(categorical.value).toBeUndefined();
    expect(categorical.detail).toBe('js_distance 0.35');
    const before = Date.now();
    const alert = toDashboardAlert('anomaly', { signal: 'latency', score: Number.NaN, value: 'slow', reason: 'level_up', labels: 'x' }, 2)!;
    expect(alert.time).toBeGreaterThanOrEqual(before);
    expect(alert.score).toBeUndefined();
    expect(alert.value).toBeUndefined();
    expect(alert.group).toBeUndefined();
    expect(alert.detail).toBe('level up');
  });

  it('embeds the installed uPlot, byte for byte', () => {
    const out = execFileSync(process.execPath, ['scripts/embed-dashboard-assets.mjs', '--check'], { encoding: 'utf8' });
    expect(out).toMatch(/up to date \(uplot@\d+\.\d+\.\d+\)/);
  });
});
