/**
 * Snapshot sink: a plain-JSON view of recent traffic per provider / operation / request model, for
 * `monitor.snapshot()`, health endpoints and the dashboard. Percentiles are computed when asked, from
 * fixed-size rings of recent samples; rates come from per-second windows. Memory is bounded by the
 * cardinality guard times the ring size.
 */
import type { CallRecord, Outcome, TokenCount } from '../record.js';
import type { LabelGuard } from '../lib/label-guard.js';
import { RateWindow } from '../lib/rate-window.js';
import { SampleRing } from '../lib/sample-ring.js';
import { Tree3 } from '../lib/tree3.js';
import type { MetricLabels, Sink } from './sink.js';

export interface Percentiles {
  p50: number | undefined;
  p95: number | undefined;
  p99: number | undefined;
}

export interface GroupSnapshot {
  provider: string;
  operation: string;
  /** The request model ('' when the request named none; `other` past the cardinality limit). */
  model: string;
  calls: number;
  /** Calls by how they ended. */
  outcomes: Record<string, number>;
  /** Failed and aborted calls by error type. */
  errors: Record<string, number>;
  inFlight: number;
  /** Over the most recent calls (see `snapshot.samples`). */
  latencyMs: Percentiles;
  timeToFirstChunkMs: Percentiles;
  outputTokensPerSecond: Percentiles;
  tokens: { input: number; output: number; cachedInput: number; reasoning: number; estimated: number };
  /** Calls per second over the rate window. */
  requestsPerSecond: number;
  /** Output tokens per second of all calls together over the rate window. */
  tokensPerSecond: number;
}

export interface Snapshot {
  service: string;
  /** ISO time the snapshot was taken. */
  time: string;
  uptimeSeconds: number;
  calls: number;
  inFlight: number;
  requestsPerSecond: number;
  tokensPerSecond: number;
  groups: GroupSnapshot[];
  internalErrors: Record<string, number>;
  /** Distinct values kept per label by the cardinality guard. */
  labelValues: Record<string, number>;
  /** The latest resource sample (process, event loop, system, GPUs); absent when `resources: false` or before the first interval. */
  resources?: import('../resources/sample.js').ResourceSample;
  /** Cost since start per provider / model / route, with the date of the prices (sinks/quality.ts). */
  cost?: import('../quality/stats.js').CostSnapshot;
  /** Evaluations, feedback and ground-truth accuracy since start per provider / model / route. */
  quality?: import('../quality/stats.js').QualityGroupSnapshot[];
  /** Rates per segment and the segments that differ significantly (only with the `segment` option). */
  segments?: import('../segments/segments.js').SegmentsSnapshot;
  /** Each detector's and drift monitor's state per signal and label set (absent with `detect: false`). */
  detectors?: import('../detect/sink.js').DetectorsSnapshot;
}

const PS = [50, 95, 99] as const;

function percentiles(ring: SampleRing): Percentiles {
  const [p50, p95, p99] = ring.percentiles(PS);
  return { p50, p95, p99 };
}

type TokenTotals = { input: number; output: number; cachedInput: number; reasoning: number; estimated: number };

/** A count to add to its total (0 when there is none); an estimated one is added to `estimated` as well. */
function counted(totals: TokenTotals, count: TokenCount | undefined): number {
  if (count === undefined) return 0;
  if (count.source === 'estimated') totals.estimated += count.count;
  return count.count;
}

/** Calls by outcome: a field each (the outcomes are a closed set), so counting one is a named store. */
class OutcomeCounts {
  completed = 0;
  cancelled = 0;
  aborted = 0;
  failed = 0;

  add(outcome: Outcome): void {
    if (outcome === 'completed') this.completed++;
    else if (outcome === 'cancelled') this.cancelled++;
    else if (outcome === 'aborted') this.aborted++;
    else this.failed++;
  }

  /** The outcomes seen, as the snapshot shows them. */
  seen(): Record<string, number> {
    const out: Record<string, number> = {};
    if (this.completed > 0) out.completed = this.completed;
    if (this.cancelled > 0) out.cancelled = this.cancelled;
    if (this.aborted > 0) out.aborted = this.aborted;
    if (this.failed > 0) out.failed = this.failed;
    return out;
  }
}

class Group {
  calls = 0;
  inFlight = 0;
  readonly outcomes = new OutcomeCounts();
  readonly errors: Record<string, number> = {};
  readonly latency: SampleRing;
  readonly timeToFirstChunk: SampleRing;
  readonly outputTokensPerSecond: SampleRing;
  readonly tokens: TokenTotals = { input: 0, output: 0, cachedInput: 0, reasoning: 0, estimated: 0 };
  readonly requests: RateWindow;
  readonly outputTokens: RateWindow;

