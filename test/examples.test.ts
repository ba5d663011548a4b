/**
 * Every file under examples/ runs as a user would run it: `node examples/<file>.mjs`, in its own
 * process, against the local OpenAI-compatible server (OPENAI_BASE_URL), importing `llm-vitals` from a
 * build of this checkout. The Prometheus rules pass `promtool check rules` and `promtool test rules`,
 * and every metric the rules and the Grafana dashboard name is one the monitor really exports.
 *
 * `llm-vitals` resolves to $LLM_VITALS_DIST when set; else to dist/ when it is newer than src/ (`npm test`
 * builds first, so the package is built once per run); else to a bundle of src/ made here with tsup, in
 * node_modules/.cache.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createServer } from 'node:http';
import express from 'express';
import OpenAI from 'openai';
import { build } from 'tsup';
import { createMonitor } from '../src/index.js';
import { DETECT_LABEL, LABEL, QUALITY_LABEL, RESOURCE_LABEL, RESOURCE_METRIC } from '../src/semconv.js';
import { chatChunks, chatCompletion, startOpenAIServer, DEFAULT_TEXT, type OpenAITestServer } from './support/openai-server.js';
import { valueOf } from './support/exposition.js';
import { freshDist } from './support/dist.js';
import { requireTool } from './support/tools.mjs';

const ROOT = resolve(new URL('..', import.meta.url).pathname);
const work = join(ROOT, 'node_modules/.cache/llm-vitals-examples', String(process.pid));
let register: string;
let llm: OpenAITestServer;

beforeAll(async () => {
  llm = await startOpenAIServer();
  const entry: Record<string, string> = { index: 'src/index.ts' };
  for (const sub of ['otel', 'detect']) if (existsSync(join(ROOT, `src/${sub}/index.ts`))) entry[sub] = `src/${sub}/index.ts`;
  let dist = process.env.LLM_VITALS_DIST === undefined ? freshDist(Object.keys(entry).map((name) => `${name}.js`)) : resolve(ROOT, process.env.LLM_VITALS_DIST);
  if (dist === undefined) {
    dist = join(work, 'dist');
    await within(60_000, 'building src/ for the examples', build({
      config: false,
      entry,
      format: ['esm'],
      outDir: dist,
      platform: 'node',
      target: 'node20',
      splitting: true,
      dts: false,
      sourcemap: false,
      clean: true,
      silent: true,
      external: [/^@opentelemetry\//, 'gpt-tokenizer', 'prom-client', 'systeminformation', 'openai', '@anthropic-ai/sdk', 'express'],
    }));
  }
  // A resolve hook so `import 'llm-vitals'` and `'llm-vitals/<sub>'` in an example load that build.
  mkdirSync(work, { recursive: true });
  const distUrl = pathToFileURL(`${dist}/`).href;
  writeFileSync(
    join(work, 'hooks.mjs'),
    `const dist = ${JSON.stringify(distUrl)};
export async function resolve(specifier, context, next) {
  if (specifier === 'llm-vitals') return { url: dist + 'index.js', shortCircuit: true };
  if (specifier.startsWith('llm-vitals/')) return { url: dist + specifier.slice('llm-vitals/'.length) + '.js', shortCircuit: true };
  return next(specifier, context);
}
`,
  );
  writeFileSync(join(work, 'register.mjs'), `import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n`);
  register = join(work, 'register.mjs');
}, 90_000);

afterAll(async () => {
  await llm?.close();
  rmSync(work, { recursive: true, force: true });
});

/** `promise`, or a clear failure after `ms`: nothing in this file waits unbounded. */
function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no result after ${ms} ms`)), ms)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function exampleEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, OPENAI_API_KEY: 'test-key', OPENAI_BASE_URL: llm.url, NO_COLOR: '1', ...extra };
}

/** Run an example to its end (bounded), as `node examples/<file>`. */
function runExample(file: string, env: Record<string, string> = {}, timeoutMs = 15_000): Promise<Run> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      ['--import', register, join(ROOT, 'examples', file)],
      { cwd: ROOT, env: exampleEnv(env), timeout: timeoutMs },
      (error, stdout, stderr) => done({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

function promtool(...args: string[]): Promise<Run> {
  return new Promise((done) => {
    execFile(requireTool('promtool'), args, { cwd: ROOT, timeout: 20_000 }, (error, stdout, stderr) =>
      done({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('examples/openai-script.mjs', () => {
  it('makes a plain and a streamed call, and prints their records, the snapshot and the metrics', async () => {
    const before = llm.requests.length;
    const run = await runExample('openai-script.mjs');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const sent = llm.requests.slice(before);
    expect(sent.map((r) => [r.path, r.body.model, r.body.stream ?? false])).toEqual([
      ['/v1/chat/completions', 'gpt-4o-mini', false],
      ['/v1/chat/completions', 'gpt-4o-mini', true],
    ]);
    const lines = run.stdout.split('\n');
    expect(lines).toContain(DEFAULT_TEXT);
    expect(lines.filter((l) => l === DEFAULT_TEXT)).toHaveLength(2);
    expect(run.stdout).toMatch(/\[llm-vitals\] chat gpt-4o-mini: completed in \d+ ms; tokens in: 11 reported, out: 5 reported/);
    // The stream reported no usage: its counts come from the local tokenizer, marked estimated.
    expect(run.stdout).toMatch(/\[llm-vitals\] chat gpt-4o-mini \(stream\): completed in \d+ ms, first chunk after \d+ ms; tokens in: \d+ estimated, out: 5 estimated/);
    expect(run.stdout).toMatch(/openai chat gpt-4o-mini: 2 calls, p50 \d+ ms, \d+ input and 10 output tokens \(\d+ estimated\)/);
    expect(run.stdout).toContain('2 calls in total.');
    const metricsText = lines.filter((l) => l.startsWith('llm_vitals_')).join('\n');
    const series = {
      gen_ai_operation_name: 'chat',
      gen_ai_provider_name: 'openai',
      gen_ai_request_model: 'gpt-4o-mini',
      gen_ai_response_model: 'gpt-4o-mini',
    };
    expect(valueOf(metricsText, 'llm_vitals_calls_total', { ...series, outcome: 'completed' })).toBe(2);
    expect(valueOf(metricsText, 'llm_vitals_tokens_total', { ...series, gen_ai_token_type: 'output', source: 'reported' })).toBe(5);
    expect(valueOf(metricsText, 'llm_vitals_tokens_total', { ...series, gen_ai_token_type: 'output', source: 'estimated' })).toBe(5);
  }, 30_000);
});

describe('examples/express-app.mjs', () => {
  it('serves chat routes with request context, Server-Timing, guarded metrics and dashboard, and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', register, join(ROOT, 'examples/express-app.mjs')], {
      cwd: ROOT,
      env: exampleEnv({ PORT: '0', METRICS_TOKEN: 's3cret' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    try {
      const deadline = Date.now() + 10_000;
      let base: string | undefined;
      while (base === undefined) {
        base = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1];
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`example did not start: ${stdout}${stderr}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      const post = (path: string, body: unknown) =>
        fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-tenant': 'acme' }, body: JSON.stringify(body) });

      llm.enqueue({ delayBeforeHeadersMs: 120 });
      const chat = await post('/chat/conv-42', { message: 'Hi' });
      expect(chat.status).toBe(200);
      expect(await chat.json()).toEqual({ conversation: 'conv-42', reply: DEFAULT_TEXT });
      expect(Number(/llm;dur=([\d.]+)/.exec(chat.headers.get('server-timing') ?? '')?.[1])).toBeGreaterThanOrEqual(120);
      expect(llm.requests.at(-1)!.body.messages).toEqual([{ role: 'user', content: 'Hi' }]);

      llm.enqueue({ chunks: chatChunks(['one', ' two']), delayBetweenChunksMs: 5 });
      const streamed = await post('/chat/conv-42/stream', { message: 'Count' });
      expect(streamed.headers.get('content-type')).toBe('text/event-stream');
      expect(await streamed.text()).toBe('data: "one"\n\ndata: " two"\n\ndata: [DONE]\n\n');

      expect((await fetch(`${base}/metrics`)).status).toBe(403);
      const auth = { authorization: 'Bearer s3cret' };
      // The per-request histograms are observed when the response finishes on the server side.
      let metrics = '';
      const route = { http_route: '/chat/:conversation', http_request_method: 'POST' };
      const streamRoute = { http_route: '/chat/:conversation/stream', http_request_method: 'POST' };
      for (let i = 0; i < 100; i++) {
        metrics = await (await fetch(`${base}/metrics`, { headers: auth })).text();
        if (valueOf(metrics, 'llm_vitals_request_llm_calls_count', streamRoute) === 1) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(valueOf(metrics, 'llm_vitals_request_llm_calls_count', route)).toBe(1);
      expect(valueOf(metrics, 'llm_vitals_request_llm_calls_sum', route)).toBe(1);
      expect(valueOf(metrics, 'llm_vitals_request_llm_tokens_sum', { ...route, gen_ai_token_type: 'input' })).toBe(11);
      expect(valueOf(metrics, 'llm_vitals_request_llm_calls_count', streamRoute)).toBe(1);
      expect(metrics).not.toContain('conv-42');

      expect((await fetch(`${base}/llm-vitals`)).status).toBe(403);
      const page = await fetch(`${base}/llm-vitals`, { headers: auth });
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<html');
      const data = (await (await fetch(`${base}/llm-vitals/data.json`, { headers: auth })).json()) as any;
      expect(data.snapshot.service).toBe('chat-api');
      expect(data.snapshot.calls).toBe(2);

      child.kill('SIGTERM');
      expect(await within(10_000, 'express-app.mjs exiting on SIGTERM', exited)).toBe(0);
      expect(stderr).toBe('');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 30_000);
});

