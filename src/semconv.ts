/**
 * Every exported name, in one table.
 *
 * The GenAI names are copied from the OpenTelemetry semantic conventions for generative AI, v1.41
 * (https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-metrics/ and gen-ai-spans/), and are
 * translated to Prometheus names here and nowhere else: dots become underscores and the unit is
 * appended as the Prometheus naming guide asks (`s` -> `_seconds`; `{token}` is a count and gets no
 * suffix). The project's own metrics are prefixed `llm_vitals_`.
 */

/** Attribute names (OTel form) and the Prometheus label each one becomes. */
export const ATTR = {
  operationName: 'gen_ai.operation.name',
  providerName: 'gen_ai.provider.name',
  requestModel: 'gen_ai.request.model',
  responseModel: 'gen_ai.response.model',
  tokenType: 'gen_ai.token.type',
  errorType: 'error.type',
  serverAddress: 'server.address',
  serverPort: 'server.port',
  /** The matched route template of the HTTP request an LLM call was made for (Express middleware). */
  httpRoute: 'http.route',
  httpRequestMethod: 'http.request.method',
} as const;

/** Prometheus label names: the attribute names with dots as underscores. */
export const LABEL = {
  operationName: 'gen_ai_operation_name',
  providerName: 'gen_ai_provider_name',
  requestModel: 'gen_ai_request_model',
  responseModel: 'gen_ai_response_model',
  tokenType: 'gen_ai_token_type',
  errorType: 'error_type',
  /** Where a token count came from: `reported` by the provider or `estimated` by the tokenizer. */
  tokenSource: 'source',
  /** How a call ended: `completed`, `cancelled` (consumer stopped early), `aborted`, `failed`. */
  outcome: 'outcome',
  /** The label that overflowed the cardinality guard. */
  label: 'label',
  /** The monitor part where an internal fault happened. */
  component: 'component',
  /** The route template (`/chat/:id`, never the raw URL) of the request, from the Express middleware. */
  httpRoute: 'http_route',
  httpRequestMethod: 'http_request_method',
} as const;

/** `gen_ai.operation.name` well-known values. */
export const OPERATION = {
  chat: 'chat',
  textCompletion: 'text_completion',
  embeddings: 'embeddings',
  generateContent: 'generate_content',
} as const;

/** `gen_ai.token.type` values as the conventions define them. */
export const TOKEN_TYPE = { input: 'input', output: 'output' } as const;

/**
 * Bucket boundaries, as the conventions give them (explicit bucket boundaries advice).
 * - operation.duration and time_to_first_chunk: seconds, doubling from 10 ms.
 * - token.usage: tokens, powers of 4.
 * - time_per_output_chunk: seconds, the same doubling boundaries from 10 ms to 81.92 s that the
 *   conventions give it (a stalled stream's minute-long gap lands in a bucket, not in +Inf).
 */
export const BUCKETS = {
  duration: [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92],
  timeToFirstChunk: [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92],
  timePerOutputChunk: [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92],
  tokenUsage: [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864],
  /** Our own: output tokens per second of one call, from a slow local model to a fast hosted one. */
  outputTokensPerSecond: [1, 2, 5, 10, 20, 30, 50, 75, 100, 150, 200, 300, 500, 1000],
  /** Our own, Express middleware: LLM calls made while handling one request (0 included). */
  requestLlmCalls: [0, 1, 2, 3, 4, 6, 8, 12, 16, 32, 64],
  /** Our own, Express middleware: tokens of one type used by one request's LLM calls (0 included). */
  requestLlmTokens: [0, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576],
  /** Our own, Express middleware: share of a request's time at least one LLM call was in flight. */
  requestLlmTimeRatio: [0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1],
} as const;

export interface MetricName {
  /** OpenTelemetry instrument name (dotted). */
  otel: string;
  /** Prometheus metric name. */
  prom: string;
  unit: string;
  help: string;
}

/** The GenAI client metrics of the conventions. */
export const GENAI_METRIC = {
  operationDuration: {
    otel: 'gen_ai.client.operation.duration',
    prom: 'gen_ai_client_operation_duration_seconds',
    unit: 's',
    help: 'GenAI operation duration.',
  },
  tokenUsage: {
    otel: 'gen_ai.client.token.usage',
    prom: 'gen_ai_client_token_usage',
    unit: '{token}',
    help: 'Number of input and output tokens used per call.',
  },
  timeToFirstChunk: {
    otel: 'gen_ai.client.operation.time_to_first_chunk',
    prom: 'gen_ai_client_operation_time_to_first_chunk_seconds',
    unit: 's',
    help: 'Time from issuing the request to receiving the first chunk of a streamed response.',
  },
  timePerOutputChunk: {
    otel: 'gen_ai.client.operation.time_per_output_chunk',
    prom: 'gen_ai_client_operation_time_per_output_chunk_seconds',
    unit: 's',
    help: 'Time between consecutive chunks of a streamed response, one observation per chunk after the first.',
  },
} as const satisfies Record<string, MetricName>;

