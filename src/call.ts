/**
 * Call: one LLM call in flight, and the small state machine that fills its record: start ▸ chunks
 * (timed at their arrival from the network) ▸ end | error | abort, ending exactly once, with the
 * outcome that happened. The instrument drives it; the monitor hears of its start and its end.
 */
import {
  CallRecordData,
  MAX_CHUNK_INTERVALS,
  type CallRecord,
  type ErrorType,
  type MetricLabels,
  type Outcome,
} from './record.js';
import { monotonic } from './lib/clock.js';

/** Where a finished call goes: the monitor. */
export interface CallSink {
  started(call: Call): void;
  ended(call: Call): void;
}

/** Text kept only until token estimation has run, never on the published record. */
export interface PendingText {
  /** The request body, kept by reference to count prompt tokens if the provider reports none. */
  request: unknown;
  /** Streamed output text pieces, joined only if output tokens must be estimated. */
  outputParts: string[];
}

/**
 * When the pieces of a response arrived from the network: kept by the transport observer
 * (instrument/transport.ts) for the body the SDK reads, so the record is timed at arrival, not at the
 * app's reads.
 */
export interface Arrivals {
  /** performance.now() when the piece of the body most recently handed to the SDK arrived; 0 before any. */
  readonly lastDeliveredAt: number;
  /** performance.now() when the body ended or failed at the network; 0 while it is still coming. */
  readonly settledAt: number;
  /** The Response to hand an app that takes it raw (`asResponse()`) after it arrived. */
  forRawUse?(response: Response): Response;
}

/**
 * Request signals whose abort is the consumer's own early stop, not an abort: the stream helpers
 * (`chat.completions.stream()`, `messages.stream()`) abort their request when the app breaks out of
 * them.
 */
export const CONSUMER_STOPPED = new WeakSet<AbortSignal>();

/**
 * One call in flight: the record it fills and the timing state of the instrument. Ends exactly once.
 */
export class Call {
  readonly record: CallRecord;
  /** performance.now() when the request was issued. */
  readonly startedAt: number;
  firstChunkAt = 0;
  lastChunkAt = 0;
  ended = false;
  /** The monitor asked for a usage-only chunk the app did not ask for: hide it from the app. */
  hideUsageChunk = false;
  pending: PendingText | undefined;
  /** Metric label values after the cardinality guard, set by the monitor when the call starts. */
  labels: MetricLabels | undefined = undefined;
  /** The arrivals of the response body the SDK reads, once the transport observed it. */
  arrivals: Arrivals | undefined = undefined;
  /** The AbortSignal the request was made with, when it had one. */
  signal: AbortSignal | undefined = undefined;
  /** A request reached the transport (fetch was called at least once). */
  sent = false;
  /** The response arrived whole but its content said the generation failed (Responses `response.failed`). */
  failure: unknown = undefined;
  /** The app started reading the response: a stream's iterator was made, or the SDK parses the body. */
  reading = false;
  /** The app took the raw Response (`asResponse()`): it reads the body, the monitor never parses it. */
  raw = false;
  private readonly sink: CallSink;
  private streamSignal: AbortSignal | undefined = undefined;
  private watchingAbort = false;

  constructor(
    sink: CallSink,
    provider: string,
    operation: string,
    requestModel: string | undefined,
    streaming: boolean,
    request: unknown,
  ) {
    this.sink = sink;
    this.record = new CallRecordData(provider, operation, requestModel, streaming);
    this.pending = { request, outputParts: [] };
    this.startedAt = monotonic();
    sink.started(this);
  }

  /**
   * When the chunk the SDK yields now arrived: the arrival of the piece of the body last handed to the
   * SDK (always in the past) when the transport was observed; else now, without a second clock read.
   */
  arrivedAt(): number {
    const arrivals = this.arrivals;
    if (arrivals !== undefined && arrivals.lastDeliveredAt > 0) return arrivals.lastDeliveredAt;
    return monotonic();
  }

