/**
 * Prometheus sink (prom-client): the OpenTelemetry GenAI client metrics in Prometheus naming, with the
 * conventions' bucket boundaries, plus the project's own `llm_vitals_*` counters and gauges. Names and
 * buckets come from `semconv.ts`.
 *
 * Hot path: each distinct label set is resolved once into series objects (src/lib/metrics.ts) cached
 * in nested maps, so a call costs a few map lookups and field updates, never a label-string build.
 */
import type { Registry } from 'prom-client';
import { Counter, Gauge, Histogram, type CounterSeries, type GaugeSeries, type HistogramSeries, type Labels } from '../lib/metrics.js';
import type { CallRecord, TokenCount } from '../record.js';
import { BUCKETS, FAULT_COMPONENTS, GENAI_METRIC, GUARDED_NAME, LABEL, OWN_METRIC } from '../semconv.js';

/** The labels the cardinality guard folds on the monitor's own metrics (request attributes add their own keys). */
const GUARDED_LABELS = [
  LABEL.operationName,
  LABEL.providerName,
  LABEL.requestModel,
  LABEL.responseModel,
  LABEL.httpRoute,
  LABEL.httpRequestMethod,
  'segment',
  'feedback_label',
  ...Object.values(GUARDED_NAME),
];
import { Tree3 } from '../lib/tree3.js';
import { releaseMetrics } from '../lib/released-metrics.js';
import type { MetricLabels, Sink } from './sink.js';



/** The cached label children of one (operation, provider, request model, response model). */
class Series {
  readonly duration: HistogramSeries;
  readonly timeToFirstChunk: HistogramSeries;
  readonly timePerOutputChunk: HistogramSeries;
  readonly inputTokenUsage: HistogramSeries;
  readonly outputTokenUsage: HistogramSeries;
  readonly outputTokensPerSecond: HistogramSeries;
  private readonly sink: PrometheusSink;
  private readonly labels: Labels;
  private readonly calls = new Map<string, CounterSeries>();
  private readonly retries = new Map<string, CounterSeries>();
  private consumerWaitSeries: HistogramSeries | undefined;
  private readonly reportedTokens = new Map<string, CounterSeries>();
  private readonly estimatedTokens = new Map<string, CounterSeries>();
  private readonly failures = new Map<
    string,
    { errors: CounterSeries; duration: HistogramSeries; input: HistogramSeries; output: HistogramSeries }
  >();

  constructor(sink: PrometheusSink, labels: Record<string, string>) {
    this.sink = sink;
    this.labels = labels;
    const m = sink.metrics;
    this.duration = m.duration.series(labels);
    this.timeToFirstChunk = m.timeToFirstChunk.series(labels);
    this.timePerOutputChunk = m.timePerOutputChunk.series(labels);
    this.inputTokenUsage = m.tokenUsage.series({ ...labels, [LABEL.tokenType]: 'input' });
    this.outputTokenUsage = m.tokenUsage.series({ ...labels, [LABEL.tokenType]: 'output' });
    this.outputTokensPerSecond = m.outputTokensPerSecond.series(labels);
  }

  call(outcome: string): CounterSeries {
    let child = this.calls.get(outcome);
    if (child === undefined) this.calls.set(outcome, (child = this.sink.metrics.calls.series({ ...this.labels, [LABEL.outcome]: outcome })));
    return child;
  }

  retry(errorType: string): CounterSeries {
    let child = this.retries.get(errorType);
    if (child === undefined) this.retries.set(errorType, (child = this.sink.metrics.retries.series({ ...this.labels, [LABEL.errorType]: errorType })));
    return child;
  }

  /** Created on the first observation, so a model whose calls never had a wait shows no empty series. */
  consumerWait(): HistogramSeries {
    return (this.consumerWaitSeries ??= this.sink.metrics.consumerWait.series(this.labels));
  }

