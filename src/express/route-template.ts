/**
 * The route template of a request (`http.route`): the path patterns of the routers it went through
 * joined with its route's own path, `/tenants/:tenant/chat` + `/:id`, never a raw path segment.
 *
 * Express keeps the matched route's pattern (`req.route.path`) but not the patterns of the routers
 * it is mounted under: `req.baseUrl` is the raw prefix (`/tenants/acme-corp-991/chat`). So the
 * template is found again by walking the app's routers from `req.app` down, the way Express routed
 * the request: the chain of mount layers whose matches make up `req.baseUrl` exactly and whose last
 * router holds `req.route`. Each mount's pattern is read where its router keeps one:
 * - router 2.3 and later (Express 5): `layer.rawPath`; `layer.match()` says which entry matched;
 * - Express 4: `layer.regexp`, compiled from the pattern by path-to-regexp 0.1, read back
 *   (`^\/tenants(?:\/([^/]+?))\/chat\/?(?=\/|$)` is `/tenants/:tenant/chat`); a RegExp mount that is
 *   not such a compilation shows as itself (`/^\/v\d+/`);
 * - router 2.0 to 2.2 (Express 5 before router 2.3) keep no pattern: each parameter's value is put
 *   back as `:name` where it fills a whole segment.
 * A mount whose pattern cannot be read that way, and a request the walk cannot explain (a router
 * called from a function of the app's, a URL rewritten after routing), show that part as `/*`.
 * Every output is made of patterns, parameter names and `*`, so the set stays bounded.
 *
 * Express and router internals read here (`app._router` / `app.router`, `stack`, `layer.route`,
 * `layer.handle`, `layer.regexp`, `layer.keys`, `layer.rawPath`, `layer.match`, `layer.matchers`,
 * `app.parent`) are the ones Express's own tools and router's `listRoutes()` read; any of them
 * missing or shaped otherwise ends in the `/*` fallback, never in an error.
 */
import type { ExpressRequest } from './options.js';

/** The part of a template standing for a mount whose pattern could not be known. */
export const UNKNOWN_MOUNT = '/*';

/** Layers visited per request at most: enough for large apps, a bound for pathological nesting. */
const MAX_LAYERS = 10_000;
const MAX_DEPTH = 32;

type Layer = {
  handle?: unknown;
  route?: unknown;
  name?: unknown;
  regexp?: unknown;
  keys?: unknown;
  rawPath?: unknown;
  matchers?: unknown;
  match?: unknown;
  slash?: unknown;
};
type Router = { stack: Layer[] };

/** How one mount layer matched: the raw prefix it took and the pattern that took it. */
interface MountMatch {
  /** The raw path it matched, without a trailing slash (as Express adds it to `req.baseUrl`). */
  path: string;
  /** Its pattern, without a trailing slash; `''` for a mount at `/`. */
  template: string;
}

/**
 * The matched route as a template, or undefined before Express has matched a route and for requests
 * no route matched. A RegExp route gives its source; an array route its paths joined by `,`.
 */
export function routeTemplate(req: ExpressRequest): string | undefined {
  const route = req.route;
  if (route === undefined || route === null || typeof route !== 'object') return undefined;
  const own = ownTemplate(route.path);
  if (own === undefined) return undefined;
  const base = typeof req.baseUrl === 'string' ? req.baseUrl : '';
  if (base === '') return own;
  let prefix: string | undefined;
  try {
    prefix = mountTemplate(req, route, base);
  } catch {
    prefix = undefined;
  }
  prefix ??= UNKNOWN_MOUNT;
  if (prefix === '') return own;
  return own === '/' ? prefix : prefix + own;
}

function ownTemplate(path: unknown): string | undefined {
  if (typeof path === 'string') return path;
  if (Array.isArray(path)) return path.map(String).join(',');
  if (path instanceof RegExp) return String(path);
  return undefined;
}

/** The apps from the outermost down to `req.app` (a sub-app mounted with `app.use(path, subApp)` has a `parent`). */
function appChain(req: ExpressRequest): unknown[] {
  const apps: unknown[] = [];
  for (let app = (req as { app?: unknown }).app; app !== undefined && app !== null && apps.length < MAX_DEPTH; app = (app as { parent?: unknown }).parent) {
    apps.unshift(app);
  }
  return apps;
}

function routerOf(app: unknown): Router | undefined {
  if (app === null || (typeof app !== 'function' && typeof app !== 'object')) return undefined;
  // Express 4 keeps its router in `_router` (and `app.router` throws); Express 5 in the `router` getter.
  let router = (app as { _router?: unknown })._router;
  if (router === undefined) router = (app as { router?: unknown }).router;
  return isRouter(router) ? router : undefined;
}

function isRouter(value: unknown): value is Router {
  return (typeof value === 'function' || (typeof value === 'object' && value !== null)) && Array.isArray((value as Router).stack);
}