  /**
   * A stream's own AbortSignal: an abort before anyone read the stream ends the call (no reader will
   * ever meet the end). While the body is still arriving at the transport observer, an abort fails
   * that read and ends the call there; so the listener (the platform's EventTarget costs about 31k
   * instructions, measured) is added only once that can no longer happen: when the body has arrived
   * with nobody reading it, or at once when the transport is not observed.
   */
  watchAbortOf(signal: AbortSignal): void {
    this.streamSignal = signal;
    if (this.arrivals === undefined || this.arrivals.settledAt > 0) this.watchAbort();
  }

  private watchAbort(): void {
    const signal = this.streamSignal;
    if (signal === undefined || this.watchingAbort || this.ended || this.reading) return;
    this.watchingAbort = true;
    if (typeof signal.addEventListener === 'function') signal.addEventListener('abort', endIfUnread.bind(this), { once: true });
  }

  /** One output chunk, which arrived from the network at `arrivedAt` (performance.now() time). */
  chunk(arrivedAt: number): void {
    const record = this.record;
    const before = record.chunks++;
    if (before === 0) {
      this.firstChunkAt = arrivedAt;
      record.timeToFirstChunk = arrivedAt - this.startedAt;
    } else if (before <= MAX_CHUNK_INTERVALS) {
      // The gap before this chunk goes at index before - 1; the list is cut to the gaps kept at the end.
      const gap = arrivedAt - this.lastChunkAt;
      const intervals = record.chunkIntervals;
      if (intervals === undefined) {
        const fresh = FIRST_GAPS.slice();
        fresh[0] = gap;
        record.chunkIntervals = fresh;
      } else if (before - 1 < intervals.length) intervals[before - 1] = gap;
      else intervals.push(gap);
    }
    this.lastChunkAt = arrivedAt;
  }

  /** One HTTP request the SDK sent for this call ended: with a response (status) or an error. */
  attempt(sentAt: number, httpStatus: number | undefined, error: unknown): void {
    const attempts = (this.record.attempts ??= []);
    if (attempts.length >= MAX_ATTEMPTS) return;
    let errorType: ErrorType | undefined;
    if (error !== undefined || (httpStatus !== undefined && httpStatus >= 400)) {
      try {
        errorType = errorTypeOf(error ?? { status: httpStatus }, httpStatus, (error as any)?.constructor?.name, 'failed');
      } catch {
        errorType = 'unknown';
      }
    }
    attempts.push({ httpStatus, errorType, duration: monotonic() - sentAt });
  }

  /**
   * The response body ended at the network, or failed there (a cut, an abort). A raw response ends
   * here; so does a failed body nobody is reading or parsing (a stream aborted before its first
   * iteration): the app may never touch it again. One being read ends when its reader meets the error.
   */
  bodySettled(error: unknown): void {
    if (this.ended) return;
    if (error === undefined) {
      if (this.raw) this.end('completed');
      else this.watchAbort();
    } else if (!this.reading) {
      this.end('failed', error);
    }
  }

  /** End the record. Later calls are ignored, so every path may call it. */
  end(outcome: Outcome, error?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    const now = monotonic();
    const record = this.record;
    // Timed at arrival: the call lasted until its body ended (or failed) at the network; what the
    // app took after that to read it is its own wait.
    const arrivals = this.arrivals;
    let endedAt = now;
    if (arrivals !== undefined) {
      const settled = arrivals.settledAt;
      const lastPiece = settled > 0 && outcome === 'completed' ? settled : arrivals.lastDeliveredAt;
      if (settled > 0 && settled <= now && outcome !== 'cancelled') endedAt = settled;
      if (lastPiece > 0 && lastPiece <= now) record.consumerWait = now - lastPiece;
    }
    record.duration = endedAt - this.startedAt;
    const intervals = record.chunkIntervals;
    if (intervals !== undefined && intervals.length > record.chunks - 1) intervals.length = Math.min(record.chunks - 1, MAX_CHUNK_INTERVALS);
    if (record.chunks > 1) record.timePerOutputChunk = (this.lastChunkAt - this.firstChunkAt) / (record.chunks - 1);
    if (error === undefined && outcome === 'completed' && this.failure !== undefined) {
      outcome = 'failed';
      error = this.failure;
    }
    if (error !== undefined || outcome === 'aborted') {
      try {
        classifyInto(record, error, outcome);
      } catch {
        // An exotic thrown value (a throwing getter, a revoked proxy) is still a failure, of unknown type.
        record.errorType = 'unknown';
      }
      // An SDK's abort error is an abort, not a failure.
      if (record.errorType === 'aborted') outcome = 'aborted';
      // The SDK itself threw on a chunk or body it could not take (openai v7 on `choices: [null]`, on
      // a Responses body whose `output` is not a list): the provider's data was malformed.
      else if (record.errorType === 'unknown' && this.reading && (error instanceof TypeError || error instanceof SyntaxError)) {
        record.errorType = 'invalid_response';
      }
    }
    // A stream helper aborts its request when the app breaks out of it: that is the consumer stopping.
    if (outcome === 'aborted' && this.signal !== undefined && CONSUMER_STOPPED.has(this.signal)) {
      outcome = 'cancelled';
      record.errorType = undefined;
      record.errorClass = undefined;
    }
    record.outcome = outcome;
    this.sink.ended(this);
  }
}

