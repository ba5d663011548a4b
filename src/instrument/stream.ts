/**
 * The stream tap: observes each chunk of a streamed response on its way to the app, without
 * replacing the stream. The stream object keeps its class, its methods (`tee()`,
 * `toReadableStream()`, `controller`, helpers) and its identity; only the iterator it hands out is
 * wrapped, so every consumer path (for-await, tee branches, readable streams) passes through the tap.
 *
 * The record ends exactly once: when the stream is exhausted (`completed`, or `aborted` if its
 * controller was aborted), when the consumer stops early (`return()`: `cancelled`), when the
 * stream throws (`failed`, or `aborted` for an abort error), or when it is aborted (or its body fails)
 * before anyone started reading it.
 *
 * Chunks are timed at their arrival from the network (see transport.ts), not when the app reads them.
 *
 * Hot path: one bound handler per stream, no closure or allocation per chunk beyond the promise the
 * inner iterator already makes and the one `then` adds.
 */
import type { Call } from '../call.js';
import { signalAborted } from '../lib/signal-aborted.js';

/** What an instrument knows about one provider's chunks. */
export interface ChunkReader {
  /**
   * Read one chunk into the call's record and say what it was: `OUTPUT` (it carries output: text,
   * tool-call arguments, a refusal; these are timed and counted), `META` (shown to the app, but only
   * metadata: a role announcement, `response.created`, usage), or `HIDE` (a usage-only chunk the
   * monitor itself asked for, which the app never asked for and must not see).
   */
  chunk(call: Call, chunk: any): ChunkKind;
  /** Called once when the stream is exhausted, before the record ends. */
  done?(call: Call): void;
  /**
   * After the record has ended (and been published, so it is never written to again): is this chunk
   * one the monitor itself asked for and must still hide? Also undoes the monitor's own changes the
   * app would otherwise see (`usage: null` added to every chunk).
   */
  hiddenAfterEnd?(call: Call, chunk: any): boolean;
}

/** Report a fault inside the monitor (never thrown into the app). */
export type FaultReporter = (component: string, error: unknown) => void;

export const HIDE = 0;
export const META = 1;
export const OUTPUT = 2;
export type ChunkKind = typeof HIDE | typeof META | typeof OUTPUT;

const TAPPED = Symbol.for('llm-vitals.tapped');

class TappedIterator<T> implements AsyncIterator<T> {
  private readonly inner: AsyncIterator<T>;
  /**
   * The inner iterator's `next`, looked up once: the SDK's iterator is a generator object of a closure
   * made per stream, so each has a map of its own and a lookup per chunk would be a megamorphic one
   * (as `for await` does, which takes `next` once).
   */
  private readonly innerNext: AsyncIterator<T>['next'];
  private readonly call: Call;
  private readonly reader: ChunkReader;
  private readonly signal: AbortSignal | undefined;
  private readonly fault: FaultReporter;

  constructor(inner: AsyncIterator<T>, call: Call, reader: ChunkReader, signal: AbortSignal | undefined, fault: FaultReporter) {
    this.inner = inner;
    this.innerNext = inner.next;
    this.call = call;
    this.reader = reader;
    this.signal = signal;
    this.fault = fault;
    call.reading = true;
  }

  next(value?: unknown): Promise<IteratorResult<T>> {
    // Chained rather than observed on the side: V8 makes a chained `then` nearly free (measured:
    // about 2 ns a chunk, against 30 ns for a side `then`), and chaining lets the tap hide a chunk.
    // The inner iterator gets the argument only when the app gave one (no array made per chunk).
    const next = arguments.length === 0 ? this.innerNext.call(this.inner) : this.innerNext.call(this.inner, value);
    return next.then(this.onResult, this.onError);
  }

  return(value?: any): Promise<IteratorResult<T>> {
    const signal = this.signal;
    this.call.end(signal !== undefined && signalAborted(signal) ? 'aborted' : 'cancelled');
    const inner = this.inner;
    return typeof inner.return === 'function' ? inner.return(value) : Promise.resolve({ done: true, value });
  }

