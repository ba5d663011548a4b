/**
 * Prometheus sink (prom-client): the OpenTelemetry GenAI client metrics in Prometheus naming, with the
 * conventions' bucket boundaries, plus the project's own `llm_vitals_*` counters and gauges. Names and
 * buckets come from `semconv.ts`.
 *
 * Hot path: label children are looked up once per distinct label set and cached in nested maps, so a
 * call costs a few map lookups and the observations themselves, never a label-string build.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CallRecord, TokenCount } from '../record.js';
import { BUCKETS, GENAI_METRIC, LABEL, OWN_METRIC } from '../semconv.js';
import type { LabelGuard } from '../lib/label-guard.js';
import type { Sink } from './sink.js';

const CALL_LABELS = [LABEL.operationName, LABEL.providerName, LABEL.requestModel, LABEL.responseModel] as const;
const GENAI_LABELS = [...CALL_LABELS, LABEL.errorType] as const;
const START_LABELS = [LABEL.operationName, LABEL.providerName, LABEL.requestModel] as const;

type Observer = { observe(value: number): void };
type Incrementer = { inc(value?: number): void };

/** The cached label children of one (operation, provider, request model, response model). */
class Series {
  readonly duration: Observer;
  readonly timeToFirstChunk: Observer;
  readonly timePerOutputChunk: Observer;
  readonly inputTokenUsage: Observer;
  readonly outputTokenUsage: Observer;
  readonly outputTokensPerSecond: Observer;
  private readonly sink: PrometheusSink;
  private readonly labels: Record<string, string>;
  private readonly calls = new Map<string, Incrementer>();
  private readonly tokens = new Map<string, Incrementer>();
  private readonly failures = new Map<string, { errors: Incrementer; duration: Observer; input: Observer; output: Observer }>();

  constructor(sink: PrometheusSink, labels: Record<string, string>) {
    this.sink = sink;
    this.labels = labels;
    const m = sink.metrics;
    this.duration = m.duration.labels(labels);
    this.timeToFirstChunk = m.timeToFirstChunk.labels(labels);
    this.timePerOutputChunk = m.timePerOutputChunk.labels(labels);
    this.inputTokenUsage = m.tokenUsage.labels({ ...labels, [LABEL.tokenType]: 'input' });
    this.outputTokenUsage = m.tokenUsage.labels({ ...labels, [LABEL.tokenType]: 'output' });
    this.outputTokensPerSecond = m.outputTokensPerSecond.labels(labels);
  }

  call(outcome: string): Incrementer {
    let child = this.calls.get(outcome);
    if (child === undefined) this.calls.set(outcome, (child = this.sink.metrics.calls.labels({ ...this.labels, [LABEL.outcome]: outcome })));
    return child;
  }

  tokensOf(type: string, source: string): Incrementer {
    const key = `${type}:${source}`;
    let child = this.tokens.get(key);
    if (child === undefined) this.tokens.set(key, (child = this.sink.metrics.tokens.labels({ ...this.labels, [LABEL.tokenType]: type, [LABEL.tokenSource]: source })));
    return child;
  }

  failure(errorType: string) {
    let children = this.failures.get(errorType);
    if (children === undefined) {
      const m = this.sink.metrics;
      const failed = { ...this.labels, [LABEL.errorType]: errorType };
      children = {
        errors: m.errors.labels(failed),
        duration: m.duration.labels(failed),
        input: m.tokenUsage.labels({ ...failed, [LABEL.tokenType]: 'input' }),
        output: m.tokenUsage.labels({ ...failed, [LABEL.tokenType]: 'output' }),
      };
      this.failures.set(errorType, children);
    }
    return children;
  }
}

