/**
 * A real Prometheus (Debian `prometheus`, or $PROMETHEUS_BIN: test/support/tools.mjs) scraping an Express app
 * that uses the monitor, every second, on 127.0.0.1. Calls go through the wrapped real `openai` client
 * to the local OpenAI-compatible server, each told its latency, time to first chunk, token counts or
 * error; then Prometheus' HTTP API must give back exactly the counts and token totals sent, and
 * `histogram_quantile` must give back what the monitor measured, interpolated in the bucket its median
 * fell in, never under the latency the server was told to produce (how far above depends on the
 * machine's load, so no upper bound in time is asserted). The example
 * alert rules are loaded into the same Prometheus and the example Grafana dashboard's queries are run
 * against it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import OpenAI from 'openai';
import { createMonitor, type Monitor } from '../../src/index.js';
import { chatChunks, chatCompletion, errorBody, startOpenAIServer, type OpenAITestServer, type ScriptedReply } from '../support/openai-server.js';
import { requireTool } from '../support/tools.mjs';
import { BUCKETS } from '../../src/semconv.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const ALERTS = join(ROOT, 'examples/prometheus/alerts.yml');
const GRAFANA = join(ROOT, 'examples/grafana/llm-vitals.json');

/** What one call asks the local server to do, sent as the user message so concurrent calls cannot mix up. */
interface Plan {
  delayMs: number;
  prompt: number;
  completion: number;
  status?: number;
}

let llm: OpenAITestServer;
let monitor: Monitor;
let app: HttpServer;
let prometheus: ChildProcess | undefined;
let prometheusLog = '';
let promUrl: string;
let workDir: string;
/**
 * What the monitor measured for completed calls, per model, in seconds (time to first chunk for
 * streams): what Prometheus' quantiles must give back, and failure messages.
 */
const recorded: Record<string, number[]> = {};

