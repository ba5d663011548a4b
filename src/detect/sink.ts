/**
 * The detector sink: feeds each finished record's signals (signals.ts) to one detector and one drift
 * monitor per signal and label set — provider and request model, and the route as well when the
 * record has one — sets `record.alerts` on the call that tripped an alert (the sinks after this one,
 * OTel spans among them, see it), watches the feedback that arrives later in the same label sets
 * (`quality`), and reports alerts as `anomaly` and `drift` events and as the
 * `llm_vitals_anomalies_total`, `llm_vitals_anomaly_score` and `llm_vitals_drift_score` metrics.
 *
 * One incident, one alert: the first detector alert of a signal opens an incident, which is one
 * `anomaly` event and one increment of `llm_vitals_anomalies_total`, on the most specific label set
 * that alerted on that call (the route's, when the model's alerted on the same call). The model's
 * and its routes' detectors of the same signal share it: their alerts while it is open add their
 * label sets to its `related` and raise nothing more, nor do the detector's own repeated alerts.
 * The incident closes, with one `anomaly_resolved` event, when every label set in it has recovered:
 * its detector's score stayed below 0.5 for `cooldown` observations in a row (observations while it
 * learns its baseline again do not count) and a short mean of its values is back within half a spread
 * of the typical value before the incident; or, for a change that lasts, `memory` observations after
 * its alert, the detector's baseline being the new level by then. See docs/detection.md.
 *
 * Per call it costs a few map lookups and, per signal the call has a value for, one detector update
 * (a few arithmetic operations and at most one log and one pow) and one drift ring update; the drift
 * comparison runs every `drift.every` observations, and the gauges are read only when Prometheus
 * scrapes. Memory is bounded by `maxGroups` label sets times the signals, each of fixed size.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { AlertSummary, CallRecord } from '../record.js';
import type { ResourceSample } from '../resources/sample.js';
import { ATTR, DETECT_LABEL, DETECT_METRIC, GUARDED_NAME, LABEL, RESOURCE_LABEL } from '../semconv.js';
import type { MetricLabels, Sink } from '../sinks/sink.js';
import { claimMetricName, releaseMetrics } from '../lib/released-metrics.js';
import { LabelGuard } from '../lib/label-guard.js';
import { CombinedDetector } from './combined.js';
import { Incident as IncidentOf, Recovery, type IncidentCause, type RecoveryRule } from './incident.js';
import { ANOMALY_SCORE, type AlertReason, type DetectorState, type StreamingDetector } from './detector.js';
import { CategoricalDrift, NumericDrift, type DriftResult, type DriftState } from './drift.js';
import type { ResolvedDetectOptions } from './options.js';
import { RateDetector } from './rate.js';
import { CALL_SIGNALS, customSignal, QUALITY_SIGNALS, RESOURCE_SIGNALS, type SignalSpec } from './signals.js';

/** Labels of a watched signal: `provider`, `model` and `route` for calls; the app's own for `observe`. */
export type SignalLabels = Record<string, string>;

/**
 * `monitor.on('anomaly', e)`: an incident opened: one observation of a signal raised an alert, and no
 * incident of that signal was open in its label set, its model's or its model's routes'.
 */
export interface AnomalyEvent {
  kind: 'anomaly';
  /** The incident's id, the same on its `anomaly_resolved` event. */
  incident: string;
  signal: string;
  /** The most specific label set that alerted on the call that opened the incident. */
  labels: SignalLabels;
  /** The other label sets that alerted on the same call (the model's, when `labels` names a route). */
  related: SignalLabels[];
  /** The observed value, in the signal's units (1 for an event of a rate signal). */
  value: number;
  /** The typical value it was compared with (the baseline's median; the baseline event rate for rate signals). */
  baseline: number | undefined;
  /** Score in [0, 1]: 0.5 is the false-alarm budget. */
  score: number;
  threshold: number;
  /** What drove the alert: `point`, `level_up`, `level_down`, `variance` or `rate`. */
  reason: AlertReason;
  /** The detector's windows, in observations. */
  windows: { warmup: number; memory: number; cooldown: number };
  /** Epoch ms of the observation (a call's end). */
  time: number;
  /** The id of the call that tripped it, when a call did. */
  recordId: string | undefined;
}

