/**
 * CallRecord: the one shape every LLM call becomes, whatever the provider, and the small state
 * machine that fills it: start ▸ first chunk ▸ chunks ▸ end | error | abort, ending exactly once.
 *
 * Times on the record are in milliseconds (`startTime` is epoch ms; the others are durations measured
 * with the monotonic clock). Sinks convert to the units they export (seconds for the GenAI metrics).
 */

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
  /** Milliseconds from issuing the request to the end of the record. */
  duration: number;
  /** Streams: milliseconds from issuing the request to the first chunk. */
  timeToFirstChunk: number | undefined;
  /** Streams: chunks the app saw (a usage-only chunk the monitor asked for and hid is not counted). */
  chunks: number;
  /** Streams: mean milliseconds between consecutive chunks after the first. */
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

  /** One chunk reached the app. */
  chunk(now: number): void {
    const record = this.record;
    if (record.chunks++ === 0) {
      this.firstChunkAt = now;
      record.timeToFirstChunk = now - this.startedAt;
    } else {
      let intervals = record.chunkIntervals;
      if (intervals === undefined) intervals = record.chunkIntervals = [];
      if (intervals.length < MAX_CHUNK_INTERVALS) intervals.push(now - this.lastChunkAt);
    }
    this.lastChunkAt = now;
  }

  /** End the record. Later calls are ignored, so every path may call it. */
  end(outcome: Outcome, error?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    const now = performance.now();
    const record = this.record;
    record.duration = now - this.startedAt;
    if (record.chunks > 1) record.timePerOutputChunk = (this.lastChunkAt - this.firstChunkAt) / (record.chunks - 1);
    if (error !== undefined || outcome === 'aborted') {
      try {
        classifyInto(record, error, outcome);
      } catch {
        // An exotic thrown value (a throwing getter, a revoked proxy) is still a failure, of unknown type.
        record.errorType = 'unknown';
      }
      // An SDK's abort error is an abort, not a failure.
      if (record.errorType === 'aborted') outcome = 'aborted';
    }
    record.outcome = outcome;
    this.sink.ended(this);
  }
}

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
  const apiType = e?.type ?? e?.error?.error?.type;
  if (apiType === 'overloaded_error') return 'overloaded';
  if (apiType === 'rate_limit_error') return 'rate_limit';
  const code = String(e?.code ?? e?.cause?.code ?? '');
  // Node's socket errors (ECONNRESET, ...), undici's (UND_ERR_SOCKET, a body cut midway: "terminated").
  if (/Connection|Network|FetchError/.test(name) || /^(E[A-Z]+|UND_ERR\w*)$/.test(code) || e?.message === 'terminated') return 'network';
  if (e instanceof SyntaxError || /Parse|JSON/.test(name)) return 'invalid_response';
  return 'unknown';
}