  tokensOf(type: string, source: string): CounterSeries {
    const bySource = source === 'reported' ? this.reportedTokens : this.estimatedTokens;
    let child = bySource.get(type);
    if (child === undefined) bySource.set(type, (child = this.sink.metrics.tokens.series({ ...this.labels, [LABEL.tokenType]: type, [LABEL.tokenSource]: source })));
    return child;
  }

  failure(errorType: string) {
    let children = this.failures.get(errorType);
    if (children === undefined) {
      const m = this.sink.metrics;
      const failed = { ...this.labels, [LABEL.errorType]: errorType };
      children = {
        errors: m.errors.series(failed),
        duration: m.duration.series(failed),
        input: m.tokenUsage.series({ ...failed, [LABEL.tokenType]: 'input' }),
        output: m.tokenUsage.series({ ...failed, [LABEL.tokenType]: 'output' }),
      };
      this.failures.set(errorType, children);
    }
    return children;
  }
}

function createMetrics(registry: Registry) {
  const g = GENAI_METRIC;
  const o = OWN_METRIC;
  return {
    duration: new Histogram(registry, g.operationDuration.prom, g.operationDuration.help, BUCKETS.duration),
    tokenUsage: new Histogram(registry, g.tokenUsage.prom, g.tokenUsage.help, BUCKETS.tokenUsage),
    timeToFirstChunk: new Histogram(registry, g.timeToFirstChunk.prom, g.timeToFirstChunk.help, BUCKETS.timeToFirstChunk),
    timePerOutputChunk: new Histogram(registry, g.timePerOutputChunk.prom, g.timePerOutputChunk.help, BUCKETS.timePerOutputChunk),
    calls: new Counter(registry, o.calls.prom, o.calls.help),
    errors: new Counter(registry, o.errors.prom, o.errors.help),
    tokens: new Counter(registry, o.tokens.prom, o.tokens.help),
    // Calls in flight in each worker of a cluster add up.
    inFlight: new Gauge(registry, o.inFlight.prom, o.inFlight.help, 'sum'),
    retries: new Counter(registry, o.retries.prom, o.retries.help),
    consumerWait: new Histogram(registry, o.consumerWait.prom, o.consumerWait.help, BUCKETS.duration),
    outputTokensPerSecond: new Histogram(registry, o.outputTokensPerSecond.prom, o.outputTokensPerSecond.help, BUCKETS.outputTokensPerSecond),
    labelOverflow: new Counter(registry, o.labelOverflow.prom, o.labelOverflow.help),
    internalErrors: new Counter(registry, o.internalErrors.prom, o.internalErrors.help),
  };
}

/** Label values; an unknown (empty) value is left out, as Prometheus treats it as absent anyway. */
function labelsOf(operation: string, provider: string, requestModel: string, responseModel: string): Labels {
  const labels: Labels = { [LABEL.operationName]: operation, [LABEL.providerName]: provider };
  if (requestModel !== '') labels[LABEL.requestModel] = requestModel;
  if (responseModel !== '') labels[LABEL.responseModel] = responseModel;
  return labels;
}

export class PrometheusSink implements Sink {
  readonly name = 'prometheus';
  readonly registry: Registry;
  readonly metrics: ReturnType<typeof createMetrics>;
  private readonly series = new Tree3<Map<string, Series>>();
  private readonly inFlight = new Tree3<GaugeSeries>();
  private readonly overflow = new Map<string, CounterSeries>();
  private readonly faults = new Map<string, CounterSeries>();

  constructor(registry: Registry) {
    this.registry = registry;
    this.metrics = createMetrics(registry);
    // Counters the shipped alerts read with increase() exist at 0 before their first event, for
    // every value their label can take, so the first fault or overflow is an increase, not a birth.
    for (const component of FAULT_COMPONENTS) this.faultSeries(component);
    for (const label of GUARDED_LABELS) this.overflowSeries(label);
  }

  callStarted(_record: CallRecord, labels: MetricLabels): void {
    this.inFlightOf(labels).inc();
  }

