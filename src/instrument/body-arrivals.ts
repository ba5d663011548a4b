/**
 * A response body read as the network delivers it, handed on unchanged and in order, with the arrival
 * time of every piece (see transport.ts for why).
 *
 * The observer reads the network's body stream itself (eagerly, into a queue) and the SDK reads the
 * queue, in one of two ways:
 *   - In place (what the SDK parses): the SDK gets the network's own Response; its `json()` and
 *     `text()` (a non-streamed answer) and its body's `getReader()` and async iterator (a stream: what
 *     openai-node and @anthropic-ai/sdk read one with) read the queue, through prototypes between them
 *     and the platform's. Nothing else is made: no second stream or Response (in Node 20 a
 *     `ReadableStream` costs about 75k instructions to make and a `Response` around it 155k,
 *     measured; more than the rest of a call). The Response's other readers (`arrayBuffer()`,
 *     `blob()`, `formData()`, `clone()`) go to a copy, made when first used.
 *   - A copy (a Response the app takes raw with `asResponse()`): an equal Response whose body is a new
 *     stream over the queue, readable every way a body is (`text()`, `pipeTo()`, `tee()`, BYOB).
 * Either way the piece last handed out is known, and with it the arrival time of the chunk the SDK
 * yields next.
 *
 * A body that fails at the network fails for its reader at once, as the network's own stream does:
 * what had arrived and was not yet read is lost with it (a late reader, as without the monitor).
 *
 * This file is the queue: the network read into it, the pieces handed out of it with their times, the
 * copy's pull, the end and the failure. What reads it (the prototypes, the readers, the async
 * iterator) is body-readers.ts.
 */
import type { Arrivals, Call } from '../call.js';
import { monotonic } from '../lib/clock.js';
import { ARRIVALS, inPlaceReader, queueReader, readFrom, responsePrototype, wholeText, type BodyQueue, type ReadResult } from './body-readers.js';

/** What `calls` becomes once the body has settled. */
const NO_CALLS: readonly Call[] = [];

/** Room for a stream's pieces read ahead of the SDK (a 22-chunk answer arriving at once: 23 pieces). */
const STREAM_PIECES = 32;
/** STREAM_PIECES numbers (unboxed), copied for a stream's arrival times. */
const STREAM_TIMES: number[] = [];
for (let i = 0; i < STREAM_PIECES; i++) STREAM_TIMES.push(0.5);

export class BodyArrivals implements Arrivals, BodyQueue {
  lastDeliveredAt = 0;
  settledAt = 0;
  /** The network's body stream, read by `source` (this observer's own reader of it). */
  private readonly body: ReadableStream<Uint8Array>;
  private readonly source: ReadableStreamDefaultReader<Uint8Array>;
  /**
   * The calls this body answers, until it has settled (told once). In Node 20 a ReadableStream is a
   * transferable object with a weak handle, which V8's young-generation collections keep (with this
   * queue) until a full one: a call reachable from here then is promoted with it (0.65 kB a stream).
   */
  private calls: readonly Call[];
  /** The copy's stream and its controller, once a copy was made. */
  private copy: ReadableStream<Uint8Array> | undefined = undefined;
  private controller: ReadableStreamDefaultController<Uint8Array> | undefined = undefined;
  private rawCopy: Response | undefined = undefined;
  /**
   * What the network's reader gave, not yet handed out, at [head, count): each piece in the platform's
   * own result object (handed on as it is) and its arrival time; refilled from 0 when the queue empties.
   */
  private pieces: (ReadResult | undefined)[] = [];
  private times: number[] = [];
  private head = 0;
  private count = 0;
  /** A stream's body (several pieces, read ahead of the SDK): its lists start with room for STREAM_PIECES. */
  private readonly streaming: boolean;
  private ended = false;
  private failed = false;
  private error: unknown = undefined;
  /** Cancelled, or closed or errored for its reader: nothing more is handed out. */
  private finished = false;
  /** In place: a reader of the queue is out (it holds the body's lock, as the platform's would). */
  private readerOut = false;
  /** The latest reader of the queue handed out. */
  private queueReaderOut: ReadableStreamDefaultReader<Uint8Array> | undefined = undefined;
  /** A read waiting for the next piece: from a queue reader (resolve/reject) or a pull of the copy. */
  private resolveRead: ((result: ReadResult) => void) | undefined = undefined;
  private rejectRead: ((error: unknown) => void) | undefined = undefined;
  private pulling: (() => void) | undefined = undefined;
  /** In place: the queue reader's `closed`, made when first asked for. */
  private closedPromise: Promise<undefined> | undefined = undefined;
  private closedSettle: ((error?: unknown) => void) | undefined = undefined;

  constructor(body: ReadableStream<Uint8Array>, calls: Call[]) {
    this.body = body;
    this.calls = calls;
    this.streaming = calls.length > 0 && calls[0].record.streaming;
    this.source = ReadableStream.prototype.getReader.call(body) as ReadableStreamDefaultReader<Uint8Array>;
    this.read();
  }

