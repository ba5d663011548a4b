/**
 * CallRecord: the one shape every LLM call becomes, whatever the provider, and the small state
 * machine that fills it: start ▸ first chunk ▸ chunks ▸ end | error | abort, ending exactly once.
 *
 * Times on the record are in milliseconds (`startTime` is epoch ms; the others are durations measured
 * with the monotonic clock). Sinks convert to the units they export (seconds for the GenAI metrics).
 */

/** One HTTP request sent for a call (the SDK retries failed ones). */
export interface Attempt {
  /** The response's HTTP status; undefined when no response came (connection error, abort, timeout). */
  httpStatus: number | undefined;
  /** Why this attempt failed; undefined for the attempt that succeeded. */
  errorType: ErrorType | undefined;
  /** Milliseconds from sending it to its response headers (or its failure). */
  duration: number;
}

/** Where a token count came from. */
export type TokenSource = 'reported' | 'estimated';

/** How a call ended. */
export type Outcome =
  /** The response (or the whole stream) arrived. */
  | 'completed'
  /** The consumer stopped reading a stream early (`break`, `return()`), without an error. */
  | 'cancelled'
  /** The request was aborted through its AbortSignal. */
  | 'aborted'
  /** The call threw: HTTP error, network error, timeout, a stream failing midway. */
  | 'failed';

/** Low-cardinality error categories, exported as the `error_type` label. */
export type ErrorType =
  | 'rate_limit'
  | 'timeout'
  | 'aborted'
  | 'overloaded'
  | 'http_5xx'
  | 'http_4xx'
  | 'network'
  | 'invalid_response'
  | 'unknown';

export interface TokenCount {
  count: number;
  source: TokenSource;
}

export interface CallRecord {
  /** Unique per monitor; also the key for feedback. */
  readonly id: string;
  /** `gen_ai.provider.name`: `openai`, `anthropic`, `vllm`, ... */
  provider: string;
  /** `gen_ai.operation.name`: `chat`, `text_completion`, `embeddings`, ... */
  operation: string;
  /** The model the request asked for, when it named one. */
  requestModel: string | undefined;
  /** The model the response said it used, when it said. */
  responseModel: string | undefined;
  /** The provider's response id (`chatcmpl-...`, `resp_...`, `msg_...`). */
  responseId: string | undefined;
  streaming: boolean;
  serverAddress: string | undefined;
  serverPort: number | undefined;
  /** Epoch milliseconds when the request was issued. */
  startTime: number;
  /**
   * Milliseconds from issuing the request to the end of the response as it arrived from the network
   * (the last byte of the body), or to the moment the call failed, was aborted or was cancelled. Not
   * the moment the app read it: how long the app took is `consumerWait`.
   */
  duration: number;
  /**
   * Streams: milliseconds from issuing the request to the arrival of the first output chunk from the
   * network (GenAI conventions: "until the first chunk is received in the response stream"), however
   * late the app starts reading.
   */
  timeToFirstChunk: number | undefined;
  /**
   * Milliseconds the app itself took to read the response after it had arrived: from the arrival of
   * the last piece the app read (the whole body, for a call that completed) to the moment the app had
   * it (a parsed value awaited late, a stream read slowly: the backpressure a slow consumer causes).
   * Undefined when the response was not observed at the transport (see `notes`: `timed_at_read`).
   */
  consumerWait: number | undefined;
  /**
   * Every HTTP request the SDK sent for this call, in order: the SDK's own retries (429, 5xx,
   * connection errors) are attempts of the same call. Undefined when the transport was not observed.
   */
  attempts: Attempt[] | undefined;
  /** Streams: chunks the app saw (a usage-only chunk the monitor asked for and hid is not counted). */
  chunks: number;
  /** Streams: mean milliseconds between the arrivals of consecutive output chunks after the first. */
  timePerOutputChunk: number | undefined;
  /** Streams: each gap between consecutive chunks after the first, in milliseconds (bounded, see MAX_CHUNK_INTERVALS). */
  chunkIntervals: number[] | undefined;
  inputTokens: TokenCount | undefined;
  outputTokens: TokenCount | undefined;
  /** Input tokens served from the provider's prompt cache. */
  cachedInputTokens: TokenCount | undefined;
  /** Anthropic: input tokens written to the prompt cache. */
  cacheCreationInputTokens: TokenCount | undefined;
  /** Output tokens spent on reasoning (o-series, gpt-5, ...). */
  reasoningTokens: TokenCount | undefined;
  /**
   * Output tokens per second: output tokens over the time after the first chunk for streams, over
   * the whole call otherwise.
   */
  outputTokensPerSecond: number | undefined;
  /** Why generation stopped, one per choice, as the provider said it (`stop`, `length`, ...). */
  finishReasons: string[];
  outcome: Outcome;
  errorType: ErrorType | undefined;
  /** The error's class name as the SDK threw it (`RateLimitError`, `APIConnectionError`, ...). */
  errorClass: string | undefined;
  httpStatus: number | undefined;
  /** What the monitor noticed was off in the provider's data: `usage_missing`, `model_missing`, ... */
  notes: string[];
  /** Request context (route, segment, user attributes), filled by the Express middleware and `track`. */
  context: Record<string, string> | undefined;
  /** Request parameters the GenAI conventions name (never message content). */
  request: RequestParams;
  /**
   * Message content, only when the app opted in to content capture, and then already redacted and
   * truncated. Undefined by default: no prompt or completion text is kept on the record.
   */
  content: CapturedContent | undefined;
  /**
   * Anomaly and drift alerts this call tripped, set by the detectors before the later sinks (OTel
   * spans add them as span events) see the record.
   */
  alerts: AlertSummary[] | undefined;
  /**
   * What the call cost, from the price table and the final token counts. Undefined when no token
   * was counted (the call never reached the provider); `usd` undefined (never 0) when the model has
   * no price.
   */
  cost: CallCost | undefined;
  /** The evaluations of this call's output, when it was sampled for evaluation (`evaluationSampleRate`). */
  quality: CallQuality | undefined;
  /** The call's segment (option `segment`), bounded by the cardinality guard. */
  segment: string | undefined;
}

