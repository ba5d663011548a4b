/**
 * CallRecord: the one shape every LLM call becomes, whatever the provider. The small state machine
 * that fills it (start ▸ first chunk ▸ chunks ▸ end | error | abort, ending exactly once) is `Call`,
 * in call.ts.
 *
 * Times on the record are in milliseconds (`startTime` is epoch ms; the others are durations measured
 * with the monotonic clock). Sinks convert to the units they export (seconds for the GenAI metrics).
 */

/**
 * A record's metric label values after the cardinality guard (`other` past the limit, '' when
 * unknown), resolved once per call by the monitor so no sink repeats the lookups.
 */
export interface MetricLabels {
  operation: string;
  provider: string;
  requestModel: string;
  /** '' until the call has ended. */
  responseModel: string;
}

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


/** A stream's per-chunk gaps are kept up to this many; past it the mean still counts every chunk. */
export const MAX_CHUNK_INTERVALS = 4096;

const NO_PARAMS: RequestParams = Object.freeze({});

let nextId = 0;
const idPrefix = Math.random().toString(36).slice(2, 8);

/** The record's fields, every one set from the start (one object shape for V8). Filled by a `Call` (call.ts). */
export class CallRecordData implements CallRecord {
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
