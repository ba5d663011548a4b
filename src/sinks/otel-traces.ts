/**
 * OpenTelemetry traces sink: one span per LLM call, as the GenAI semantic conventions describe the
 * client inference and embeddings spans (v1.41:
 * https://github.com/open-telemetry/semantic-conventions/blob/v1.41.0/docs/gen-ai/gen-ai-spans.md).
 *
 * - Kind CLIENT, named `{gen_ai.operation.name} {gen_ai.request.model}`, a child of the context that
 *   was active when the app called `create()` (inside an HTTP server span, it nests there).
 * - At start, the attributes a sampler may use: operation, provider, request model, server address
 *   and port, `gen_ai.request.stream`, and the request parameters the conventions name.
 * - At end: response model and id, finish reasons, token usage (with where each count came from),
 *   cache and reasoning tokens, time to first chunk; on failure `error.type`, status ERROR and the
 *   exception's type; the record's anomaly and drift alerts as span events; message content only when
 *   the app opted in (`record.content`, already redacted).
 *
 * Cost: with no SDK registered, `callStarted` reads the global object `@opentelemetry/api` keeps its
 * providers on, finds none, and returns (no OpenTelemetry code is loaded). With one, the app's path only captures the active context and a start time; the span itself is started
 * and ended on the next turn of the event loop, with explicit start and end times so its timing is
 * the call's own. That order is also what lets a span carry everything the record gets: the
 * instrument sets the server and request parameters just after the call starts, and the detectors
 * add alerts during the fan-out that ends it.
 */
import type { Attributes, Context, Span, Tracer } from '@opentelemetry/api';
import type { CallRecord } from '../record.js';
import { activeContext, globalTracerProvider, SPAN_KIND_CLIENT, SPAN_STATUS_ERROR } from '../lib/otel-api.js';
import { ALERT_ATTR, SPAN_ATTR, SPAN_ATTR_LATEST, SPAN_EVENT, type SpanAttrNames } from '../semconv.js';
import type { Sink } from './sink.js';
import { monotonic } from '../lib/clock.js';

/** The instrumentation scope of the spans. */
export const TRACER_NAME = 'llm-vitals';

export interface OtelTraceSinkOptions {
  /** The app's provider; default: the global one, looked up on each call until an SDK registers. */
  tracerProvider?: { getTracer(name: string, version?: string, options?: object): unknown };
  /** Use the GenAI names newer than v1.41 (`OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental`). */
  latest: boolean;
  /** Where faults in the deferred span work go (the monitor's fault reporter). */
  fault: (component: string, error: unknown) => void;
  /** Called once, when a real tracer is found: from then on `record.request` is worth filling. */
  onLive?: () => void;
}

/** One call's span: captured on the app's path, started and ended on the next turn. */
class PendingSpan {
  span: Span | undefined = undefined;
  ended = false;
  finished = false;
  constructor(
    readonly record: CallRecord,
    /** The context active when the app made the call: the span's parent (undefined: no context manager, a root). */
    readonly parent: Context | undefined,
    /** performance.now() at the start: the span's start time, and with `record.duration` its end. */
    readonly startedAt: number,
  ) {}
}

export class OtelTraceSink implements Sink {
  readonly name = 'otel_traces';
  private readonly provider: OtelTraceSinkOptions['tracerProvider'];
  private readonly names: SpanAttrNames;
  private readonly fault: OtelTraceSinkOptions['fault'];
  private readonly onLive: (() => void) | undefined;
  private tracer: Tracer | undefined = undefined;
  /** Calls in flight with a span. Keyed by the record, so a call that never ends leaves nothing behind. */
  private readonly spans = new WeakMap<CallRecord, PendingSpan>();
  /** Starts and ends to run on the next turn, in order; a span may be in it twice (start, then end). */
  private queue: PendingSpan[] = [];
  private scheduled = false;