/** The cost of one call, and where the figure came from. */
export interface CallCost {
  /** US dollars; undefined when the model has no price (unknown cost, never counted as 0). */
  usd: number | undefined;
  /** `price_table`: the shipped prices; `options`: the app's `prices`; `unknown`: no price for the model. */
  source: 'price_table' | 'options' | 'unknown';
  /** The price entry that matched (`openai/gpt-4o` for `gpt-4o-2024-08-06`). */
  priceKey: string | undefined;
  /** The date (YYYY-MM-DD) the matched prices were checked. */
  pricesCheckedAt: string | undefined;
  /** `estimated` when any token count priced was estimated by the tokenizer. */
  tokens: TokenSource;
}

/** How one evaluator judged one output: `error` (it threw) and `timeout` say it could not judge. */
export type EvaluationResult = 'pass' | 'fail' | 'error' | 'timeout';

/** The evaluations of one call's output. */
export interface CallQuality {
  /** Mean score of the evaluations that judged (pass 1, fail 0, a custom score as given); undefined when none did. */
  score: number | undefined;
  /** One entry per evaluator that applied to this output, by evaluator name. */
  evaluations: Record<string, EvaluationResult>;
}

/** An alert as carried on the record of the call that tripped it. */
export interface AlertSummary {
  kind: 'anomaly' | 'drift';
  /** The signal: `latency`, `time_to_first_chunk`, `error_rate`, ... */
  signal: string;
  /** Score in [0, 1]. */
  score: number;
  threshold: number;
  /** The observed value (anomalies). */
  value?: number;
}

