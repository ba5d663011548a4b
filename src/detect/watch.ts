/**
 * One watched signal of one label set (a `Watch`: its detector, drift monitor, incident and metric
 * children), the watches of one label set (a `Group`), and the detectors' Prometheus metrics.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { AlertSummary, CallRecord } from '../record.js';
import { DETECT_LABEL, DETECT_METRIC, LABEL, RESOURCE_LABEL } from '../semconv.js';
import { claimMetricName } from '../lib/released-metrics.js';
import { CombinedDetector } from './combined.js';
import { Incident as IncidentOf, Recovery, type RecoveryRule } from './incident.js';
import { ANOMALY_SCORE, type AlertReason, type StreamingDetector } from './detector.js';
import { CategoricalDrift, NumericDrift, type DriftResult } from './drift.js';
import type { ResolvedDetectOptions } from './options.js';
import type { AnomalyEvent, AnomalyResolvedEvent, DetectorGroupSnapshot, DetectorsSnapshot, DriftEvent, SignalLabels } from './events.js';
import { RateDetector } from './rate.js';
import { CALL_SIGNALS, type SignalSpec } from './signals.js';

export const METRIC_LABELS = [DETECT_LABEL.signal, LABEL.providerName, LABEL.requestModel, LABEL.httpRoute, RESOURCE_LABEL.gpuIndex];

export type Metrics = { anomalies: Counter; anomalyScore: Gauge; driftScore: Gauge };

/** The reasons the sink's detectors give: the combined detector's for numeric signals, the rate detector's. */
export const NUMERIC_REASONS: readonly AlertReason[] = ['point', 'level_up', 'level_down', 'variance'];
export const RATE_REASONS: readonly AlertReason[] = ['rate'];

export type Incident = IncidentOf<Watch, CallRecord>;

/** A drift event raised by the call being fed, announced once it has been fed everywhere. */
export type PendingDrift = { event: DriftEvent; root: Watch; record: CallRecord | undefined };

/** One signal of one label set: its detector, its drift monitor, and their metric children. */
export class Watch {
  readonly detector: StreamingDetector | undefined;
  /** The watch that holds the family's open incident: the model's for a route's, else itself. */
  readonly root: Watch;
  /** The family's open incident (on the root only). */
  open: Incident | undefined;
  /** The incident this watch is in. */
  incident: Incident | undefined;
  /** Where it stands in that incident. */
  readonly recovery: Recovery;
  readonly drift: NumericDrift | CategoricalDrift | undefined;
  /** The same drift monitor when it is numeric, and the numeric detector it reads its values from. */
  readonly numericDrift: NumericDrift | undefined;
  private readonly numeric: CombinedDetector | undefined;
  private readonly logOffset: number;
  private readonly logScale: boolean;
  /** True while the signal is in a drift episode: one event per episode. */
  drifting = false;
  /** On the root: label sets of the family in a drift episode, and the drift event this call raised, not yet announced. */
  familyDrifting = 0;
  pendingDrift: PendingDrift | undefined;
  lastDrift: DriftResult | undefined;
  private anomalyChildren: Map<string, { inc(): void }> | undefined;

  constructor(
    readonly spec: SignalSpec,
    readonly group: Group,
    options: ResolvedDetectOptions,
    metrics: Metrics | undefined,
    recoveryRule: RecoveryRule,
  ) {
    this.recovery = new Recovery(recoveryRule);
    const parent = group.parent;
    this.root = parent?.watchOf(spec.name) ?? this;
    const detectorOptions = {
      falseAlarmRate: options.falseAlarmRate,
      warmup: options.warmup,
      memory: options.memory,
      persistence: options.persistence,
      cooldown: options.cooldown,
    };
    this.logScale = spec.scale === 'log';
    this.logOffset = spec.logOffset ?? 1;
    if (spec.kind === 'numeric') {
      this.detector = this.numeric = new CombinedDetector({ ...detectorOptions, scale: spec.scale ?? 'linear', logOffset: this.logOffset, direction: spec.direction ?? 'both' });
    } else if (spec.kind === 'rate') {
      this.detector = new RateDetector(detectorOptions);
    }
    if (options.drift !== false && spec.drift) {
      this.drift = spec.kind === 'categorical' ? new CategoricalDrift(options.drift) : new NumericDrift(options.drift);
    }
    this.numericDrift = this.drift instanceof NumericDrift ? this.drift : undefined;
    // Its anomaly counters exist at 0 from the moment the signal is watched, one per reason its
    // detector can give, so the alerts' increase() sees the first anomaly (a counter born at 1 is not
    // an increase).
    if (metrics !== undefined && this.detector !== undefined) {
      for (const reason of spec.kind === 'rate' ? RATE_REASONS : NUMERIC_REASONS) {
        metrics.anomalies.inc({ [DETECT_LABEL.signal]: spec.name, ...group.promLabels, [DETECT_LABEL.reason]: reason }, 0);
      }
    }
  }

