/**
 * The Express middleware, with real Express 5 and real Express 4 (every test runs on both) and the
 * real `openai` client talking to the local OpenAI-compatible server over HTTP: request context on
 * records, per-request histograms in the real prom-client exposition, Server-Timing, and the metrics /
 * dashboard mounts behind the guard.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express5, { type Express, type NextFunction, type Request, type Response as ExpressResponse } from 'express';
import express4 from 'express4';
import OpenAI from 'openai';
import { createMonitor, type CallRecord, type Monitor, type MonitorOptions } from '../../src/index.js';
import { chatCompletion, startOpenAIServer, type OpenAITestServer } from '../support/openai-server.js';
import { recorder } from '../support/records.js';
import { samplesOf, valueOf } from '../support/exposition.js';

let llm: OpenAITestServer;
let monitor: Monitor;
let rec: ReturnType<typeof recorder>;
let openai: OpenAI;
const apps: Server[] = [];

beforeAll(async () => {
  llm = await startOpenAIServer();
});
afterAll(async () => {
  await llm.close();
});
afterEach(async () => {
  await monitor?.shutdown();
  await Promise.all(apps.splice(0).map((s) => new Promise<void>((resolve) => (s.closeAllConnections(), s.close(() => resolve())))));
});

function fresh(options: MonitorOptions = {}) {
  monitor = createMonitor({ serviceName: 'express-test', ...options });
  rec = recorder(monitor);
  openai = monitor.wrap(new OpenAI({ apiKey: 'test-key', baseURL: llm.url, maxRetries: 0 }));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const chat = (content = 'hi') => openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }] });

async function listen(app: Express): Promise<string> {
  const server = app.listen(0, '127.0.0.1');
  apps.push(server);
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Count and sum of one histogram series in the real exposition. */
async function histogram(name: string, labels: Record<string, string>) {
  const text = await monitor.metrics();
  return { count: valueOf(text, `${name}_count`, labels) ?? 0, sum: valueOf(text, `${name}_sum`, labels) ?? 0 };
}

/** The response's 'finish' runs on the server after the client may already have the body: wait for it. */
async function until(check: () => Promise<boolean>, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}

function serverTimingMs(header: string | null): number {
  const m = /(?:^|,\s*)llm;dur=([\d.]+)/.exec(header ?? '');
  if (!m) throw new Error(`no llm entry in Server-Timing: ${header}`);
  return Number(m[1]);
}

/** The middleware uses only what both majors have (req.route, req.baseUrl, res 'finish', res.writeHead). */
const EXPRESS = [
  ['Express 5', express5],
  ['Express 4', express4],
] as const;

