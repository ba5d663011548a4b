/**
 * Observing what a wrapped method returned, without replacing it.
 *
 * The official SDKs return an `APIPromise` (openai-node `src/core/api-promise.ts`, and the same
 * generated code in @anthropic-ai/sdk): a Promise subclass that sends the request at once but parses
 * the body only when someone asks (`then`, `withResponse()`), and that also offers the raw
 * `asResponse()`. Awaiting it ourselves would parse bodies nobody asked for and a `.then` on it would
 * consume the body that `asResponse()` hands out, so the monitor instead:
 *   - watches the request promise (`responsePromise`) for headers and for request errors;
 *   - wraps this instance's `parseResponse` to see the parsed value when the app's own `then`,
 *     `withResponse()` or a derived promise (`_thenUnwrap`, `.parse()` helpers) parses it;
 *   - wraps this instance's `_thenUnwrap`, because openai v7 derives promises that parse through a
 *     closure instead of `parseResponse`;
 *   - notices `asResponse()` (raw body: the record ends when the body has arrived, or at its headers
 *     when the transport was not observed; its usage is unknown, never estimated).
 * The app gets the very same object back: same class, same methods, same values. The hooks are this
 * module's functions bound to one small object kept on the promise, never closures made per call: a
 * closure holding the call's scope (the promise, its request and response) that something long-lived
 * reaches makes V8 keep every call's objects through its young-generation collections (measured:
 * each scavenge then promoted 1.2 MB, not 0.26 MB, and cost several times as much; BENCHMARKS.md).
 */
import type { Call } from '../call.js';
import { isAsyncIterable, tapStream, type ChunkReader, type FaultReporter } from './stream.js';

/** What an instrument knows about one operation's responses. */
export interface ResponseReader extends ChunkReader {
  /** Read a complete (non-streamed) response into the record. */
  response(call: Call, data: any): void;
}

const OBSERVED = Symbol.for('llm-vitals.observed');

/** True for an openai-node / anthropic-sdk APIPromise (by shape: no import of either SDK). */
function isAPIPromise(value: unknown): boolean {
  const p = value as any;
  return (
    value instanceof Promise &&
    typeof p.parseResponse === 'function' &&
    p.responsePromise instanceof Promise &&
    typeof p.asResponse === 'function'
  );
}

/** Observe a method's return value; returns it unchanged. */
export function observeResult<T>(result: T, call: Call, reader: ResponseReader, fault: FaultReporter): T {
  try {
    if (isAPIPromise(result)) observeAPIPromise(result as any, call, reader, fault);
    else if (result !== null && typeof (result as any)?.then === 'function') {
      (result as any).then(
        (value: unknown) => observeValue(value, call, reader, fault),
        (error: unknown) => call.end('failed', error),
      );
    } else observeValue(result, call, reader, fault);
  } catch (error) {
    fault('instrument', error);
    call.end('completed');
  }
  return result;
}

/** One monitor's call observing an APIPromise. */
class Observer {
  constructor(
    readonly call: Call,
    readonly reader: ResponseReader,
    readonly fault: FaultReporter,
  ) {}
}

/**
 * What is kept on an observed APIPromise (under OBSERVED): its own methods, and the calls observing it.
 * The hooks are the module's functions bound to this object: no closure per call, so nothing that
 * holds the call's scope (the promise, the request) is reachable from the call itself.
 */
class Observation {
  first: Observer;
  more: Observer[] | undefined = undefined;
  readonly promise: any;
  readonly parseResponse: (...args: unknown[]) => unknown;
  readonly thenUnwrap: ((transform: (data: unknown, props: unknown) => unknown) => unknown) | undefined;
  readonly asResponse: (...args: unknown[]) => unknown;

  constructor(p: any, first: Observer) {
    this.promise = p;
    this.first = first;
    this.parseResponse = p.parseResponse;
    this.thenUnwrap = typeof p._thenUnwrap === 'function' ? p._thenUnwrap : undefined;
    this.asResponse = p.asResponse;
  }

  has(call: Call): boolean {
    if (this.first.call === call) return true;
    const more = this.more;
    if (more !== undefined) for (let i = 0; i < more.length; i++) if (more[i].call === call) return true;
    return false;
  }

  /** Each observer, in the order they came. */
  each(fn: (o: Observer, arg: unknown) => void, arg: unknown): void {
    fn(this.first, arg);
    const more = this.more;
    if (more !== undefined) for (let i = 0; i < more.length; i++) fn(more[i], arg);
  }
}