  /**
   * A finite value just fed to the detector, on the working scale, as the drift monitor reads it: the
   * numeric detector has it already (the same as `working(value)`, one log fewer).
   */
  fedWorking(value: number): number {
    return this.numeric !== undefined ? this.numeric.working : this.working(value);
  }

  /** The drift monitor's working scale: the same as the detector's. */
  working(value: number): number {
    return this.logScale ? Math.log((value > 0 ? value : 0) + this.logOffset) : value;
  }

  /** A value as the recovery test reads it: on the working scale; 1 or 0 for an event of a rate signal. */
  recoveryValue(value: number): number {
    return this.spec.kind === 'rate' ? (value > 0 ? 1 : 0) : this.working(value);
  }

  /** It alerted and joins an incident: remember where it stood before. */
  enter(incident: Incident, value: number): void {
    const detector = this.detector!;
    const expected = detector.lastAlertExpected;
    this.incident = incident;
    const level = expected === undefined ? Number.NaN : this.spec.kind === 'rate' ? expected : this.working(expected);
    this.recovery.start(level, detector.lastAlertSpread, this.recoveryValue(value));
  }

  /** Back from the working scale to the signal's units. */
  natural(value: number): number {
    return this.logScale ? Math.exp(value) - this.logOffset : value;
  }

  anomalyCounter(metrics: Metrics, reason: string): { inc(): void } {
    if (this.anomalyChildren === undefined) this.anomalyChildren = new Map();
    let child = this.anomalyChildren.get(reason);
    if (child === undefined) {
      child = metrics.anomalies.labels({ [DETECT_LABEL.signal]: this.spec.name, ...this.group.promLabels, [DETECT_LABEL.reason]: reason });
      this.anomalyChildren.set(reason, child);
    }
    return child;
  }
}

/** The watches of one label set. */
export class Group {
  /** Watches of the call signals, by their index in CALL_SIGNALS (created on a signal's first value). */
  readonly calls: (Watch | undefined)[] = new Array(CALL_SIGNALS.length).fill(undefined);
  /** Watches of the other signals (observe, resources), by name. */
  readonly others = new Map<string, Watch>();

  constructor(
    readonly labels: SignalLabels,
    readonly promLabels: Record<string, string>,
    /** The model's group, for a route's: its incidents are shared with it. */
    readonly parent?: Group,
  ) {}

  watchOf(name: string): Watch | undefined {
    const i = CALL_SIGNAL_INDEX.get(name);
    return (i === undefined ? undefined : this.calls[i]) ?? this.others.get(name);
  }

  *watches(): Iterable<Watch> {
    for (const w of this.calls) if (w !== undefined) yield w;
    yield* this.others.values();
  }
}

/** The Prometheus labels of a label set: the known keys only (the others stay in events and the snapshot). */
export function promLabelsOf(labels: SignalLabels): Record<string, string> {
  const out: Record<string, string> = {};
  if (labels.provider) out[LABEL.providerName] = labels.provider;
  if (labels.model) out[LABEL.requestModel] = labels.model;
  if (labels.route) out[LABEL.httpRoute] = labels.route;
  if (labels.gpu) out[RESOURCE_LABEL.gpuIndex] = labels.gpu;
  return out;
}

export function keyOf(labels: SignalLabels): string {
  return JSON.stringify(Object.keys(labels).sort().map((k) => [k, labels[k]]));
}

export const CALL_SIGNAL_INDEX = new Map(CALL_SIGNALS.map((s, i) => [s.name, i]));

export const OVERFLOW_LABELS: SignalLabels = Object.freeze({ provider: 'other', model: 'other' });

/** An alert onto the record of the call that tripped it (its own array, made on its first alert). */
export function addAlert(record: CallRecord, alert: AlertSummary): void {
  if (record.alerts === undefined) record.alerts = [alert];
  else record.alerts.push(alert);
}