/**
 * `monitor.on('anomaly_resolved', e)`: an incident closed: every label set in it settled (its
 * detector's score below 0.5 for `windows.cooldown` observations in a row after any re-learning, and
 * its values back near the typical value before the incident, or `windows.memory` observations
 * passed), or `monitor.rebaseline()` closed it. `baseline` is the typical value now, `firedBaseline`
 * the one before.
 */
export interface AnomalyResolvedEvent {
  kind: 'anomaly_resolved';
  incident: string;
  signal: string;
  /** The label set its `anomaly` event named. */
  labels: SignalLabels;
  /** Every other label set that alerted during the incident (on its first call or later). */
  related: SignalLabels[];
  /**
   * `recovered`: back near the typical value before the incident; `new_baseline`: still away from it
   * after `windows.memory` observations, which the detector now takes as its baseline; `rebaselined`:
   * `monitor.rebaseline()` closed it.
   */
  cause: IncidentCause;
  reason: AlertReason;
  /** Epoch ms of the observation that opened it, and of the one that closed it. */
  firedAt: number;
  time: number;
  /** The typical value before the incident, and now (the baseline's median or event rate). */
  firedBaseline: number | undefined;
  baseline: number | undefined;
  /** Detector alerts that fell inside the incident, the first included: each raised nothing of its own. */
  alerts: number;
  windows: { warmup: number; memory: number; cooldown: number };
}

/** `monitor.on('drift', e)`: a signal's distribution moved away from its reference. */
export interface DriftEvent {
  kind: 'drift';
  signal: string;
  /** The most specific label set whose drift episode started on the call (a route's, when its model's started too). */
  labels: SignalLabels;
  /** The other label sets of the same provider and model whose episode started on that call. */
  related: SignalLabels[];
  /** The current window: its median (numeric, signal units) or its category shares. */
  value: number | Record<string, number>;
  /** The reference window, summarised the same way. */
  baseline: number | Record<string, number>;
  /** Drift score in [0, 1): statistic / (statistic + its threshold); 0.5 at the threshold. */
  score: number;
  threshold: number;
  /** The statistic that decided (`psi` or `js_distance`), its value and its own threshold. */
  statistic: 'psi' | 'js_distance';
  statisticValue: number;
  statisticThreshold: number;
  /** Every statistic computed (psi, js_distance, wasserstein, chi_squared_p_value). */
  statistics: Record<string, number>;
  /** Observations in the windows, and how often they are compared. */
  windows: { reference: number; current: number; every: number };
  time: number;
  recordId: string | undefined;
}

/** `snapshot().detectors`. */
export interface DetectorsSnapshot {
  falseAlarmRate: number;
  /** Label sets past `maxGroups` are watched together under `{ provider: 'other', model: 'other' }`. */
  groups: DetectorGroupSnapshot[];
}

export interface DetectorGroupSnapshot {
  labels: SignalLabels;
  signals: Record<string, { kind: SignalSpec['kind']; anomaly: DetectorState | undefined; drift: DriftState | undefined }>;
}

export interface DetectorSinkContext {
  options: ResolvedDetectOptions;
  /** Where the metrics go; undefined when Prometheus is off. */
  registry: Registry | undefined;
  emit(event: 'anomaly', payload: AnomalyEvent): void;
  emit(event: 'anomaly_resolved', payload: AnomalyResolvedEvent): void;
  emit(event: 'drift', payload: DriftEvent): void;
  fault(component: string, error: unknown): void;
  /**
   * The monitor's cardinality guard: bounds the app's own signal names (`observe`) as it bounds label
   * values, and counts the folds. Without one, the sink keeps its own at the default cap (100).
   */
  guard?: LabelGuard;
}

const METRIC_LABELS = [DETECT_LABEL.signal, LABEL.providerName, LABEL.requestModel, LABEL.httpRoute, RESOURCE_LABEL.gpuIndex];

