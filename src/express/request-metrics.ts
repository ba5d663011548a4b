/**
 * The per-request Prometheus histograms of the Express middleware, by route template and method: how
 * many LLM calls a request made, how many tokens they used, and what share of the request's time at
 * least one of them was in flight. One observation each per request the middleware saw (requests that
 * made no LLM call observe 0), so each histogram's `_count` is the number of requests and its `_sum`
 * the route's total calls, tokens, or LLM-busy share.
 */
import { Histogram, type Registry } from 'prom-client';
import { BUCKETS, LABEL, OWN_METRIC } from '../semconv.js';
import type { RequestOutcome } from './context.js';
import { claimMetricName, releaseMetrics } from '../lib/released-metrics.js';

type Observer = { observe(value: number): void };

/** The label children of one (route, method). */
interface RouteSeries {
  calls: Observer;
  inputTokens: Observer;
  outputTokens: Observer;
  llmTimeRatio: Observer;
}

export class RequestMetrics {
  private readonly calls: Histogram;
  private readonly tokens: Histogram;
  private readonly llmTimeRatio: Histogram;
  /** route → method → children, so a request costs two map lookups, not a label-string build. */
  private readonly series = new Map<string, Map<string, RouteSeries>>();

  constructor(registry: Registry) {
    const registers = [registry];
    const labelNames = [LABEL.httpRoute, LABEL.httpRequestMethod];
    for (const metric of [OWN_METRIC.requestLlmCalls, OWN_METRIC.requestLlmTokens, OWN_METRIC.requestLlmTimeRatio]) claimMetricName(registry, metric.prom);
    this.calls = new Histogram({
      name: OWN_METRIC.requestLlmCalls.prom,
      help: OWN_METRIC.requestLlmCalls.help,
      labelNames,
      buckets: [...BUCKETS.requestLlmCalls],
      registers,
    });
    this.tokens = new Histogram({
      name: OWN_METRIC.requestLlmTokens.prom,
      help: OWN_METRIC.requestLlmTokens.help,
      labelNames: [...labelNames, LABEL.tokenType],
      buckets: [...BUCKETS.requestLlmTokens],
      registers,
    });
    this.llmTimeRatio = new Histogram({
      name: OWN_METRIC.requestLlmTimeRatio.prom,
      help: OWN_METRIC.requestLlmTimeRatio.help,
      labelNames,
      buckets: [...BUCKETS.requestLlmTimeRatio],
      registers,
    });
  }

  /** The monitor shut down: these stay scraped until a new monitor on the registry takes them over. */
  release(): void {
    releaseMetrics([this.calls, this.tokens, this.llmTimeRatio]);
  }

  observe(request: RequestOutcome): void {
    const s = this.seriesOf(request.route, request.method);
    s.calls.observe(request.calls);
    s.inputTokens.observe(request.inputTokens);
    s.outputTokens.observe(request.outputTokens);
    s.llmTimeRatio.observe(request.duration > 0 ? Math.min(1, request.llmTime / request.duration) : 0);
  }

  private seriesOf(route: string, method: string): RouteSeries {
    let byMethod = this.series.get(route);
    if (byMethod === undefined) this.series.set(route, (byMethod = new Map()));
    let s = byMethod.get(method);
    if (s === undefined) {
      // An unknown (empty) value is left out, as Prometheus treats it as absent anyway.
      const labels: Record<string, string> = {};
      if (route !== '') labels[LABEL.httpRoute] = route;
      if (method !== '') labels[LABEL.httpRequestMethod] = method;
      s = {
        calls: this.calls.labels(labels),
        inputTokens: this.tokens.labels({ ...labels, [LABEL.tokenType]: 'input' }),
        outputTokens: this.tokens.labels({ ...labels, [LABEL.tokenType]: 'output' }),
        llmTimeRatio: this.llmTimeRatio.labels(labels),
      };
      byMethod.set(method, s);
    }
    return s;
  }
}