  callFinished(_record: CallRecord, labels: MetricLabels): void {
    this.inFlightOf(labels).dec();
  }

  callEnded(record: CallRecord, labels: MetricLabels): void {
    const { operation, provider, requestModel, responseModel } = labels;
    const byResponse =
      this.series.get(operation, provider, requestModel) ?? this.series.set(operation, provider, requestModel, new Map());
    let s = byResponse.get(responseModel);
    if (s === undefined) byResponse.set(responseModel, (s = new Series(this, labelsOf(operation, provider, requestModel, responseModel))));

    const seconds = record.duration / 1000;
    s.call(record.outcome).inc();
    const errorType = record.errorType;
    if (errorType !== undefined) {
      const f = s.failure(errorType);
      f.errors.inc();
      f.duration.observe(seconds);
      if (record.inputTokens !== undefined) f.input.observe(record.inputTokens.count);
      if (record.outputTokens !== undefined) f.output.observe(record.outputTokens.count);
    } else {
      s.duration.observe(seconds);
      if (record.inputTokens !== undefined) s.inputTokenUsage.observe(record.inputTokens.count);
      if (record.outputTokens !== undefined) s.outputTokenUsage.observe(record.outputTokens.count);
    }
    if (record.timeToFirstChunk !== undefined) s.timeToFirstChunk.observe(record.timeToFirstChunk / 1000);
    const intervals = record.chunkIntervals;
    if (intervals !== undefined) {
      const observer = s.timePerOutputChunk;
      for (let i = 0; i < intervals.length; i++) observer.observe(intervals[i] / 1000);
    }
    if (record.outputTokensPerSecond !== undefined) s.outputTokensPerSecond.observe(record.outputTokensPerSecond);
    if (record.consumerWait !== undefined) s.consumerWait().observe(record.consumerWait / 1000);
    const attempts = record.attempts;
    if (attempts !== undefined) {
      // Every attempt but the last was retried by the SDK.
      for (let i = 0; i < attempts.length - 1; i++) s.retry(attempts[i].errorType ?? 'unknown').inc();
    }
    this.countTokens(s, 'input', record.inputTokens);
    this.countTokens(s, 'output', record.outputTokens);
    this.countTokens(s, 'cached_input', record.cachedInputTokens);
    this.countTokens(s, 'cache_creation_input', record.cacheCreationInputTokens);
    this.countTokens(s, 'reasoning', record.reasoningTokens);
  }

  /** Count a value folded by the cardinality guard. */
  labelOverflow(label: string): void {
    this.overflowSeries(label).inc();
  }

  /** Count a fault inside the monitor. */
  internalError(component: string): void {
    this.faultSeries(component).inc();
  }

  private overflowSeries(label: string): CounterSeries {
    let series = this.overflow.get(label);
    if (series === undefined) this.overflow.set(label, (series = this.metrics.labelOverflow.series({ [LABEL.label]: label })));
    return series;
  }

  private faultSeries(component: string): CounterSeries {
    let series = this.faults.get(component);
    if (series === undefined) this.faults.set(component, (series = this.metrics.internalErrors.series({ [LABEL.component]: component })));
    return series;
  }

  /** The monitor shut down: its metrics stay scraped until a new monitor on the registry takes them over. */
  shutdown(): void {
    releaseMetrics(Object.values(this.metrics));
  }

  private countTokens(s: Series, type: string, tokens: TokenCount | undefined): void {
    if (tokens !== undefined && tokens.count > 0) s.tokensOf(type, tokens.source).inc(tokens.count);
  }

  private inFlightOf(labels: MetricLabels): GaugeSeries {
    const { operation, provider, requestModel } = labels;
    return (
      this.inFlight.get(operation, provider, requestModel) ??
      this.inFlight.set(operation, provider, requestModel, this.metrics.inFlight.series(labelsOf(operation, provider, requestModel, '')))
    );
  }
}