  constructor(
    readonly provider: string,
    readonly operation: string,
    readonly model: string,
    samples: number,
    windowSeconds: number,
    startedAt: number,
  ) {
    this.latency = new SampleRing(samples);
    this.timeToFirstChunk = new SampleRing(samples);
    this.outputTokensPerSecond = new SampleRing(samples);
    // Every window counts from the monitor's start, so the groups' rates add up to the total.
    this.requests = new RateWindow(windowSeconds, startedAt);
    this.outputTokens = new RateWindow(windowSeconds, startedAt);
  }
}

export class SnapshotSink implements Sink {
  readonly name = 'snapshot';
  private readonly groups = new Tree3<Group>();
  private readonly groupList: Group[] = [];
  private readonly startedAt = Date.now();
  private readonly all: { requests: RateWindow; outputTokens: RateWindow };
  private calls = 0;
  readonly internalErrors: Record<string, number> = {};

  constructor(
    private readonly service: string,
    private readonly guard: LabelGuard,
    private readonly samples: number,
    private readonly windowSeconds: number,
  ) {
    this.all = { requests: new RateWindow(windowSeconds, this.startedAt), outputTokens: new RateWindow(windowSeconds, this.startedAt) };
  }

  callStarted(_record: CallRecord, labels: MetricLabels): void {
    this.groupOf(labels).inFlight++;
  }

  callFinished(_record: CallRecord, labels: MetricLabels): void {
    this.groupOf(labels).inFlight--;
  }

  callEnded(record: CallRecord, labels: MetricLabels): void {
    const group = this.groupOf(labels);
    group.calls++;
    this.calls++;
    group.outcomes.add(record.outcome);
    if (record.errorType !== undefined) group.errors[record.errorType] = (group.errors[record.errorType] ?? 0) + 1;
    group.latency.push(record.duration);
    if (record.timeToFirstChunk !== undefined) group.timeToFirstChunk.push(record.timeToFirstChunk);
    if (record.outputTokensPerSecond !== undefined) group.outputTokensPerSecond.push(record.outputTokensPerSecond);
    const tokens = group.tokens;
    tokens.input += counted(tokens, record.inputTokens);
    tokens.output += counted(tokens, record.outputTokens);
    tokens.cachedInput += counted(tokens, record.cachedInputTokens);
    tokens.reasoning += counted(tokens, record.reasoningTokens);
    const endedAt = record.startTime + record.duration;
    group.requests.add(1, endedAt);
    this.all.requests.add(1, endedAt);
    if (record.outputTokens !== undefined) {
      group.outputTokens.add(record.outputTokens.count, endedAt);
      this.all.outputTokens.add(record.outputTokens.count, endedAt);
    }
  }

  internalError(component: string): void {
    this.internalErrors[component] = (this.internalErrors[component] ?? 0) + 1;
  }

  snapshot(): Snapshot {
    const now = Date.now();
    const groups: GroupSnapshot[] = [];
    let inFlight = 0;
    for (const g of this.groupList) {
      inFlight += g.inFlight;
      groups.push({
        provider: g.provider,
        operation: g.operation,
        model: g.model,
        calls: g.calls,
        outcomes: g.outcomes.seen(),
        errors: { ...g.errors },
        inFlight: g.inFlight,
        latencyMs: percentiles(g.latency),
        timeToFirstChunkMs: percentiles(g.timeToFirstChunk),
        outputTokensPerSecond: percentiles(g.outputTokensPerSecond),
        tokens: { ...g.tokens },
        requestsPerSecond: g.requests.perSecond(now),
        tokensPerSecond: g.outputTokens.perSecond(now),
      });
    }
    return {
      service: this.service,
      time: new Date(now).toISOString(),
      uptimeSeconds: (now - this.startedAt) / 1000,
      calls: this.calls,
      inFlight,
      requestsPerSecond: this.all.requests.perSecond(now),
      tokensPerSecond: this.all.outputTokens.perSecond(now),
      groups,
      internalErrors: { ...this.internalErrors },
      labelValues: this.guard.sizes(),
    };
  }

  private groupOf(labels: MetricLabels): Group {
    const { provider, operation, requestModel: model } = labels;
    let group = this.groups.get(provider, operation, model);
    if (group === undefined) {
      group = this.groups.set(provider, operation, model, new Group(provider, operation, model, this.samples, this.windowSeconds, this.startedAt));
      this.groupList.push(group);
    }
    return group;
  }
}
