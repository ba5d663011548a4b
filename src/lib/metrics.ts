/**
 * Counters, gauges and histograms for the call path, registered on a prom-client Registry (which
 * renders the exposition, Prometheus or OpenMetrics) but updated without prom-client's per-update
 * label hashing: a label set is resolved once into a series object, and an update is a field add
 * (histograms: a bucket search over a handful of bounds). prom-client's own metric classes hash the
 * label object on every `inc`/`observe`, which cost about 0.5 µs each here; see BENCHMARKS.md.
 *
 * Each metric implements what `Registry.registerMetric` and `Registry.metrics()` use:
 * `name`, `help`, `type`, `aggregator`, `get()`, `reset()`; and `exposition()`, its text as
 * prom-client would render it, built from label strings made once per series (src/lib/exposition.ts).
 */
import type { Registry } from 'prom-client';
import { claimMetricName } from './released-metrics.js';

export type Labels = Record<string, string>;

/**
 * How prom-client's `AggregatorRegistry` combines one series across cluster workers: `sum` for
 * per-process counts, `average` for per-process ratios and percentiles, `max` or `first` for one
 * reading of something every worker sees (the host, a GPU).
 */
export type Aggregator = 'sum' | 'average' | 'max' | 'min' | 'first' | 'omit';

/** What the exposition needs of the registry: its format, and its default labels (if any). */
export interface ExpositionContext {
  openMetrics: boolean;
  defaults: DefaultLabels | undefined;
}