type Metrics = { anomalies: Counter; anomalyScore: Gauge; driftScore: Gauge };

/** The reasons the sink's detectors give: the combined detector's for numeric signals, the rate detector's. */
const NUMERIC_REASONS: readonly AlertReason[] = ['point', 'level_up', 'level_down', 'variance'];
const RATE_REASONS: readonly AlertReason[] = ['rate'];

type Incident = IncidentOf<Watch, CallRecord>;

/** A drift event raised by the call being fed, announced once it has been fed everywhere. */
type PendingDrift = { event: DriftEvent; root: Watch; record: CallRecord | undefined };

/** One signal of one label set: its detector, its drift monitor, and their metric children. */
class Watch {
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
      this.detector = new CombinedDetector({ ...detectorOptions, scale: spec.scale ?? 'linear', logOffset: this.logOffset, direction: spec.direction ?? 'both' });
    } else if (spec.kind === 'rate') {
      this.detector = new RateDetector(detectorOptions);
    }
    if (options.drift !== false && spec.drift) {
      this.drift = spec.kind === 'categorical' ? new CategoricalDrift(options.drift) : new NumericDrift(options.drift);
    }
    // Its anomaly counters exist at 0 from the moment the signal is watched, one per reason its
    // detector can give, so the alerts' increase() sees the first anomaly (a counter born at 1 is not
    // an increase).
    if (metrics !== undefined && this.detector !== undefined) {
      for (const reason of spec.kind === 'rate' ? RATE_REASONS : NUMERIC_REASONS) {
        metrics.anomalies.inc({ [DETECT_LABEL.signal]: spec.name, ...group.promLabels, [DETECT_LABEL.reason]: reason }, 0);
      }
    }
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
class Group {
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
function promLabelsOf(labels: SignalLabels): Record<string, string> {
  const out: Record<string, string> = {};
  if (labels.provider) out[LABEL.providerName] = labels.provider;
  if (labels.model) out[LABEL.requestModel] = labels.model;
  if (labels.route) out[LABEL.httpRoute] = labels.route;
  if (labels.gpu) out[RESOURCE_LABEL.gpuIndex] = labels.gpu;
  return out;
}

function keyOf(labels: SignalLabels): string {
  return JSON.stringify(Object.keys(labels).sort().map((k) => [k, labels[k]]));
}

const CALL_SIGNAL_INDEX = new Map(CALL_SIGNALS.map((s, i) => [s.name, i]));

const OVERFLOW_LABELS: SignalLabels = Object.freeze({ provider: 'other', model: 'other' });

/** An alert onto the record of the call that tripped it (its own array, made on its first alert). */
function addAlert(record: CallRecord, alert: AlertSummary): void {
  if (record.alerts === undefined) record.alerts = [alert];
  else record.alerts.push(alert);
}

/** Throw a TypeError for a malformed `monitor.observe(signal, value, labels)`, whether detection is on or off. */
export function checkObservation(signal: unknown, value: unknown, labels: unknown): void {
  if (typeof signal !== 'string' || !/^[a-z_][a-z0-9_]*$/.test(signal)) {
    throw new TypeError(`observe: signal must be a snake_case name, got ${typeof signal === 'string' ? JSON.stringify(signal) : String(signal)}`);
  }
  // NaN and ±Infinity too: a detector would drop them without a word, hiding the bug that made them.
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new TypeError(`observe: value must be a finite number, got ${typeof value === 'number' ? String(value) : typeof value}`);
  }
  if (labels !== undefined) {
    if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) throw new TypeError('observe: labels must be an object of strings');
    for (const [k, v] of Object.entries(labels)) {
      if (typeof v !== 'string') throw new TypeError(`observe: label "${k}" must be a string, got ${typeof v}`);
    }
  }
}