  /** The body was read (text(), json(), a reader): as the platform's `bodyUsed`. */
  used = false;
  /** In place: the body stream was given the queue's readers. */
  private bodyReaders = false;
  /** In place: read whole by `text()` (`json()`): the body stream stays locked, as the platform's does then. */
  private readWhole = false;

  /**
   * The SDK reads the network's own Response: its `json()` and `text()`, and its body's default reader
   * and async iterator, read the queue.
   */
  observeInPlace(response: Response): void {
    (response as any)[ARRIVALS] = this;
    const timed = Object.getPrototypeOf(response) === Response.prototype;
    if (timed) Object.setPrototypeOf(response, responsePrototype());
    // A stream is read through its body at once; a non-streamed answer with json() or text(), and its
    // body stream gets the queue's readers only if someone asks the Response for it (giving a stream
    // them changes its prototype and adds a property: in Node 20, a hidden class built per body).
    if (this.streaming || !timed) this.bodyAsked();
  }

  /** In place: the body stream reads the queue from now on. */
  bodyAsked(): void {
    if (this.bodyReaders) return;
    this.bodyReaders = true;
    readFrom(this.body, this, this.streaming);
  }

  /** The whole body as text, once it has all arrived (a non-streamed answer: a piece or a few). */
  text(): Promise<string> {
    if (this.used) return Promise.reject(new TypeError('Body is unusable: Body has already been read'));
    this.used = true;
    this.readWhole = true;
    return wholeText(this);
  }

  /** An equal Response whose body is a new stream over the queue (read any way a body is). */
  copyOf(response: Response): Response {
    const timed = new Response(this.makeCopy(), { status: response.status, statusText: response.statusText, headers: response.headers });
    // The fields a constructed Response cannot be given: the app and the SDK read the network's.
    Object.defineProperty(timed, 'url', { value: response.url, configurable: true });
    Object.defineProperty(timed, 'redirected', { value: response.redirected, configurable: true });
    Object.defineProperty(timed, 'type', { value: response.type, configurable: true });
    return timed;
  }

  /**
   * The Response the app gets from `asResponse()`: a body observed in place (the SDK was to parse it)
   * but taken raw after it arrived becomes a copy, readable every way; otherwise the one it had.
   */
  forRawUse(response: Response): Response {
    if (this.copy !== undefined || response?.body !== this.body) return response;
    return (this.rawCopy ??= this.copyOf(response));
  }