function observeAPIPromise(p: any, call: Call, reader: ResponseReader, fault: FaultReporter): void {
  // Once per call; another call may observe the same promise too (a second monitor wrapping the
  // wrapped client, `track` around a wrapped client): all are kept on the one observation.
  const observer = new Observer(call, reader, fault);
  const existing: Observation | undefined = p[OBSERVED];
  if (existing !== undefined) {
    if (existing.has(call)) return;
    (existing.more ??= []).push(observer);
    return;
  }
  const o = new Observation(p, observer);
  // A plain store (a symbol key: no enumeration, JSON or spread of a promise shows it), not a defineProperty.
  p[OBSERVED] = o;
  p.parseResponse = observedParseResponse.bind(o);
  // Derived promises (`_thenUnwrap`: `responses.stream()`, `.parse()` helpers) may parse through a
  // closure rather than this instance's `parseResponse` (openai v7): see the data on its way to them.
  if (o.thenUnwrap !== undefined) p._thenUnwrap = observedThenUnwrap.bind(o);
  p.asResponse = observedAsResponse.bind(o);
  p.responsePromise.then(responded.bind(o), requestFailed.bind(o));
}

function observedParseResponse(this: Observation, ...args: unknown[]): unknown {
  this.each(markReading, undefined);
  const out = this.parseResponse.apply(this.promise, args);
  Promise.resolve(out).then(parsed.bind(this), parseFailed.bind(this));
  return out;
}

function markReading(o: Observer): void {
  // Parsing a body is reading it; parsing a stream only makes the Stream object, read later.
  if (!o.call.record.streaming) o.call.reading = true;
}

function parsed(this: Observation, value: unknown): void {
  this.each(observeParsed, value);
}

function observeParsed(o: Observer, value: unknown): void {
  observeValue(value, o.call, o.reader, o.fault);
}

function parseFailed(this: Observation, error: unknown): void {
  this.each(endFailed, error);
}

function endFailed(o: Observer, error: unknown): void {
  o.call.end('failed', error);
}

function observedThenUnwrap(this: Observation, transform: (data: unknown, props: unknown) => unknown): unknown {
  this.each(markReading, undefined);
  const observation = this;
  return this.thenUnwrap!.call(this.promise, (data: unknown, props: unknown) => {
    observation.each(observeParsed, data);
    return transform(data, props);
  });
}

function observedAsResponse(this: Observation, ...args: unknown[]): unknown {
  const raw = this.promise.parsedPromise === undefined;
  if (raw) this.each(takeRaw, undefined);
  const out = this.asResponse.apply(this.promise, args) as Promise<Response>;
  // A body observed in place for the SDK to parse, taken raw after it arrived: the app gets an equal
  // Response it can read every way (the in-place readers serve the SDK's ways of reading).
  const arrivals = this.first.call.arrivals;
  if (!raw || arrivals?.forRawUse === undefined) return out;
  return out.then(arrivals.forRawUse.bind(arrivals));
}

function takeRaw(o: Observer): void {
  const call = o.call;
  if (call.ended) return;
  // The app reads the body itself: the monitor never parses it, so its usage is unknown (not 0).
  call.raw = true;
  call.record.notes.push('raw_response');
  const arrivals = call.arrivals;
  if (arrivals !== undefined && arrivals.settledAt > 0) call.end('completed');
}

function responded(this: Observation, props: any): void {
  const response = props?.response;
  this.each(onResponse, response && typeof response.status === 'number' ? response.status : undefined);
}

function onResponse(o: Observer, status: unknown): void {
  const call = o.call;
  if (typeof status === 'number') call.record.httpStatus = status;
  // A raw Response not timed at the transport ends at its headers; a timed one when its body has arrived.
  if (call.raw && !call.ended && (call.arrivals === undefined || call.arrivals.settledAt > 0)) call.end('completed');
}

function requestFailed(this: Observation, error: unknown): void {
  this.each(endFailed, error);
}

function observeValue(value: unknown, call: Call, reader: ResponseReader, fault: FaultReporter): void {
  if (call.ended) return;
  if (call.record.streaming && isAsyncIterable(value)) {
    tapStream(value, call, reader, fault);
    return;
  }
  try {
    reader.response(call, value);
  } catch (error) {
    fault('instrument', error);
  }
  call.end('completed');
}
