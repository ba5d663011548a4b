/**
 * `monitor.track(fn, options)`: any function that calls a model (a raw `fetch` to a local server, an
 * SDK the monitor does not wrap) becomes one CallRecord per call, like a wrapped client's.
 *
 * The returned function has `fn`'s signature and hands back what `fn` returns:
 *   - a synchronous throw is recorded as `failed` and rethrown, unchanged;
 *   - a native Promise: the app gets a promise that settles with the same value or error once the
 *     record has seen it (a derived promise, so a rejection nobody handles is still reported as
 *     unhandled); any other thenable (an SDK's `APIPromise`, a Promise subclass) is observed in place
 *     and returned itself, as for wrapped clients;
 *   - an async iterable (returned, or resolved to): tapped in place like an SDK stream, each item one
 *     chunk: time to first chunk from the call, chunk gaps, and the end (`completed`), a `break`
 *     (`cancelled`) or a throw (`failed`). Node and web streams (`pipe`, `getReader`) may be read
 *     without iterating, so those end the record when returned, noted `stream_not_tapped`;
 *   - anything else ends the record at once.
 * `readUsage` and `readModel` see the value (for an async iterable: every item); counts they return
 * are `reported`. The monitor knows no text of `fn`'s calls, so nothing is estimated: missing counts
 * stay unknown (noted `usage_missing` when `readUsage` found none). Faults in the callbacks are the monitor's (component
 * `track`), never the app's.
 */
import type { CallRecord } from '../record.js';
import type { Call } from '../call.js';
import { reported } from '../tokens/usage.js';
import type { InstrumentContext } from './context.js';
import { observeResult, type ResponseReader } from './promise.js';
import { isAsyncIterable, OUTPUT, tapStream, type ChunkKind } from './stream.js';
import { checkKeys, describeValue, optionKeys } from '../lib/option-error.js';

/** Token counts a `readUsage` callback read from a result or a chunk. Each is marked `reported`. */
export interface TrackUsage {
  inputTokens?: number | null;
  outputTokens?: number | null;
  /** Input tokens served from the provider's prompt cache. */
  cachedInputTokens?: number | null;
  /** Output tokens spent on reasoning. */
  reasoningTokens?: number | null;
}

export interface TrackOptions {
  /** `gen_ai.provider.name`: `ollama`, `vllm`, `gcp.gemini`, ... */
  provider: string;
  /** `gen_ai.operation.name`: `chat`, `text_completion`, `embeddings`, ... */
  operation: string;
  /** `gen_ai.request.model`: the model the calls ask for. */
  model: string;
  /**
   * Read token counts from what `fn` resolved to (for an async iterable: from each item; later counts
   * replace earlier ones). Return `undefined` when the value carries none.
   */
  readUsage?: (value: any) => TrackUsage | null | undefined;
  /** Read `gen_ai.response.model` from what `fn` resolved to (for an async iterable: from each item). */
  readModel?: (value: any) => string | null | undefined;
}

const KNOWN = optionKeys<TrackOptions>({ provider: true, operation: true, model: true, readUsage: true, readModel: true });

/** Validate the arguments of `track`. Throws a TypeError naming the first bad one. */
export function resolveTrackOptions(fn: unknown, options: TrackOptions | undefined): TrackOptions {
  if (typeof fn !== 'function') throw new TypeError(`track: expected a function to track, got ${describeValue(fn)}`);
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`track: options must be an object with provider, operation and model, got ${describeValue(options)}`);
  }
  checkKeys('track', options, KNOWN);
  for (const key of ['provider', 'operation', 'model'] as const) {
    const value = options[key];
    if (typeof value !== 'string' || value === '') throw new TypeError(`track: option "${key}" must be a non-empty string, got ${describeValue(value)}`);
  }
  for (const key of ['readUsage', 'readModel'] as const) {
    const value = options[key];
    if (value !== undefined && typeof value !== 'function') throw new TypeError(`track: option "${key}" must be a function, got ${describeValue(value)}`);
  }
  return options;
}

/** Which monitor made each tracked function, so tracking one twice never counts its calls twice. */
const trackedBy = new WeakMap<Function, InstrumentContext>();

/**
 * The tracked twin of `fn`. `options` must have been through `resolveTrackOptions`. A function this
 * monitor already tracks comes back as it is (like a client wrapped twice).
 */