/** The project's own Prometheus metrics. */
export const OWN_METRIC = {
  calls: { prom: 'llm_vitals_calls_total', help: 'LLM calls that ended, by outcome.' },
  errors: { prom: 'llm_vitals_errors_total', help: 'LLM calls that failed, by error type.' },
  tokens: { prom: 'llm_vitals_tokens_total', help: 'Tokens by type and by source (reported by the provider or estimated).' },
  inFlight: { prom: 'llm_vitals_in_flight_calls', help: 'LLM calls started and not yet ended.' },
  retries: {
    prom: 'llm_vitals_retries_total',
    help: 'Requests the SDK sent again after a failed attempt (its own retries within one call), by the failed attempt\'s error type.',
  },
  consumerWait: {
    prom: 'llm_vitals_consumer_wait_seconds',
    help: 'Time the app took to read a response after it had arrived from the network (a late await, a slow stream reader).',
  },
  outputTokensPerSecond: {
    prom: 'llm_vitals_output_tokens_per_second',
    help: 'Output tokens per second of one call: over the time after the first chunk for streams, the whole call otherwise.',
  },
  labelOverflow: {
    prom: 'llm_vitals_label_overflow_total',
    help: 'Label values folded into "other" by the cardinality guard, by label.',
  },
  requestLlmCalls: {
    prom: 'llm_vitals_request_llm_calls',
    help: 'LLM calls made while handling one HTTP request, by route template (Express middleware).',
  },
  requestLlmTokens: {
    prom: 'llm_vitals_request_llm_tokens',
    help: 'Tokens used by the LLM calls of one HTTP request, by route template and token type (Express middleware).',
  },
  requestLlmTimeRatio: {
    prom: 'llm_vitals_request_llm_time_ratio',
    help: 'Share of one HTTP request\'s time during which at least one LLM call was in flight, by route template (Express middleware).',
  },
  internalErrors: {
    prom: 'llm_vitals_internal_errors_total',
    help: 'Faults inside the monitor (never shown to the app), by component.',
  },
} as const;

/**
 * The monitor's parts that report faults (`llm_vitals_internal_errors_total{component}`): their series
 * exist at 0 from the start, so `increase()` in an alert sees the first fault. A sink of the app's own
 * reports under its `name`, whose series appears with its first fault.
 */
export const FAULT_COMPONENTS = [
  'instrument',
  'track',
  'tokenizer',
  'cost',
  'capture',
  'hash',
  'segment',
  'quality',
  'evaluator',
  'express',
  'listener',
  'prometheus',
  'resources',
  'detectors',
  'snapshot',
  'events',
  'otel_traces',
  'otel_metrics',
] as const;

/** The value that label values past the cardinality limit fold into. */
export const OVERFLOW_VALUE = 'other';

/**
 * Names the cardinality guard bounds besides label values, as `llm_vitals_label_overflow_total{label}`
 * names them: the app's own `monitor.observe()` signal names (past the cap, folded into `other`) and
 * the keys the Express middleware's `attributes` returns (past the cap, dropped).
 */
export const GUARDED_NAME = { signal: 'signal', attributeKey: 'attribute_key' } as const;

// ---- OpenTelemetry spans and metrics (sinks/otel-traces.ts, sinks/otel-metrics.ts) -------------

/**
 * Attributes of the GenAI client span (kind CLIENT, named `{gen_ai.operation.name} {gen_ai.request.model}`),
 * as semantic conventions v1.41 name them (docs/gen-ai/gen-ai-spans.md: inference and embeddings
 * spans), then the project's own `llm_vitals.*` attributes.
 */