describe('examples/otlp-export.mjs', () => {
  it('exports one GenAI span per call over OTLP/HTTP, without message content', async () => {
    const bodies: any[] = [];
    const paths: string[] = [];
    const collector = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        paths.push(`${req.method} ${req.url} ${req.headers['content-type']}`);
        bodies.push(JSON.parse(body));
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
      });
    });
    await new Promise<void>((r) => collector.listen(0, '127.0.0.1', () => r()));
    const endpoint = `http://127.0.0.1:${(collector.address() as { port: number }).port}`;
    try {
      const run = await runExample('otlp-export.mjs', { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint });
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout.split('\n')).toEqual([DEFAULT_TEXT, DEFAULT_TEXT, 'spans exported', '']);
      expect(paths.every((p) => p.startsWith('POST /v1/traces application/json'))).toBe(true);
      const resourceSpans = bodies.flatMap((b) => b.resourceSpans);
      const attrs = (list: any[]) =>
        Object.fromEntries(list.map((a) => [a.key, a.value.stringValue ?? a.value.boolValue ?? Number(a.value.intValue ?? a.value.doubleValue)]));
      expect(resourceSpans.map((r) => attrs(r.resource.attributes)['service.name'])).toContain('otlp-example');
      const spans = resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s: any) => s.spans));
      expect(spans.map((s) => s.name)).toEqual(['chat gpt-4o-mini', 'chat gpt-4o-mini']);
      const [plain, streamed] = spans.map((s) => attrs(s.attributes));
      expect(plain).toMatchObject({
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.response.model': 'gpt-4o-mini',
        'gen_ai.usage.input_tokens': 11,
        'gen_ai.usage.output_tokens': 5,
        'server.address': '127.0.0.1',
      });
      expect(streamed['gen_ai.request.model']).toBe('gpt-4o-mini');
      // 3 = CLIENT
      expect(spans.map((s) => s.kind)).toEqual([3, 3]);
      expect(JSON.stringify(bodies)).not.toContain('Name three colours');
    } finally {
      collector.closeAllConnections();
      await new Promise<void>((r) => collector.close(() => r()));
    }
  }, 30_000);
});