  throw(error?: unknown): Promise<IteratorResult<T>> {
    this.call.end('failed', error);
    const inner = this.inner;
    return typeof inner.throw === 'function' ? inner.throw(error) : Promise.reject(error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private readonly onResult = (result: IteratorResult<T>): IteratorResult<T> | Promise<IteratorResult<T>> => {
    const call = this.call;
    if (result.done) {
      if (!call.ended) {
        try {
          this.reader.done?.(call);
        } catch (error) {
          this.fault('instrument', error);
        }
        const signal = this.signal;
        call.end(signal !== undefined && signalAborted(signal) ? 'aborted' : 'completed');
      }
      return result;
    }
    if (call.ended) {
      // The app may read on after the record ended (ended by an abort, a shutdown): what the monitor
      // asked for stays hidden, and the record is not touched.
      if (call.hideUsageChunk && this.reader.hiddenAfterEnd?.(call, result.value) === true) return this.next();
      return result;
    }
    let kind: ChunkKind = OUTPUT;
    try {
      kind = this.reader.chunk(call, result.value);
    } catch (error) {
      this.fault('instrument', error);
    }
    // Timed at the chunk's arrival from the network when the transport was observed: the clock is read
    // only for output chunks, and only when no arrival time is known.
    if (kind === OUTPUT) call.chunk(call.arrivedAt());
    else if (kind === HIDE) return this.next();
    return result;
  };

  private readonly onError = (error: unknown): never => {
    this.call.end('failed', error);
    throw error;
  };
}

/**
 * Tap a stream in place and return the same object. Streams of the official SDKs keep their iterator
 * factory in an `iterator` field that `[Symbol.asyncIterator]`, `tee()` and `toReadableStream()` all
 * call, so that field is wrapped; any other async iterable gets an own `[Symbol.asyncIterator]`.
 */
export function tapStream<S extends object>(stream: S, call: Call, reader: ChunkReader, fault: FaultReporter): S {
  const s = stream as any;
  // Once per call (the parsed value may reach the tap by two paths); another call (a second monitor,
  // `track` around a wrapped client) taps the same stream again, around this tap. The stream keeps
  // the calls' record ids, and its iterator factory the call only until the first iterator is made:
  // nothing the stream holds reaches a call after that (what the SDK's stream holds is kept through
  // V8's young-generation collections long after its iteration, with all it reaches: 0.8 kB a stream).
  const tappedFor: string[] | undefined = s[TAPPED];
  const id = call.record.id;
  if (tappedFor !== undefined && tappedFor.includes(id)) return stream;
  const signal: AbortSignal | undefined = s.controller?.signal;
  // The iterator factory is taken once; the first iterator made is the one the record follows.
  let untapped: Call | undefined = call;
  const wrap = (inner: AsyncIterator<unknown>): AsyncIterator<unknown> => {
    const forCall = untapped;
    if (forCall === undefined) return inner;
    untapped = undefined;
    return new TappedIterator(inner, forCall, reader, signal, fault);
  };
  try {
    const own = Object.prototype.hasOwnProperty;
    if (typeof s.iterator === 'function' && own.call(s, 'iterator')) {
      const original = s.iterator;
      s.iterator = function (this: unknown, ...args: unknown[]) {
        return wrap(original.apply(this, args));
      };
      // openai v7 puts its own iterator on chat streams, over `iterator`, that rewrites each chunk
      // (and throws on some malformed ones): tap that one too, so the record follows what the app
      // iterates; the first iterator made is the tapped one, so the inner one is not tapped again.
      const outer = s[Symbol.asyncIterator];
      if (typeof outer === 'function' && own.call(s, Symbol.asyncIterator)) {
        s[Symbol.asyncIterator] = function (this: unknown) {
          return wrap(outer.call(this));
        };
      }
    } else if (typeof s[Symbol.asyncIterator] === 'function') {
      const original = s[Symbol.asyncIterator];
      Object.defineProperty(s, Symbol.asyncIterator, {
        configurable: true,
        writable: true,
        value: function (this: unknown) {
          return wrap(original.call(this));
        },
      });
    } else {
      call.record.notes.push('stream_not_iterable');
      call.end('completed');
      return stream;
    }
    // A plain store under a symbol key (no enumeration, JSON or spread shows it), not a defineProperty.
    if (tappedFor === undefined) s[TAPPED] = [id];
    else tappedFor.push(id);
    // Aborted before anyone read it (`stream.controller.abort()`, the request's AbortSignal): no reader
    // will ever see the end, so the abort ends the record.
    if (signal !== undefined && signalAborted(signal)) call.end('aborted');
    else if (signal !== undefined) call.watchAbortOf(signal);
  } catch (error) {
    // A frozen or exotic stream object: leave it alone and say so.
    fault('instrument', error);
    call.record.notes.push('stream_not_tapped');
    call.end('completed');
  }
  return stream;
}

/** True when a value can be iterated with `for await`. */
export function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return value !== null && typeof value === 'object' && typeof (value as any)[Symbol.asyncIterator] === 'function';
}
