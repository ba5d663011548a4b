/**
 * How a timed body (body-arrivals.ts) is read: what the SDK and the app read the queue of arrived
 * pieces with, in place of the platform's readers, and nothing else (the queue, and the arrival times,
 * are body-arrivals.ts's).
 *
 *   - A body stream's `getReader()` and async iterator, and a Response's `json()`, `text()` and
 *     `bodyUsed`: on prototypes between the stream (or Response) and the platform's, made once, so a
 *     body costs one prototype change and one symbol-keyed store or WeakMap entry (see ARRIVALS);
 *     the Response's other readers (`arrayBuffer()`, `blob()`, `formData()`, `clone()`) go to an
 *     equal copy made on first use.
 *   - The readers handed out: a real default reader of the copy whose `read()` takes from the queue,
 *     and, in place, an instance of the platform's reader class by its prototype that reads the queue.
 *   - The async iterator over a queue reader, which hands a piece at hand on directly.
 *
 * The prototypes and reader classes are made on first use (the platform's reader class is a global
 * only where fetch is).
 */

export type ReadResult = ReadableStreamReadResult<Uint8Array>;

/** What the readers here take from a timed body's queue (body-arrivals.ts's `BodyArrivals`). */
export interface BodyQueue {
  /** The body was read (text(), json(), a reader): as the platform's `bodyUsed`. */
  readonly used: boolean;
  /** The whole body as text, once it has all arrived. */
  text(): Promise<string>;
  /** An equal Response whose body is a new stream over the queue. */
  copyOf(response: Response): Response;
  /** A default reader of `stream` (the body in place, or the copy) whose `read()` takes from the queue. */
  reader(stream: ReadableStream<Uint8Array>): ReadableStreamDefaultReader<Uint8Array>;
  /** Whether `reader` reads this queue (not the platform's reader of some other stream). */
  readsQueue(reader: ReadableStreamDefaultReader<Uint8Array>): boolean;
  /** A piece at hand, handed out now; else undefined. */
  ready(): ReadResult | undefined;
  /** The next piece, the end, or the failure. */
  take(): Promise<ReadResult>;
  /** In place: the queue reader let go of the body. */
  released(): void;
  /** In place: the queue reader's `closed`. */
  closed(): Promise<undefined>;
  /** The reader cancelled the body. */
  cancel(reason: unknown): Promise<void>;
  /** In place: the Response's `body` was asked for; its stream gets the queue's readers now if it has not yet. */
  bodyAsked(): void;
}

/**
 * A timed Response's arrivals, for its `json()`, `text()` and other readers, and a body stream's, for
 * its own `getReader` and async iterator (module functions, not closures per body): a non-streamed
 * body's on the stream itself, under this symbol; a streamed body's in `streamArrivals` beside it.
 * Measured both ways (bench/peers, openai 6, the virtual clock): a WeakMap entry per non-streamed body
 * raised a call's garbage collection with all defaults from 14k to 38k instructions (W 5000,
 * N 1000→2000), while for a 22-chunk stream with Prometheus only the symbol-keyed store cost about 15k
 * more than the entry (+72.6k over bare at d96f523 against +57.2k at a131dee, W 10000, N 500→1500).
 * In Node 20 every `ReadableStream` has a hidden class of its own, so the store builds one per body,
 * and its reads miss V8's caches.
 */
export const ARRIVALS = Symbol('llm-vitals.arrivals');
const streamArrivals = new WeakMap<object, BodyQueue>();

/** A body stream's arrivals, wherever `readFrom` put them (a streamed body's first: a probe of its own hidden class would miss V8's caches). */
function streamArrivalsOf(stream: any): BodyQueue | undefined {
  return streamArrivals.get(stream) ?? stream?.[ARRIVALS];
}

function timedGetReader(this: any, options?: { mode?: string }): ReadableStreamDefaultReader<Uint8Array> | ReadableStreamBYOBReader {
  const arrivals = streamArrivalsOf(this);
  if (arrivals === undefined || options?.mode !== undefined) return ReadableStream.prototype.getReader.call(this, options as any);
  return arrivals.reader(this);
}