/** The template of the mount prefix `base` of the request's route; undefined when the walk cannot explain it. */
function mountTemplate(req: ExpressRequest, route: object, base: string): string | undefined {
  const apps = appChain(req);
  const router = routerOf(apps[0]);
  if (router === undefined) return undefined;
  const budget = { layers: MAX_LAYERS };
  return walk(router, base, route, apps, 0, 0, budget);
}

/**
 * The template of `rest` (the part of `req.baseUrl` still to explain) below `router`, ending in the
 * router that holds `route`; undefined when no chain of mounts explains it.
 */
function walk(router: Router, rest: string, route: object, apps: unknown[], app: number, depth: number, budget: { layers: number }): string | undefined {
  const stack = router.stack;
  if (rest === '' && stack.some((layer) => layer !== null && typeof layer === 'object' && layer.route === route)) return '';
  if (depth >= MAX_DEPTH) return undefined;
  for (const layer of stack) {
    if (--budget.layers < 0) return undefined;
    if (layer === null || typeof layer !== 'object' || layer.route !== undefined) continue;
    let below: Router | undefined;
    let belowApp = app;
    if (isRouter(layer.handle)) below = layer.handle;
    else if (layer.name === 'mounted_app' && app + 1 < apps.length) {
      // Express mounts a sub-app through a closure; the next app of req.app's chain is the candidate.
      belowApp = app + 1;
      below = routerOf(apps[belowApp]);
    }
    if (below === undefined) continue;
    const match = matchMount(layer, rest);
    if (match === undefined) continue;
    const found = walk(below, rest.slice(match.path.length), route, apps, belowApp, depth + 1, budget);
    if (found !== undefined) return match.template + found;
  }
  return undefined;
}

/** Whether `layer` matches the start of `rest` on a segment boundary, with the pattern it matched. */
function matchMount(layer: Layer, rest: string): MountMatch | undefined {
  let match: MountMatch | undefined;
  if (layer.rawPath !== undefined && typeof layer.match === 'function') match = matchRouter23(layer, rest);
  else if (layer.regexp instanceof RegExp) match = matchExpress4(layer, layer.regexp, rest);
  else if (Array.isArray(layer.matchers)) match = matchRouter20(layer, rest);
  if (match === undefined || !rest.startsWith(match.path)) return undefined;
  const next = rest[match.path.length];
  return next === undefined || next === '/' ? match : undefined;
}

function trimSlash(path: string): string {
  return path.endsWith('/') ? path.slice(0, -1) : path;
}

/** router 2.3+: `match()` leaves the layer as it was and says which pattern matched. */
function matchRouter23(layer: Layer, rest: string): MountMatch | undefined {
  const result = (layer.match as (path: string) => unknown).call(layer, rest) as { path?: unknown; pattern?: unknown } | false;
  if (typeof result !== 'object' || result === null || typeof result.path !== 'string') return undefined;
  const pattern = result.pattern;
  let template: string;
  if (typeof pattern === 'string') template = trimSlash(pattern);
  else if (pattern instanceof RegExp) template = String(pattern);
  else return undefined;
  return { path: trimSlash(result.path), template };
}

/**
 * router 2.0 to 2.2: the matchers give the matched path and the parameters' values, not the pattern.
 * Each value is put back as `:name` over the first whole segment after the previous one that equals
 * it; a RegExp matcher, or a value that fills no whole segment, leaves the pattern unknown.
 */
function matchRouter20(layer: Layer, rest: string): MountMatch | undefined {
  if (layer.slash === true) return { path: '', template: '' };
  for (const matcher of layer.matchers as unknown[]) {
    if (typeof matcher !== 'function') return undefined;
    const result = matcher(rest) as { path?: unknown; params?: Record<string, unknown> } | false;
    if (typeof result !== 'object' || result === null || typeof result.path !== 'string') continue;
    const path = trimSlash(result.path);
    if (matcher.name === 'regexpMatcher') return { path, template: UNKNOWN_MOUNT };
    const segments = path.split('/');
    let from = 1;
    for (const [name, value] of Object.entries(result.params ?? {})) {
      let at = -1;
      for (let i = from; i < segments.length; i++) {
        if (safeDecode(segments[i]) === value) {
          at = i;
          break;
        }
      }
      if (at < 0) return { path, template: UNKNOWN_MOUNT };
      segments[at] = `:${name}`;
      from = at + 1;
    }
    return { path, template: segments.join('/') };
  }
  return undefined;
}

function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/** Express 4 layers: each alternative of the compiled regexp, with the pattern it was compiled from. */
interface Express4Reading {
  alternatives: { regexp: RegExp; template: string }[];
}

const express4Readings = new WeakMap<RegExp, Express4Reading>();

function matchExpress4(layer: Layer, regexp: RegExp, rest: string): MountMatch | undefined {
  if ((regexp as { fast_slash?: boolean }).fast_slash === true) return { path: '', template: '' };
  let reading = express4Readings.get(regexp);
  if (reading === undefined) express4Readings.set(regexp, (reading = readExpress4(regexp, Array.isArray(layer.keys) ? layer.keys : [])));
  for (const alternative of reading.alternatives) {
    const match = alternative.regexp.exec(rest);
    if (match !== null) return { path: trimSlash(match[0]), template: alternative.template };
  }
  return undefined;
}