describe('examples/alerts.mjs', () => {
  /**
   * The local server for the alert example: 30 to 50 ms per call (spread like a real service's, so a
   * few milliseconds of scheduling delay on a loaded machine are not a change of spread), 400 ms for
   * calls in [slowFrom, slowTo); prompt tokens follow the prompt's length.
   */
  async function scriptedServer(slowFrom: number, slowTo: number) {
    let served = 0;
    const server = await startOpenAIServer({
      defaultHandler: (req) => {
        const index = served++;
        const prompt = String(req.body?.messages?.[0]?.content ?? '');
        const usage = { prompt_tokens: Math.ceil(prompt.length / 4), completion_tokens: 2, total_tokens: Math.ceil(prompt.length / 4) + 2 };
        const typical = 30 + ((index * 7919) % 21);
        return { delayBeforeHeadersMs: index >= slowFrom && index < slowTo ? 400 : typical, body: chatCompletion({ model: req.body.model, usage }) };
      },
    });
    return { server, served: () => served };
  }

  /** `[alert] LLM anomaly: latency ... for provider=openai model=m` -> `anomaly latency provider=openai model=m`. */
  const keyOf = (line: string) => {
    const m = /^\[alert\] LLM (anomaly|drift): (\S+) .* for (.*)$/.exec(line)!;
    return `${m[1]} ${m[2]} ${m[3]}`;
  };

  it('logs and posts a latency incident and a prompt-length drift to the webhook', async () => {
    // 12 slow calls: longer than the cooldown (10) that a false alarm just before could start. (A false
    // level or spread alert 1 to 9 calls before them would learn the slow calls as the new normal:
    // the server's spread keeps such alarms rare.)
    const { server, served } = await scriptedServer(90, 102);
    const posted: { text: string }[] = [];
    const hook = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        posted.push(JSON.parse(body));
        res.end('ok');
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));
    try {
      const run = await runExample(
        'alerts.mjs',
        {
          OPENAI_BASE_URL: server.url,
          ALERT_WEBHOOK_URL: `http://127.0.0.1:${(hook.address() as { port: number }).port}/hook`,
          CALLS: '120',
        },
        30_000,
      );
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(served()).toBe(120);
      const alerts = run.stdout.split('\n').filter((l) => l.startsWith('[alert] '));
      // The incident: calls of 400 ms and more, against a baseline of about 40 ms.
      const latency = alerts.filter((l) => l.startsWith('[alert] LLM anomaly: latency '));
      const incident = latency.filter((l) => Number(/latency (\d+) against/.exec(l)?.[1]) >= 400);
      expect(incident.length, alerts.join('\n')).toBeGreaterThanOrEqual(1);
      expect(incident[0]).toMatch(/for provider=openai model=gpt-4o-mini$/);
      const drift = alerts.filter((l) => l.startsWith('[alert] LLM drift: input_tokens moved from '));
      expect(drift.length, alerts.join('\n')).toBeGreaterThanOrEqual(1);
      // Every alert printed was posted to the webhook, as Slack-style `{ text }`.
      expect(posted.map((p) => `[alert] ${p.text}`)).toEqual(alerts);
      expect(run.stdout.trim().split('\n').at(-1)).toBe(`120 calls done, ${alerts.length} alerts sent`);
    } finally {
      hook.closeAllConnections();
      await new Promise<void>((r) => hook.close(() => r()));
      await server.close();
    }
  }, 45_000);

  it('sends one message per incident however long it lasts, and one when it resolves', async () => {
    // Latency goes from about 40 ms to 400 ms for 24 calls, then back: the detector alone would alert
    // again after each cooldown (10 calls); the monitor raises one incident.
    const { server } = await scriptedServer(40, 64);
    try {
      const run = await runExample('alerts.mjs', { OPENAI_BASE_URL: server.url, CALLS: '130' }, 30_000);
      expect(run.code).toBe(0);
      const lines = run.stdout.split('\n');
      const latency = lines.filter((l) => l.startsWith('[alert] LLM anomaly: latency '));
      const slow = latency.filter((l) => Number(/latency (\d+) against/.exec(l)?.[1]) >= 400);
      expect(slow, run.stdout).toHaveLength(1);
      expect(lines.filter((l) => l.startsWith('[alert] LLM anomaly resolved: latency (recovered')).length, run.stdout).toBeGreaterThanOrEqual(1);
    } finally {
      await server.close();
    }
  }, 45_000);
});

