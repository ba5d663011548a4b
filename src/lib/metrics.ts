/**
 * Counters, gauges and histograms for the call path, registered on a prom-client Registry (which
 * renders the exposition, Prometheus or OpenMetrics) but updated without prom-client's per-update
 * label hashing: a label set is resolved once into a series object, and an update is a field add
 * (histograms: a bucket search over a handful of bounds). prom-client's own metric classes hash the
 * label object on every `inc`/`observe`, which cost about 0.5 µs each here; see BENCHMARKS.md.
 *
 * Each metric implements what `Registry.registerMetric` and `Registry.metrics()` use:
 * `name`, `help`, `type`, `get()`, `reset()`.
 */
import type { Registry } from 'prom-client';
import { claimMetricName } from './released-metrics.js';

export type Labels = Record<string, string>;

interface MetricValue {
  labels: Labels;
  value: number;
  metricName?: string;
}

abstract class Metric<S> {
  readonly name: string;
  readonly help: string;
  abstract readonly type: 'counter' | 'gauge' | 'histogram';
  readonly aggregator = 'sum';
  protected readonly all: { labels: Labels; series: S }[] = [];

  constructor(registry: Registry, name: string, help: string) {
    this.name = name;
    this.help = help;
    claimMetricName(registry, name);
    registry.registerMetric(this as any);
  }

  /** The series for a label set; create it once and keep it: updates on it are cheap. */
  series(labels: Labels): S {
    const series = this.create();
    this.all.push({ labels: { ...labels }, series });
    return series;
  }

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

  constructor(registry: Registry, name: string, help: string, bounds: readonly number[]) {
    super(registry, name, help);
    this.bounds = [...bounds].sort((a, b) => a - b);
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
}
