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
 */
import type { Arrivals, Call } from '../call.js';
import { monotonic } from '../lib/clock.js';

type ReadResult = ReadableStreamReadResult<Uint8Array>;

/** UTF-8, a leading BOM dropped: as the platform's `text()` and `json()` decode a body. */
const decoder = new TextDecoder();

/** A body stream's arrivals, for its own `getReader` and async iterator (module functions, not closures per body). */
const ARRIVALS = Symbol('llm-vitals.arrivals');

function timedGetReader(this: any, options?: { mode?: string }): ReadableStreamDefaultReader<Uint8Array> | ReadableStreamBYOBReader {
  const arrivals: BodyArrivals | undefined = this?.[ARRIVALS];
  if (arrivals === undefined || options?.mode !== undefined) return ReadableStream.prototype.getReader.call(this, options as any);
  return arrivals.reader(this);
}

function timedIterator(this: any, options?: { preventCancel?: boolean }): AsyncIterableIterator<Uint8Array> {
  const arrivals: BodyArrivals | undefined = this?.[ARRIVALS];
  if (arrivals === undefined) return (ReadableStream.prototype as any).values.call(this, options);
  const reader = arrivals.reader(this);
  return new QueueIterator(reader, options?.preventCancel === true, arrivals.readsQueue(reader) ? arrivals : undefined);
}

/**
 * The methods a timed body stream reads the queue with, on a prototype between the stream and the
 * platform's (made once): each body then takes one prototype change and one symbol-keyed store, where
 * three own properties defined on every body cost several times as much; no own property shows.
 */
let timedPrototype: object | undefined;

/**
 * The methods a timed Response's body is read with (what the SDKs call for a non-streamed answer:
 * `json()`, `text()`), reading the queue; the others (`arrayBuffer()`, `blob()`, `formData()`,
 * `clone()`) go to an equal copy made on first use. On a prototype between the Response and the
 * platform's, made once.
 */
let timedResponsePrototype: object | undefined;
const FORWARD = Symbol('llm-vitals.forward');

function arrivalsOf(response: any): BodyArrivals | undefined {
  return response?.[ARRIVALS];
}

/** The equal copy a timed Response's other methods read from (made once). */
function forwarded(response: any): Response {
  return (response[FORWARD] ??= arrivalsOf(response)!.copyOf(response));
}

function responsePrototype(): object {
  if (timedResponsePrototype !== undefined) return timedResponsePrototype;
  const platform = Response.prototype as any;
  const viaCopy = (name: string) =>
    function (this: any, ...args: unknown[]) {
      if (arrivalsOf(this) === undefined) return platform[name].apply(this, args);
      const copy: any = forwarded(this);
      return copy[name](...args);
    };
  // json() and text(): from the queue (a copy's own, once one was made for another reader).
  const fromQueue = (name: 'json' | 'text', parse?: (text: string) => unknown): PropertyDescriptor => ({
    configurable: true,
    writable: true,
    value: function (this: any) {
      const arrivals = arrivalsOf(this);
      if (arrivals === undefined) return platform[name].call(this);
      if (this[FORWARD] !== undefined) return this[FORWARD][name]();
      const text = arrivals.text();
      return parse === undefined ? text : text.then(parse);
    },
  });
  const methods: PropertyDescriptorMap = {
    json: fromQueue('json', JSON.parse),
    text: fromQueue('text'),
    bodyUsed: {
      configurable: true,
      get(this: any) {
        const arrivals = arrivalsOf(this);
        if (arrivals === undefined) return Reflect.get(platform, 'bodyUsed', this);
        return this[FORWARD] !== undefined ? this[FORWARD].bodyUsed : arrivals.used;
      },
    },
  };
  for (const name of ['arrayBuffer', 'blob', 'formData', 'bytes', 'clone']) {
    if (typeof platform[name] === 'function') methods[name] = { configurable: true, writable: true, value: viaCopy(name) };
  }
  return (timedResponsePrototype = Object.create(platform, methods));
}