  private makeCopy(): ReadableStream<Uint8Array> {
    const copy = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.controller = controller;
        },
        pull: () => this.pull(),
        cancel: (reason) => this.cancel(reason),
      },
      { highWaterMark: 0 },
    );
    readFrom(copy, this, this.streaming);
    this.copy = copy;
    return copy;
  }

  /** A default reader of `stream` (the body in place, or the copy) whose `read()` takes from the queue. */
  reader(stream: ReadableStream<Uint8Array>): ReadableStreamDefaultReader<Uint8Array> {
    if (stream === this.copy) {
      // A real reader of the copy: it holds the copy's lock; the platform throws if it is taken.
      if (stream.locked) return ReadableStream.prototype.getReader.call(stream) as ReadableStreamDefaultReader<Uint8Array>;
      return (this.queueReaderOut = new (queueReader())(stream, this));
    }
    // In place the network's body is locked by this observer's reader: one queue reader at a time,
    // and the platform's own error for a second one, or after text() or json() read it whole (the body is locked).
    if (this.readerOut || this.readWhole || stream !== this.body) return ReadableStream.prototype.getReader.call(stream) as ReadableStreamDefaultReader<Uint8Array>;
    this.readerOut = true;
    this.used = true;
    return (this.queueReaderOut = new (inPlaceReader())(this));
  }

  /** Whether `reader` reads this queue (not the platform's reader of some other stream). */
  readsQueue(reader: ReadableStreamDefaultReader<Uint8Array>): boolean {
    return reader === this.queueReaderOut;
  }

  /**
   * A queue reader's read when a piece is at hand: its result, else undefined (the end, the failure
   * or a wait go through `take`). Lets the async iterator hand the piece on without a `then` of its own.
   */
  ready(): ReadResult | undefined {
    const head = this.head;
    return head < this.count ? this.next(head) : undefined;
  }

  /** A queue reader's read: the next piece, the end, or the failure. */
  take(): Promise<ReadResult> {
    const ready = this.ready();
    if (ready !== undefined) return Promise.resolve(ready);
    if (this.failed) {
      this.fail();
      return Promise.reject(this.error);
    }
    if (this.ended || this.finished) {
      this.close();
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise(this.park);
  }

  /** In place: the queue reader let go of the body. */
  released(): void {
    this.readerOut = false;
  }

  /** In place: the queue reader's `closed`. */
  closed(): Promise<undefined> {
    if (this.closedPromise === undefined) {
      this.closedPromise = new Promise<undefined>((resolve, reject) => {
        this.closedSettle = (error?: unknown) => (error === undefined ? resolve(undefined) : reject(error));
      });
      // As the platform's: a rejected `closed` nobody awaits is not an unhandled rejection.
      this.closedPromise.catch(() => {});
      if (this.finished) this.closedSettle!(this.failed ? this.error : undefined);
    }
    return this.closedPromise;
  }

  /** The reader cancelled the body: the network's stream is cancelled, a waiting read ends. */
  cancel(reason: unknown): Promise<void> {
    this.finished = true;
    this.emptied();
    this.closedSettle?.();
    this.wake();
    return this.source.cancel(reason);
  }

  private readonly park = (resolve: (result: ReadResult) => void, reject: (error: unknown) => void): void => {
    this.resolveRead = resolve;
    this.rejectRead = reject;
  };

  /** The piece at `head` (in the network reader's result), handed out now. */
  private next(head: number): ReadResult {
    const piece = this.pieces[head]!;
    this.lastDeliveredAt = this.times[head];
    this.pieces[head] = undefined;
    if (head + 1 === this.count) {
      this.head = 0;
      this.count = 0;
      if (this.ended) this.emptied(); // the last piece is out: the lists go (see `calls`)
    } else this.head = head + 1;
    return piece;
  }

  /** A piece that arrived now, queued at the end. */
  private queue(result: ReadResult, now: number): void {
    const at = this.count;
    const pieces = this.pieces;
    if (at < pieces.length) {
      pieces[at] = result;
      this.times[at] = now;
    } else if (at === 0 && this.streaming) {
      // One list of the size a stream's read-ahead needs, where growing from empty would make two.
      const fresh: (ReadResult | undefined)[] = new Array(STREAM_PIECES);
      fresh[0] = result;
      this.pieces = fresh;
      const times = STREAM_TIMES.slice();
      times[0] = now;
      this.times = times;
    } else {
      pieces.push(result);
      this.times.push(now);
    }
    this.count = at + 1;
  }

  /** Nothing queued any more, and the pieces let go of (a cancel, a failure). */
  private emptied(): void {
    this.pieces = [];
    this.times = [];
    this.head = 0;
    this.count = 0;
  }

  private pull(): Promise<void> | void {
    if (this.deliver()) return;
    return new Promise<void>((resolve) => {
      this.pulling = resolve;
    });
  }

  /** The copy's pull: enqueue the next piece, or close, or error; false when there is nothing yet. */
  private deliver(): boolean {
    const head = this.head;
    if (head < this.count) {
      this.controller!.enqueue(this.next(head).value!);
      return true;
    }
    if (this.failed) {
      this.fail();
      return true;
    }
    if (this.ended) {
      this.close();
      return true;
    }
    return false;
  }

  /** The last piece is out: the copy closes, the in-place reader's `closed` resolves. */
  private close(): void {
    if (this.finished) return;
    this.finished = true;
    this.closedSettle?.();
    try {
      this.controller?.close();
    } catch {
      // Cancelled meanwhile.
    }
  }

  /** The failure reached the reader: the copy errors, the in-place reader's `closed` rejects. */
  private fail(): void {
    if (this.finished) return;
    this.finished = true;
    this.closedSettle?.(this.error);
    try {
      this.controller?.error(this.error);
    } catch {
      // Cancelled meanwhile.
    }
  }

  private read(): void {
    this.source.read().then(this.onRead, this.onError);
  }

  private readonly onRead = (result: ReadResult): void => {
    const now = monotonic();
    if (result.done) {
      this.ended = true;
      this.settledAt = now;
      this.settled(undefined);
      if (this.count === 0) this.emptied();
    } else {
      if (this.finished) return;
      this.queue(result, now);
      this.read();
    }
    this.wake();
  };

  private readonly onError = (error: unknown): void => {
    this.settledAt = monotonic();
    this.settled(error);
    // As the network's own stream: what was not yet read is lost with the failure.
    this.failed = true;
    this.error = error;
    this.emptied();
    this.wake();
  };

  /** A read or a pull waiting for this piece, the end or the failure gets it now. */
  private wake(): void {
    const resolve = this.resolveRead;
    if (resolve !== undefined) {
      const reject = this.rejectRead!;
      this.resolveRead = undefined;
      this.rejectRead = undefined;
      // The waiting read gets what take() would give, without a promise of its own in between.
      const head = this.head;
      if (head < this.count) resolve(this.next(head));
      else if (this.failed) {
        this.fail();
        reject(this.error);
      } else if (this.ended || this.finished) {
        this.close();
        resolve({ value: undefined, done: true });
      } else {
        this.resolveRead = resolve;
        this.rejectRead = reject;
      }
      return;
    }
    const pulled = this.pulling;
    if (pulled !== undefined && this.deliver()) {
      this.pulling = undefined;
      pulled();
    }
  }

  /** The body ended at the network (error undefined) or failed there: tell the calls. */
  private settled(error: unknown): void {
    const calls = this.calls;
    this.calls = NO_CALLS;
    for (let i = 0; i < calls.length; i++) {
      try {
        calls[i].bodySettled(error);
      } catch {
        // Never reaches the app.
      }
    }
  }
}