/**
 * Read back the pattern(s) path-to-regexp 0.1 compiled `regexp` from: an array pattern is its
 * compilations joined by `|`, each starting with `^`. An alternative that is not such a compilation
 * (the app's own RegExp) stands as the whole RegExp's source.
 */
function readExpress4(regexp: RegExp, keys: unknown[]): Express4Reading {
  // Copies without g/y, so reading never moves a lastIndex the app's RegExp relies on.
  const flags = regexp.flags.replace(/[gy]/g, '');
  const sources = splitAlternatives(regexp.source);
  // Unanchored alternatives match at any position: only the whole RegExp says which one Express took.
  if (sources.length > 1 && !sources.every((source) => source.startsWith('^'))) {
    return { alternatives: [{ regexp: new RegExp(regexp.source, flags), template: String(regexp) }] };
  }
  const alternatives: Express4Reading['alternatives'] = [];
  let key = 0;
  for (const source of sources) {
    const captures = countCaptures(source);
    const template = readCompiled(source, keys.slice(key, key + captures));
    key += captures;
    alternatives.push({ regexp: new RegExp(source, flags), template: template ?? String(regexp) });
  }
  return { alternatives };
}

/** The top-level `|` alternatives of a regexp source. */
function splitAlternatives(source: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let inClass = false;
  let start = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') i++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) {
      parts.push(source.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(source.slice(start));
  return parts;
}

/** Capturing groups in a regexp source: `(` not followed by `?`, or followed by `?<name>`. */
function countCaptures(source: string): number {
  let count = 0;
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') i++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if (c === '(' && (source[i + 1] !== '?' || (source[i + 2] === '<' && source[i + 3] !== '=' && source[i + 3] !== '!'))) count++;
  }
  return count;
}

/** The index just past the group opening at `open` (its closing `)`), or -1. */
function groupEnd(source: string, open: number): number {
  let depth = 0;
  let inClass = false;
  for (let i = open; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') i++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i + 1;
  }
  return -1;
}

const END = ['(?=\\/|$)', '(?:\\/|$)', '$'];
/** Characters with a meaning in a RegExp: outside the shapes below, a sign the RegExp was the app's own. */
const SPECIAL = new Set(['^', '$', '.', '*', '+', '?', '(', ')', '[', ']', '{', '}', '|', '/']);

/**
 * One path-to-regexp 0.1 compilation read back: `^` + the path with each `:name` as
 * `(?:\/(...))` (`?` after it when optional, `\.` before for a format), `*` as `(.*)`, `.` and `/` as
 * `\.` and `\/`, then an optional trailing slash and an end (`$`, `(?=\/|$)`). Undefined for anything
 * else, such as a RegExp the app wrote.
 */
function readCompiled(source: string, keys: unknown[]): string | undefined {
  if (!source.startsWith('^')) return undefined;
  let body = source.slice(1);
  const end = END.find((e) => body.endsWith(e));
  if (end !== undefined) body = body.slice(0, -end.length);
  // The optional trailing slash every non-strict compilation ends with.
  if (body.endsWith('\\/?')) body = body.slice(0, -3);
  let out = '';
  let key = 0;
  for (let i = 0; i < body.length; ) {
    const c = body[i];
    if (c === '\\') {
      const escaped = body[i + 1];
      if (escaped !== '/' && escaped !== '.') return undefined;
      out += escaped;
      i += 2;
    } else if (body.startsWith('(.*)', i)) {
      out += '*';
      key++;
      i += 4;
    } else if (body.startsWith('(?:', i)) {
      const close = groupEnd(body, i);
      if (close < 0) return undefined;
      const group = body.slice(i + 3, close - 1);
      const optional = body[close] === '?';
      const parameter = readParameter(group, keys[key]);
      if (parameter === undefined) return undefined;
      out += parameter + (optional ? '?' : '');
      key += countCaptures(group);
      i = close + (optional ? 1 : 0);
    } else if (!SPECIAL.has(c)) {
      out += c;
      i++;
    } else return undefined;
  }
  return trimSlash(out);
}

/** The inside of one `(?:…)` parameter group: `\.`? `\/`? `(capture)` (`((?:[/…].+?)?)` after it for `*`). */
function readParameter(group: string, key: unknown): string | undefined {
  const name = (key as { name?: unknown } | undefined)?.name;
  if (typeof name !== 'string') return undefined;
  let i = 0;
  let prefix = '';
  if (group.startsWith('\\.', i)) {
    prefix += '.';
    i += 2;
  }
  if (group.startsWith('\\/', i)) {
    prefix = '/' + prefix;
    i += 2;
  }
  if (group[i] !== '(') return undefined;
  const close = groupEnd(group, i);
  if (close < 0) return undefined;
  const star = group.slice(close);
  if (star !== '' && !star.startsWith('((?:[/')) return undefined;
  return `${prefix}:${name}${star === '' ? '' : '*'}`;
}