/** Give `stream` the readers of the queue. */
function readFrom(stream: ReadableStream<Uint8Array>, arrivals: BodyArrivals): void {
  (stream as any)[ARRIVALS] = arrivals;
  if (Object.getPrototypeOf(stream) !== ReadableStream.prototype) {
    // A subclass or another realm's stream: own methods, leaving its prototype alone.
    Object.defineProperty(stream, 'getReader', { configurable: true, writable: true, value: timedGetReader });
    Object.defineProperty(stream, Symbol.asyncIterator, { configurable: true, writable: true, value: timedIterator });
    return;
  }
  timedPrototype ??= Object.create(ReadableStream.prototype, {
    getReader: { configurable: true, writable: true, value: timedGetReader },
    [Symbol.asyncIterator]: { configurable: true, writable: true, value: timedIterator },
  });
  Object.setPrototypeOf(stream, timedPrototype!);
}

export class BodyArrivals implements Arrivals {
  lastDeliveredAt = 0;
  settledAt = 0;
  /** The network's body stream, read by `source` (this observer's own reader of it). */
  private readonly body: ReadableStream<Uint8Array>;
  private readonly source: ReadableStreamDefaultReader<Uint8Array>;
  private readonly calls: Call[];
  /** The copy's stream and its controller, once a copy was made. */
  private copy: ReadableStream<Uint8Array> | undefined = undefined;
  private controller: ReadableStreamDefaultController<Uint8Array> | undefined = undefined;
  private rawCopy: Response | undefined = undefined;
  /** What the network's reader gave, each piece in the platform's own result object (handed on as it is). */
  private pieces: (ReadResult | undefined)[] = [];
  private times: number[] = [];
  private head = 0;
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
    this.source = ReadableStream.prototype.getReader.call(body) as ReadableStreamDefaultReader<Uint8Array>;
    this.read();
  }

  /** The body was read (text(), json(), a reader): as the platform's `bodyUsed`. */
  used = false;

  /**
   * The SDK reads the network's own Response: its `json()` and `text()`, and its body's default reader
   * and async iterator, read the queue.
   */
  observeInPlace(response: Response): void {
    readFrom(this.body, this);
    (response as any)[ARRIVALS] = this;
    if (Object.getPrototypeOf(response) === Response.prototype) Object.setPrototypeOf(response, responsePrototype());
  }

  /** The whole body as text, once it has all arrived (a non-streamed answer: a piece or a few). */
  async text(): Promise<string> {
    if (this.used) throw new TypeError('Body is unusable: Body has already been read');
    this.used = true;
    const parts: Uint8Array[] = [];
    let length = 0;
    for (let r = await this.take(); !r.done; r = await this.take()) {
      parts.push(r.value!);
      length += r.value.byteLength;
    }
    if (parts.length === 1) return decoder.decode(parts[0]);
    const whole = new Uint8Array(length);
    let at = 0;
    for (const part of parts) {
      whole.set(part, at);
      at += part.byteLength;
    }
    return decoder.decode(whole);
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
    readFrom(copy, this);
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
    // and the platform's own error for a second one (the body is locked).
    if (this.readerOut || stream !== this.body) return ReadableStream.prototype.getReader.call(stream) as ReadableStreamDefaultReader<Uint8Array>;
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
    return head < this.pieces.length ? this.next(head) : undefined;
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
    this.pieces = [];
    this.times = [];
    this.head = 0;
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
    if (head + 1 === this.pieces.length) {
      this.pieces = [];
      this.times = [];
      this.head = 0;
    } else this.head = head + 1;
    return piece;
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
    if (head < this.pieces.length) {
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
    } else {
      if (this.finished) return;
      this.pieces.push(result);
      this.times.push(now);
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
    this.pieces = [];
    this.times = [];
    this.head = 0;
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
      if (head < this.pieces.length) resolve(this.next(head));
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
    for (let i = 0; i < this.calls.length; i++) {
      try {
        this.calls[i].bodySettled(error);
      } catch {
        // Never reaches the app.
      }
    }
  }
}