export const SPAN_ATTR = {
  operationName: 'gen_ai.operation.name',
  providerName: 'gen_ai.provider.name',
  requestModel: 'gen_ai.request.model',
  serverAddress: 'server.address',
  serverPort: 'server.port',
  /** Set, to `true`, if and only if the request streamed (the conventions' condition). */
  requestStream: 'gen_ai.request.stream',
  requestTemperature: 'gen_ai.request.temperature',
  requestTopP: 'gen_ai.request.top_p',
  requestTopK: 'gen_ai.request.top_k',
  requestMaxTokens: 'gen_ai.request.max_tokens',
  requestFrequencyPenalty: 'gen_ai.request.frequency_penalty',
  requestPresencePenalty: 'gen_ai.request.presence_penalty',
  requestStopSequences: 'gen_ai.request.stop_sequences',
  requestSeed: 'gen_ai.request.seed',
  /** Set only when the request asked for a count other than 1 (the conventions' condition). */
  requestChoiceCount: 'gen_ai.request.choice.count',
  requestEncodingFormats: 'gen_ai.request.encoding_formats',
  responseModel: 'gen_ai.response.model',
  responseId: 'gen_ai.response.id',
  responseFinishReasons: 'gen_ai.response.finish_reasons',
  /** Seconds, streams only. */
  responseTimeToFirstChunk: 'gen_ai.response.time_to_first_chunk',
  usageInputTokens: 'gen_ai.usage.input_tokens',
  usageOutputTokens: 'gen_ai.usage.output_tokens',
  usageCacheReadInputTokens: 'gen_ai.usage.cache_read.input_tokens',
  usageCacheCreationInputTokens: 'gen_ai.usage.cache_creation.input_tokens',
  usageReasoningOutputTokens: 'gen_ai.usage.reasoning.output_tokens',
  /** Only with content capture on, from `record.content` (JSON, the conventions' message shape). */
  inputMessages: 'gen_ai.input.messages',
  outputMessages: 'gen_ai.output.messages',
  errorType: 'error.type',
  httpResponseStatusCode: 'http.response.status_code',
  /** How the call ended: `completed`, `cancelled`, `aborted`, `failed` (see `Outcome`). */
  outcome: 'llm_vitals.outcome',
  /** `reported` by the provider or `estimated` by the tokenizer, for each usage count set. */
  inputTokensSource: 'llm_vitals.usage.input_tokens.source',
  outputTokensSource: 'llm_vitals.usage.output_tokens.source',
  /** Streams: output chunks the app saw. */
  responseChunks: 'llm_vitals.response.chunks',
  /** What was off in the provider's data (`usage_missing`, `model_missing`, ...), when anything was. */
  notes: 'llm_vitals.notes',
  /** Seconds the app took to read the response after it had arrived (`record.consumerWait`). */
  consumerWait: 'llm_vitals.consumer_wait',
  /** HTTP requests the SDK sent for the call, its retries included, when more than one. */
  attempts: 'llm_vitals.attempts',
} as const;

/** The project's own OpenTelemetry metric: the app's reading time, apart from the call's duration. */
export const OWN_OTEL_METRIC = {
  consumerWait: { otel: 'llm_vitals.client.consumer_wait', unit: 's', help: OWN_METRIC.consumerWait.help },
} as const;

export type SpanAttrNames = { readonly [K in keyof typeof SPAN_ATTR]: string };

/**
 * With `OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental`: the names the GenAI conventions
 * use after v1.41, where they differ (open-telemetry/semantic-conventions-genai,
 * docs/gen-ai/non-normative/migration.md: #440 renamed the cache-write count).
 */
export const SPAN_ATTR_LATEST: SpanAttrNames = {
  ...SPAN_ATTR,
  usageCacheCreationInputTokens: 'gen_ai.usage.cache_write.input_tokens',
};

/** The opt-in value of `OTEL_SEMCONV_STABILITY_OPT_IN` (a comma-separated list) that selects SPAN_ATTR_LATEST / GENAI_METRIC_LATEST. */
export const GEN_AI_LATEST_EXPERIMENTAL = 'gen_ai_latest_experimental';

/** Span events: an anomaly or drift alert the call tripped (`record.alerts`). */
export const SPAN_EVENT = { anomaly: 'llm_vitals.anomaly', drift: 'llm_vitals.drift' } as const;

/** Attributes of the alert span events. */
export const ALERT_ATTR = {
  signal: 'llm_vitals.alert.signal',
  score: 'llm_vitals.alert.score',
  threshold: 'llm_vitals.alert.threshold',
  value: 'llm_vitals.alert.value',
} as const;

/** Where a token count came from, on the OTel token histograms (`reported` or `estimated`). */
export const TOKEN_SOURCE_ATTR = 'llm_vitals.token.source';

/**
 * The OTel metric names with `gen_ai_latest_experimental` (semantic-conventions-genai after v1.41):
 * inference calls (#521) and embeddings calls get their own duration, the streaming histograms move
 * to `gen_ai.client.inference.*`, and `gen_ai.client.token.usage` is split per direction (#374), its
 * histograms taking `error.type` instead of `gen_ai.token.type`. Units and buckets are unchanged.
 */
export const GENAI_METRIC_LATEST = {
  inferenceDuration: 'gen_ai.client.inference.duration',
  embeddingsDuration: 'gen_ai.client.embeddings.duration',
  timeToFirstChunk: 'gen_ai.client.inference.time_to_first_chunk',
  timePerOutputChunk: 'gen_ai.client.inference.time_per_output_chunk',
  inputTokens: 'gen_ai.client.inference.operation.input_tokens',
  outputTokens: 'gen_ai.client.inference.operation.output_tokens',
  embeddingsInputTokens: 'gen_ai.client.embeddings.operation.input_tokens',
} as const;

export * from './semconv/resources.js';
export * from './semconv/quality-detect.js';
