/**
 * The registry's exposition text (Prometheus 0.0.4 or OpenMetrics, as the registry's content type
 * says), byte for byte what prom-client's `Registry.metrics()` writes, rendered so that a scrape
 * neither takes long nor holds the event loop:
 *
 * - the monitor's own metrics (src/lib/metrics.ts) are written straight to text from label strings
 *   made once per series, without prom-client's per-sample label objects, merges and escaping;
 * - every other metric on the registry (the app's, prom-client's default metrics, the detectors'
 *   prom-client gauges), in registry order, is read with its own `get()` and written line by line as
 *   prom-client's `Registry.getMetricsAsString` writes it;
 * - between series, once a slice has run `SLICE_MS`, the render yields to the event loop, so a large
 *   exposition is many short blocks, not one long one. A scrape is not a snapshot (prom-client's is
 *   not either): a call that ends meanwhile may be in one metric's figures and not yet in the next's.
 *   Each series' lines (a histogram's buckets, sum and count) are written together.
 * - Text is joined into one flat string every `FLAT_CHARS` characters. Concatenating is cheap in V8
 *   (a tree of pieces, copied later), the copy is not: left to the end, one join of a few MB holds the
 *   loop for tens of ms, and a slice that only concatenates would not see the time it is owed.
 *
 * A registry this cannot render exactly like that (another copy or version of prom-client, a subclass
 * with its own `metrics()`) is left to render itself.
 */
import { Registry } from 'prom-client';
import { DefaultLabels, escapeString, formatValue, labelPairs, Metric, type ExpositionContext } from './metrics.js';
import { monotonic } from './clock.js';

/** Longest stretch, in ms, of rendering between two yields to the event loop. */
const SLICE_MS = 5;

/** Series rendered between two looks at the clock (a look costs about 40 ns; a series, 0.1 to 3 µs). */
const SERIES_PER_LOOK = 32;

/** Characters of text joined into one flat string at a time (about 0.1 ms of copying). */
const FLAT_CHARS = 1 << 16;

/** What the render uses of prom-client's Registry beyond its typings (present in prom-client 13 to 15). */
interface RegistryInternals {
  _defaultLabels?: Record<string, unknown>;
  getMetricsAsString(metric: unknown): Promise<string>;
}

/** What prom-client's `get()` (or `getForPromString()`) answers for a metric. */
interface MetricItem {
  name: string;
  help: string;
  type: string;
  values?: {
    value: number;
    labels?: Record<string, unknown>;
    metricName?: string;
    sharedLabels?: Record<string, unknown>;
    exemplar?: { labelSet: Record<string, unknown>; value: number; timestamp: unknown } | null;
  }[];
}

/** True when `registry.metrics()` is prom-client's own, the one this render reproduces. */
function rendersAsPromClient(registry: Registry): boolean {
  const own = Registry.prototype as unknown as Record<string, unknown>;
  const its = registry as unknown as Record<string, unknown> & RegistryInternals;
  return (
    registry instanceof Registry &&
    its.metrics === own.metrics &&
    its.getMetricsAsString === own.getMetricsAsString &&
    typeof its._defaultLabels === 'object' &&
    its._defaultLabels !== null
  );
}

/** The registry's exposition text, as `registry.metrics()` would give it, rendered in slices. */
export async function renderExposition(registry: Registry): Promise<string> {
  const pieces: string[] = [];
  await writeExposition(registry, (piece) => pieces.push(piece));
  return pieces.join('');
}

/**
 * The same text, handed to `write` in pieces of about `FLAT_CHARS` characters as they are rendered: a
 * `/metrics` handler writes each to the response, so no string of the whole exposition is made, and
 * no copy of megabytes (to join it, then to encode it) holds the loop at the end.
 */
export async function writeExposition(registry: Registry, write: (piece: string) => void): Promise<void> {
  if (!rendersAsPromClient(registry)) {
    write(await registry.metrics());
    return;
  }
  const openMetrics = (registry.contentType as string) === Registry.OPENMETRICS_CONTENT_TYPE;
  const defaults = (registry as unknown as RegistryInternals)._defaultLabels!;
  const hasDefaults = Object.keys(defaults).length > 0;
  const context: ExpositionContext = { openMetrics, defaults: hasDefaults ? new DefaultLabels(defaults) : undefined };

  const text = new Text(write);
  const metrics = registry.getMetricsAsArray() as unknown[];
  for (let m = 0; m < metrics.length; m++) {
    const metric = metrics[m] as MetricItem;
    if (openMetrics && metric.type === 'counter') {
      // As prom-client does, in place: the family is named without `_total`, its samples with it.
      metric.name = metric.name.replace(/_total$/, '');
    }
    if (m > 0) text.add(openMetrics ? '\n' : '\n\n');
    if (metric instanceof Metric) {
      for (const series of (metric as Metric<unknown>).exposition(context)) {
        if (text.add(series)) await text.pause();
      }
      continue;
    }
    // Another metric: prom-client's Registry.getMetricsAsString, line by line.
    const item: MetricItem =
      typeof (metric as { getForPromString?: unknown }).getForPromString === 'function'
        ? await (metric as unknown as { getForPromString(): Promise<MetricItem> }).getForPromString()
        : await (metric as unknown as { get(): Promise<MetricItem> }).get();
    const name = escapeString(item.name);
    text.add(`# HELP ${name} ${escapeString(item.help)}\n# TYPE ${name} ${item.type}`);
    for (const value of item.values || []) {
      let metricName = value.metricName === undefined ? name : value.metricName;
      if (openMetrics && item.type === 'counter') metricName = `${metricName}_total`;
      let labels = value.labels === undefined ? {} : value.labels;
      if (hasDefaults) labels = { ...labels, ...defaults, ...labels };
      const shared = value.sharedLabels;
      const inside =
        shared === undefined ? labelPairs(labels) : [labelPairs(labels, shared), labelPairs(shared)].filter(Boolean).join(',');
      let line = `\n${metricName}${inside === '' ? '' : `{${inside}}`} ${formatValue(value.value)}`;
      const exemplar = value.exemplar;
      if (exemplar && openMetrics) line += ` # {${labelPairs(exemplar.labelSet)}} ${formatValue(exemplar.value)} ${exemplar.timestamp}`;
      if (text.add(line)) await text.pause();
    }
  }
  text.add(openMetrics ? '\n# EOF\n' : '\n');
  text.flatten();
}

/** The text not yet handed on, and the clock of the slice being rendered. */
class Text {
  private parts: string[] = [];
  private partsChars = 0;
  private sliceStart = monotonic();
  private sinceLook = 0;

  constructor(private readonly write: (piece: string) => void) {}

  /** Add a series' text; true when the slice has run its time and the render should pause. */
  add(text: string): boolean {
    this.parts.push(text);
    this.partsChars += text.length;
    if (++this.sinceLook < SERIES_PER_LOOK) return false;
    this.sinceLook = 0;
    if (this.partsChars >= FLAT_CHARS) this.flatten();
    return monotonic() - this.sliceStart > SLICE_MS;
  }

  /** Let the event loop run, then start a new slice. */
  async pause(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.sliceStart = monotonic();
  }

  /** Hand what has piled up on as one flat string. */
  flatten(): void {
    if (this.parts.length > 0) this.write(this.parts.join(''));
    this.parts = [];
    this.partsChars = 0;
  }
}