function timedIterator(this: any, options?: { preventCancel?: boolean }): AsyncIterableIterator<Uint8Array> {
  const arrivals = streamArrivalsOf(this);
  if (arrivals === undefined) return (ReadableStream.prototype as any).values.call(this, options);
  const reader = arrivals.reader(this);
  return new QueueIterator(reader, options?.preventCancel === true, arrivals.readsQueue(reader) ? arrivals : undefined);
}

/**
 * The methods a timed body stream reads the queue with, on a prototype between the stream and the
 * platform's (made once): each body then takes one prototype change and one store (see ARRIVALS), where
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

function arrivalsOf(response: any): BodyQueue | undefined {
  return response?.[ARRIVALS];
}

/** The equal copy a timed Response's other methods read from (made once). */
function forwarded(response: any): Response {
  return (response[FORWARD] ??= arrivalsOf(response)!.copyOf(response));
}

export function responsePrototype(): object {
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
  const platformBody = Object.getOwnPropertyDescriptor(platform, 'body')?.get;
  const methods: PropertyDescriptorMap = {
    json: fromQueue('json', JSON.parse),
    text: fromQueue('text'),
    // The body stream, given the queue's readers on first ask (a non-streamed answer is read with
    // json() or text(): its stream is then never touched, and costs nothing).
    ...(platformBody === undefined
      ? {}
      : {
          body: {
            configurable: true,
            get(this: any) {
              arrivalsOf(this)?.bodyAsked();
              return platformBody.call(this);
            },
          },
        }),
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

/** UTF-8, a leading BOM dropped: as the platform's `text()` and `json()` decode a body. */
const decoder = new TextDecoder();

/** The whole of a queue's body as text, once it has all arrived (a non-streamed answer: a piece or a few). */
export async function wholeText(queue: BodyQueue): Promise<string> {
  const parts: Uint8Array[] = [];
  let length = 0;
  for (let r = await queue.take(); !r.done; r = await queue.take()) {
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

/** Give `stream` the readers of the queue; `streamed`: the body of a streamed answer (see ARRIVALS). */
export function readFrom(stream: ReadableStream<Uint8Array>, arrivals: BodyQueue, streamed: boolean): void {
  if (streamed) streamArrivals.set(stream, arrivals);
  else (stream as any)[ARRIVALS] = arrivals;
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

type QueueReaderClass = new (stream: ReadableStream<Uint8Array>, arrivals: BodyQueue) => ReadableStreamDefaultReader<Uint8Array>;
type InPlaceReaderClass = new (arrivals: BodyQueue) => ReadableStreamDefaultReader<Uint8Array>;
let QueueReader: QueueReaderClass | undefined;
let InPlaceReader: InPlaceReaderClass | undefined;

/**
 * A real default reader of the copy (it holds the copy's lock; `closed`, `cancel()` and
 * `releaseLock()` are the platform's), whose `read()` takes pieces from the queue directly. Made on
 * first use: the platform's reader class is a global only where fetch is.
 */
export function queueReader(): QueueReaderClass {
  return (QueueReader ??= class extends ReadableStreamDefaultReader<Uint8Array> {
    private readonly arrivals: BodyQueue;
    private released = false;

    constructor(stream: ReadableStream<Uint8Array>, arrivals: BodyQueue) {
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
export function inPlaceReader(): InPlaceReaderClass {
  if (InPlaceReader !== undefined) return InPlaceReader;
  class Reader {
    private readonly arrivals: BodyQueue;
    private released = false;

    constructor(arrivals: BodyQueue) {
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
  private readonly arrivals: BodyQueue | undefined;
  private done = false;

  constructor(reader: ReadableStreamDefaultReader<Uint8Array>, preventCancel: boolean, arrivals: BodyQueue | undefined) {
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
