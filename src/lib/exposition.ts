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
  if (!rendersAsPromClient(registry)) return registry.metrics();
  const openMetrics = (registry.contentType as string) === Registry.OPENMETRICS_CONTENT_TYPE;
  const defaults = (registry as unknown as RegistryInternals)._defaultLabels!;
  const hasDefaults = Object.keys(defaults).length > 0;
  const context: ExpositionContext = { openMetrics, defaults: hasDefaults ? new DefaultLabels(defaults) : undefined };

  const flat: string[] = [];
  let parts: string[] = [];
  let partsChars = 0;
  const add = (text: string) => {
    parts.push(text);
    partsChars += text.length;
  };
  let sliceStart = performance.now();
  let sinceLook = 0;
  /** Between two series: flatten what has piled up, and past the slice's time let the event loop run. */
  const maybeYield = async () => {
    if (++sinceLook < SERIES_PER_LOOK) return;
    sinceLook = 0;
    if (partsChars >= FLAT_CHARS) {
      flat.push(parts.join(''));
      parts = [];
      partsChars = 0;
    }
    if (performance.now() - sliceStart <= SLICE_MS) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    sliceStart = performance.now();
  };

  const metrics = registry.getMetricsAsArray() as unknown[];
  for (let m = 0; m < metrics.length; m++) {
    const metric = metrics[m] as MetricItem;
    if (openMetrics && metric.type === 'counter') {
      // As prom-client does, in place: the family is named without `_total`, its samples with it.
      metric.name = metric.name.replace(/_total$/, '');
    }
    if (m > 0) add(openMetrics ? '\n' : '\n\n');
    if (metric instanceof Metric) {
      for (const text of (metric as Metric<unknown>).exposition(context)) {
        add(text);
        await maybeYield();
      }
      continue;
    }
    // Another metric: prom-client's Registry.getMetricsAsString, line by line.
    const item: MetricItem =
      typeof (metric as { getForPromString?: unknown }).getForPromString === 'function'
        ? await (metric as unknown as { getForPromString(): Promise<MetricItem> }).getForPromString()
        : await (metric as unknown as { get(): Promise<MetricItem> }).get();
    const name = escapeString(item.name);
    add(`# HELP ${name} ${escapeString(item.help)}\n# TYPE ${name} ${item.type}`);
    for (const value of item.values || []) {
      let metricName = value.metricName === undefined ? name : value.metricName;
      if (openMetrics && item.type === 'counter') metricName = `${metricName}_total`;
      let labels = value.labels === undefined ? {} : value.labels;
      if (hasDefaults) labels = { ...labels, ...defaults, ...labels };
      const shared = value.sharedLabels === undefined ? {} : value.sharedLabels;
      const inside = [labelPairs(labels, shared), labelPairs(shared)].filter(Boolean).join(',');
      let line = `\n${metricName}${inside === '' ? '' : `{${inside}}`} ${formatValue(value.value)}`;
      const exemplar = value.exemplar;
      if (exemplar && openMetrics) line += ` # {${labelPairs(exemplar.labelSet)}} ${formatValue(exemplar.value)} ${exemplar.timestamp}`;
      add(line);
      await maybeYield();
    }
  }
  add(openMetrics ? '\n# EOF\n' : '\n');
  flat.push(parts.join(''));
  return flat.join('');
}