export class DetectorSink implements Sink {
  readonly name = 'detectors';
  private readonly options: ResolvedDetectOptions;
  private readonly context: DetectorSinkContext;
  private readonly metrics: Metrics | undefined;
  private readonly groups = new Map<string, Group>();
  /** provider → model → route → group, so a call finds its group without building a key. */
  private readonly byCall = new Map<string, Map<string, Map<string, Group>>>();
  private readonly callSignals: readonly SignalSpec[];
  /** The built-in signals not read from a call record (resource samples, feedback), by name. */
  private readonly tableSpecs = new Map([...RESOURCE_SIGNALS, ...QUALITY_SIGNALS].map((s) => [s.name, s]));
  /** Signal names known up front (built-in, or configured in `detect.signals`): never folded by the guard. */
  private readonly knownSignals: ReadonlySet<string>;
  private readonly guard: LabelGuard;
  /** When a label set of an incident has settled (incident.ts). */
  private readonly recoveryRule: RecoveryRule;
  /** Incidents opened and closed by the call or observation being fed, announced once it is fed everywhere. */
  private opened: Incident[] = [];
  private closed: Incident[] = [];
  private drifts: PendingDrift[] = [];
  private readonly incidentPrefix = Date.now().toString(36);
  private incidents = 0;

  constructor(context: DetectorSinkContext) {
    this.context = context;
    this.options = context.options;
    this.guard = context.guard ?? new LabelGuard(100);
    const quiet = Math.max(1, this.options.cooldown);
    this.recoveryRule = { quiet, weight: 2 / (quiet + 1), memory: this.options.memory };
    this.knownSignals = new Set([...CALL_SIGNALS.map((s) => s.name), ...this.tableSpecs.keys(), ...Object.keys(this.options.signals)]);
    // Ignored signals stay in the table (their index is their slot) and are skipped.
    this.callSignals = CALL_SIGNALS;
    if (context.registry !== undefined) this.metrics = this.createMetrics(context.registry);
  }

  callEnded(record: CallRecord, labels?: MetricLabels): void {
    const provider = labels?.provider ?? record.provider;
    const model = labels?.requestModel ?? record.requestModel ?? '';
    const time = record.startTime + record.duration;
    // The model's label set first, then the route's: an incident both open on this call is named
    // after the route. Nothing is announced before both are fed.
    this.feedCall(this.callGroup(provider, model, ''), record, time);
    const route = record.context?.[ATTR.httpRoute];
    if (this.options.perRoute && route !== undefined && route !== '') this.feedCall(this.callGroup(provider, model, route), record, time);
    if (this.opened.length + this.closed.length + this.drifts.length > 0) this.announce();
  }

  /** `monitor.observe(signal, value, labels)`: one value of the app's own signal (or a built-in one). */
  observe(signal: string, value: number, labels: SignalLabels | undefined, time = Date.now()): void {
    checkObservation(signal, value, labels);
    // Each new name is a detector, a drift monitor and their series: past the guard's cap, new names
    // are watched together as `other` (and counted), so names built from ids cannot grow the heap.
    if (!this.knownSignals.has(signal)) signal = this.guard.value(GUARDED_NAME.signal, signal, true);
    const group = this.group(labels === undefined ? {} : { ...labels });
    let watch = group.others.get(signal);
    if (watch === undefined) {
      const builtIn = CALL_SIGNALS.find((s) => s.name === signal && s.kind !== 'categorical') ?? this.tableSpecs.get(signal);
      const custom = this.options.signals[signal];
      const spec: SignalSpec = builtIn !== undefined ? { ...builtIn, ...custom } : { ...customSignal(signal), ...custom };
      watch = new Watch(spec, group, this.options, this.metrics, this.recoveryRule);
      group.others.set(signal, watch);
    }
    try {
      this.feed(watch, value, time, undefined);
      if (this.opened.length + this.closed.length + this.drifts.length > 0) this.announce();
    } catch (error) {
      this.context.fault(this.name, error);
    }
  }