describe('examples/prometheus and examples/grafana', () => {
  it('alerts.yml passes promtool check rules', async () => {
    const run = await promtool('check', 'rules', 'examples/prometheus/alerts.yml');
    expect(run.stdout + run.stderr).toContain('SUCCESS');
    expect(run.code).toBe(0);
  });

  it('alerts.test.yml passes promtool test rules', async () => {
    const run = await promtool('test', 'rules', 'examples/prometheus/alerts.test.yml');
    expect(run.stdout + run.stderr).toContain('SUCCESS');
    expect(run.code).toBe(0);
  });

  it('the rules and the dashboard name only metrics the monitor exports', async () => {
    // Produce every kind of series: a plain call, a stream, a failure, a request through the middleware.
    const monitor = createMonitor({ serviceName: 'names' });
    const openai = monitor.wrap(new OpenAI({ apiKey: 'test-key', baseURL: llm.url, maxRetries: 0 }));
    const app = express();
    app.use(monitor.express());
    app.get('/x', async (_req, res) => res.json(await openai.chat.completions.create({ model: 'm', messages: [] })));
    const server = app.listen(0, '127.0.0.1');
    await new Promise<void>((r) => server.once('listening', () => r()));
    try {
      await fetch(`http://127.0.0.1:${(server.address() as { port: number }).port}/x`);
      const stream = await openai.chat.completions.create({ model: 'm', messages: [], stream: true });
      for await (const _ of stream);
      llm.enqueue({ status: 500 });
      await openai.chat.completions.create({ model: 'm', messages: [] }).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 50));
      // What this process exports, and the resource metrics the sampler exports where the hardware is (GPUs).
      const exported = new Set([...(await monitor.metrics()).matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => m[1]));
      for (const metric of Object.values(RESOURCE_METRIC)) if (metric.prom !== undefined) exported.add(metric.prom);
      // Names with the metric prefixes that are not label names (gen_ai_request_model, hw_id, ...) are metric names.
      // Recorded series (`level:metric:operations`, two colons) are left out here and checked against the
      // rules that record them below.
      const RECORDED = /\b[a-z_]+:[a-z_0-9]+:[a-z_0-9]+\b/g;
      const labels = new Set<string>([...Object.values(LABEL), ...Object.values(RESOURCE_LABEL)]);
      const named = (text: string) =>
        new Set(
          [...text.replace(RECORDED, ' ').matchAll(/\b((?:llm_vitals|gen_ai|process|nodejs|system|hw)_[a-z_0-9]+?)(?:_bucket|_count|_sum)?\b/g)]
            .map((m) => m[1])
            .filter((name) => !labels.has(name)),
        );
      const rulesText = readFileSync(join(ROOT, 'examples/prometheus/alerts.yml'), 'utf8');
      const rules = named(rulesText);
      const dashboard = JSON.parse(readFileSync(join(ROOT, 'examples/grafana/llm-vitals.json'), 'utf8'));
      const targets = dashboard.panels.flatMap((p: any) => p.targets ?? []);
      const exprs = JSON.stringify(targets.map((t: any) => t.expr).concat(dashboard.templating.list.map((v: any) => v.definition ?? '')));
      const panels = named(exprs);
      expect(rules.size).toBeGreaterThanOrEqual(5);
      expect(panels.size).toBeGreaterThanOrEqual(10);
      expect([...rules].filter((name) => !exported.has(name))).toEqual([]);
      expect([...panels].filter((name) => !exported.has(name))).toEqual([]);

      // Every recorded series the alerts and the dashboard read has a rule that records it, and every
      // recording rule is read by an alert, another rule or the dashboard.
      const recordLine = /^\s*- record: (\S+)$/gm;
      const recorded = new Set([...rulesText.matchAll(recordLine)].map((m) => m[1]));
      const rulesCode = rulesText.replace(/^\s*#.*$/gm, '').replace(recordLine, '');
      const read = new Set([...(rulesCode + exprs).matchAll(RECORDED)].map((m) => m[0]));
      expect(recorded.size).toBeGreaterThanOrEqual(8);
      expect([...read].filter((name) => !recorded.has(name))).toEqual([]);
      expect([...recorded].filter((name) => !read.has(name))).toEqual([]);

      // Every label named (matchers, groupings, `$labels.x` in annotations, `{{x}}` in legends) is one the
      // monitor exports, one Prometheus adds (job, instance, le) or the quantile the rules add.
      const known = new Set<string>([
        ...labels,
        ...Object.values(DETECT_LABEL),
        ...Object.values(QUALITY_LABEL),
        'job',
        'instance',
        'le',
        'quantile',
      ]);
      const labelsNamed = (text: string) => [
        ...[...text.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)\s*\\?"/g)].map((m) => m[1]),
        ...[...text.matchAll(/(?<![.\w])(?:by|without|on|ignoring)\s*\(([^)]*)\)/g)].flatMap((m) => m[1].split(',').map((l) => l.trim())),
        ...[...text.matchAll(/\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)/g)].map((m) => m[1]),
        ...[...text.matchAll(/\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g)].map((m) => m[1]),
      ];
      const legends = targets.map((t: any) => t.legendFormat ?? '').join('\n');
      const labelNames = [...labelsNamed(rulesText), ...labelsNamed(exprs), ...labelsNamed(legends)].filter((l) => l !== '');
      expect(labelNames.length).toBeGreaterThan(50);
      expect([...new Set(labelNames)].filter((l) => !known.has(l))).toEqual([]);
    } finally {
      server.closeAllConnections();
      server.close();
      await monitor.shutdown();
    }
  });

  it('the Grafana dashboard is importable: unique panel ids, a Prometheus data source variable, every target with an expression', () => {
    const dashboard = JSON.parse(readFileSync(join(ROOT, 'examples/grafana/llm-vitals.json'), 'utf8'));
    expect(dashboard.uid).toBe('llm-vitals');
    const ids = dashboard.panels.map((p: any) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(dashboard.templating.list.find((v: any) => v.type === 'datasource')).toMatchObject({ name: 'datasource', query: 'prometheus' });
    for (const panel of dashboard.panels.filter((p: any) => p.type !== 'row')) {
      expect(panel.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
      expect(panel.targets.length).toBeGreaterThan(0);
      for (const target of panel.targets) expect(target.expr).toMatch(/\S/);
    }
  });
});
