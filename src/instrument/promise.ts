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
 * The app gets the very same object back: same class, same methods, same values.
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

function observeAPIPromise(p: any, call: Call, reader: ResponseReader, fault: FaultReporter): void {
  // Once per call; another call may observe the same promise too (a second monitor wrapping the
  // wrapped client, `track` around a wrapped client), each through its own hooks.
  const observers: Call[] | undefined = p[OBSERVED];
  if (observers === undefined) Object.defineProperty(p, OBSERVED, { value: [call] });
  else if (observers.includes(call)) return;
  else observers.push(call);
  let raw = false;
  call.apiPromise = p;

  const parseResponse = p.parseResponse;
  p.parseResponse = function observedParseResponse(this: unknown, ...args: unknown[]) {
    // Parsing a body is reading it; parsing a stream only makes the Stream object, read later.
    if (!call.record.streaming) call.reading = true;
    const out = parseResponse.apply(this, args);
    if (!call.ended) {
      Promise.resolve(out).then(
        (value) => observeValue(value, call, reader, fault),
        (error) => call.end('failed', error),
      );
    }
    return out;
  };

  // Derived promises (`_thenUnwrap`: `responses.stream()`, `.parse()` helpers) may parse through a
  // closure rather than this instance's `parseResponse` (openai v7): see the data on its way to them.
  const thenUnwrap = p._thenUnwrap;
  if (typeof thenUnwrap === 'function') {
    p._thenUnwrap = function observedThenUnwrap(this: unknown, transform: (data: unknown, props: unknown) => unknown) {
      if (!call.record.streaming) call.reading = true;
      return thenUnwrap.call(this, (data: unknown, props: unknown) => {
        observeValue(data, call, reader, fault);
        return transform(data, props);
      });
    };
  }

  const asResponse = p.asResponse;
  p.asResponse = function observedAsResponse(this: unknown, ...args: unknown[]) {
    raw = true;
    if (p.parsedPromise === undefined && !call.ended) {
      // The app reads the body itself: the monitor never parses it, so its usage is unknown (not 0).
      call.raw = true;
      call.record.notes.push('raw_response');
      const arrivals = call.arrivals;
      if (arrivals !== undefined && arrivals.settledAt > 0) call.end('completed');
    }
    return asResponse.apply(this, args);
  };

  p.responsePromise.then(
    (props: any) => {
      const response = props?.response;
      if (response && typeof response.status === 'number') call.record.httpStatus = response.status;
      // A raw Response not timed at the transport ends at its headers; a timed one when its body has arrived.
      if (raw && call.raw && !call.ended && (call.arrivals === undefined || call.arrivals.settledAt > 0)) call.end('completed');
    },
    (error: unknown) => call.end('failed', error),
  );
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