/** The detectors' Prometheus metrics; the gauges read the watches of `groups()` when Prometheus scrapes. */
export function createDetectorMetrics(registry: Registry, groups: () => Iterable<Group>): Metrics {
  const registers = [registry];
  for (const metric of [DETECT_METRIC.anomalies, DETECT_METRIC.anomalyScore, DETECT_METRIC.driftScore]) claimMetricName(registry, metric.prom);
  const anomalies = new Counter({
    name: DETECT_METRIC.anomalies.prom,
    help: DETECT_METRIC.anomalies.help,
    labelNames: [...METRIC_LABELS, DETECT_LABEL.reason],
    registers,
  });
  // The gauges are read from the detectors when Prometheus scrapes: nothing per observation.
  // Across cluster workers (prom-client's AggregatorRegistry) a score is the highest any worker
  // gives, never a sum of scores in [0, 1]; so is each drift statistic (a p-value too: a drift the
  // workers disagree on takes the least alarming p-value, which needs every worker to see it).
  const anomalyScore: Gauge = new Gauge({
    name: DETECT_METRIC.anomalyScore.prom,
    help: DETECT_METRIC.anomalyScore.help,
    labelNames: METRIC_LABELS,
    aggregator: 'max',
    registers,
    collect() {
      for (const group of groups()) {
        for (const watch of group.watches()) {
          if (watch.detector === undefined) continue;
          anomalyScore.set({ [DETECT_LABEL.signal]: watch.spec.name, ...group.promLabels }, watch.detector.state().score);
        }
      }
    },
  });
  const driftScore: Gauge = new Gauge({
    name: DETECT_METRIC.driftScore.prom,
    help: DETECT_METRIC.driftScore.help,
    labelNames: [...METRIC_LABELS, DETECT_LABEL.statistic],
    aggregator: 'max',
    registers,
    collect() {
      for (const group of groups()) {
        for (const watch of group.watches()) {
          const last = watch.lastDrift;
          if (last === undefined) continue;
          for (const [statistic, value] of Object.entries(last.statistics)) {
            driftScore.set({ [DETECT_LABEL.signal]: watch.spec.name, ...group.promLabels, [DETECT_LABEL.statistic]: statistic }, value);
          }
        }
      }
    },
  });
  return { anomalies, anomalyScore, driftScore };
}

type Windows = { warmup: number; memory: number; cooldown: number };

/** The `anomaly` event of an incident just opened. */
export function anomalyEventOf(incident: Incident, windows: Windows): AnomalyEvent {
  const watch = incident.watch;
  const signal = watch.spec.name;
  return {
    kind: 'anomaly',
    incident: incident.id,
    signal,
    labels: { ...watch.group.labels },
    related: incident.related.map((labels) => ({ ...labels })),
    value: incident.value,
    baseline: incident.firedBaseline,
    score: incident.score,
    threshold: ANOMALY_SCORE,
    reason: incident.reason,
    windows: { ...windows },
    time: incident.firedAt,
    recordId: incident.record?.id,
  };
}

/** The `anomaly_resolved` event of an incident just closed. */
export function resolvedEventOf(incident: Incident, windows: Windows): AnomalyResolvedEvent {
  const watch = incident.watch;
  return {
    kind: 'anomaly_resolved',
    incident: incident.id,
    signal: watch.spec.name,
    labels: { ...watch.group.labels },
    related: incident.related.map((labels) => ({ ...labels })),
    cause: incident.cause,
    reason: incident.reason,
    firedAt: incident.firedAt,
    time: incident.closedAt,
    firedBaseline: incident.firedBaseline,
    baseline: watch.detector?.expected(),
    alerts: incident.alerts,
    windows: { ...windows },
  };
}

/** The `drift` event of a drift comparison. */
export function driftEventOf(watch: Watch, result: DriftResult, time: number, record: CallRecord | undefined, every: number): DriftEvent {
  const numeric = typeof result.current === 'number';
  return {
    kind: 'drift',
    signal: watch.spec.name,
    labels: { ...watch.group.labels },
    related: [],
    value: numeric ? watch.natural(result.current as number) : result.current,
    baseline: numeric ? watch.natural(result.reference as number) : result.reference,
    score: result.score,
    threshold: 0.5,
    statistic: result.statistic,
    statisticValue: result.value,
    statisticThreshold: result.threshold,
    statistics: result.statistics,
    windows: { reference: result.referenceSize, current: result.currentSize, every },
    time,
    recordId: record?.id,
  };
}

/** `snapshot().detectors`: each label set's detectors and drift monitors, as they stand. */
export function snapshotOf(groups: Iterable<Group>, falseAlarmRate: number): DetectorsSnapshot {
  const out: DetectorGroupSnapshot[] = [];
  for (const group of groups) {
    const signals: DetectorGroupSnapshot['signals'] = {};
    for (const watch of group.watches()) {
      signals[watch.spec.name] = { kind: watch.spec.kind, anomaly: watch.detector?.state(), drift: watch.drift?.state() };
    }
    out.push({ labels: { ...group.labels }, signals });
  }
  return { falseAlarmRate, groups: out };
}