function endIfUnread(this: Call): void {
  if (!this.reading && !this.ended) this.end('aborted');
}

/**
 * A stream's list of chunk gaps starts with room for this many (unboxed numbers, made in one piece:
 * grown from empty by `push` it would be made twice, at 17 and at 41) and is cut to the gaps it holds
 * when the call ends.
 */
const FIRST_GAP_ROOM = 32;
const FIRST_GAPS: number[] = [];
for (let i = 0; i < FIRST_GAP_ROOM; i++) FIRST_GAPS.push(0.5);

/** A call's attempts are kept up to this many (the SDKs retry 2 times by default). */
const MAX_ATTEMPTS = 32;

/** Put the error's category, class and HTTP status on the record. */
function classifyInto(record: CallRecord, error: unknown, outcome: Outcome): void {
  const e = error as { status?: unknown; name?: unknown; code?: unknown; constructor?: { name?: string } } | undefined;
  const className = e && typeof e === 'object' ? e.constructor?.name : undefined;
  record.errorClass = className && className !== 'Object' ? className : e === undefined ? undefined : typeof e;
  const status = e && typeof e.status === 'number' ? e.status : undefined;
  record.httpStatus = status;
  record.errorType = errorTypeOf(e, status, className, outcome);
}

function errorTypeOf(e: any, status: number | undefined, className: string | undefined, outcome: Outcome): ErrorType {
  if (outcome === 'aborted') return 'aborted';
  const name = `${className ?? ''} ${e?.name ?? ''}`;
  if (/Abort/.test(name)) return 'aborted';
  if (/Timeout/.test(name) || status === 408) return 'timeout';
  if (status === 429) return 'rate_limit';
  if (status === 529) return 'overloaded';
  if (status !== undefined && status >= 500) return 'http_5xx';
  if (status !== undefined && status >= 400) return 'http_4xx';
  // An error event inside a stream has no HTTP status, only the API's error type (Anthropic's SSE `error` event).
  const apiType = e?.type ?? e?.error?.type ?? e?.error?.error?.type;
  if (apiType === 'overloaded_error') return 'overloaded';
  if (apiType === 'rate_limit_error') return 'rate_limit';
  // OpenAI's in-stream `error` events and failed responses carry a code instead.
  const apiCode = typeof e?.code === 'string' ? e.code : typeof e?.error?.code === 'string' ? e.error.code : undefined;
  if (apiCode !== undefined) {
    if (/rate_limit/.test(apiCode)) return 'rate_limit';
    if (/overloaded|server_is_overloaded|capacity/.test(apiCode)) return 'overloaded';
    if (/timeout|timed_out/.test(apiCode)) return 'timeout';
    if (/server_error|internal/.test(apiCode)) return 'http_5xx';
  }
  const code = String(e?.code ?? e?.cause?.code ?? '');
  // Node's socket errors (ECONNRESET, ...), undici's (UND_ERR_SOCKET, a body cut midway: "terminated").
  if (/Connection|Network|FetchError/.test(name) || /^(E[A-Z]+|UND_ERR\w*)$/.test(code) || e?.message === 'terminated') return 'network';
  if (e instanceof SyntaxError || /Parse|JSON/.test(name)) return 'invalid_response';
  return 'unknown';
}