function createMetrics(registry: Registry) {
  const registers = [registry];
  return {
    duration: new Histogram({
      name: GENAI_METRIC.operationDuration.prom,
      help: GENAI_METRIC.operationDuration.help,
      labelNames: GENAI_LABELS,
      buckets: [...BUCKETS.duration],
      registers,
    }),
    tokenUsage: new Histogram({
      name: GENAI_METRIC.tokenUsage.prom,
      help: GENAI_METRIC.tokenUsage.help,
      labelNames: [...GENAI_LABELS, LABEL.tokenType],
      buckets: [...BUCKETS.tokenUsage],
      registers,
    }),
    timeToFirstChunk: new Histogram({
      name: GENAI_METRIC.timeToFirstChunk.prom,
      help: GENAI_METRIC.timeToFirstChunk.help,
      labelNames: CALL_LABELS,
      buckets: [...BUCKETS.timeToFirstChunk],
      registers,
    }),
    timePerOutputChunk: new Histogram({
      name: GENAI_METRIC.timePerOutputChunk.prom,
      help: GENAI_METRIC.timePerOutputChunk.help,
      labelNames: CALL_LABELS,
      buckets: [...BUCKETS.timePerOutputChunk],
      registers,
    }),
    calls: new Counter({ name: OWN_METRIC.calls.prom, help: OWN_METRIC.calls.help, labelNames: [...CALL_LABELS, LABEL.outcome], registers }),
    errors: new Counter({ name: OWN_METRIC.errors.prom, help: OWN_METRIC.errors.help, labelNames: [...CALL_LABELS, LABEL.errorType], registers }),
    tokens: new Counter({
      name: OWN_METRIC.tokens.prom,
      help: OWN_METRIC.tokens.help,
      labelNames: [...CALL_LABELS, LABEL.tokenType, LABEL.tokenSource],
      registers,
    }),
    inFlight: new Gauge({ name: OWN_METRIC.inFlight.prom, help: OWN_METRIC.inFlight.help, labelNames: START_LABELS, registers }),
    outputTokensPerSecond: new Histogram({
      name: OWN_METRIC.outputTokensPerSecond.prom,
      help: OWN_METRIC.outputTokensPerSecond.help,
      labelNames: CALL_LABELS,
      buckets: [...BUCKETS.outputTokensPerSecond],
      registers,
    }),
    labelOverflow: new Counter({ name: OWN_METRIC.labelOverflow.prom, help: OWN_METRIC.labelOverflow.help, labelNames: [LABEL.label], registers }),
    internalErrors: new Counter({
      name: OWN_METRIC.internalErrors.prom,
      help: OWN_METRIC.internalErrors.help,
      labelNames: [LABEL.component],
      registers,
    }),
  };
}

/** Label values; an unknown (empty) value is left out, as Prometheus treats it as absent anyway. */
function labelsOf(operation: string, provider: string, requestModel: string, responseModel: string): Record<string, string> {
  const labels: Record<string, string> = { [LABEL.operationName]: operation, [LABEL.providerName]: provider };
  if (requestModel !== '') labels[LABEL.requestModel] = requestModel;
  if (responseModel !== '') labels[LABEL.responseModel] = responseModel;
  return labels;
}

/** Nested maps: a → b → c → value, without building a key string per call. */
class Tree3<V> {
  private readonly root = new Map<string, Map<string, Map<string, V>>>();
  get(a: string, b: string, c: string, make: () => V): V {
    let l1 = this.root.get(a);
    if (l1 === undefined) this.root.set(a, (l1 = new Map()));
    let l2 = l1.get(b);
    if (l2 === undefined) l1.set(b, (l2 = new Map()));
    let v = l2.get(c);
    if (v === undefined) l2.set(c, (v = make()));
    return v;
  }
}

export class PrometheusSink implements Sink {
  readonly name = 'prometheus';
  readonly registry: Registry;
  readonly metrics: ReturnType<typeof createMetrics>;
  private readonly guard: LabelGuard;
  private readonly series = new Tree3<Map<string, Series>>();
  private readonly inFlight = new Tree3<{ inc(): void; dec(): void }>();

  constructor(registry: Registry, guard: LabelGuard) {
    this.registry = registry;
    this.guard = guard;
    this.metrics = createMetrics(registry);
  }

  callStarted(record: CallRecord): void {
    this.inFlightOf(record).inc();
  }

  callEnded(record: CallRecord): void {
    this.inFlightOf(record).dec();
    const g = this.guard;
    const operation = g.value(LABEL.operationName, record.operation, true);
    const provider = g.value(LABEL.providerName, record.provider, true);
    const requestModel = g.value(LABEL.requestModel, record.requestModel, true);
    const responseModel = g.value(LABEL.responseModel, record.responseModel, true);
    const byResponse = this.series.get(operation, provider, requestModel, () => new Map());
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
    this.countTokens(s, 'input', record.inputTokens);
    this.countTokens(s, 'output', record.outputTokens);
    this.countTokens(s, 'cached_input', record.cachedInputTokens);
    this.countTokens(s, 'cache_creation_input', record.cacheCreationInputTokens);
    this.countTokens(s, 'reasoning', record.reasoningTokens);
  }

  /** Count a value folded by the cardinality guard. */
  labelOverflow(label: string): void {
    this.metrics.labelOverflow.labels(label).inc();
  }

  /** Count a fault inside the monitor. */
  internalError(component: string): void {
    this.metrics.internalErrors.labels(component).inc();
  }

  private countTokens(s: Series, type: string, tokens: TokenCount | undefined): void {
    if (tokens !== undefined && tokens.count > 0) s.tokensOf(type, tokens.source).inc(tokens.count);
  }

  private inFlightOf(record: CallRecord) {
    const g = this.guard;
    const operation = g.value(LABEL.operationName, record.operation);
    const provider = g.value(LABEL.providerName, record.provider);
    const requestModel = g.value(LABEL.requestModel, record.requestModel);
    return this.inFlight.get(operation, provider, requestModel, () =>
      this.metrics.inFlight.labels(labelsOf(operation, provider, requestModel, '')),
    );
  }
}
