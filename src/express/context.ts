/**
 * One request's context, kept in an AsyncLocalStorage by the Express middleware: what the LLM calls
 * made while handling it carry on their records (`http.route`, `http.request.method`, the user's
 * attributes) and what the request's own metrics are built from (its calls, their tokens, and the time
 * at least one of them was in flight).
 *
 * The route template (`/chat/:id`, never the raw URL; route-template.ts) is only known once Express
 * has routed the request, so it is read lazily: when an LLM call starts, and again when the response
 * finishes. Every value goes through the cardinality guard once per request, and so does every
 * attribute key.
 */
import type { Call } from '../call.js';
import { ATTR, GUARDED_NAME, LABEL } from '../semconv.js';
import type { LabelGuard } from '../lib/label-guard.js';
import type { AttributeValue, ExpressRequest } from './options.js';
import { routeTemplate } from './route-template.js';
import { monotonic } from '../lib/clock.js';

/** A request making more LLM calls than this still counts them all; only the first ones time the share. */
export const MAX_TIMED_CALLS = 1024;
/** Keys an `attributes` function may add per request; the rest are dropped, so keys stay bounded too. */
export const MAX_ATTRIBUTES = 16;

/** What a finished request reports: one observation per histogram. */
export interface RequestOutcome {
  route: string;
  method: string;
  calls: number;
  inputTokens: number;
  outputTokens: number;
  /** Milliseconds at least one LLM call of the request was in flight, within the request's time. */
  llmTime: number;
  /** Milliseconds from the middleware seeing the request to the response finishing. */
  duration: number;
}

export class RequestState {
  readonly req: ExpressRequest;
  /** performance.now() when the middleware saw the request. */
  readonly startedAt: number;
  /** Guarded method label value. */
  readonly method: string;
  /** Guarded route template; undefined until Express has matched a route. */
  route: string | undefined = undefined;
  /** The calls made while handling the request, in start order (the first MAX_TIMED_CALLS). */
  readonly calls: Call[] = [];
  callCount = 0;
  /** Calls started but whose records have not reached the sinks yet (token estimation may still run). */
  unpublished = 0;
  inputTokens = 0;
  outputTokens = 0;
  /** performance.now() when the response finished or the connection closed. */
  finishedAt: number | undefined = undefined;
  private context: Readonly<Record<string, string>> | undefined = undefined;
  private attributes: Record<string, string> | undefined = undefined;
  private readonly guard: LabelGuard;
  private readonly attributesOf: ((req: ExpressRequest) => Record<string, AttributeValue> | undefined) | undefined;
  private readonly fault: (component: string, error: unknown) => void;

  constructor(
    req: ExpressRequest,
    guard: LabelGuard,
    attributesOf: ((req: ExpressRequest) => Record<string, AttributeValue> | undefined) | undefined,
    fault: (component: string, error: unknown) => void,
  ) {
    this.req = req;
    this.startedAt = monotonic();
    this.guard = guard;
    this.attributesOf = attributesOf;
    this.fault = fault;
    this.method = guard.value(LABEL.httpRequestMethod, req.method, true);
  }

  /** An LLM call started while handling this request: track it, and give its record the context. */
  callStarted(call: Call): void {
    this.callCount++;
    this.unpublished++;
    if (this.calls.length < MAX_TIMED_CALLS) this.calls.push(call);
    call.record.context = this.currentContext();
  }

  /** A call's record went through the sinks: its token counts are final. */
  callPublished(call: Call): void {
    this.unpublished--;
    const record = call.record;
    if (record.inputTokens !== undefined) this.inputTokens += record.inputTokens.count;
    if (record.outputTokens !== undefined) this.outputTokens += record.outputTokens.count;
  }

  /** Resolve the route template if Express has matched one by now. */
  resolveRoute(): void {
    if (this.route !== undefined) return;
    const template = routeTemplate(this.req);
    if (template !== undefined) this.route = this.guard.value(LABEL.httpRoute, template, true);
  }

  /**
   * Milliseconds, up to `now`, during which at least one of the request's LLM calls was in flight:
   * the union of the calls' intervals, so two concurrent calls of 1 s count 1 s, not 2.
   */
  llmTime(now: number): number {
    const calls = this.calls;
    let total = 0;
    let busyFrom = 0;
    let busyTo = -Infinity;
    // Calls are kept in start order, so one sweep merges the overlapping intervals.
    for (let i = 0; i < calls.length; i++) {
      const call = calls[i];
      const from = Math.max(call.startedAt, this.startedAt);
      const to = Math.min(call.ended ? call.startedAt + call.record.duration : now, now);
      if (to <= from) continue;
      if (from > busyTo) {
        if (busyTo > busyFrom) total += busyTo - busyFrom;
        busyFrom = from;
        busyTo = to;
      } else if (to > busyTo) busyTo = to;
    }
    if (busyTo > busyFrom) total += busyTo - busyFrom;
    return total;
  }

  /** The request's figures, once it has finished. */
  outcome(): RequestOutcome {
    const finishedAt = this.finishedAt ?? monotonic();
    return {
      route: this.route ?? '',
      method: this.method,
      calls: this.callCount,
      inputTokens: this.inputTokens,
      outputTokens: this.outputTokens,
      llmTime: this.llmTime(finishedAt),
      duration: finishedAt - this.startedAt,
    };
  }

  private currentContext(): Readonly<Record<string, string>> {
    if (this.route === undefined) {
      this.resolveRoute();
      // A new route means a new object: records already published keep the context they had.
      if (this.route !== undefined) this.context = undefined;
    }
    if (this.context !== undefined) return this.context;
    if (this.attributes === undefined) this.attributes = this.userAttributes();
    const context: Record<string, string> = { ...this.attributes };
    if (this.method !== '') context[ATTR.httpRequestMethod] = this.method;
    if (this.route !== undefined && this.route !== '') context[ATTR.httpRoute] = this.route;
    // Shared by every call of the request: frozen so no sink can change another call's record.
    return (this.context = Object.freeze(context));
  }

  private userAttributes(): Record<string, string> {
    const attributes: Record<string, string> = {};
    if (this.attributesOf === undefined) return attributes;
    let given: Record<string, AttributeValue> | undefined;
    try {
      given = this.attributesOf(this.req);
    } catch (error) {
      this.fault('express', error);
      return attributes;
    }
    if (given === undefined || given === null) return attributes;
    if (typeof given !== 'object') {
      this.fault('express', new TypeError(`express: option "attributes" returned ${typeof given}, expected an object`));
      return attributes;
    }
    let kept = 0;
    for (const key of Object.keys(given)) {
      const value = given[key];
      if (value === undefined || value === null) continue;
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') continue;
      if (kept >= MAX_ATTRIBUTES) break;
      // Keys are bounded across requests too (each kept key keeps up to maxLabelValues values): a key
      // past the cap is dropped, not folded, as `other: 'x'` would mix unrelated keys' values.
      if (!this.guard.admits(GUARDED_NAME.attributeKey, key, true)) continue;
      kept++;
      const guarded = this.guard.value(key, String(value), true);
      if (guarded !== '') attributes[key] = guarded;
    }
    return attributes;
  }
}