  /**
   * A quality figure that arrived after its call was published (`monitor.feedback`), watched in the
   * call's label sets (provider and request model, and its route) as the call's own signals are: a
   * feedback score below 0.5 (the evaluators' pass mark) is an event of `negative_feedback_rate`, a
   * wrong answer one of `incorrect_rate`. The evaluators' scores are left out: they reach the
   * detectors on the record (`quality`).
   */
  quality(source: 'evaluators' | 'feedback' | 'ground_truth', score: number, labels: { provider: string; model: string; route?: string }, time = Date.now()): void {
    const signal = source === 'feedback' ? 'negative_feedback_rate' : source === 'ground_truth' ? 'incorrect_rate' : undefined;
    if (signal === undefined || this.options.ignore.has(signal)) return;
    const value = score < 0.5 ? 1 : 0;
    try {
      const { provider, model, route } = labels;
      this.observeTable(this.callGroup(provider, model, ''), signal, value, time);
      if (this.options.perRoute && route !== undefined && route !== '') this.observeTable(this.callGroup(provider, model, route), signal, value, time);
      if (this.opened.length + this.closed.length + this.drifts.length > 0) this.announce();
    } catch (error) {
      this.context.fault(this.name, error);
    }
  }

  /** A resource sample: event-loop delay, and GPU memory per GPU. */
  resourceSample(sample: ResourceSample): void {
    try {
      if (this.options.ignore.has('event_loop_delay') === false) {
        const delay = sample.eventLoop?.delayP99Ms;
        if (delay !== undefined) this.observeResource('event_loop_delay', delay, {}, sample.time);
      }
      if (this.options.ignore.has('gpu_memory') === false) {
        for (const gpu of sample.gpus) {
          if (gpu.memoryUsedBytes !== undefined) this.observeResource('gpu_memory', gpu.memoryUsedBytes, { gpu: String(gpu.index) }, sample.time);
        }
      }
      if (this.opened.length + this.closed.length + this.drifts.length > 0) this.announce();
    } catch (error) {
      this.context.fault(this.name, error);
    }
  }

  /** The monitor shut down: its metrics stay scraped until a new monitor on the registry takes them over. */
  shutdown(): void {
    if (this.metrics !== undefined) releaseMetrics(Object.values(this.metrics));
  }

  /** Make what each signal does now its baseline: detectors learn again, drift references become the current windows. */
  rebaseline(): void {
    const time = Date.now();
    for (const group of this.groups.values()) {
      for (const watch of group.watches()) {
        if (watch.open !== undefined) this.close(watch.open, time, 'rebaselined');
      }
    }
    for (const group of this.groups.values()) {
      for (const watch of group.watches()) {
        watch.detector?.reset();
        watch.drift?.rebaseline();
        watch.drifting = false;
        watch.familyDrifting = 0;
        watch.lastDrift = undefined;
      }
    }
    if (this.closed.length > 0) this.announce();
  }

  snapshot(): DetectorsSnapshot {
    const groups: DetectorGroupSnapshot[] = [];
    for (const group of this.groups.values()) {
      const signals: DetectorGroupSnapshot['signals'] = {};
      for (const watch of group.watches()) {
        signals[watch.spec.name] = { kind: watch.spec.kind, anomaly: watch.detector?.state(), drift: watch.drift?.state() };
      }
      groups.push({ labels: { ...group.labels }, signals });
    }
    return { falseAlarmRate: this.options.falseAlarmRate, groups };
  }

  // ---- internals ----

  private feedCall(group: Group, record: CallRecord, time: number): void {
    const specs = this.callSignals;
    const ignore = this.options.ignore;
    for (let i = 0; i < specs.length; i++) {
      const spec = specs[i];
      if (ignore.size > 0 && ignore.has(spec.name)) continue;
      if (spec.kind === 'categorical') {
        const categories = spec.categories!(record);
        if (categories === undefined || categories.length === 0 || spec.drift === false || this.options.drift === false) continue;
        const watch = group.calls[i] ?? (group.calls[i] = new Watch(spec, group, this.options, this.metrics, this.recoveryRule));
        for (let c = 0; c < categories.length; c++) {
          const result = (watch.drift as CategoricalDrift).update(categories[c]);
          if (result !== undefined) this.drifted(watch, result, time, record);
        }
        continue;
      }
      const value = spec.read!(record);
      if (value === undefined || value - value !== 0) continue;
      const watch = group.calls[i] ?? (group.calls[i] = new Watch(spec, group, this.options, this.metrics, this.recoveryRule));
      this.feed(watch, value, time, record);
    }
  }

