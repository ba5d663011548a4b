/**
 * Quality sink: cost and quality per provider / request model / route, as Prometheus metrics
 * (`llm_vitals_cost_usd_total`, `llm_vitals_cost_unknown_calls_total`, `llm_vitals_quality_score`,
 * `llm_vitals_evaluations_total`) and as the snapshot's `cost`, `quality` and `segments` sections;
 * and the feedback that arrives later (`monitor.feedback(id, ...)`), attributed through a bounded map
 * of recent record and response ids to the call's labels.
 *
 * Quality scores (per evaluated call, per feedback, per ground truth) also go to `onSignal`
 * listeners: the detectors' way to see a drop in quality that arrives after the call was published.
 */
import type { Registry } from 'prom-client';
import { Counter, Histogram } from '../lib/metrics.js';
import { releaseMetrics } from '../lib/released-metrics.js';
import type { CallRecord } from '../record.js';
import { ATTR, LABEL, QUALITY_LABEL, QUALITY_METRIC, QUALITY_SCORE_BUCKETS } from '../semconv.js';
import type { LabelGuard, LabelSlot } from '../lib/label-guard.js';
import { checkFeedback, correct, RecentCalls } from '../quality/feedback.js';
import { Tree3 } from '../lib/tree3.js';
import { costSnapshot, GroupStats, type CostSnapshot, type QualityGroupSnapshot } from '../quality/stats.js';
import type { SegmentsSnapshot, SegmentTracker } from '../segments/segments.js';
import type { MetricLabels, Sink } from './sink.js';

/** Record ids and response ids remembered for feedback (the most recent ones). */
export const RECENT_IDS = 20_000;

/** The label of feedback categories in the cardinality guard. */
const FEEDBACK_LABEL = 'feedback_label';

export type QualitySource = 'evaluators' | 'feedback' | 'ground_truth';

/** One quality figure, as the detectors receive it. */
export interface QualitySignal {
  provider: string;
  model: string;
  route: string;
  /** '' when the call had no segment. */
  segment: string;
  source: QualitySource;
  /** In [0, 1]; ground truth is 1 (correct) or 0. */
  score: number;
  /** Epoch milliseconds the figure arrived. */
  time: number;
}

type Inc = { inc(value?: number): void };
type Obs = { observe(value: number): void };

/** The project's fast series (lib/metrics.ts): a label set resolved once, then a field add per update. */
function createMetrics(registry: Registry) {
  return {
    costUsd: new Counter(registry, QUALITY_METRIC.costUsd.prom, QUALITY_METRIC.costUsd.help),
    unknownCost: new Counter(registry, QUALITY_METRIC.unknownCost.prom, QUALITY_METRIC.unknownCost.help),
    qualityScore: new Histogram(registry, QUALITY_METRIC.qualityScore.prom, QUALITY_METRIC.qualityScore.help, QUALITY_SCORE_BUCKETS),
    evaluations: new Counter(registry, QUALITY_METRIC.evaluations.prom, QUALITY_METRIC.evaluations.help),
  };
}

/** One provider / model / route: its totals and its metric children, each made once and cached by what it is for. */
class Group {
  readonly stats: GroupStats;
  private readonly labels: Record<string, string> = {};
  private readonly costs = new Map<string, Inc | undefined>();
  private readonly scores = new Map<string, Obs | undefined>();
  private readonly evaluations = new Map<string, Map<string, Inc | undefined>>();
  private unknownSeries: Inc | undefined = undefined;
  private unknownMade = false;
  /** What the feedback memory holds for a call of this group without a segment (shared, not per call). */
  readonly unsegmented: Remembered;

  constructor(
    provider: string,
    model: string,
    route: string,
    private readonly metrics: ReturnType<typeof createMetrics> | undefined,
  ) {
    this.stats = new GroupStats(provider, model, route);
    this.unsegmented = { group: this, segment: '' };
    // An empty value is left out, as Prometheus treats it as absent anyway.
    if (provider !== '') this.labels[LABEL.providerName] = provider;
    if (model !== '') this.labels[LABEL.requestModel] = model;
    if (route !== '') this.labels[LABEL.httpRoute] = route;
  }

  /** A metric child of this group's labels; undefined without Prometheus. Each is made once, cached by the caller. */
  private child<T extends Inc | Obs>(make: (m: ReturnType<typeof createMetrics>) => T): T | undefined {
    return this.metrics === undefined ? undefined : make(this.metrics);
  }

  cost(source: string): Inc | undefined {
    // Per call: looked up by the source alone, no key string or closure made.
    let series = this.costs.get(source);
    if (series === undefined && !this.costs.has(source)) {
      series = this.child((m) => m.costUsd.series({ ...this.labels, [QUALITY_LABEL.source]: source }));
      this.costs.set(source, series);
    }
    return series;
  }

  unknownCost(): Inc | undefined {
    if (!this.unknownMade) {
      this.unknownSeries = this.child((m) => m.unknownCost.series(this.labels));
      this.unknownMade = true;
    }
    return this.unknownSeries;
  }

  score(source: QualitySource): Obs | undefined {
    // Per call: looked up by the source alone, no key string or closure made.
    let series = this.scores.get(source);
    if (series === undefined && !this.scores.has(source)) {
      series = this.child((m) => m.qualityScore.series({ ...this.labels, [QUALITY_LABEL.source]: source }));
      this.scores.set(source, series);
    }
    return series;
  }

