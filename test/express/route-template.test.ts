/**
 * `http.route` for routes below mounted routers, with real Express 5 and real Express 4 apps over
 * HTTP: the whole template (mount patterns and the route's own path), never a raw path segment, for
 * parameterised mounts, nested routers, arrays of paths, RegExp mounts, `app.route()`, sub-apps; and
 * the bounded `/*` where the pattern cannot be known.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express5, { type Express, type Request, type Response } from 'express';
import express4 from 'express4';
import { createMonitor, type Monitor } from '../../src/index.js';
import { recorder } from '../support/records.js';

let monitor: Monitor;
const apps: Server[] = [];

afterEach(async () => {
  await monitor?.shutdown();
  await Promise.all(apps.splice(0).map((s) => new Promise<void>((resolve) => (s.closeAllConnections(), s.close(() => resolve())))));
});

async function listen(app: Express): Promise<string> {
  const server = app.listen(0, '127.0.0.1');
  apps.push(server);
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const EXPRESS = [
  ['Express 5', express5, 5],
  ['Express 4', express4, 4],
] as const;

/**
 * One app with every way of mounting, each handler making one tracked LLM call. Optional
 * parameters are spelled per major: `{/:o}` on Express 5 (path-to-regexp 8), `/:o?` on Express 4.
 */
function mountedApp(express: typeof express5, major: 4 | 5) {
  monitor = createMonitor({ serviceName: 'route-test', resources: false });
  const rec = recorder(monitor);
  const llm = monitor.track(async () => 'ok', { provider: 'test', operation: 'chat', model: 'm' });
  const handler = async (_req: Request, res: Response) => res.json(await llm());

  const app = express();
  app.use(monitor.express({ attributes: (req) => ({ url: req.originalUrl }) }));

  const chat = express.Router();
  chat.post('/:id', handler);
  chat.get('/', handler);
  app.use('/tenants/:tenant/chat', chat);

  const org = express.Router();
  const users = express.Router({ mergeParams: true });
  users.get('/items/:item', handler);
  users.route('/carts/:cart').get(handler);
  org.use('/users/:user', users);
  app.use('/org/:org', org);

  const either = express.Router();
  either.get('/:id', handler);
  either.get(['/one/:n', '/two'], handler);
  app.use(['/a/:x', '/b'], either);

  const versioned = express.Router();
  versioned.get('/:id', handler);
  app.use(/^\/v\d+/, versioned);

  app.route('/r/:q').get(handler);

  // A router mounted at `/` inside a parameterised mount adds nothing to the template.
  const outer = express.Router();
  const inner = express.Router();
  inner.get('/deep/:d', handler);
  outer.use(inner);
  app.use('/s/:s', outer);

  const sub = express();
  sub.get('/hello/:h', handler);
  const subRouter = express.Router();
  subRouter.get('/x/:y', handler);
  sub.use('/sr/:z', subRouter);
  app.use('/sub/:k', sub);

  const files = express.Router();
  files.get('/files/:f', handler);
  app.use('/f-:fid', files);
  app.use(major === 5 ? '/opt{/:o}' : '/opt/:o?', files);

  // Called from a function of the app's: Express cannot tell the walk where this router is.
  const wrapped = express.Router();
  wrapped.get('/w/:w', handler);
  app.use('/wrap/:id', (req, res, next) => wrapped(req, res, next));

  return { app, sub, rec };
}

/** The requests, each with the template its call must carry. */
function cases(major: 4 | 5): [method: string, url: string, route: string][] {
  return [
    ['POST', '/tenants/acme-corp-991/chat/42', '/tenants/:tenant/chat/:id'],
    ['POST', '/tenants/globex-17/chat/43', '/tenants/:tenant/chat/:id'],
    ['GET', '/tenants/acme-corp-991/chat', '/tenants/:tenant/chat'],
    ['POST', '/TENANTS/Initech/CHAT/44', '/tenants/:tenant/chat/:id'],
    ['POST', '/tenants/a%20b/chat/45', '/tenants/:tenant/chat/:id'],
    ['GET', '/org/o1/users/u1/items/i1', '/org/:org/users/:user/items/:item'],
    ['GET', '/org/o2/users/u2/carts/c2', '/org/:org/users/:user/carts/:cart'],
    ['GET', '/a/xx/7', '/a/:x/:id'],
    ['GET', '/b/7', '/b/:id'],
    ['GET', '/b/one/3', '/b/one/:n,/two'],
    ['GET', '/v12/7', '/^\\/v\\d+//:id'],
    ['GET', '/r/9', '/r/:q'],
    ['GET', '/s/s1/deep/d1', '/s/:s/deep/:d'],
    ['GET', '/sub/k1/hello/h1', '/sub/:k/hello/:h'],
    ['GET', '/sub/k2/sr/z2/x/y2', '/sub/:k/sr/:z/x/:y'],
    ['GET', '/f-99/files/f1', '/f-:fid/files/:f'],
    ['GET', '/opt/o9/files/f1', major === 5 ? '/opt{/:o}/files/:f' : '/opt/:o?/files/:f'],
    ['GET', '/wrap/123/w/4', '/*/w/:w'],
  ];
}

