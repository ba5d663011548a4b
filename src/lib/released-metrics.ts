/**
 * A registry outlives a monitor: a test's `beforeEach` makes a new monitor on the same Registry, an
 * app replaces one. Metrics a monitor registered are released when it shuts down, not removed: they
 * stay scraped with their last values (and with the calls still open at shutdown, which end later),
 * until a new monitor registers the same names and takes them over. A live monitor's metrics are
 * never taken over, so a second monitor on its registry is still refused by prom-client's
 * "already registered".
 */
import type { Registry } from 'prom-client';

const released = new WeakSet<object>();

/** Mark these metrics, registered by a monitor that has shut down, as free for a new one to replace. */
export function releaseMetrics(metrics: Iterable<object>): void {
  for (const metric of metrics) released.add(metric);
}

/**
 * Make `name` free to register on `registry` if a released metric holds it. By the name the metric
 * was registered under: in OpenMetrics mode the Registry renames a counter in place (`_total` cut).
 */
export function claimMetricName(registry: Registry, name: string): void {
  const held = registry.getSingleMetric(name);
  if (held !== undefined && released.has(held)) registry.removeSingleMetric(name);
}
