/**
 * OpenTelemetry metrics sink: the GenAI client histograms of the semantic conventions (v1.41,
 * https://github.com/open-telemetry/semantic-conventions/blob/v1.41.0/docs/gen-ai/gen-ai-metrics.md)
 * through the `@opentelemetry/api` meter, so an app that already exports OTLP gets them with no
 * extra setup. The same histograms as the Prometheus sink, named and bucketed from `semconv.ts`; the
 * bucket boundaries go to the SDK as `advice.explicitBucketBoundaries`.
 *
 * - `gen_ai.client.operation.duration` (s): every call; `error.type` when it failed.
 * - `gen_ai.client.token.usage` ({token}): input and output counts (`gen_ai.token.type`) of calls that
 *   did not fail, with `llm_vitals.token.source` saying whether the provider reported the count or the
 *   tokenizer estimated it.
 * - `gen_ai.client.operation.time_to_first_chunk` (s) and `.time_per_output_chunk` (s, one
 *   observation per chunk after the first): streams.
 * Attributes: operation, provider, request and response model (after the cardinality guard), server
 * address and port. With `OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental` the newer names
 * of GENAI_METRIC_LATEST are used instead.
 *
 * Cost: with no SDK registered, `callEnded` reads the global object `@opentelemetry/api` keeps its
 * providers on, finds no meter provider, and returns. With one, the record is queued and observed on
 * the next turn of the event loop: the SDK hashes the attributes of every observation, and a long
 * stream has thousands of chunk gaps.
 */
import type { Attributes, Histogram, Meter } from '@opentelemetry/api';
import type { CallRecord, TokenCount } from '../record.js';
import { globalMeterProvider, VALUE_TYPE_DOUBLE, VALUE_TYPE_INT } from '../lib/otel-api.js';
import { ATTR, BUCKETS, GENAI_METRIC, GENAI_METRIC_LATEST, OPERATION, OWN_OTEL_METRIC, TOKEN_SOURCE_ATTR, TOKEN_TYPE } from '../semconv.js';
import type { MetricLabels, Sink } from './sink.js';

/** The instrumentation scope of the metrics. */
export const METER_NAME = 'llm-vitals';

export interface OtelMetricsSinkOptions {
  /** The app's provider; default: the global one, looked up on each call until an SDK registers. */
  meterProvider?: { getMeter(name: string, version?: string, options?: object): unknown };
  /** Use the GenAI names newer than v1.41 (`OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental`). */
  latest: boolean;
  /** Where faults in the deferred observations go (the monitor's fault reporter). */
  fault: (component: string, error: unknown) => void;
}

interface Instruments {
  /** Duration of inference calls (v1.41: of every call). */
  duration: Histogram;
  /** Latest names only: duration of embeddings calls. */
  embeddingsDuration: Histogram;
  timeToFirstChunk: Histogram;
  timePerOutputChunk: Histogram;
  /** v1.41: `gen_ai.client.token.usage`, both directions. */
  tokenUsage: Histogram;
  /** Latest names only: one histogram per direction, and the embeddings one. */
  inputTokens: Histogram;
  outputTokens: Histogram;
  embeddingsInputTokens: Histogram;
  /** llm-vitals' own: the app's reading time after the response arrived. */
  consumerWait: Histogram;
}

function histogram(meter: Meter, name: string, unit: string, description: string, buckets: readonly number[], integer: boolean): Histogram {
  return meter.createHistogram(name, {
    unit,
    description,
    valueType: integer ? VALUE_TYPE_INT : VALUE_TYPE_DOUBLE,
    advice: { explicitBucketBoundaries: [...buckets] },
  });
}

function createInstruments(meter: Meter, latest: boolean): Instruments {
  const m = GENAI_METRIC;
  const timeToFirstChunk = histogram(meter, latest ? GENAI_METRIC_LATEST.timeToFirstChunk : m.timeToFirstChunk.otel, 's', m.timeToFirstChunk.help, BUCKETS.timeToFirstChunk, false);
  const timePerOutputChunk = histogram(meter, latest ? GENAI_METRIC_LATEST.timePerOutputChunk : m.timePerOutputChunk.otel, 's', m.timePerOutputChunk.help, BUCKETS.timePerOutputChunk, false);
  const w = OWN_OTEL_METRIC.consumerWait;
  const consumerWait = histogram(meter, w.otel, w.unit, w.help, BUCKETS.duration, false);
  if (!latest) {
    const duration = histogram(meter, m.operationDuration.otel, m.operationDuration.unit, m.operationDuration.help, BUCKETS.duration, false);
    const tokenUsage = histogram(meter, m.tokenUsage.otel, m.tokenUsage.unit, m.tokenUsage.help, BUCKETS.tokenUsage, true);
    return { duration, embeddingsDuration: duration, timeToFirstChunk, timePerOutputChunk, tokenUsage, inputTokens: tokenUsage, outputTokens: tokenUsage, embeddingsInputTokens: tokenUsage, consumerWait };
  }
  const l = GENAI_METRIC_LATEST;
  const inputTokens = histogram(meter, l.inputTokens, '{token}', 'Input (prompt) tokens used per inference call.', BUCKETS.tokenUsage, true);
  return {
    duration: histogram(meter, l.inferenceDuration, 's', 'GenAI inference call duration.', BUCKETS.duration, false),
    embeddingsDuration: histogram(meter, l.embeddingsDuration, 's', 'GenAI embeddings call duration.', BUCKETS.duration, false),
    timeToFirstChunk,
    timePerOutputChunk,
    consumerWait,
    tokenUsage: inputTokens,
    inputTokens,
    outputTokens: histogram(meter, l.outputTokens, '{token}', 'Output (completion) tokens used per inference call.', BUCKETS.tokenUsage, true),
    embeddingsInputTokens: histogram(meter, l.embeddingsInputTokens, '{token}', 'Input tokens used per embeddings call.', BUCKETS.tokenUsage, true),
  };
}