  evaluation(evaluator: string, result: string): Inc | undefined {
    // Per call and evaluator: two lookups by the names themselves, no key string or closure made.
    let byResult = this.evaluations.get(evaluator);
    if (byResult === undefined) this.evaluations.set(evaluator, (byResult = new Map()));
    let series = byResult.get(result);
    if (series === undefined && !byResult.has(result)) {
      series = this.child((m) =>
        m.evaluations.series({ ...this.labels, [QUALITY_LABEL.evaluator]: evaluator, [QUALITY_LABEL.result]: result }),
      );
      byResult.set(result, series);
    }
    return series;
  }
}

interface Remembered {
  group: Group;
  segment: string;
}

export class QualitySink implements Sink {
  readonly name = 'quality';
  private readonly metrics: ReturnType<typeof createMetrics> | undefined;
  private readonly groups = new Tree3<Group>();
  private readonly groupList: Group[] = [];
  private readonly recent = new RecentCalls<Remembered>(RECENT_IDS);
  private readonly listeners: ((signal: QualitySignal) => void)[] = [];
  private readonly routeLabel: LabelSlot;

  /** `registry` undefined: no Prometheus metrics (option `prometheus: false`), the snapshot still fills. */
  constructor(
    registry: Registry | undefined,
    private readonly guard: LabelGuard,
    private readonly segments: SegmentTracker | undefined,
    private readonly fault: (component: string, error: unknown) => void,
  ) {
    this.metrics = registry === undefined ? undefined : createMetrics(registry);
    this.routeLabel = guard.slot(LABEL.httpRoute);
  }

  /** The monitor shut down: its metrics stay scraped until a new monitor on the registry takes them over. */
  shutdown(): void {
    if (this.metrics !== undefined) releaseMetrics(Object.values(this.metrics));
  }

  /** Receive every quality figure (evaluated call, feedback, ground truth) as it arrives. */
  onSignal(listener: (signal: QualitySignal) => void): void {
    this.listeners.push(listener);
  }

  callEnded(record: CallRecord, labels: MetricLabels): void {
    const group = this.groupOf(labels.provider, labels.requestModel, record.context?.[ATTR.httpRoute]);
    const segment = record.segment ?? '';
    this.recent.remember(record.id, segment === '' ? group.unsegmented : { group, segment }, record.responseId);

    const cost = record.cost;
    if (cost !== undefined) {
      group.stats.addCost(cost);
      if (cost.usd !== undefined) group.cost(cost.tokens)?.inc(cost.usd);
      else group.unknownCost()?.inc();
    }
    const quality = record.quality;
    if (quality !== undefined) {
      group.stats.addQuality(quality);
      const evaluations = quality.evaluations;
      for (const evaluator in evaluations) group.evaluation(evaluator, evaluations[evaluator])?.inc();
      if (quality.score !== undefined) {
        group.score('evaluators')?.observe(quality.score);
        this.signal(group, segment, 'evaluators', quality.score);
      }
    }
    this.segments?.add(record);
  }

  /** Feedback for a recent call; false when the id is not (or no longer) remembered. */
  feedback(id: string, feedback: { score?: number; label?: string; expected?: unknown; actual?: unknown }): boolean {
    checkFeedback(id, feedback);
    const remembered = this.recent.recall(id);
    if (remembered === undefined) return false;
    const { group, segment } = remembered;
    const label = feedback.label === undefined ? undefined : this.guard.value(FEEDBACK_LABEL, feedback.label);
    if (feedback.score !== undefined || label !== undefined) group.stats.addFeedback(feedback.score, label);
    if (feedback.score !== undefined) {
      group.score('feedback')?.observe(feedback.score);
      this.segments?.feedback(segment, feedback.score);
      this.signal(group, segment, 'feedback', feedback.score);
    }
    if ('expected' in feedback) {
      const right = correct(feedback.expected, feedback.actual);
      group.stats.addGroundTruth(right);
      group.score('ground_truth')?.observe(right ? 1 : 0);
      this.signal(group, segment, 'ground_truth', right ? 1 : 0);
    }
    return true;
  }

  cost(): CostSnapshot {
    return costSnapshot(this.groupList.map((g) => g.stats));
  }

  quality(): QualityGroupSnapshot[] {
    const out: QualityGroupSnapshot[] = [];
    for (const g of this.groupList) if (g.stats.hasQuality()) out.push(g.stats.qualitySnapshot());
    return out;
  }

  segmentsSnapshot(): SegmentsSnapshot | undefined {
    return this.segments?.snapshot();
  }

  private signal(group: Group, segment: string, source: QualitySource, score: number): void {
    const listeners = this.listeners;
    if (listeners.length === 0) return;
    const { provider, model, route } = group.stats;
    const signal: QualitySignal = { provider, model, route, segment, source, score, time: Date.now() };
    for (let i = 0; i < listeners.length; i++) {
      try {
        listeners[i](signal);
      } catch (error) {
        this.fault('quality', error);
      }
    }
  }

  /** Provider and model come guarded (MetricLabels); the route was guarded by the Express middleware, and again here. */
  private groupOf(provider: string, model: string, rawRoute: string | undefined): Group {
    const route = this.routeLabel.value(rawRoute);
    let group = this.groups.get(provider, model, route);
    if (group === undefined) {
      group = this.groups.set(provider, model, route, new Group(provider, model, route, this.metrics));
      this.groupList.push(group);
    }
    return group;
  }
}