/** prom-client's `escapeString`: for metric names, help text and (with `"`) label values. */
export function escapeString(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

const NEEDS_ESCAPE = /[\\\n"]/;

/** prom-client's `escapeLabelValue`: a value that is not a string is written as it is. */
function escapeLabelValue(value: unknown): unknown {
  if (typeof value !== 'string' || !NEEDS_ESCAPE.test(value)) return value;
  return escapeString(value).replace(/"/g, '\\"');
}

/** prom-client's `getValueAsString`. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'Nan';
  if (!Number.isFinite(value)) return value < 0 ? '-Inf' : '+Inf';
  return `${value}`;
}

/** `a="x",b="y"`: label pairs as prom-client writes them, in the object's key order. */
export function labelPairs(labels: Record<string, unknown>, skip?: Record<string, unknown>): string {
  let text = '';
  for (const name of Object.keys(labels)) {
    if (skip !== undefined && Object.prototype.hasOwnProperty.call(skip, name)) continue;
    text += `${text === '' ? '' : ','}${name}="${escapeLabelValue(labels[name])}"`;
  }
  return text;
}

/** `{pairs}`, or nothing when there are none. */
function braced(...parts: string[]): string {
  const inside = parts.filter((part) => part !== '').join(',');
  return inside === '' ? '' : `{${inside}}`;
}

/**
 * A registry's default labels (`registry.setDefaultLabels`). prom-client writes a sample's labels as
 * `{ ...own, ...defaults, ...own }`: its own in order, then each default it does not have itself. The
 * defaults' text depends only on which keys a series has, so it is made once per key set per scrape.
 */
export class DefaultLabels {
  private readonly byKeys = new Map<string, string>();
  constructor(private readonly defaults: Record<string, unknown>) {}

  /** The defaults' pairs for a series with these label keys (`le` for a bucket), joined by `,`. */
  after(labels: Labels, bucket: boolean): string {
    const key = `${bucket ? 'le,' : ''}${Object.keys(labels).join(',')}`;
    let text = this.byKeys.get(key);
    if (text === undefined) {
      text = labelPairs(this.defaults, bucket ? { ...labels, le: '' } : labels);
      this.byKeys.set(key, text);
    }
    return text;
  }
}

interface MetricValue {
  labels: Labels;
  value: number;
  metricName?: string;
}

/** A series and its labels, with the labels' exposition text made once, when the series is. */
interface Entry<S> {
  labels: Labels;
  series: S;
  /** `a="x",b="y"` (empty without labels). */
  pairs: string;
  /** `{a="x",b="y"}` (empty without labels). */
  braced: string;
}

export abstract class Metric<S> {
  // Not readonly: in OpenMetrics mode the Registry renames counters in place (drops `_total`).
  name: string;
  readonly help: string;
  abstract readonly type: 'counter' | 'gauge' | 'histogram';
  readonly aggregator: Aggregator;
  protected readonly all: Entry<S>[] = [];

  constructor(registry: Registry, name: string, help: string, aggregator: Aggregator = 'sum') {
    this.name = name;
    this.help = help;
    this.aggregator = aggregator;
    claimMetricName(registry, name);
    registry.registerMetric(this as any);
  }

  /** The series for a label set; create it once and keep it: updates on it are cheap. */
  series(labels: Labels): S {
    const series = this.create();
    const own = { ...labels };
    const pairs = labelPairs(own);
    this.all.push({ labels: own, series, pairs, braced: braced(pairs) });
    return series;
  }

  /**
   * The metric's exposition text, exactly as prom-client's `Registry.metrics()` writes it: the
   * `# HELP` and `# TYPE` lines, then one string per series (its lines, each after a `\n`; empty for
   * a histogram series with no observation), so the caller can yield to the event loop between them.
   */
  *exposition(context: ExpositionContext): Generator<string> {
    const name = escapeString(this.name);
    yield `# HELP ${name} ${escapeString(this.help)}\n# TYPE ${name} ${this.type}`;
    const all = this.all;
    for (let i = 0; i < all.length; i++) yield this.lines(all[i], context);
  }

  protected abstract lines(entry: Entry<S>, context: ExpositionContext): string;
  protected abstract create(): S;
  abstract get(): Promise<{ name: string; help: string; type: string; values: MetricValue[]; aggregator: string }>;
  abstract reset(): void;
}

export class CounterSeries {
  value = 0;
  inc(amount = 1): void {
    this.value += amount;
  }
}

/** A metric whose series each hold one value (counters and gauges). */
abstract class ValueMetric<S extends { value: number }> extends Metric<S> {
  async get() {
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values: this.all.map(({ labels, series }) => ({ labels, value: series.value })),
    };
  }
  reset(): void {
    for (const { series } of this.all) series.value = 0;
  }

  protected lines({ labels, series, pairs, braced: own }: Entry<S>, context: ExpositionContext): string {
    // As prom-client: the escaped name; in OpenMetrics a counter's samples take `_total` back.
    let sample = escapeString(this.name);
    if (context.openMetrics && this.type === 'counter') sample += '_total';
    const text = context.defaults === undefined ? own : braced(pairs, context.defaults.after(labels, false));
    return `\n${sample}${text} ${formatValue(series.value)}`;
  }
}

export class Counter extends ValueMetric<CounterSeries> {
  readonly type = 'counter';
  protected create(): CounterSeries {
    return new CounterSeries();
  }
}

export class GaugeSeries {
  value = 0;
  inc(amount = 1): void {
    this.value += amount;
  }
  dec(amount = 1): void {
    this.value -= amount;
  }
  set(value: number): void {
    this.value = value;
  }
}

export class Gauge extends ValueMetric<GaugeSeries> {
  readonly type = 'gauge';

  /** `aggregator`: how prom-client's AggregatorRegistry combines a series across cluster workers. */
  constructor(registry: Registry, name: string, help: string, aggregator: Aggregator) {
    super(registry, name, help, aggregator);
  }

  protected create(): GaugeSeries {
    return new GaugeSeries();
  }
}

export class HistogramSeries {
  /** Observations per bucket (not cumulative); the last slot is +Inf. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  private readonly bounds: readonly number[];

  constructor(bounds: readonly number[]) {
    this.bounds = bounds;
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    // Bounds are few (13 to 14): a linear scan beats a binary search's branches here.
    while (i < bounds.length && value > bounds[i]) i++;
    this.counts[i]++;
    this.sum += value;
    this.count++;
  }
}

export class Histogram extends Metric<HistogramSeries> {
  readonly type = 'histogram';
  readonly bounds: readonly number[];
  /** `le="0.01"`, ... `le="+Inf"`: each bucket's label, as prom-client writes it. */
  private readonly bucketLabels: readonly string[];

  constructor(registry: Registry, name: string, help: string, bounds: readonly number[]) {
    super(registry, name, help);
    this.bounds = [...bounds].sort((a, b) => a - b);
    this.bucketLabels = [...this.bounds.map(String), '+Inf'].map((le) => `le="${le}"`);
  }

  protected create(): HistogramSeries {
    return new HistogramSeries(this.bounds);
  }

  async get() {
    const values: MetricValue[] = [];
    for (const { labels, series } of this.all) {
      // A histogram series exists only once it has an observation: no empty series for what never happened.
      if (series.count === 0) continue;
      let cumulative = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        cumulative += series.counts[i];
        values.push({ labels: { ...labels, le: String(this.bounds[i]) }, value: cumulative, metricName: `${this.name}_bucket` });
      }
      values.push({ labels: { ...labels, le: '+Inf' }, value: series.count, metricName: `${this.name}_bucket` });
      values.push({ labels, value: series.sum, metricName: `${this.name}_sum` });
      values.push({ labels, value: series.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    for (const { series } of this.all) {
      series.counts.fill(0);
      series.sum = 0;
      series.count = 0;
    }
  }

  protected lines({ labels, series, pairs, braced: own }: Entry<HistogramSeries>, context: ExpositionContext): string {
    // As get(): no lines for a series with no observation.
    if (series.count === 0) return '';
    const defaults = context.defaults;
    // In the bucket lines `le` comes after the series' labels, and the registry's defaults after `le`.
    const bucketOpen = `${this.name}_bucket{${pairs === '' ? '' : `${pairs},`}`;
    const after = defaults === undefined ? '' : defaults.after(labels, true);
    const bucketClose = after === '' ? '} ' : `,${after}} `;
    const counts = series.counts;
    const last = this.bounds.length;
    let text = '';
    let cumulative = 0;
    for (let i = 0; i < last; i++) {
      cumulative += counts[i];
      text += `\n${bucketOpen}${this.bucketLabels[i]}${bucketClose}${formatValue(cumulative)}`;
    }
    text += `\n${bucketOpen}${this.bucketLabels[last]}${bucketClose}${formatValue(series.count)}`;
    const rest = defaults === undefined ? own : braced(pairs, defaults.after(labels, false));
    return `${text}\n${this.name}_sum${rest} ${formatValue(series.sum)}\n${this.name}_count${rest} ${formatValue(series.count)}`;
  }
}
