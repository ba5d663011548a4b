/**
 * Options of `monitor.express()`: their types, their defaults, and the validation that turns a bad
 * option into a TypeError naming it, when the middleware is created rather than on the first request.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { checkKeys, describeValue, optionFailure, optionKeys, type OptionFailure } from '../lib/option-error.js';

const fail: OptionFailure = optionFailure('express');

/** Express's `next`: no argument continues, an error goes to the app's error handlers. */
export type NextFunction = (error?: unknown) => void;

/** What `monitor.express()` returns: an ordinary three-argument Express middleware. */
export type ExpressMiddleware<Req extends IncomingMessage = ExpressRequest> = (req: Req, res: ServerResponse, next: NextFunction) => void;

/**
 * The parts of an Express request (4 and 5) the middleware reads. Express's own `Request` fits it, so
 * `app.use(monitor.express())` type-checks without this package depending on `@types/express`.
 */
export interface ExpressRequest extends IncomingMessage {
  /** The matched route; `path` is its template (`/chat/:id`), a RegExp, or an array of them. */
  route?: { path?: unknown };
  /** The path the router holding the route is mounted at (`/api`). */
  baseUrl?: string;
  /** The request path, relative to where the middleware is mounted. */
  path?: string;
  params?: Record<string, string>;
}

/** A value an `attributes` function may return for one key; `undefined` and `null` leave the key out. */
export type AttributeValue = string | number | boolean | undefined | null;

export interface ExpressOptions<Req extends IncomingMessage = ExpressRequest> {
  /**
   * Extra context for every LLM call made while handling a request (`{ tenant: ... }`). Called once
   * per request, when its first LLM call starts (after routing, so `req.params` is filled). Values
   * pass through the cardinality guard; at most 16 keys per request are kept.
   */
  attributes?: (req: Req) => Record<string, AttributeValue> | undefined;
  /** Add `Server-Timing: llm;dur=<ms>` to responses whose handling made LLM calls. Default `true`. */
  serverTiming?: boolean;
  /** Serve the Prometheus exposition at this path (GET and HEAD). Default: not served. */
  metricsPath?: string;
  /** Serve the live dashboard at this path and below it. Default: not served. */
  dashboardPath?: string;
  /**
   * Decides who may read `metricsPath` and `dashboardPath` (a token check, an IP allow list). Only
   * `true` lets the request through; anything else answers 403 unless the guard already answered. A
   * guard that throws or rejects passes its error to Express (`next(error)`).
   */
  guard?: (req: Req) => boolean | Promise<boolean>;
}

export interface ResolvedExpressOptions<Req extends IncomingMessage = ExpressRequest> {
  attributes: ((req: Req) => Record<string, AttributeValue> | undefined) | undefined;
  serverTiming: boolean;
  metricsPath: string | undefined;
  dashboardPath: string | undefined;
  guard: ((req: Req) => boolean | Promise<boolean>) | undefined;
}

const KNOWN = optionKeys<ExpressOptions>({ attributes: true, serverTiming: true, metricsPath: true, dashboardPath: true, guard: true });

/** Validate the options of `monitor.express()` and fill defaults. Throws a TypeError naming the bad option. */
export function resolveExpressOptions<Req extends IncomingMessage>(options: ExpressOptions<Req> | undefined): ResolvedExpressOptions<Req> {
  if (options === undefined || options === null) options = {};
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`express: options must be an object, got ${describeValue(options)}`);
  }
  checkKeys('express', options, KNOWN);
  const { attributes, serverTiming, metricsPath, dashboardPath, guard } = options;
  if (attributes !== undefined && typeof attributes !== 'function') fail('attributes', 'a function (req) => object', attributes);
  if (serverTiming !== undefined && typeof serverTiming !== 'boolean') fail('serverTiming', 'a boolean', serverTiming);
  checkPath('metricsPath', metricsPath);
  checkPath('dashboardPath', dashboardPath);
  if (metricsPath !== undefined && dashboardPath !== undefined) {
    if (metricsPath === dashboardPath || metricsPath.startsWith(`${dashboardPath}/`)) {
      fail('metricsPath', `a path outside dashboardPath (${JSON.stringify(dashboardPath)})`, metricsPath);
    }
  }
  if (guard !== undefined && typeof guard !== 'function') fail('guard', 'a function (req) => boolean | Promise<boolean>', guard);
  if (guard !== undefined && metricsPath === undefined && dashboardPath === undefined) {
    fail('guard', 'given only with metricsPath or dashboardPath (it protects nothing else)', guard);
  }
  return {
    attributes,
    serverTiming: serverTiming ?? true,
    metricsPath,
    dashboardPath,
    guard,
  };
}

function checkPath(name: string, path: unknown): void {
  if (path === undefined) return;
  // The path is compared with `req.path`, which never carries a query, a fragment or a trailing slash.
  if (typeof path !== 'string' || !/^\/[^?#\s]*[^/?#\s]$/.test(path)) {
    fail(name, 'a path like "/metrics": starting with "/", not "/" alone, without query, fragment, spaces or trailing slash', path);
  }
}