async function freePort(): Promise<number> {
  const probe: Server = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function query(expr: string): Promise<{ status: string; error?: string; data?: { result: { metric: Record<string, string>; value: [number, string] }[] } }> {
  const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
  return (await res.json()) as any;
}

/** The single value of an instant query, or undefined while Prometheus has none. */
async function scalar(expr: string): Promise<number | undefined> {
  const body = await query(expr);
  if (body.status !== 'success') throw new Error(`query ${expr} failed: ${body.error}`);
  const result = body.data!.result;
  if (result.length > 1) throw new Error(`query ${expr} gave ${result.length} series`);
  return result.length === 0 ? undefined : Number(result[0].value[1]);
}

/**
 * `histogram_quantile(q, ...)` as Prometheus computes it from classic buckets (`promql/quantile.go`):
 * the rank q × count, found in the first bucket whose cumulative count reaches it, interpolated
 * linearly between that bucket's bounds (the lowest bucket's lower bound is 0).
 */
function bucketQuantile(q: number, values: number[], bounds: readonly number[]): number {
  const rank = q * values.length;
  let below = 0;
  for (let i = 0; i < bounds.length; i++) {
    const inBucket = values.filter((v) => v <= bounds[i] && (i === 0 || v > bounds[i - 1])).length;
    if (below + inBucket >= rank) {
      const lower = i === 0 ? 0 : bounds[i - 1];
      return lower + (bounds[i] - lower) * ((rank - below) / inBucket);
    }
    below += inBucket;
  }
  return bounds[bounds.length - 1];
}

/** Poll until the query gives `expected` (scrapes are 1 s apart), bounded; returns what it last got. */
async function eventually(expr: string, expected: number, ms = 8000): Promise<number | undefined> {
  const deadline = Date.now() + ms;
  let got: number | undefined;
  while (Date.now() < deadline) {
    got = await scalar(expr);
    if (got === expected) return got;
    await sleep(200);
  }
  return got;
}

function replyFor(body: any): ScriptedReply {
  const plan = JSON.parse(body.messages[0].content) as Plan;
  const usage = { prompt_tokens: plan.prompt, completion_tokens: plan.completion, total_tokens: plan.prompt + plan.completion };
  if (plan.status !== undefined) return { status: plan.status, body: errorBody(plan.status) };
  if (body.stream) {
    return { delayBeforeFirstChunkMs: plan.delayMs, chunks: chatChunks(['a', 'b', 'c'], { model: body.model, usage }) };
  }
  return { delayBeforeHeadersMs: plan.delayMs, body: chatCompletion({ model: body.model, usage }) };
}

beforeAll(async () => {
  const prometheusBin = requireTool('prometheus');
  llm = await startOpenAIServer({ defaultHandler: (req) => replyFor(req.body) });
  // A low label cap, so one overflow is a handful of calls away (the other tests use 3 models, 1 route).
  monitor = createMonitor({ serviceName: 'prometheus-it', maxLabelValues: 10 });
  monitor.on('call', (r) => {
    if (r.outcome === 'completed') (recorded[r.requestModel ?? ''] ??= []).push((r.timeToFirstChunk ?? r.duration) / 1000);
  });
  // One fault inside the monitor, on demand: a listener that throws for one model.
  monitor.on('call', (r) => {
    if (r.requestModel === 'fault-model') throw new Error('a listener fault, on purpose');
  });
  const openai = monitor.wrap(new OpenAI({ apiKey: 'test-key', baseURL: llm.url, maxRetries: 0 }));
  const web = express();
  web.use(express.json());
  web.use(monitor.express({ metricsPath: '/metrics' }));
  web.post('/chat/:model', async (req, res) => {
    const model = req.params.model;
    const messages = [{ role: 'user' as const, content: JSON.stringify(req.body) }];
    try {
      if (req.query.stream === '1') {
        const stream = await openai.chat.completions.create({ model, messages, stream: true });
        let text = '';
        for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
        res.json({ text });
      } else {
        const completion = await openai.chat.completions.create({ model, messages });
        res.json({ text: completion.choices[0].message.content });
      }
    } catch (error) {
      res.status(502).json({ error: (error as Error).message });
    }
  });
  app = web.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => app.once('listening', () => resolve()));
  const appPort = (app.address() as AddressInfo).port;

  workDir = mkdtempSync(join(tmpdir(), 'llm-vitals-prometheus-'));
  const promPort = await freePort();
  promUrl = `http://127.0.0.1:${promPort}`;
  writeFileSync(
    join(workDir, 'prometheus.yml'),
    [
      'global:',
      '  scrape_interval: 1s',
      '  evaluation_interval: 1s',
      'rule_files:',
      `  - ${ALERTS}`,
      'scrape_configs:',
      '  - job_name: app',
      '    static_configs:',
      `      - targets: ['127.0.0.1:${appPort}']`,
      '',
    ].join('\n'),
  );
  prometheus = spawn(
    prometheusBin,
    [
      `--config.file=${join(workDir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(workDir, 'data')}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  prometheus.stdout!.on('data', (d) => (prometheusLog += d));
  prometheus.stderr!.on('data', (d) => (prometheusLog += d));
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (prometheus.exitCode !== null) throw new Error(`prometheus exited with ${prometheus.exitCode}:\n${prometheusLog}`);
    try {
      if ((await fetch(`${promUrl}/-/ready`)).ok) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`prometheus not ready after 15 s:\n${prometheusLog}`);
    await sleep(100);
  }
  // Prometheus hands new targets to its scrapers at most every 5 s: wait for the first scrape.
  if ((await eventually('up{job="app"}', 1, 15_000)) !== 1) throw new Error(`prometheus never scraped the app:\n${prometheusLog}`);
}, 30_000);

afterAll(async () => {
  if (prometheus !== undefined && prometheus.exitCode === null) {
    const exited = new Promise<void>((resolve) => prometheus!.once('exit', () => resolve()));
    prometheus.kill('SIGTERM');
    const timer = setTimeout(() => prometheus!.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
  await monitor?.shutdown();
  if (app !== undefined) await new Promise<void>((resolve) => (app.closeAllConnections(), app.close(() => resolve())));
  await llm?.close();
  if (workDir !== undefined) rmSync(workDir, { recursive: true, force: true });
});

describe('a real Prometheus scraping the monitor', () => {
  // Fast calls are told 170-251 ms, slow ones 700-1200 ms, streams' first chunks 170-245 ms. What the
  // monitor measures adds the app's and the SDK's own time, which a loaded machine stretches (once
  // 318-352 ms for the fast calls, past the 0.32 s bound): so the quantiles are checked against the
  // measurements, and the told delays are only a floor.
  const fast: Plan[] = Array.from({ length: 10 }, (_, i) => ({ delayMs: 170 + i * 9, prompt: 10 + i, completion: 3 + 2 * i }));
  const slow: Plan[] = Array.from({ length: 6 }, (_, i) => ({ delayMs: 700 + i * 100, prompt: 100 + i, completion: 40 + i }));
  const streams: Plan[] = Array.from({ length: 6 }, (_, i) => ({ delayMs: 170 + i * 15, prompt: 7, completion: 3 }));
  const limited: Plan[] = Array.from({ length: 4 }, () => ({ delayMs: 0, prompt: 0, completion: 0, status: 429 }));

  it('gives back the call counts, token totals and the latencies the monitor measured, none under the told delay', async () => {
    const base = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
    const send = (model: string, plan: Plan, stream = false) =>
      fetch(`${base}/chat/${model}${stream ? '?stream=1' : ''}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(plan),
      });
    const answers = await Promise.all([
      ...fast.map((p) => send('fast-model', p)),
      ...slow.map((p) => send('slow-model', p)),
      ...streams.map((p) => send('stream-model', p, true)),
      ...limited.map((p) => send('fast-model', p)),
    ]);
    expect(answers.map((a) => a.status).sort()).toEqual([...Array(22).fill(200), ...Array(4).fill(502)]);

    const completed = fast.length + slow.length + streams.length;
    expect(await eventually('sum(llm_vitals_calls_total{outcome="completed"})', completed)).toBe(completed);
    expect(await eventually('sum(llm_vitals_calls_total{outcome="failed"})', limited.length)).toBe(limited.length);
    expect(await scalar('sum(llm_vitals_errors_total{error_type="rate_limit"})')).toBe(limited.length);

    const ok = [...fast, ...slow, ...streams];
    const input = ok.reduce((n, p) => n + p.prompt, 0);
    const output = ok.reduce((n, p) => n + p.completion, 0);
    expect(await scalar('sum(llm_vitals_tokens_total{gen_ai_token_type="input"})')).toBe(input);
    expect(await scalar('sum(llm_vitals_tokens_total{gen_ai_token_type="output"})')).toBe(output);
    expect(await scalar('sum(gen_ai_client_token_usage_sum{gen_ai_token_type="input"})')).toBe(input);
    expect(await scalar('sum(gen_ai_client_token_usage_count{gen_ai_token_type="input"})')).toBe(ok.length);

    // Each quantile is what the monitor measured, bucketed and interpolated as Prometheus does (so a
    // wrong bucket or label moves it), each sum is the measurements' sum (so a scaled value moves it),
    // and no measurement is under the told delay.
    // Completed calls only: the duration histogram keeps failed ones apart under their error type.
    const completedDuration = { metric: 'gen_ai_client_operation_duration_seconds', only: ', error_type=""', bounds: BUCKETS.duration };
    const cases = [
      { model: 'fast-model', ...completedDuration, told: fast },
      { model: 'slow-model', ...completedDuration, told: slow },
      { model: 'stream-model', metric: 'gen_ai_client_operation_time_to_first_chunk_seconds', only: '', bounds: BUCKETS.timeToFirstChunk, told: streams },
    ];
    for (const { model, metric, only, bounds, told } of cases) {
      const labels = `gen_ai_request_model="${model}"${only}`;
      const measured = recorded[model] ?? [];
      const seen = `measured: ${JSON.stringify(measured.map((s) => Math.round(s * 1000)))} ms`;
      expect(measured.length, seen).toBe(told.length);
      expect(Math.min(...measured), seen).toBeGreaterThanOrEqual(Math.min(...told.map((p) => p.delayMs)) / 1000);
      expect(await scalar(`histogram_quantile(0.5, sum by (le) (${metric}_bucket{${labels}}))`), seen).toBeCloseTo(bucketQuantile(0.5, measured, bounds), 9);
      expect(await scalar(`sum(${metric}_sum{${labels}})`), seen).toBeCloseTo(measured.reduce((a, b) => a + b, 0), 6);
    }
    // Failed calls are in the duration histogram too, apart, under their error type.
    expect(await scalar('sum(gen_ai_client_operation_duration_seconds_count{error_type="rate_limit"})')).toBe(limited.length);

    // The Express middleware's per-request histograms, by route template.
    const requests = answers.length;
    expect(await eventually('sum(llm_vitals_request_llm_calls_count{http_route="/chat/:model"})', requests)).toBe(requests);
    expect(await scalar('sum(llm_vitals_request_llm_calls_sum{http_route="/chat/:model"})')).toBe(requests);
    expect(await scalar('sum(llm_vitals_request_llm_tokens_sum{http_route="/chat/:model", gen_ai_token_type="output"})')).toBe(output);
  });

  it('loads the example recording and alert rules and evaluates every one of them without error', async () => {
    const deadline = Date.now() + 5000;
    let rules: { name: string; health: string; lastError?: string }[] = [];
    while (Date.now() < deadline) {
      const body = (await (await fetch(`${promUrl}/api/v1/rules`)).json()) as any;
      rules = body.data.groups.flatMap((g: any) => g.rules);
      if (rules.length > 0 && rules.every((r) => r.health !== 'unknown')) break;
      await sleep(200);
    }
    const names = readFileSync(ALERTS, 'utf8')
      .match(/^\s*- (?:alert|record): (\S+)/gm)!
      .map((l) => l.split(/(?:alert|record):/)[1].trim());
    expect(rules.map((r) => r.name).sort()).toEqual([...names].sort());
    expect(rules.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.health} ${r.lastError ?? ''}`)).toEqual([]);
  });

  it('runs every query of the example Grafana dashboard, and the call panels show data', async () => {
    const dashboard = JSON.parse(readFileSync(GRAFANA, 'utf8'));
    const panels: any[] = dashboard.panels.flatMap((p: any) => (p.type === 'row' ? (p.panels ?? []) : [p]));
    const targets = panels.flatMap((p) => (p.targets ?? []).map((t: any) => ({ panel: p.title as string, expr: t.expr as string })));
    expect(targets.length).toBeGreaterThan(10);
    // The panels over calls, tokens and requests show data from the calls above (estimated tokens: none
    // here, all were reported). Detector, cost, resource and health panels depend on what else happened.
    const mustShow = [
      'Calls per second by outcome',
      'Error ratio by type',
      'Error ratio by model',
      'In-flight calls',
      'Latency p50 / p95 / p99',
      'Time to first chunk p50 / p95',
      'Output tokens per second by model',
      'Time per output chunk p50 / p95',
      'Output tokens per second per call, p50',
      'Tokens per second by type',
      'Tokens per call p95 by type',
      'LLM calls per request by route',
      'Tokens per request by route',
      'LLM share of request time by route',
    ];
    // rate() needs two samples of a series in its window: wait until every llm-vitals series has them.
    for (const metric of ['llm_vitals_calls_total', 'gen_ai_client_operation_duration_seconds_count', 'llm_vitals_request_llm_calls_count']) {
      expect(await eventually(`min(count_over_time(${metric}[1m])) >= bool 2`, 1)).toBe(1);
    }
    // The call panels read recorded series (examples/prometheus/alerts.yml, evaluated every second here):
    // wait for the first evaluation that had two samples of the raw series.
    const mustShowRecorded = new Set(
      targets.filter((t) => mustShow.includes(t.panel)).flatMap((t) => t.expr.match(/\b[a-z_]+:[a-z_0-9]+:[a-z_0-9]+\b/g) ?? []),
    );
    for (const recorded of mustShowRecorded) expect(await eventually(`count(${recorded}) > bool 0`, 1), recorded).toBe(1);
    const failures: string[] = [];
    const empty: string[] = [];
    for (const { panel, expr } of targets) {
      // What Grafana substitutes: its interval variables, and `All` for the template variables.
      const promql = expr
        .replaceAll('$__rate_interval', '1m')
        .replaceAll('$__interval', '15s')
        .replaceAll('$__range', '5m')
        .replace(/\$\{?(provider|model|route|job|instance)\}?/g, '.*');
      const body = await query(promql);
      if (body.status !== 'success') failures.push(`${panel}: ${body.error}`);
      else if (body.data!.result.length === 0) empty.push(panel);
    }
    expect(failures).toEqual([]);
    expect(mustShow.filter((title) => !panels.some((p) => p.title === title))).toEqual([]);
    expect(mustShow.filter((title) => empty.includes(title))).toEqual([]);
  });

  it('fires LLMAnomaly, LLMVitalsInternalErrors and LLMVitalsLabelOverflow on their first and only event', async () => {
    const base = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
    const send = (model: string) =>
      fetch(`${base}/chat/${model}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ delayMs: 0, prompt: 1, completion: 1 }) });
    const firing = (alert: string, labels: string) => `count(ALERTS{alertname="${alert}", alertstate="firing", ${labels}}) or vector(0)`;

    // A signal of the app's own, stable, watched long enough for Prometheus to scrape its counters at 0.
    const anomalies: string[] = [];
    monitor.on('anomaly', (e) => anomalies.push(e.signal));
    for (let i = 0; i < 400; i++) monitor.observe('queue_depth', 100 + (i % 7));
    expect(await eventually('min(count_over_time(llm_vitals_anomalies_total{signal="queue_depth"}[1m])) >= bool 2', 1)).toBe(1);
    expect(await scalar('sum(llm_vitals_anomalies_total{signal="queue_depth"})')).toBe(0);
    monitor.observe('queue_depth', 100_000);
    expect(anomalies.filter((s) => s === 'queue_depth')).toHaveLength(1);

    // One listener fault.
    expect((await send('fault-model')).status).toBe(200);
    // One overflow of the model labels: 4 models so far (fast, slow, stream, fault), 6 more fill the
    // cap of 10, the 11th folds into "other".
    for (let i = 1; i <= 6; i++) expect((await send(`model-${i}`)).status).toBe(200);
    expect(await scalar('sum(llm_vitals_label_overflow_total{label="gen_ai_request_model"})')).toBe(0);
    expect((await send('model-7')).status).toBe(200);
    await monitor.flush();

    expect(await eventually(firing('LLMAnomaly', 'signal="queue_depth"'), 1, 15_000)).toBe(1);
    expect(await eventually(firing('LLMVitalsInternalErrors', 'component="listener"'), 1, 15_000)).toBe(1);
    expect(await eventually(firing('LLMVitalsLabelOverflow', 'label="gen_ai_request_model"'), 1, 15_000)).toBe(1);
    expect(await scalar('sum(llm_vitals_label_overflow_total{label="gen_ai_request_model"})')).toBe(1);
  });
});
