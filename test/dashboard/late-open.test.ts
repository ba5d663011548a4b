/**
 * The dashboard remembers: an app sets up `monitor.express({ dashboardPath })`, has an incident (a
 * burst of 429s from the model, dozens of anomaly alerts), and only then does an operator open the
 * page, in real Chromium, for the first time. It must show every alert raised before, count the
 * burst in its errors tile, and chart the history from before it was opened, with units on every axis,
 * a range control, and plots as wide as their cards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import OpenAI from 'openai';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createMonitor, type DashboardData, type Monitor } from '../../src/index.js';
import { defaultReply, startOpenAIServer, type OpenAITestServer } from '../support/openai-server.js';
import { FAST_DETECT, raiseAnomaly } from './alerts.js';
import { requireTool } from '../support/tools.mjs';

const NON_STREAM_DELAY_MS = 60;
const FIRST_CHUNK_DELAY_MS = 45;
const RATE_LIMITED = 25;
const INCIDENT_SIGNALS = 48;
export const SCREENSHOT = '/tmp/llm-vitals-late-open.png';

let llm: OpenAITestServer;
let monitor: Monitor;
let server: http.Server;
let base: string;
let browser: Browser;
let page: Page;
/** Every alert the monitor raised, heard from before the dashboard was set up. */
const raised: { kind: string; signal: string }[] = [];
const consoleErrors: string[] = [];
const foreignRequests: string[] = [];

beforeAll(async () => {
  llm = await startOpenAIServer({
    defaultHandler: (req) => {
      const reply = defaultReply(req);
      return reply.chunks ? { ...reply, delayBeforeFirstChunkMs: FIRST_CHUNK_DELAY_MS, delayBetweenChunksMs: 5 } : { ...reply, delayBeforeHeadersMs: NON_STREAM_DELAY_MS };
    },
  });
  monitor = createMonitor({ serviceName: 'late-open', snapshot: { rateWindowSeconds: 5 }, resources: { intervalMs: 250, gpu: false }, detect: FAST_DETECT });
  monitor.on('anomaly', (a) => raised.push({ kind: 'anomaly', signal: a.signal }));
  monitor.on('drift', (d) => raised.push({ kind: 'drift', signal: d.signal }));

  const openai = monitor.wrap(new OpenAI({ apiKey: 'test-key', baseURL: llm.url, maxRetries: 0 }));
  const app = express();
  app.use(monitor.express({ dashboardPath: '/llm-vitals' }));
  app.get('/ask', async (req, res) => {
    const messages = [{ role: 'user' as const, content: 'Where is my parcel?' }];
    try {
      if (req.query.stream === '1') {
        const stream = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
        let text = '';
        for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
        res.json({ text });
      } else {
        const completion = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages });
        res.json({ text: completion.choices[0].message.content });
      }
    } catch (error) {
      res.status(502).json({ error: (error as Error).message });
    }
  });
  server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath: requireTool('chromium'),
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}, 30_000);