export function trackFunction<F extends (...args: any[]) => any>(ctx: InstrumentContext, fn: F, options: TrackOptions): F {
  if (trackedBy.get(fn) === ctx) return fn;
  const { provider, operation, model } = options;
  const reader = trackReader(options, ctx.fault);
  const fault = ctx.fault;
  const tracked = function (this: unknown, ...args: unknown[]): unknown {
    // After shutdown calls go straight through.
    if (!ctx.active) return fn.apply(this, args);
    let call: Call | undefined;
    try {
      call = ctx.startCall(provider, operation, model, false, undefined);
      // Nothing to estimate from: the monitor never sees the text of fn's calls.
      call.pending = undefined;
    } catch (error) {
      fault('track', error);
    }
    if (call === undefined) return fn.apply(this, args);
    let result: unknown;
    try {
      result = fn.apply(this, args);
    } catch (error) {
      endQuietly(call, 'failed', error, fault);
      throw error;
    }
    try {
      return observe(result, call, reader, fault);
    } catch (error) {
      fault('track', error);
      call.end('completed');
      return result;
    }
  };
  try {
    Object.defineProperty(tracked, 'name', { value: fn.name, configurable: true });
    Object.defineProperty(tracked, 'length', { value: fn.length, configurable: true });
  } catch {
    // Cosmetic only.
  }
  trackedBy.set(tracked, ctx);
  return tracked as unknown as F;
}

function observe(result: unknown, call: Call, reader: ResponseReader, fault: InstrumentContext['fault']): unknown {
  if (result !== null && (typeof result === 'object' || typeof result === 'function') && typeof (result as any).then === 'function') {
    if (Object.getPrototypeOf(result) === Promise.prototype) {
      return (result as Promise<unknown>).then(
        (value) => {
          try {
            settle(value, call, reader, fault);
          } catch (error) {
            fault('track', error);
          }
          return value;
        },
        (error: unknown) => {
          endQuietly(call, 'failed', error, fault);
          throw error;
        },
      );
    }
    if ((result as any).responsePromise instanceof Promise) {
      // An SDK's APIPromise parses its body only when the app asks, and its `asResponse()` hands out the
      // raw body: observed in place, never awaited here (see promise.ts). Until its value shows whether
      // it is a stream, the record is provisionally streaming; the reader corrects it for a plain value,
      // and a request that fails never streamed.
      call.record.streaming = true;
      (result as any).responsePromise.then(undefined, () => {
        call.record.streaming = false;
      });
      return observeResult(result, call, reader, fault);
    }
    // Any other thenable (a Promise subclass, a library's own): observed in place and returned itself.
    (result as PromiseLike<unknown>).then(
      (value) => settle(value, call, reader, fault),
      (error: unknown) => call.end('failed', error),
    );
    return result;
  }
  settle(result, call, reader, fault);
  return result;
}

/** End the record on the app's error path: whatever happens there, the app gets its own error. */
function endQuietly(call: Call, outcome: 'failed', error: unknown, fault: InstrumentContext['fault']): void {
  try {
    call.end(outcome, error);
  } catch (monitorError) {
    fault('track', monitorError);
  }
}

/** A settled value: tap it if it is a stream, else read it and end the record. */
function settle(value: unknown, call: Call, reader: ResponseReader, fault: InstrumentContext['fault']): void {
  if (call.ended) return;
  if (isAsyncIterable(value)) {
    if (typeof (value as any).getReader === 'function' || typeof (value as any).pipe === 'function') {
      call.record.notes.push('stream_not_tapped');
      call.end('completed');
      return;
    }
    call.record.streaming = true;
    tapStream(value, call, reader, fault);
    return;
  }
  try {
    reader.response(call, value);
  } catch (error) {
    fault('track', error);
  }
  call.end('completed');
}

function trackReader(options: TrackOptions, fault: InstrumentContext['fault']): ResponseReader {
  const { readUsage, readModel, operation } = options;
  const read = (record: CallRecord, value: unknown): void => {
    if (readUsage !== undefined) {
      try {
        const usage = readUsage(value);
        if (usage !== null && typeof usage === 'object') {
          record.inputTokens = reported(usage.inputTokens) ?? record.inputTokens;
          record.outputTokens = reported(usage.outputTokens) ?? record.outputTokens;
          record.cachedInputTokens = reported(usage.cachedInputTokens) ?? record.cachedInputTokens;
          record.reasoningTokens = reported(usage.reasoningTokens) ?? record.reasoningTokens;
        }
      } catch (error) {
        fault('track', error);
      }
    }
    if (readModel !== undefined) {
      try {
        const name = readModel(value);
        if (typeof name === 'string' && name !== '') record.responseModel = name;
      } catch (error) {
        fault('track', error);
      }
    }
  };
  // Only what the app asked to be read can be missing: without `readUsage` the counts are simply not known.
  const noteIfMissing = (record: CallRecord): void => {
    if (readUsage !== undefined && (record.inputTokens === undefined || (record.outputTokens === undefined && operation !== 'embeddings'))) {
      record.notes.push('usage_missing');
    }
    if (readModel !== undefined && record.responseModel === undefined) record.notes.push('model_missing');
  };
  return {
    response(call, value) {
      // A plain value, not a stream (see the provisional flag in `observe`).
      call.record.streaming = false;
      read(call.record, value);
      noteIfMissing(call.record);
    },
    chunk(call, chunk): ChunkKind {
      read(call.record, chunk);
      return OUTPUT;
    },
    done(call) {
      noteIfMissing(call.record);
    },
  };
}