  /** One value of a watched signal; `record`: the call it came from, which gets the alerts it trips. */
  private feed(watch: Watch, value: number, time: number, record: CallRecord | undefined): void {
    const detector = watch.detector;
    if (detector !== undefined) {
      const result = detector.update(value, time);
      if (result.anomaly) this.alerted(watch, value, result.score, time, record);
      else if (watch.incident !== undefined) this.recovering(watch, value, result.score, time);
    }
    const drift = watch.drift;
    if (drift !== undefined && drift instanceof NumericDrift) {
      const result = drift.update(watch.working(value));
      if (result !== undefined) this.drifted(watch, result, time, record);
    }
  }

  /** The detector alerted: an incident opens, or the open one of the signal's family takes it in. */
  private alerted(watch: Watch, value: number, score: number, time: number, record: CallRecord | undefined): void {
    const detector = watch.detector!;
    watch.recovery.quiet = 0;
    const root = watch.root;
    const open = root.open;
    if (open === undefined) {
      const incident: Incident = new IncidentOf(`${this.incidentPrefix}-${++this.incidents}`, watch, value, score, time, detector.lastReason, detector.lastAlertExpected, record);
      root.open = incident;
      watch.enter(incident, value);
      this.opened.push(incident);
      return;
    }
    open.alerts++;
    if (watch.incident === open) return;
    watch.enter(open, value);
    open.members.push(watch);
    if (!open.announced && open.watch === root && watch !== root) {
      // The model's and a route's detectors alerted on the same call: the alert names the route.
      open.related.push({ ...root.group.labels });
      open.watch = watch;
      open.value = value;
      open.score = score;
      open.reason = detector.lastReason;
      open.firedBaseline = detector.lastAlertExpected;
    } else {
      open.related.push({ ...watch.group.labels });
    }
  }

  /**
   * An observation of a label set in an open incident. The incident closes when each of its label sets
   * has settled: its detector quiet for `recovery` observations in a row, and either its short mean
   * back near the typical value before the incident (`recovered`), or `memory` observations passed
   * since its alert, by which time the detector's baseline is the level now (`new_baseline`).
   */
  private recovering(watch: Watch, value: number, score: number, time: number): void {
    watch.recovery.observe(watch.recoveryValue(value), score >= ANOMALY_SCORE, watch.detector!.learning);
    if (watch.recovery.settled() === undefined) return;
    const incident = watch.incident!;
    let cause: IncidentCause = 'recovered';
    for (const member of incident.members) {
      const settled = member.recovery.settled();
      if (settled === undefined) return;
      if (settled === 'new_baseline') cause = settled;
    }
    this.close(incident, time, cause);
  }

  private close(incident: Incident, time: number, cause: IncidentCause): void {
    for (const member of incident.members) {
      member.incident = undefined;
    }
    incident.watch.root.open = undefined;
    incident.closedAt = time;
    incident.cause = cause;
    // Closed before it was announced (rebaseline() from a listener): it is announced, then closed.
    this.closed.push(incident);
  }

  /** Announce what the call or observation just fed opened and closed: one event (and one count) per incident. */
  private announce(): void {
    // Taken first: a listener may call `observe()` (or end another call), which feeds and announces its own.
    const opened = this.opened;
    const closed = this.closed;
    const drifts = this.drifts;
    this.opened = [];
    this.closed = [];
    this.drifts = [];
    for (const drift of drifts) drift.root.pendingDrift = undefined;
    const options = this.options;
    const windows = { warmup: options.warmup, memory: options.memory, cooldown: options.cooldown };
    for (const incident of opened) {
      incident.announced = true;
      const watch = incident.watch;
      const signal = watch.spec.name;
      if (incident.record !== undefined) addAlert(incident.record, { kind: 'anomaly', signal, score: incident.score, threshold: ANOMALY_SCORE, value: incident.value });
      if (this.metrics !== undefined) watch.anomalyCounter(this.metrics, incident.reason).inc();
      this.context.emit('anomaly', {
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
      });
    }
    for (const incident of closed) {
      const watch = incident.watch;
      this.context.emit('anomaly_resolved', {
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
      });
    }
    for (const drift of drifts) {
      const event = drift.event;
      if (drift.record !== undefined) addAlert(drift.record, { kind: 'drift', signal: event.signal, score: event.score, threshold: 0.5 });
      this.context.emit('drift', event);
    }
  }