afterAll(async () => {
  await browser?.close();
  if (server !== undefined) {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
  await monitor?.shutdown();
  await llm?.close();
});

async function data(): Promise<DashboardData> {
  const res = await fetch(`${base}/llm-vitals/data.json`);
  expect(res.status).toBe(200);
  return (await res.json()) as DashboardData;
}

/** Poll data.json until `ready` holds, for at most `ms`. */
async function dataWhen(ready: (d: DashboardData) => boolean, ms = 10_000): Promise<DashboardData> {
  const deadline = Date.now() + ms;
  for (;;) {
    const d = await data();
    if (ready(d)) return d;
    if (Date.now() > deadline) throw new Error(`data.json never got there: ${JSON.stringify(d.history.times.length)} points`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Errors in a window of the history: each point's per-second rate times the seconds it covers. */
function errorsIn(d: DashboardData, type: string): number {
  const rates = d.history.series[`err|${type}`] ?? [];
  let sum = 0;
  for (let i = 1; i < d.history.times.length; i++) sum += (rates[i] ?? 0) * ((d.history.times[i] - d.history.times[i - 1]) / 1000);
  return sum;
}

const LATENCY_P50 = 'lat|openai · chat · gpt-4o-mini|p50';

describe('dashboard opened after the incident, in headless Chromium', () => {
  it('shows every alert raised before, counts the burst of 429s, and charts the history from before it was opened', async () => {
    // Nothing asks the dashboard anything until the page is opened, after the incident.
    const trafficFrom = Date.now();
    // Ordinary traffic, plain and streamed calls through the app, for a few points of history.
    while (Date.now() - trafficFrom < 3000) {
      const answers = await Promise.all([fetch(`${base}/ask`), fetch(`${base}/ask?stream=1`)]);
      expect(answers.map((a) => a.status)).toEqual([200, 200]);
    }

    // The incident: the model answers 25 requests in a row with 429 ...
    const incidentFrom = Date.now();
    llm.enqueue(...Array.from({ length: RATE_LIMITED }, () => ({ status: 429 })));
    const statuses = await Promise.all(Array.from({ length: RATE_LIMITED }, () => fetch(`${base}/ask`).then((r) => r.status)));
    expect(statuses).toEqual(Array(RATE_LIMITED).fill(502));
    // ... and 48 signals the app watches jump after a stable warm-up, one anomaly each.
    for (let i = 0; i < INCIDENT_SIGNALS; i++) raiseAnomaly(monitor, `incident_${String(i).padStart(2, '0')}`, 1000 + i);
    expect(raised.filter((a) => a.signal.startsWith('incident_'))).toHaveLength(INCIDENT_SIGNALS);

    // The first request to the dashboard: it has kept a point after the burst on its own.
    const before = await dataWhen((d) => Math.round(errorsIn(d, 'rate_limit')) === RATE_LIMITED);
    expect(before.history).toMatchObject({ intervalMs: 1000, capacity: 3600, droppedSeries: 0 });
    // It starts when the middleware was set up, before any traffic, not at this first request.
    expect(before.history.times[0]).toBeLessThanOrEqual(trafficFrom);
    // Before the incident, every call took at least what the model was told to wait (429s answer at once).
    const calmLatency = before.history.series[LATENCY_P50].filter((v, i): v is number => v !== null && before.history.times[i] < incidentFrom);
    expect(calmLatency.length).toBeGreaterThan(0);
    expect(Math.min(...calmLatency)).toBeGreaterThanOrEqual(FIRST_CHUNK_DELAY_MS);
    for (const key of ['rps', 'tps', LATENCY_P50, 'ttfc|openai · chat · gpt-4o-mini|p95', 'err|rate_limit', 'cost', 'cpu|process (% of one core)', 'mem|resident', 'loop|p99']) {
      expect(Object.keys(before.history.series)).toContain(key);
      expect(before.history.series[key]).toHaveLength(before.history.times.length);
    }
    // Every alert, the 48 and whatever the detectors made of the burst.
    expect(before.alerts.map((a) => a.signal)).toEqual(raised.map((a) => a.signal));
    expect(before.snapshot.groups[0].errors).toEqual({ rate_limit: RATE_LIMITED });

    // Now, and only now, the page is opened.
    const openedAt = Date.now();
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on('console', (msg) => {
      if (msg.type() === 'error') consoleErrors.push(msg.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(String(error)));
    page.on('request', (request) => {
      if (!request.url().startsWith(base)) foreignRequests.push(request.url());
    });
    await page.goto(`${base}/llm-vitals`);
    const rows = page.locator('#alerts tbody tr');
    await page.waitForFunction((n) => document.querySelectorAll('#alerts tbody tr').length >= n && (window as any).llmVitals.charts().errors, raised.length, {
      timeout: 10_000,
    });

    // Every alert raised before the page was opened, newest first.
    expect(await rows.count()).toBe(raised.length);
    expect(await page.locator('#tile-alerts').textContent()).toBe(String(raised.length));
    const signals = await rows.locator('td:nth-child(3)').allTextContents();
    expect(signals).toEqual(raised.map((a) => a.signal).reverse());
    expect(await page.locator('#alerts tbody tr.anomaly', { hasText: 'incident_' }).count()).toBe(INCIDENT_SIGNALS);
    expect(await page.locator('#no-alerts').isHidden()).toBe(true);

    // The errors tile counts the whole burst.
    expect(await page.locator('#tile-errors').textContent()).toBe(String(RATE_LIMITED));

    // The charts hold the history from before the page was opened.
    const charts = await page.evaluate(() => (window as any).llmVitals.charts());
    expect(Object.keys(charts)).toEqual(['latency', 'ttfc', 'throughput', 'errors', 'cost', 'cpu', 'memory', 'eventloop']);
    const opened = openedAt / 1000;
    const valuesBefore = (chart: { data: (number | null)[][] }, column: number) =>
      chart.data[column].filter((v, i) => v !== null && chart.data[0][i]! < opened) as number[];
    expect(charts.latency.data[0][0]).toBeLessThanOrEqual(trafficFrom / 1000);
    expect(valuesBefore(charts.latency, 1).length).toBeGreaterThan(0);
    expect(valuesBefore(charts.ttfc, 1).length).toBeGreaterThan(0);
    expect(charts.errors.series).toEqual(['rate_limit']);
    expect(Math.max(...valuesBefore(charts.errors, 1))).toBeGreaterThan(0);
    expect(Math.max(...valuesBefore(charts.throughput, 1))).toBeGreaterThan(0);

    // Units on every axis: time, and the y axis (and the right-hand one) of each chart.
    expect(Object.fromEntries(Object.entries(charts).map(([id, c]: [string, any]) => [id, c.axes]))).toEqual({
      latency: ['local time', 'ms'],
      ttfc: ['local time', 'ms'],
      throughput: ['local time', 'requests/s', 'tokens/s'],
      errors: ['local time', 'errors/s'],
      cost: ['local time', 'USD/min'],
      cpu: ['local time', '%'],
      memory: ['local time', 'MB'],
      eventloop: ['local time', 'ms'],
    });
    expect(await page.locator('#chart-memory h3 .unit').textContent()).toBe('MB');

    // Each plot fills its card (the card's inner width: 10 px of padding each side).
    for (const [id, c] of Object.entries(charts) as [string, any][]) {
      expect(c.width, id).toBeGreaterThanOrEqual(c.cardWidth - 20 - 2);
      expect(c.width, id).toBeLessThanOrEqual(c.cardWidth - 20 + 1);
    }

    // The range control: up to what is kept (an hour at 1 s), 15 minutes first.
    const range = page.locator('#range');
    expect(await range.locator('option').allTextContents()).toEqual(['5 m', '15 m', '1 h']);
    expect(await range.inputValue()).toBe('900');
    await range.selectOption('300');
    expect(await page.evaluate(() => (window as any).llmVitals.range())).toBe(300);
    const narrowed = await page.evaluate(() => (window as any).llmVitals.charts().errors);
    // The incident is a few seconds old: still inside the last 5 minutes.
    expect(Math.max(...valuesBefore(narrowed, 1))).toBeGreaterThan(0);

    // The page keeps the history up to date: new points arrive while it is open.
    const points = await page.evaluate(() => (window as any).llmVitals.points());
    await page.waitForFunction((n) => (window as any).llmVitals.points() > n, points, { timeout: 10_000 });

    // The data endpoint says the same as the page.
    const after = await data();
    expect(after.alerts).toHaveLength(raised.length);
    expect(Math.round(errorsIn(after, 'rate_limit'))).toBe(RATE_LIMITED);
    expect(after.history.times[0]).toBe(before.history.times[0]);

    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(consoleErrors).toEqual([]);
    expect(foreignRequests).toEqual([]);
  }, 60_000);
});