/** Send the requests one after the other; the route each one's call carried, by URL. */
async function routesOf(base: string, rec: ReturnType<typeof recorder>, requests: [string, string, string][]) {
  for (const [method, url] of requests) {
    const res = await fetch(base + url, { method });
    expect(res.status, `${method} ${url}`).toBe(200);
    await res.arrayBuffer();
  }
  const records = await rec.waitFor(requests.length);
  return Object.fromEntries(records.map((r) => [r.context?.url, r.context?.['http.route']]));
}

describe.each(EXPRESS)('%s', (_version, express, major) => {
  it('labels each call with the whole template of the routers it went through, never a raw segment', async () => {
    const { app, rec } = mountedApp(express as typeof express5, major);
    const base = await listen(app);
    const requests = cases(major);
    const routes = await routesOf(base, rec, requests);
    expect(routes).toEqual(Object.fromEntries(requests.map(([, url, route]) => [url, route])));
    // One value per template: nothing of the 18 requests' ids reached the guard.
    const text = await monitor.metrics();
    const labels = new Set(text.split('\n').flatMap((line) => (/^llm_vitals_request_llm_calls_count\{.*http_route="([^"]*)"/.exec(line) ?? []).slice(1)));
    expect(labels.size).toBe(new Set(requests.map(([, , route]) => route)).size);
    expect(text).toMatch(/^llm_vitals_label_overflow_total\{label="http_route"\} 0$/m);
  });
});

/**
 * Router 2.0 to 2.2 (Express 5 before router 2.3) keep no mount pattern (no `layer.rawPath`):
 * simulated on Express 5 by removing it from every layer after the app is built.
 */
describe('Express 5 with a router before 2.3 (no layer.rawPath)', () => {
  function forgetPatterns(router: unknown, seen = new Set<unknown>()): void {
    if (router === null || router === undefined || seen.has(router)) return;
    seen.add(router);
    for (const layer of (router as { stack: { rawPath?: unknown; handle?: unknown }[] }).stack) {
      delete layer.rawPath;
      if (Array.isArray((layer.handle as { stack?: unknown })?.stack)) forgetPatterns(layer.handle, seen);
    }
  }

  it('puts parameters back by name where they fill a segment, and shows the rest of a mount as /*', async () => {
    const { app, sub, rec } = mountedApp(express5, 5);
    forgetPatterns(app.router);
    forgetPatterns(sub.router);
    const base = await listen(app);
    const routes = await routesOf(base, rec, [
      ['POST', '/tenants/acme-corp-991/chat/42', ''],
      ['POST', '/tenants/a%20b/chat/45', ''],
      ['GET', '/org/o1/users/u1/items/i1', ''],
      ['GET', '/a/xx/7', ''],
      ['GET', '/b/7', ''],
      ['GET', '/v12/7', ''],
      ['GET', '/sub/k2/sr/z2/x/y2', ''],
      ['GET', '/f-99/files/f1', ''],
      ['GET', '/opt/o9/files/f1', ''],
    ]);
    expect(routes).toEqual({
      '/tenants/acme-corp-991/chat/42': '/tenants/:tenant/chat/:id',
      '/tenants/a%20b/chat/45': '/tenants/:tenant/chat/:id',
      '/org/o1/users/u1/items/i1': '/org/:org/users/:user/items/:item',
      '/a/xx/7': '/a/:x/:id',
      '/b/7': '/b/:id',
      // A RegExp mount, and a parameter inside a segment: the pattern cannot be known.
      '/v12/7': '/*/:id',
      '/sub/k2/sr/z2/x/y2': '/sub/:k/sr/:z/x/:y',
      '/f-99/files/f1': '/*/files/:f',
      '/opt/o9/files/f1': '/opt/:o/files/:f',
    });
  });
});
