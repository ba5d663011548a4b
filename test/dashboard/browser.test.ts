import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createMonitor, dashboardHandler, type DashboardHandler, type Monitor } from '../../src/index.js';
import { defaultReply, startOpenAIServer, type OpenAITestServer } from '../support/openai-server.js';
import { FAST_DETECT, raiseAnomaly } from './alerts.js';
import { installFakeNvidiaSmi, type FakeNvidiaSmi } from '../resources/support.js';
import { requireTool } from '../support/tools.mjs';

/** What the local model is told to do: the charts must show at least these. */
const NON_STREAM_DELAY_MS = 60;
const FIRST_CHUNK_DELAY_MS = 45;

let llm: OpenAITestServer;
let monitor: Monitor;
let dashboard: DashboardHandler;
let server: http.Server;
let base: string;
let browser: Browser;
let page: Page;
let nvidiaSmi: FakeNvidiaSmi;
const consoleErrors: string[] = [];
const foreignRequests: string[] = [];

beforeAll(async () => {
  llm = await startOpenAIServer({
    defaultHandler: (req) => {
      const reply = defaultReply(req);
      return reply.chunks ? { ...reply, delayBeforeFirstChunkMs: FIRST_CHUNK_DELAY_MS, delayBetweenChunksMs: 5 } : { ...reply, delayBeforeHeadersMs: NON_STREAM_DELAY_MS };
    },
  });
  // Two GPUs (there are none here): utilisation 37% and 81%, memory 4096 and 8192 MiB of 81559 MiB.
  nvidiaSmi = installFakeNvidiaSmi({ gpus: 2 });
  monitor = createMonitor({ serviceName: 'browser-test', snapshot: { samples: 64, rateWindowSeconds: 5 }, resources: { intervalMs: 250 }, detect: FAST_DETECT });
  dashboard = dashboardHandler(monitor, { intervalSeconds: 0.25 });
  server = http.createServer((req, res) => {
    if (req.url?.startsWith('/llm-vitals')) return dashboard(req, res);
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath: requireTool('chromium'),
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
  page.on('console', (msg) => {
    if (msg.type() === 'error') consoleErrors.push(msg.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(String(error)));
  page.on('request', (request) => {
    if (!request.url().startsWith(base)) foreignRequests.push(request.url());
  });
}, 30_000);

afterAll(async () => {
  await browser?.close();
  dashboard?.close();
  if (server !== undefined) {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
  await monitor?.shutdown();
  await llm?.close();
  nvidiaSmi?.restore();
});

const messages = [{ role: 'user' as const, content: 'How late is my parcel?' }];

async function traffic(openai: OpenAI, rounds: number): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    await Promise.all([
      openai.chat.completions.create({ model: 'gpt-4o-mini', messages }),
      (async () => {
        const stream = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
        for await (const _ of stream);
      })(),
    ]);
  }
}

const nonNull = (series: (number | null)[]) => series.filter((v): v is number => v !== null);

describe('dashboard in headless Chromium', () => {
  it('loads with no console error, charts real calls, and lists an injected anomaly', async () => {
    const openai = monitor.wrap(new OpenAI({ apiKey: 'test-key', baseURL: llm.url, maxRetries: 0 }));
    await traffic(openai, 4);

    await page.goto(`${base}/llm-vitals`);
    await page.waitForFunction(() => (window as any).llmVitals?.points() >= 2, undefined, { timeout: 10_000 });
    // More calls while the page watches, three of them rate limited, so errors show as a rate.
    await traffic(openai, 4);
    llm.enqueue({ status: 429 }, { status: 429 }, { status: 429 });
    for (let i = 0; i < 3; i++) {
      await expect(openai.chat.completions.create({ model: 'gpt-4o-mini', messages })).rejects.toMatchObject({ status: 429 });
    }
    await page.waitForFunction(
      () => {
        const charts = (window as any).llmVitals.charts();
        return charts.errors?.series.includes('rate_limit') && charts.errors.data[1].some((v: number | null) => v !== null && v > 0);
      },
      undefined,
      { timeout: 10_000 },
    );

    const charts = await page.evaluate(() => (window as any).llmVitals.charts());
    expect(Object.keys(charts)).toEqual(['latency', 'ttfc', 'throughput', 'errors', 'cost', 'cpu', 'memory', 'eventloop', 'gpu']);
    // On the page in that order too, whatever order their data arrived in.
    expect(await page.locator('#charts > .chart:not([hidden])').evaluateAll((boxes) => boxes.map((b) => b.id))).toEqual(
      ['latency', 'ttfc', 'throughput', 'errors', 'cost', 'cpu', 'memory', 'eventloop', 'gpu'].map((id) => `chart-${id}`),
    );
    expect(charts.latency.series).toEqual(['p50', 'p95', 'p99']);
    const latencyP50 = nonNull(charts.latency.data[1]);
    expect(latencyP50.length).toBeGreaterThanOrEqual(2);
    // Every call took at least what the server was told to wait.
    expect(Math.min(...latencyP50)).toBeGreaterThanOrEqual(FIRST_CHUNK_DELAY_MS);
    expect(Math.min(...nonNull(charts.ttfc.data[1]))).toBeGreaterThanOrEqual(FIRST_CHUNK_DELAY_MS);
    expect(Math.max(...nonNull(charts.throughput.data[1]))).toBeGreaterThan(0);
    expect(charts.throughput.series).toEqual(['requests/s', 'output tokens/s']);
    // 429s are rate limits, at a positive rate, and nothing else failed.
    expect(charts.errors.series).toEqual(['rate_limit']);
    // Cost: gpt-4o-mini has a price, so the calls cost something, shown per minute and in total.
    expect(Math.max(...nonNull(charts.cost.data[1]))).toBeGreaterThan(0);
    expect(await page.locator('#tile-cost-box').isVisible()).toBe(true);
    expect(await page.locator('#tile-cost').textContent()).toMatch(/^\$0\.\d{4}$/);
    // Resources, from the monitor's sampler: this process, the event loop and the (fake) GPUs.
    expect(charts.cpu.series).toEqual(expect.arrayContaining(['process (% of one core)']));
    expect(charts.memory.series).toEqual(['heap used', 'resident']);
    const residentMb = nonNull(charts.memory.data[2]).at(-1)!;
    expect(residentMb).toBeGreaterThan(20);
    expect(residentMb).toBeLessThan(process.memoryUsage().rss / 1048576 * 2);
    expect(charts.eventloop.series).toEqual(['max', 'p50', 'p99']);
    // How late the timer fired: p50 <= p99 <= max at every point, and never negative.
    const [, loopMax, loopP50, loopP99] = charts.eventloop.data as (number | null)[][];
    expect(nonNull(loopP99).length).toBeGreaterThan(0);
    loopP99.forEach((p99, i) => {
      if (p99 === null) return;
      expect(loopP50[i]!).toBeGreaterThanOrEqual(0);
      expect(p99).toBeGreaterThanOrEqual(loopP50[i]!);
      expect(loopMax[i]!).toBeGreaterThanOrEqual(p99);
    });
    expect(charts.gpu.series).toEqual(['GPU 0 busy', 'GPU 0 memory used', 'GPU 1 busy', 'GPU 1 memory used']);
    expect(nonNull(charts.gpu.data[1]).at(-1)).toBeCloseTo(37, 6);
    expect(nonNull(charts.gpu.data[3]).at(-1)).toBeCloseTo(81, 6);
    expect(nonNull(charts.gpu.data[4]).at(-1)).toBeCloseTo((8192 / 81559) * 100, 3);
    // The time axis is the snapshots' own clock, in seconds, increasing.
    const times: number[] = charts.latency.data[0];
    expect(times.every((t, i) => i === 0 || t > times[i - 1])).toBe(true);
    expect(Math.abs(times[times.length - 1] - Date.now() / 1000)).toBeLessThan(30);

    // A real anomaly, raised by the monitor's detectors on a signal the app observes.
    raiseAnomaly(monitor, 'queue_depth', 1234, { provider: 'openai', model: 'gpt-4o-mini' });
    const row = page.locator('#alerts tbody tr.anomaly', { hasText: 'queue_depth' });
    await row.waitFor({ timeout: 10_000 });
    const cells = await row.locator('td').allTextContents();
    expect(cells.slice(1, 4)).toEqual(['anomaly', 'queue_depth', '1234']);
    expect(Number(cells[4])).toBeGreaterThanOrEqual(10);
    expect(Number(cells[4])).toBeLessThanOrEqual(14);
    expect(cells[5]).toMatch(/^(0\.[5-9]\d|1\.00) \/ 0\.50$/);
    expect(cells[6]).toBe('openai · gpt-4o-mini');
    expect(await page.locator('#no-alerts').isHidden()).toBe(true);
    const listed = await page.locator('#alerts tbody tr').count();
    expect(await page.locator('#tile-alerts').textContent()).toBe(String(listed));

    // The alert is drawn on the latency chart: a column of the anomaly colour at its time.
    await page.waitForFunction(() => {
      const plot = (window as any).llmVitals.plot('latency');
      const t = (window as any).llmVitals.alerts().find((a: any) => a.signal === 'queue_depth').time / 1000;
      return plot.scales.x.max >= t;
    }, undefined, { timeout: 10_000 });
    const marked = await page.evaluate(() => {
      const plot = (window as any).llmVitals.plot('latency');
      const t = (window as any).llmVitals.alerts().find((a: any) => a.signal === 'queue_depth').time / 1000;
      const x = Math.round(plot.valToPos(t, 'x', true));
      const { top, height } = plot.bbox;
      const pixels = plot.ctx.getImageData(x - 1, top, 3, height).data as Uint8ClampedArray;
      let anomalyColoured = 0;
      for (let i = 0; i < pixels.length; i += 4) {
        if (Math.abs(pixels[i] - 0xd6) < 30 && Math.abs(pixels[i + 1] - 0x33) < 30 && Math.abs(pixels[i + 2] - 0x6c) < 30) anomalyColoured++;
      }
      return anomalyColoured;
    });
    expect(marked).toBeGreaterThan(20);

    mkdirSync('test/artifacts', { recursive: true });
    await page.screenshot({ path: 'test/artifacts/dashboard.png', fullPage: true });

    expect(consoleErrors).toEqual([]);
    expect(foreignRequests).toEqual([]);
  }, 40_000);
});