type QueueReaderClass = new (stream: ReadableStream<Uint8Array>, arrivals: BodyArrivals) => ReadableStreamDefaultReader<Uint8Array>;
type InPlaceReaderClass = new (arrivals: BodyArrivals) => ReadableStreamDefaultReader<Uint8Array>;
let QueueReader: QueueReaderClass | undefined;
let InPlaceReader: InPlaceReaderClass | undefined;

/**
 * A real default reader of the copy (it holds the copy's lock; `closed`, `cancel()` and
 * `releaseLock()` are the platform's), whose `read()` takes pieces from the queue directly. Made on
 * first use: the platform's reader class is a global only where fetch is.
 */
function queueReader(): QueueReaderClass {
  return (QueueReader ??= class extends ReadableStreamDefaultReader<Uint8Array> {
    private readonly arrivals: BodyArrivals;
    private released = false;

    constructor(stream: ReadableStream<Uint8Array>, arrivals: BodyArrivals) {
      super(stream);
      this.arrivals = arrivals;
    }

    override read(): Promise<ReadResult> {
      if (this.released) return super.read();
      return this.arrivals.take();
    }

    override releaseLock(): void {
      this.released = true;
      super.releaseLock();
    }
  });
}

/**
 * The reader of a body observed in place: an instance of the platform's `ReadableStreamDefaultReader`
 * class (by its prototype) whose methods read the queue; the body's real lock is the observer's.
 */
function inPlaceReader(): InPlaceReaderClass {
  if (InPlaceReader !== undefined) return InPlaceReader;
  class Reader {
    private readonly arrivals: BodyArrivals;
    private released = false;

    constructor(arrivals: BodyArrivals) {
      this.arrivals = arrivals;
    }

    read(): Promise<ReadResult> {
      if (this.released) return Promise.reject(new TypeError('Invalid state: The reader is not attached to a stream'));
      return this.arrivals.take();
    }

    cancel(reason?: unknown): Promise<void> {
      if (this.released) return Promise.reject(new TypeError('Invalid state: The reader is not attached to a stream'));
      return this.arrivals.cancel(reason).then(() => undefined);
    }

    releaseLock(): void {
      if (this.released) return;
      this.released = true;
      this.arrivals.released();
    }

    get closed(): Promise<undefined> {
      return this.arrivals.closed();
    }
  }
  Object.setPrototypeOf(Reader.prototype, ReadableStreamDefaultReader.prototype);
  return (InPlaceReader = Reader as unknown as InPlaceReaderClass);
}

/** What `for await (const piece of stream)` uses: the platform's async iterator, over a queue reader. */
class QueueIterator implements AsyncIterableIterator<Uint8Array> {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly preventCancel: boolean;
  /** The queue the reader reads, when it is a queue reader: a piece at hand is handed on directly. */
  private readonly arrivals: BodyArrivals | undefined;
  private done = false;

  constructor(reader: ReadableStreamDefaultReader<Uint8Array>, preventCancel: boolean, arrivals: BodyArrivals | undefined) {
    this.reader = reader;
    this.preventCancel = preventCancel;
    this.arrivals = arrivals;
  }

  next(): Promise<IteratorResult<Uint8Array>> {
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    // A piece at hand: one resolved promise, as the reader's read gives, without a `then` after it
    // (per piece of a stream, that `then` and its promise cost more than the rest of the handing on).
    const ready = this.arrivals?.ready();
    if (ready !== undefined) return Promise.resolve(ready as IteratorResult<Uint8Array>);
    return this.reader.read().then(this.onRead, this.onError);
  }

  async return(value?: unknown): Promise<IteratorResult<Uint8Array>> {
    if (!this.done) {
      this.done = true;
      const cancelled = this.preventCancel ? undefined : this.reader.cancel(value);
      this.reader.releaseLock();
      await cancelled;
    }
    return { value: value as any, done: true };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private readonly onRead = (result: ReadResult): IteratorResult<Uint8Array> => {
    if (result.done) this.finish();
    return result as IteratorResult<Uint8Array>;
  };

  private readonly onError = (error: unknown): never => {
    this.finish();
    throw error;
  };

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.reader.releaseLock();
  }
}