/** The request parameters of `gen_ai.request.*`, as the request gave them. */
export interface RequestParams {
  temperature?: number;
  topP?: number;
  topK?: number;
  maxTokens?: number;
  frequencyPenalty?: number;
  presencePenalty?: number;
  stopSequences?: string[];
  seed?: number;
  choiceCount?: number;
  encodingFormats?: string[];
}

/** Captured content, in the conventions' message shape (`gen_ai.input.messages` / `gen_ai.output.messages`). */
export interface CapturedContent {
  input: unknown[];
  output: unknown[];
}

import type { MetricLabels } from './sinks/sink.js';

/** A stream's per-chunk gaps are kept up to this many; past it the mean still counts every chunk. */
export const MAX_CHUNK_INTERVALS = 4096;

const NO_PARAMS: RequestParams = Object.freeze({});

let nextId = 0;
const idPrefix = Math.random().toString(36).slice(2, 8);

class CallRecordData implements CallRecord {
  readonly id: string;
  provider: string;
  operation: string;
  requestModel: string | undefined;
  responseModel: string | undefined = undefined;
  responseId: string | undefined = undefined;
  streaming: boolean;
  serverAddress: string | undefined = undefined;
  serverPort: number | undefined = undefined;
  startTime: number;
  duration = 0;
  timeToFirstChunk: number | undefined = undefined;
  consumerWait: number | undefined = undefined;
  attempts: Attempt[] | undefined = undefined;
  chunks = 0;
  timePerOutputChunk: number | undefined = undefined;
  chunkIntervals: number[] | undefined = undefined;
  inputTokens: TokenCount | undefined = undefined;
  outputTokens: TokenCount | undefined = undefined;
  cachedInputTokens: TokenCount | undefined = undefined;
  cacheCreationInputTokens: TokenCount | undefined = undefined;
  reasoningTokens: TokenCount | undefined = undefined;
  outputTokensPerSecond: number | undefined = undefined;
  finishReasons: string[] = [];
  outcome: Outcome = 'completed';
  errorType: ErrorType | undefined = undefined;
  errorClass: string | undefined = undefined;
  httpStatus: number | undefined = undefined;
  notes: string[] = [];
  context: Record<string, string> | undefined = undefined;
  request: RequestParams = NO_PARAMS;
  content: CapturedContent | undefined = undefined;
  alerts: AlertSummary[] | undefined = undefined;
  cost: CallCost | undefined = undefined;
  quality: CallQuality | undefined = undefined;
  segment: string | undefined = undefined;

  constructor(provider: string, operation: string, requestModel: string | undefined, streaming: boolean) {
    this.id = `${idPrefix}-${(nextId++).toString(36)}`;
    this.provider = provider;
    this.operation = operation;
    this.requestModel = requestModel;
    this.streaming = streaming;
    this.startTime = Date.now();
  }
}

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
    this.startedAt = performance.now();
    sink.started(this);
  }

  /** The time a chunk the SDK yields now arrived: from the transport when it was observed, else now. */
  arrivalOf(now: number): number {
    const arrivals = this.arrivals;
    if (arrivals === undefined) return now;
    const at = arrivals.lastDeliveredAt;
    return at > 0 && at <= now ? at : now;
  }

  /** One output chunk, which arrived from the network at `arrivedAt` (performance.now() time). */
  chunk(arrivedAt: number): void {
    const record = this.record;
    if (record.chunks++ === 0) {
      this.firstChunkAt = arrivedAt;
      record.timeToFirstChunk = arrivedAt - this.startedAt;
    } else {
      let intervals = record.chunkIntervals;
      if (intervals === undefined) intervals = record.chunkIntervals = [];
      if (intervals.length < MAX_CHUNK_INTERVALS) intervals.push(arrivedAt - this.lastChunkAt);
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
    attempts.push({ httpStatus, errorType, duration: performance.now() - sentAt });
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
    } else if (!this.reading) {
      this.end('failed', error);
    }
  }

  /** End the record. Later calls are ignored, so every path may call it. */
  end(outcome: Outcome, error?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    const now = performance.now();
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