export class OtelMetricsSink implements Sink {
  readonly name = 'otel_metrics';
  private readonly provider: OtelMetricsSinkOptions['meterProvider'];
  private readonly latest: boolean;
  private readonly fault: OtelMetricsSinkOptions['fault'];
  private instruments: Instruments | undefined = undefined;
  /** Records and their labels, in pairs, to observe on the next turn. */
  private queue: (CallRecord | MetricLabels)[] = [];
  private scheduled = false;

  constructor(options: OtelMetricsSinkOptions) {
    this.provider = options.meterProvider;
    this.latest = options.latest;
    this.fault = options.fault;
  }

  callEnded(record: CallRecord, labels: MetricLabels): void {
    if (this.instruments === undefined && !this.resolveMeter()) return;
    this.queue.push(record, labels);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.drain);
    }
  }

  /**
   * Observe what is queued now, rather than on the next turn, so `monitor.flush()` or
   * `monitor.shutdown()` followed by the app's SDK flush or shutdown exports it.
   */
  flush(): void {
    this.drain();
  }

  shutdown(): void {
    this.drain();
  }

  private readonly drain = (): void => {
    this.scheduled = false;
    const queue = this.queue;
    if (queue.length === 0) return;
    this.queue = [];
    for (let i = 0; i < queue.length; i += 2) {
      try {
        if (this.latest) this.observeLatest(queue[i] as CallRecord, queue[i + 1] as MetricLabels);
        else this.observe(queue[i] as CallRecord, queue[i + 1] as MetricLabels);
      } catch (error) {
        this.fault(this.name, error);
      }
    }
  };

  /**
   * Instruments, once an SDK provides a meter. The metrics API has no proxy (a meter taken before the
   * SDK registers would stay a no-op for good), so the global is looked at again on each call until
   * an SDK has registered a provider there.
   */
  private resolveMeter(): boolean {
    const provider: any = this.provider ?? globalMeterProvider();
    if (provider === undefined) return false;
    this.instruments = createInstruments(provider.getMeter(METER_NAME) as Meter, this.latest);
    return true;
  }

  /** v1.41 names. */
  private observe(record: CallRecord, labels: MetricLabels): void {
    const i = this.instruments!;
    const base = attributesOf(record, labels);
    const errorType = record.errorType;
    i.duration.record(record.duration / 1000, errorType === undefined ? base : { ...base, [ATTR.errorType]: errorType });
    // No `error.type` on the token histogram: a failed call's partial or estimated counts would mix in.
    if (errorType === undefined) {
      observeTokens(i.tokenUsage, record.inputTokens, base, TOKEN_TYPE.input);
      observeTokens(i.tokenUsage, record.outputTokens, base, TOKEN_TYPE.output);
    }
    this.observeChunks(record, base);
  }

  /** `gen_ai_latest_experimental` names: duration and tokens per kind of call, tokens per direction. */
  private observeLatest(record: CallRecord, labels: MetricLabels): void {
    const i = this.instruments!;
    const base = attributesOf(record, labels);
    const attributes = record.errorType === undefined ? base : { ...base, [ATTR.errorType]: record.errorType };
    const seconds = record.duration / 1000;
    // These histograms record every call, a failed one too: 0 when no count was received.
    if (record.operation === OPERATION.embeddings) {
      i.embeddingsDuration.record(seconds, attributes);
      observeCount(i.embeddingsInputTokens, record.inputTokens, attributes);
    } else {
      i.duration.record(seconds, attributes);
      observeCount(i.inputTokens, record.inputTokens, attributes);
      observeCount(i.outputTokens, record.outputTokens, attributes);
    }
    this.observeChunks(record, base);
  }

  private observeChunks(record: CallRecord, base: Attributes): void {
    const i = this.instruments!;
    if (record.timeToFirstChunk !== undefined) i.timeToFirstChunk.record(record.timeToFirstChunk / 1000, base);
    if (record.consumerWait !== undefined) i.consumerWait.record(record.consumerWait / 1000, base);
    const intervals = record.chunkIntervals;
    if (intervals !== undefined) {
      const perChunk = i.timePerOutputChunk;
      for (let k = 0; k < intervals.length; k++) perChunk.record(intervals[k] / 1000, base);
    }
  }
}

/** The conventions' metric attributes; label values as the cardinality guard left them ('' = unknown, left out). */
function attributesOf(record: CallRecord, labels: MetricLabels): Attributes {
  const attributes: Attributes = { [ATTR.operationName]: labels.operation, [ATTR.providerName]: labels.provider };
  if (labels.requestModel !== '') attributes[ATTR.requestModel] = labels.requestModel;
  if (labels.responseModel !== '') attributes[ATTR.responseModel] = labels.responseModel;
  if (record.serverAddress !== undefined) attributes[ATTR.serverAddress] = record.serverAddress;
  if (record.serverPort !== undefined) attributes[ATTR.serverPort] = record.serverPort;
  return attributes;
}

function observeTokens(instrument: Histogram, tokens: TokenCount | undefined, base: Attributes, type: string): void {
  if (tokens === undefined) return;
  instrument.record(tokens.count, { ...base, [ATTR.tokenType]: type, [TOKEN_SOURCE_ATTR]: tokens.source });
}

function observeCount(instrument: Histogram, tokens: TokenCount | undefined, attributes: Attributes): void {
  if (tokens === undefined) instrument.record(0, attributes);
  else instrument.record(tokens.count, { ...attributes, [TOKEN_SOURCE_ATTR]: tokens.source });
}