describe.each(EXPRESS)('%s', (_version, express) => {
  describe('request context on call records', () => {
    it('carries the route template, never the raw URL, the method and the app attributes', async () => {
      fresh();
      const app = express();
      app.use(express.json());
      app.use(monitor.express<Request>({ attributes: (req) => ({ tenant: req.get('x-tenant'), plan: undefined }) }));
      const api = express.Router();
      api.post('/chat/:id', async (req, res) => {
        const reply = await chat(req.body.prompt);
        res.json({ id: req.params.id, text: reply.choices[0].message.content });
      });
      app.use('/api', api);
      const base = await listen(app);

      const res = await fetch(`${base}/api/chat/42?verbose=1`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-tenant': 'acme' },
        body: JSON.stringify({ prompt: 'hello' }),
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ id: '42', text: 'Hello from the local server' });
      const [record] = await rec.waitFor(1);
      expect(record.context).toEqual({ tenant: 'acme', 'http.request.method': 'POST', 'http.route': '/api/chat/:id' });
    });

    it('leaves calls made outside any request without context', async () => {
      fresh();
      const app = express();
      app.use(monitor.express());
      app.get('/x', async (_req, res) => res.json(await chat()));
      await listen(app);
      await chat();
      const [record] = await rec.waitFor(1);
      expect(record.context).toBeUndefined();
    });

    it('keeps concurrent requests apart, each call with its own request context', async () => {
      fresh();
      const app = express();
      app.use(monitor.express({ attributes: (req) => ({ user: String(req.headers['x-user']) }) }));
      const handler = async (req: Request, res: ExpressResponse) => {
        await sleep(Number(req.params.n ?? 0));
        res.json(await chat());
      };
      app.get('/one/:n', handler);
      app.get('/two', handler);
      app.get('/three/:n', handler);
      const base = await listen(app);
      // Started together, the calls run interleaved: u1's call starts last, u2's first.
      await Promise.all([
        fetch(`${base}/one/80`, { headers: { 'x-user': 'u1' } }),
        fetch(`${base}/two`, { headers: { 'x-user': 'u2' } }),
        fetch(`${base}/three/40`, { headers: { 'x-user': 'u3' } }),
      ]);
      const records = await rec.waitFor(3);
      const byUser = Object.fromEntries(records.map((r) => [r.context?.user, r.context?.['http.route']]));
      expect(byUser).toEqual({ u1: '/one/:n', u2: '/two', u3: '/three/:n' });
    });

    it('folds route and attribute values past the cardinality limit into `other`, counting each fold', async () => {
      fresh({ maxLabelValues: 2 });
      const app = express();
      app.use(monitor.express({ attributes: (req) => ({ tenant: String(req.query.t) }) }));
      for (const path of ['/a', '/b', '/c']) app.get(path, async (_req, res) => res.json(await chat()));
      const base = await listen(app);
      for (const [path, tenant] of [['/a', 't1'], ['/b', 't2'], ['/c', 't3']]) await fetch(`${base}${path}?t=${tenant}`);
      const records = await rec.waitFor(3);
      expect(records.map((r) => [r.context?.['http.route'], r.context?.tenant])).toEqual([
        ['/a', 't1'],
        ['/b', 't2'],
        ['other', 'other'],
      ]);
      await until(async () => (await histogram('llm_vitals_request_llm_calls', { http_route: 'other', http_request_method: 'GET' })).count === 1);
      const text = await monitor.metrics();
      expect(valueOf(text, 'llm_vitals_label_overflow_total', { label: 'http_route' })).toBe(1);
      expect(valueOf(text, 'llm_vitals_label_overflow_total', { label: 'tenant' })).toBe(1);
    });

    it('labels a router mounted at a parameterised path with the whole template, so ids never use up the cap', async () => {
      fresh({ maxLabelValues: 3 });
      const app = express();
      app.use(monitor.express());
      const tenantChat = express.Router();
      tenantChat.post('/:id', async (_req, res) => res.json(await chat()));
      app.use('/tenants/:tenant/chat', tenantChat);
      app.get('/health', (_req, res) => res.json({ ok: true }));
      const base = await listen(app);
      // Twice as many tenants as the cap: with the raw mount path each was a route, and /health `other`.
      for (let i = 0; i < 6; i++) await fetch(`${base}/tenants/acme-corp-${990 + i}/chat/${i}`, { method: 'POST' });
      await fetch(`${base}/health`);
      const records = await rec.waitFor(6);
      expect(new Set(records.map((r) => r.context?.['http.route']))).toEqual(new Set(['/tenants/:tenant/chat/:id']));
      const route = { http_route: '/tenants/:tenant/chat/:id', http_request_method: 'POST' };
      const health = { http_route: '/health', http_request_method: 'GET' };
      await until(async () => (await histogram('llm_vitals_request_llm_calls', route)).count === 6);
      await until(async () => (await histogram('llm_vitals_request_llm_calls', health)).count === 1);
      const text = await monitor.metrics();
      expect(samplesOf(text, 'llm_vitals_request_llm_calls_count').map((s) => s.labels.http_route).sort()).toEqual(['/health', '/tenants/:tenant/chat/:id']);
      expect(valueOf(text, 'llm_vitals_label_overflow_total', { label: 'http_route' })).toBe(0);
    });

    it('keeps at most maxLabelValues attribute keys across requests: a later key is dropped, and counted', async () => {
      fresh({ maxLabelValues: 2 });
      const app = express();
      app.use(monitor.express({ attributes: (req) => ({ tenant: 'acme', [String(req.query.k)]: 'on' }) }));
      app.get('/x', async (_req, res) => res.json(await chat()));
      const base = await listen(app);
      // The counter is there at 0 before the first drop, so increase() sees that drop.
      expect(valueOf(await monitor.metrics(), 'llm_vitals_label_overflow_total', { label: 'attribute_key' })).toBe(0);
      for (const key of ['beta', 'gamma', 'delta', 'beta']) await fetch(`${base}/x?k=${key}`);
      const records = await rec.waitFor(4);
      const method = 'GET';
      const route = '/x';
      expect(records.map((r) => r.context)).toEqual([
        { tenant: 'acme', beta: 'on', 'http.request.method': method, 'http.route': route },
        { tenant: 'acme', 'http.request.method': method, 'http.route': route },
        { tenant: 'acme', 'http.request.method': method, 'http.route': route },
        { tenant: 'acme', beta: 'on', 'http.request.method': method, 'http.route': route },
      ]);
      const text = await monitor.metrics();
      expect(valueOf(text, 'llm_vitals_label_overflow_total', { label: 'attribute_key' })).toBe(2);
      // The dropped keys hold no values in the guard: only the two kept keys are tracked.
      expect(Object.keys(monitor.snapshot().labelValues).filter((label) => ['tenant', 'beta', 'gamma', 'delta'].includes(label))).toEqual(['tenant', 'beta']);
    });

    it('reports an attributes function that throws as a monitor fault, and the request goes on with route and method', async () => {
      fresh();
      const app = express();
      app.use(
        monitor.express({
          attributes: () => {
            throw new Error('no tenant');
          },
        }),
      );
      app.get('/x/:id', async (_req, res) => res.json(await chat()));
      const base = await listen(app);
      const res = await fetch(`${base}/x/1`);
      expect(res.status).toBe(200);
      const [record] = await rec.waitFor(1);
      expect(record.context).toEqual({ 'http.request.method': 'GET', 'http.route': '/x/:id' });
      expect(rec.errors.map((e) => (e as { component?: string }).component)).toEqual(['express']);
      expect(valueOf(await monitor.metrics(), 'llm_vitals_internal_errors_total', { component: 'express' })).toBe(1);
    });
  });

  describe('per-request histograms by route', () => {
    it('observes calls, tokens and the LLM share of each request, 0 for requests without LLM calls', async () => {
      fresh();
      const app = express();
      app.use(monitor.express());
      app.post('/twice/:id', async (_req, res) => {
        await chat();
        await chat();
        res.json({ ok: true });
      });
      app.get('/health', (_req, res) => res.json({ ok: true }));
      const base = await listen(app);

      await fetch(`${base}/twice/1`, { method: 'POST' });
      await fetch(`${base}/twice/2`, { method: 'POST' });
      await fetch(`${base}/health`);
      const twice = { http_route: '/twice/:id', http_request_method: 'POST' };
      const health = { http_route: '/health', http_request_method: 'GET' };
      await until(async () => (await histogram('llm_vitals_request_llm_calls', health)).count === 1);
      await until(async () => (await histogram('llm_vitals_request_llm_calls', twice)).count === 2);

      expect(await histogram('llm_vitals_request_llm_calls', twice)).toEqual({ count: 2, sum: 4 });
      // The local server reports 11 prompt and 5 completion tokens per call.
      expect(await histogram('llm_vitals_request_llm_tokens', { ...twice, gen_ai_token_type: 'input' })).toEqual({ count: 2, sum: 44 });
      expect(await histogram('llm_vitals_request_llm_tokens', { ...twice, gen_ai_token_type: 'output' })).toEqual({ count: 2, sum: 20 });
      const share = await histogram('llm_vitals_request_llm_time_ratio', twice);
      expect(share.count).toBe(2);
      expect(share.sum / share.count).toBeGreaterThan(0);
      expect(share.sum / share.count).toBeLessThanOrEqual(1);

      expect(await histogram('llm_vitals_request_llm_calls', health)).toEqual({ count: 1, sum: 0 });
      expect(await histogram('llm_vitals_request_llm_time_ratio', health)).toEqual({ count: 1, sum: 0 });
      const text = await monitor.metrics();
      expect(valueOf(text, 'llm_vitals_request_llm_calls_bucket', { ...health, le: '0' })).toBe(1);
      expect(valueOf(text, 'llm_vitals_request_llm_calls_bucket', { ...twice, le: '1' })).toBe(0);
      expect(valueOf(text, 'llm_vitals_request_llm_calls_bucket', { ...twice, le: '2' })).toBe(2);
    });

    it('measures the LLM share against the request time: mostly LLM vs mostly other work', async () => {
      fresh();
      const app = express();
      app.use(monitor.express());
      app.get('/llm-bound', async (_req, res) => {
        llm.enqueue({ delayBeforeHeadersMs: 300 });
        res.json(await chat());
      });
      app.get('/cpu-bound', async (_req, res) => {
        llm.enqueue({ delayBeforeHeadersMs: 30 });
        await chat();
        await sleep(300);
        res.json({ ok: true });
      });
      const base = await listen(app);
      await fetch(`${base}/llm-bound`);
      await fetch(`${base}/cpu-bound`);
      const bound = { http_route: '/llm-bound', http_request_method: 'GET' };
      const other = { http_route: '/cpu-bound', http_request_method: 'GET' };
      await until(async () => (await histogram('llm_vitals_request_llm_time_ratio', other)).count === 1);
      await until(async () => (await histogram('llm_vitals_request_llm_time_ratio', bound)).count === 1);
      // 300 ms of LLM in a request that does nothing else, vs 30 ms of LLM then 300 ms of other work.
      expect((await histogram('llm_vitals_request_llm_time_ratio', bound)).sum).toBeGreaterThan(0.8);
      expect((await histogram('llm_vitals_request_llm_time_ratio', other)).sum).toBeLessThan(0.5);
    });

    it('waits for estimated token counts before observing a request', async () => {
      fresh();
      const app = express();
      app.use(monitor.express());
      app.get('/no-usage', async (_req, res) => {
        llm.enqueue({ body: chatCompletion({ usage: null }) });
        res.json(await chat('count these words for me please'));
      });
      const base = await listen(app);
      await fetch(`${base}/no-usage`);
      const labels = { http_route: '/no-usage', http_request_method: 'GET' };
      await until(async () => (await histogram('llm_vitals_request_llm_calls', labels)).count === 1);
      const [record] = await rec.waitFor(1);
      expect(record.inputTokens?.source).toBe('estimated');
      expect(record.inputTokens!.count).toBeGreaterThan(0);
      const input = await histogram('llm_vitals_request_llm_tokens', { ...labels, gen_ai_token_type: 'input' });
      const output = await histogram('llm_vitals_request_llm_tokens', { ...labels, gen_ai_token_type: 'output' });
      expect(input).toEqual({ count: 1, sum: record.inputTokens!.count });
      expect(output).toEqual({ count: 1, sum: record.outputTokens!.count });
    });

    it('observes a request whose client went away, once its LLM call has ended', async () => {
      fresh();
      const app = express();
      app.use(monitor.express());
      let handlerDone!: () => void;
      const done = new Promise<void>((resolve) => (handlerDone = resolve));
      app.get('/abandoned', async (_req, res) => {
        llm.enqueue({ delayBeforeHeadersMs: 250 });
        try {
          res.json(await chat());
        } finally {
          handlerDone();
        }
      });
      const base = await listen(app);
      await expect(fetch(`${base}/abandoned`, { signal: AbortSignal.timeout(60) })).rejects.toThrow();
      const labels = { http_route: '/abandoned', http_request_method: 'GET' };
      await done;
      await until(async () => (await histogram('llm_vitals_request_llm_calls', labels)).count === 1);
      expect(await histogram('llm_vitals_request_llm_calls', labels)).toEqual({ count: 1, sum: 1 });
      expect((await histogram('llm_vitals_request_llm_tokens', { ...labels, gen_ai_token_type: 'input' })).sum).toBe(11);
    });

    it('does not observe the requests it serves itself, and registers its histograms once for several middlewares', async () => {
      fresh();
      const app = express();
      app.use(monitor.express({ metricsPath: '/metrics' }));
      app.use(monitor.express({ serverTiming: false }));
      app.get('/x', async (_req, res) => res.json(await chat()));
      const base = await listen(app);
      await fetch(`${base}/x`);
      await fetch(`${base}/metrics`);
      const labels = { http_route: '/x', http_request_method: 'GET' };
      await until(async () => (await histogram('llm_vitals_request_llm_calls', labels)).count >= 1);
      await sleep(30);
      const text = await monitor.metrics();
      expect(text).not.toContain('http_route="/metrics"');
      // Two middlewares of one monitor, one request: observed once.
      expect(await histogram('llm_vitals_request_llm_calls', labels)).toEqual({ count: 1, sum: 1 });
    });

    it('keeps request context and Server-Timing when the Prometheus metrics are off', async () => {
      fresh({ prometheus: false });
      const app = express();
      app.use(monitor.express());
      app.get('/x', async (_req, res) => res.json(await chat()));
      const base = await listen(app);
      const res = await fetch(`${base}/x`);
      expect(serverTimingMs(res.headers.get('server-timing'))).toBeGreaterThan(0);
      const [record] = await rec.waitFor(1);
      expect(record.context?.['http.route']).toBe('/x');
      expect(rec.errors).toEqual([]);
    });
  });

  describe('Server-Timing', () => {
    it('reports the time LLM calls were in flight, at least the delay the server was told to add', async () => {
      fresh();
      const app = express();
      app.use(monitor.express());
      app.get('/x', async (_req, res) => {
        llm.enqueue({ delayBeforeHeadersMs: 150 });
        res.json(await chat());
      });
      const base = await listen(app);
      const res = await fetch(`${base}/x`);
      const ms = serverTimingMs(res.headers.get('server-timing'));
      const [record] = await rec.waitFor(1);
      expect(ms).toBeGreaterThanOrEqual(150);
      expect(ms).toBeCloseTo(record.duration, 0);
    });

    it('counts concurrent calls once: two parallel 300 ms calls are about 300 ms of LLM time, not 600', async () => {
      fresh();
      const app = express();
      app.use(monitor.express());
      app.get('/fanout', async (_req, res) => {
        llm.enqueue({ delayBeforeHeadersMs: 300 }, { delayBeforeHeadersMs: 300 });
        res.json(await Promise.all([chat('a'), chat('b')]));
      });
      const base = await listen(app);
      const res = await fetch(`${base}/fanout`);
      const ms = serverTimingMs(res.headers.get('server-timing'));
      const records = await rec.waitFor(2);
      const sum = records.reduce((total, r) => total + r.duration, 0);
      expect(ms).toBeGreaterThanOrEqual(300);
      expect(ms).toBeLessThan(sum - 200);
      expect(ms).toBeGreaterThanOrEqual(Math.max(...records.map((r) => r.duration)) - 0.1);
    });

    it('appends to a Server-Timing header the app set, and is left out when switched off or without LLM calls', async () => {
      fresh();
      const app = express();
      const on = express.Router();
      on.use(monitor.express());
      on.get('/x', async (_req, res) => {
        res.setHeader('Server-Timing', 'db;dur=12');
        res.json(await chat());
      });
      on.get('/none', (_req, res) => res.json({ ok: true }));
      const off = express.Router();
      off.use(monitor.express({ serverTiming: false }));
      off.get('/x', async (_req, res) => res.json(await chat()));
      app.use('/on', on);
      app.use('/off', off);
      const base = await listen(app);

      const withApp = await fetch(`${base}/on/x`);
      expect(withApp.headers.get('server-timing')).toMatch(/^db;dur=12, llm;dur=[\d.]+$/);
      expect((await fetch(`${base}/on/none`)).headers.get('server-timing')).toBeNull();
      expect((await fetch(`${base}/off/x`)).headers.get('server-timing')).toBeNull();
      const records = await rec.waitFor(2);
      expect(records.map((r: CallRecord) => r.context?.['http.route']).sort()).toEqual(['/off/x', '/on/x']);
    });
  });

  describe('metricsPath, dashboardPath and the guard', () => {
    it('serves the exposition at metricsPath, only when asked', async () => {
      fresh();
      const app = express();
      app.use(monitor.express({ metricsPath: '/metrics' }));
      app.get('/x', async (_req, res) => res.json(await chat()));
      const base = await listen(app);
      await fetch(`${base}/x`);
      await rec.waitFor(1);
      const res = await fetch(`${base}/metrics/`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/plain');
      const text = await res.text();
      expect(valueOf(text, 'llm_vitals_calls_total', {
        gen_ai_operation_name: 'chat',
        gen_ai_provider_name: 'openai',
        gen_ai_request_model: 'gpt-4o-mini',
        gen_ai_response_model: 'gpt-4o-mini',
        outcome: 'completed',
      })).toBe(1);

      const plain = express();
      plain.use(monitor.express());
      const plainBase = await listen(plain);
      expect((await fetch(`${plainBase}/metrics`)).status).toBe(404);
    });

    it('lets only requests the guard allows read metrics and dashboard; sync and async guards', async () => {
      fresh();
      const app = express();
      app.use(
        monitor.express({
          metricsPath: '/metrics',
          dashboardPath: '/llm-vitals',
          guard: (req) => req.headers.authorization === 'Bearer s3cret',
        }),
      );
      const asyncApp = express();
      asyncApp.use(
        monitor.express({
          metricsPath: '/internal/metrics',
          guard: async (req) => {
            await sleep(5);
            return req.headers['x-token'] === 'ok';
          },
        }),
      );
      const base = await listen(app);
      const asyncBase = await listen(asyncApp);
      const auth = { authorization: 'Bearer s3cret' };

      expect((await fetch(`${base}/metrics`)).status).toBe(403);
      expect((await fetch(`${base}/llm-vitals`)).status).toBe(403);
      expect((await fetch(`${base}/llm-vitals/data.json`)).status).toBe(403);
      const metrics = await fetch(`${base}/metrics`, { headers: auth });
      expect(metrics.status).toBe(200);
      expect(await metrics.text()).toContain('# TYPE llm_vitals_calls_total counter');
      expect((await fetch(`${asyncBase}/internal/metrics`)).status).toBe(403);
      expect((await fetch(`${asyncBase}/internal/metrics`, { headers: { 'x-token': 'ok' } })).status).toBe(200);

      const page = await fetch(`${base}/llm-vitals`, { headers: auth });
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toContain('text/html');
      await page.text();
      const data = await fetch(`${base}/llm-vitals/data.json`, { headers: auth });
      expect(data.status).toBe(200);
      expect((await data.json()).snapshot.service).toBe('express-test');
    });

    it('passes a guard that throws to the app error handler, and lets a guard answer on its own', async () => {
      fresh();
      const app = express();
      app.use(
        monitor.express({
          metricsPath: '/metrics',
          guard: (req) => {
            if (req.headers['x-mode'] === 'throw') throw new Error('guard broke');
            if (req.headers['x-mode'] === 'reject') return Promise.reject(new Error('guard rejected'));
            if (req.headers['x-mode'] === 'answer') {
              (req as Request).res!.status(401).setHeader('WWW-Authenticate', 'Bearer').end();
              return false;
            }
            return false;
          },
        }),
      );
      app.use((error: Error, _req: Request, res: ExpressResponse, _next: NextFunction) => {
        res.status(500).send(`app handled: ${error.message}`);
      });
      const base = await listen(app);
      const thrown = await fetch(`${base}/metrics`, { headers: { 'x-mode': 'throw' } });
      expect([thrown.status, await thrown.text()]).toEqual([500, 'app handled: guard broke']);
      const rejected = await fetch(`${base}/metrics`, { headers: { 'x-mode': 'reject' } });
      expect([rejected.status, await rejected.text()]).toEqual([500, 'app handled: guard rejected']);
      const answered = await fetch(`${base}/metrics`, { headers: { 'x-mode': 'answer' } });
      expect(answered.status).toBe(401);
      expect(answered.headers.get('www-authenticate')).toBe('Bearer');
    });

    it('ends open dashboard event streams on shutdown so the app server can close', async () => {
      fresh();
      const app = express();
      app.use(monitor.express({ dashboardPath: '/llm-vitals' }));
      const base = await listen(app);
      const stream = await fetch(`${base}/llm-vitals/events`);
      expect(stream.headers.get('content-type')).toContain('text/event-stream');
      const reader = stream.body!.getReader();
      await reader.read();
      await monitor.shutdown();
      const deadline = Date.now() + 3000;
      let ended = false;
      while (!ended && Date.now() < deadline) ended = (await reader.read()).done;
      expect(ended).toBe(true);
    });
  });
});