  constructor(options: OtelTraceSinkOptions) {
    this.provider = options.tracerProvider;
    this.names = options.latest ? SPAN_ATTR_LATEST : SPAN_ATTR;
    this.fault = options.fault;
    this.onLive = options.onLive;
  }

  callStarted(record: CallRecord): void {
    if (this.tracer === undefined && this.resolveTracer() === undefined) return;
    const pending = new PendingSpan(record, activeContext(), monotonic());
    this.spans.set(record, pending);
    this.enqueue(pending);
  }

  callEnded(record: CallRecord): void {
    const pending = this.spans.get(record);
    if (pending === undefined) return;
    this.spans.delete(record);
    pending.ended = true;
    this.enqueue(pending);
  }

  /**
   * Start and end what is queued now, rather than on the next turn: after `monitor.flush()` or
   * `monitor.shutdown()` no ended call is without its ended span (which the SDK's processor has then).
   */
  flush(): void {
    this.drain();
  }

  shutdown(): void {
    this.drain();
  }

  private enqueue(pending: PendingSpan): void {
    this.queue.push(pending);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.drain);
    }
  }

  private readonly drain = (): void => {
    this.scheduled = false;
    const queue = this.queue;
    if (queue.length === 0) return;
    this.queue = [];
    for (let i = 0; i < queue.length; i++) {
      const pending = queue[i];
      if (pending.finished) continue;
      try {
        if (pending.span === undefined) pending.span = this.start(pending);
        if (pending.ended) {
          pending.finished = true;
          this.finish(pending, pending.span);
        }
      } catch (error) {
        // A span that failed to start is not tried again when its call ends: one fault per call.
        pending.finished = true;
        this.fault(this.name, error);
      }
    }
  };

  /**
   * The tracer, once an SDK provides one. The global object is read again on each call until then
   * (one property read), because an SDK often registers after the monitor is created.
   */
  private resolveTracer(): Tracer | undefined {
    const provider: any = this.provider ?? globalTracerProvider();
    if (provider === undefined) return undefined;
    // The global is a ProxyTracerProvider: ask its delegate, the SDK's provider, for a tracer.
    const tracer: Tracer | undefined =
      typeof provider.getDelegateTracer === 'function' ? provider.getDelegateTracer(TRACER_NAME) : provider.getTracer(TRACER_NAME);
    if (tracer === undefined) return undefined;
    this.tracer = tracer;
    this.onLive?.();
    return tracer;
  }

  private start(pending: PendingSpan): Span {
    const record = pending.record;
    const n = this.names;
    const attributes: Attributes = { [n.operationName]: record.operation, [n.providerName]: record.provider };
    if (record.requestModel !== undefined) attributes[n.requestModel] = record.requestModel;
    if (record.serverAddress !== undefined) attributes[n.serverAddress] = record.serverAddress;
    if (record.serverPort !== undefined) attributes[n.serverPort] = record.serverPort;
    if (record.streaming) attributes[n.requestStream] = true;
    const request = record.request;
    if (request.temperature !== undefined) attributes[n.requestTemperature] = request.temperature;
    if (request.topP !== undefined) attributes[n.requestTopP] = request.topP;
    if (request.topK !== undefined) attributes[n.requestTopK] = request.topK;
    if (request.maxTokens !== undefined) attributes[n.requestMaxTokens] = request.maxTokens;
    if (request.frequencyPenalty !== undefined) attributes[n.requestFrequencyPenalty] = request.frequencyPenalty;
    if (request.presencePenalty !== undefined) attributes[n.requestPresencePenalty] = request.presencePenalty;
    if (request.stopSequences !== undefined && request.stopSequences.length > 0) attributes[n.requestStopSequences] = request.stopSequences.slice();
    if (request.seed !== undefined) attributes[n.requestSeed] = request.seed;
    if (request.choiceCount !== undefined && request.choiceCount !== 1) attributes[n.requestChoiceCount] = request.choiceCount;
    if (request.encodingFormats !== undefined && request.encodingFormats.length > 0) attributes[n.requestEncodingFormats] = request.encodingFormats.slice();
    const name = record.requestModel ? `${record.operation} ${record.requestModel}` : record.operation;
    return this.tracer!.startSpan(name, { kind: SPAN_KIND_CLIENT, attributes, startTime: pending.startedAt }, pending.parent);
  }

  private finish(pending: PendingSpan, span: Span): void {
    const record = pending.record;
    const end = pending.startedAt + record.duration;
    try {
      if (span.isRecording()) this.describeEnd(record, span, end);
    } finally {
      span.end(end);
    }
  }

  private describeEnd(record: CallRecord, span: Span, end: number): void {
    const n = this.names;
    const attributes: Attributes = { [n.outcome]: record.outcome };
    if (record.responseModel !== undefined) attributes[n.responseModel] = record.responseModel;
    if (record.responseId !== undefined) attributes[n.responseId] = record.responseId;
    // One reason per choice, in choice order; a choice the provider gave no reason for is ''.
    if (record.finishReasons.length > 0) attributes[n.responseFinishReasons] = Array.from(record.finishReasons, (reason) => reason ?? '');
    if (record.inputTokens !== undefined) {
      attributes[n.usageInputTokens] = record.inputTokens.count;
      attributes[n.inputTokensSource] = record.inputTokens.source;
    }
    if (record.outputTokens !== undefined) {
      attributes[n.usageOutputTokens] = record.outputTokens.count;
      attributes[n.outputTokensSource] = record.outputTokens.source;
    }
    if (record.cachedInputTokens !== undefined) attributes[n.usageCacheReadInputTokens] = record.cachedInputTokens.count;
    if (record.cacheCreationInputTokens !== undefined) attributes[n.usageCacheCreationInputTokens] = record.cacheCreationInputTokens.count;
    if (record.reasoningTokens !== undefined) attributes[n.usageReasoningOutputTokens] = record.reasoningTokens.count;
    if (record.timeToFirstChunk !== undefined) attributes[n.responseTimeToFirstChunk] = record.timeToFirstChunk / 1000;
    if (record.streaming) attributes[n.responseChunks] = record.chunks;
    if (record.httpStatus !== undefined) attributes[n.httpResponseStatusCode] = record.httpStatus;
    if (record.notes.length > 0) attributes[n.notes] = record.notes.slice();
    if (record.consumerWait !== undefined) attributes[n.consumerWait] = record.consumerWait / 1000;
    if (record.attempts !== undefined && record.attempts.length > 1) attributes[n.attempts] = record.attempts.length;
    const content = record.content;
    if (content !== undefined) {
      if (content.input.length > 0) attributes[n.inputMessages] = JSON.stringify(content.input);
      if (content.output.length > 0) attributes[n.outputMessages] = JSON.stringify(content.output);
    }
    if (record.errorType !== undefined) {
      attributes[n.errorType] = record.errorType;
      // The record keeps the error's class, not the error (its message may quote the request).
      if (record.errorClass !== undefined) span.recordException({ name: record.errorClass }, end);
      span.setStatus({ code: SPAN_STATUS_ERROR, message: record.errorClass ?? record.errorType });
    }
    span.setAttributes(attributes);
    const alerts = record.alerts;
    if (alerts !== undefined) {
      for (let i = 0; i < alerts.length; i++) {
        const alert = alerts[i];
        const event: Attributes = {
          [ALERT_ATTR.signal]: alert.signal,
          [ALERT_ATTR.score]: alert.score,
          [ALERT_ATTR.threshold]: alert.threshold,
        };
        if (alert.value !== undefined) event[ALERT_ATTR.value] = alert.value;
        span.addEvent(alert.kind === 'drift' ? SPAN_EVENT.drift : SPAN_EVENT.anomaly, event, end);
      }
    }
  }
}
