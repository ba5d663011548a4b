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
 * - time_per_output_chunk: seconds, the boundaries the conventions give for per-token/chunk timing.
 */
export const BUCKETS = {
  duration: [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92],
  timeToFirstChunk: [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92],
  timePerOutputChunk: [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5],
  tokenUsage: [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864],
  /** Our own: output tokens per second of one call, from a slow local model to a fast hosted one. */
  outputTokensPerSecond: [1, 2, 5, 10, 20, 30, 50, 75, 100, 150, 200, 300, 500, 1000],
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
  outputTokensPerSecond: {
    prom: 'llm_vitals_output_tokens_per_second',
    help: 'Output tokens per second of one call: over the time after the first chunk for streams, the whole call otherwise.',
  },
  labelOverflow: {
    prom: 'llm_vitals_label_overflow_total',
    help: 'Label values folded into "other" by the cardinality guard, by label.',
  },
  internalErrors: {
    prom: 'llm_vitals_internal_errors_total',
    help: 'Faults inside the monitor (never shown to the app), by component.',
  },
} as const;

/** The value that label values past the cardinality limit fold into. */
export const OVERFLOW_VALUE = 'other';
