/**
 * A response body read as the network delivers it, handed on unchanged and in order, with the arrival
 * time of every piece (see transport.ts for why).
 *
 * The body the SDK gets is a real `ReadableStream` whose pieces come from this object's queue. Its
 * reader is the cheap part: `getReader()` and async iteration (what openai-node and
 * @anthropic-ai/sdk use to read a stream) hand out a real `ReadableStreamDefaultReader` of that stream
 * (it holds the stream's lock, `closed`, `cancel()` and `releaseLock()` are the platform's) whose
 * `read()` takes the next piece from the queue directly: one promise per piece, as the network's own
 * stream costs, and no second stream's machinery between the network and the SDK. Any other reader
 * (`response.json()`, `text()`, `tee()`, `pipeTo()`, a BYOB reader) reads the stream itself, which pulls
 * from the same queue. So the piece last handed out is always known, and with it the arrival time of
 * the chunk the SDK yields next.
 *
 * A body that fails at the network fails for its reader at once, as the network's own stream does:
 * what had arrived and was not yet read is lost with it (a late reader, as without the monitor).
 */
import type { Arrivals, Call } from '../call.js';

type ReadResult = ReadableStreamReadResult<Uint8Array>;

/** The stream's own arrivals, for its `getReader` and async iterator (module functions, not closures per body). */
const ARRIVALS = Symbol('llm-vitals.arrivals');

function timedGetReader(this: any, options?: { mode?: string }): ReadableStreamDefaultReader<Uint8Array> | ReadableStreamBYOBReader {
  const arrivals: BodyArrivals | undefined = this?.[ARRIVALS];
  if (arrivals === undefined || options?.mode !== undefined || this.locked) return ReadableStream.prototype.getReader.call(this, options as any);
  return new (queueReader())(this, arrivals);
}

function timedIterator(this: any, options?: { preventCancel?: boolean }): AsyncIterableIterator<Uint8Array> {
  const arrivals: BodyArrivals | undefined = this?.[ARRIVALS];
  if (arrivals === undefined || this.locked) return (ReadableStream.prototype as any).values.call(this, options);
  return new QueueIterator(new (queueReader())(this, arrivals), options?.preventCancel === true);
}

export class BodyArrivals implements Arrivals {
  lastDeliveredAt = 0;
  settledAt = 0;
  readonly stream: ReadableStream<Uint8Array>;
  private readonly source: ReadableStreamDefaultReader<Uint8Array>;
  private readonly calls: Call[];
  private controller!: ReadableStreamDefaultController<Uint8Array>;
  private pieces: (Uint8Array | undefined)[] = [];
  private times: number[] = [];
  private head = 0;
  private ended = false;
  private failed = false;
  private error: unknown = undefined;
  /** The stream's reader was cancelled, or the stream closed or errored: nothing more is handed out. */
  private finished = false;
  /** A read waiting for the next piece: from the fast reader (resolve/reject) or a pull of the stream. */
  private resolveRead: ((result: ReadResult) => void) | undefined = undefined;
  private rejectRead: ((error: unknown) => void) | undefined = undefined;
  private pulling: (() => void) | undefined = undefined;

  constructor(source: ReadableStream<Uint8Array>, calls: Call[]) {
    this.calls = calls;
    this.source = source.getReader();
    const stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.controller = controller;
        },
        pull: () => this.pull(),
        cancel: (reason) => {
          this.finished = true;
          this.pieces = [];
          this.times = [];
          this.head = 0;
          // A read of the fast reader still waiting ends, as the platform's reads do on cancel.
          this.wake();
          return this.source.cancel(reason);
        },
      },
      { highWaterMark: 0 },
    );
    // Own methods of this one stream: its default reader and its async iterator read the queue directly.
    Object.defineProperty(stream, ARRIVALS, { value: this });
    Object.defineProperty(stream, 'getReader', { configurable: true, writable: true, value: timedGetReader });
    Object.defineProperty(stream, Symbol.asyncIterator, { configurable: true, writable: true, value: timedIterator });
    this.stream = stream;
    this.read();
  }

  /** The fast reader's read: the next piece, the end, or the failure. */
  take(): Promise<ReadResult> {
    const head = this.head;
    if (head < this.pieces.length) return Promise.resolve({ value: this.next(head), done: false });
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

  private readonly park = (resolve: (result: ReadResult) => void, reject: (error: unknown) => void): void => {
    this.resolveRead = resolve;
    this.rejectRead = reject;
  };

  /** The piece at `head`, handed out now. */
  private next(head: number): Uint8Array {
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

  /** The stream's own pull: enqueue the next piece, or close, or error; false when there is nothing yet. */
  private deliver(): boolean {
    const head = this.head;
    if (head < this.pieces.length) {
      this.controller.enqueue(this.next(head));
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

  /** Close the stream itself once its last piece is out (its reader's `closed` resolves). */
  private close(): void {
    if (this.finished) return;
    this.finished = true;
    try {
      this.controller.close();
    } catch {
      // Cancelled meanwhile.
    }
  }

  /** Error the stream itself (its reader's `closed` rejects). */
  private fail(): void {
    if (this.finished) return;
    this.finished = true;
    try {
      this.controller.error(this.error);
    } catch {
      // Cancelled meanwhile.
    }
  }

  private read(): void {
    this.source.read().then(this.onRead, this.onError);
  }

  private readonly onRead = (result: ReadResult): void => {
    const now = performance.now();
    if (result.done) {
      this.ended = true;
      this.settledAt = now;
      this.settled(undefined);
    } else {
      if (this.finished) return;
      this.pieces.push(result.value);
      this.times.push(now);
      this.read();
    }
    this.wake();
  };

  private readonly onError = (error: unknown): void => {
    this.settledAt = performance.now();
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
      if (head < this.pieces.length) resolve({ value: this.next(head), done: false });
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

/**
 * A real default reader of the timed stream (it holds the lock; `closed`, `cancel()` and
 * `releaseLock()` are the platform's), whose `read()` takes pieces from the queue directly. Made on
 * first use: the platform's reader class is a global only where fetch is.
 */
type QueueReader = ReadableStreamDefaultReader<Uint8Array>;
let QueueReaderClass: (new (stream: ReadableStream<Uint8Array>, arrivals: BodyArrivals) => QueueReader) | undefined;

function queueReader(): new (stream: ReadableStream<Uint8Array>, arrivals: BodyArrivals) => QueueReader {
  return (QueueReaderClass ??= class QueueReader extends ReadableStreamDefaultReader<Uint8Array> {
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

/** What `for await (const piece of stream)` uses: the platform's async iterator, over the fast reader. */
class QueueIterator implements AsyncIterableIterator<Uint8Array> {
  private readonly reader: QueueReader;
  private readonly preventCancel: boolean;
  private done = false;

  constructor(reader: QueueReader, preventCancel: boolean) {
    this.reader = reader;
    this.preventCancel = preventCancel;
  }

  next(): Promise<IteratorResult<Uint8Array>> {
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return this.reader.read().then(this.onRead, this.onError);
  }

  private readonly onRead = (result: ReadResult): IteratorResult<Uint8Array> => {
    if (result.done) this.finish();
    return result as IteratorResult<Uint8Array>;
  };

  private readonly onError = (error: unknown): never => {
    this.finish();
    throw error;
  };

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

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.reader.releaseLock();
  }
}