  /**
   * A drift comparison. One event per drift episode of a signal's family (a model's label set and its
   * routes'): a label set whose episode starts while another of the family is in one raises nothing
   * (on the same call, the event is named after the route, the model's label set in `related`).
   */
  private drifted(watch: Watch, result: DriftResult, time: number, record: CallRecord | undefined): void {
    watch.lastDrift = result;
    const root = watch.root;
    if (!result.drifted) {
      if (watch.drifting) {
        watch.drifting = false;
        root.familyDrifting--;
      }
      return;
    }
    // One event per drift episode: the next comes after a comparison that found none.
    if (watch.drifting) return;
    watch.drifting = true;
    if (root.familyDrifting++ > 0) {
      const pending = root.pendingDrift;
      if (pending === undefined) return;
      if (watch !== root && pending.event.labels.route === undefined) {
        const related = pending.event.labels;
        pending.event = this.driftEvent(watch, result, time, record);
        pending.event.related.push(related);
      } else {
        pending.event.related.push({ ...watch.group.labels });
      }
      return;
    }
    const pending = { event: this.driftEvent(watch, result, time, record), root, record };
    root.pendingDrift = pending;
    this.drifts.push(pending);
  }

  private driftEvent(watch: Watch, result: DriftResult, time: number, record: CallRecord | undefined): DriftEvent {
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
      windows: { reference: result.referenceSize, current: result.currentSize, every: (this.options.drift as { every: number }).every },
      time,
      recordId: record?.id,
    };
  }

  private observeResource(signal: string, value: number, labels: SignalLabels, time: number): void {
    this.observeTable(this.group(labels), signal, value, time);
  }

  /** One value of a signal of `tableSpecs`, in one label set. */
  private observeTable(group: Group, signal: string, value: number, time: number): void {
    let watch = group.others.get(signal);
    if (watch === undefined) {
      watch = new Watch(this.tableSpecs.get(signal)!, group, this.options, this.metrics, this.recoveryRule);
      group.others.set(signal, watch);
    }
    this.feed(watch, value, time, undefined);
  }

  private callGroup(provider: string, model: string, route: string): Group {
    let byModel = this.byCall.get(provider);
    if (byModel === undefined) this.byCall.set(provider, (byModel = new Map()));
    let byRoute = byModel.get(model);
    if (byRoute === undefined) byModel.set(model, (byRoute = new Map()));
    let group = byRoute.get(route);
    if (group === undefined) {
      const labels: SignalLabels = { provider, model };
      if (route !== '') labels.route = route;
      group = this.group(labels, route !== '' ? this.callGroup(provider, model, '') : undefined);
      // Past maxGroups the same overflow group answers for every new label set; cache it anyway.
      byRoute.set(route, group);
    }
    return group;
  }

  /** `parent`: the model's group, for a route's (the overflow group has none). */
  private group(labels: SignalLabels, parent?: Group): Group {
    const key = keyOf(labels);
    let group = this.groups.get(key);
    if (group !== undefined) return group;
    if (this.groups.size >= this.options.maxGroups) {
      const overflowKey = keyOf(OVERFLOW_LABELS);
      group = this.groups.get(overflowKey);
      if (group === undefined) {
        group = new Group(OVERFLOW_LABELS, promLabelsOf(OVERFLOW_LABELS));
        this.groups.set(overflowKey, group);
      }
      return group;
    }
    group = new Group(labels, promLabelsOf(labels), parent !== undefined && parent.labels !== OVERFLOW_LABELS ? parent : undefined);
    this.groups.set(key, group);
    return group;
  }

  private createMetrics(registry: Registry): Metrics {
    const registers = [registry];
    const sink = this;
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
        for (const group of sink.groups.values()) {
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
        for (const group of sink.groups.values()) {
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
}
