/**
 * The detector sink: feeds each finished record's signals (signals.ts) to one detector and one drift
 * monitor per signal and label set — provider and request model, and the route as well when the
 * record has one — sets `record.alerts` on the call that tripped an alert (the sinks after this one,
 * OTel spans among them, see it), watches the feedback that arrives later in the same label sets
 * (`quality`), and reports alerts as `anomaly` and `drift` events and as the
 * `llm_vitals_anomalies_total`, `llm_vitals_anomaly_score` and `llm_vitals_drift_score` metrics.
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
import { ANOMALY_SCORE, type AlertReason, type DetectorState, type StreamingDetector } from './detector.js';
import { CategoricalDrift, NumericDrift, type DriftResult, type DriftState } from './drift.js';
import type { ResolvedDetectOptions } from './options.js';
import { RateDetector } from './rate.js';
import { CALL_SIGNALS, customSignal, QUALITY_SIGNALS, RESOURCE_SIGNALS, type SignalSpec } from './signals.js';

/** Labels of a watched signal: `provider`, `model` and `route` for calls; the app's own for `observe`. */
export type SignalLabels = Record<string, string>;

/** `monitor.on('anomaly', e)`: one observation of a signal raised an alert. */
export interface AnomalyEvent {
  kind: 'anomaly';
  signal: string;
  labels: SignalLabels;
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

/** `monitor.on('drift', e)`: a signal's distribution moved away from its reference. */
export interface DriftEvent {
  kind: 'drift';
  signal: string;
  labels: SignalLabels;
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

/** One signal of one label set: its detector, its drift monitor, and their metric children. */
class Watch {
  readonly detector: StreamingDetector | undefined;
  readonly drift: NumericDrift | CategoricalDrift | undefined;
  private readonly logOffset: number;
  private readonly logScale: boolean;
  /** True while the signal is in a drift episode: one event per episode. */
  drifting = false;
  lastDrift: DriftResult | undefined;
  private anomalyChildren: Map<string, { inc(): void }> | undefined;

  constructor(
    readonly spec: SignalSpec,
    readonly group: Group,
    options: ResolvedDetectOptions,
    metrics: Metrics | undefined,
  ) {
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
  ) {}

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

  constructor(context: DetectorSinkContext) {
    this.context = context;
    this.options = context.options;
    this.guard = context.guard ?? new LabelGuard(100);
    this.knownSignals = new Set([...CALL_SIGNALS.map((s) => s.name), ...this.tableSpecs.keys(), ...Object.keys(this.options.signals)]);
    // Ignored signals stay in the table (their index is their slot) and are skipped.
    this.callSignals = CALL_SIGNALS;
    if (context.registry !== undefined) this.metrics = this.createMetrics(context.registry);
  }

  callEnded(record: CallRecord, labels?: MetricLabels): void {
    const provider = labels?.provider ?? record.provider;
    const model = labels?.requestModel ?? record.requestModel ?? '';
    const time = record.startTime + record.duration;
    // Alerts go straight onto this record, never through state of the sink's own: an anomaly listener
    // may call `observe()` (or end another call) while this one is being fed.
    this.feedCall(this.callGroup(provider, model, ''), record, time);
    const route = record.context?.[ATTR.httpRoute];
    if (this.options.perRoute && route !== undefined && route !== '') this.feedCall(this.callGroup(provider, model, route), record, time);
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
      watch = new Watch(spec, group, this.options, this.metrics);
      group.others.set(signal, watch);
    }
    try {
      this.feed(watch, value, time, undefined);
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
    for (const group of this.groups.values()) {
      for (const watch of group.watches()) {
        watch.detector?.reset();
        watch.drift?.rebaseline();
        watch.drifting = false;
        watch.lastDrift = undefined;
      }
    }
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
        const watch = group.calls[i] ?? (group.calls[i] = new Watch(spec, group, this.options, this.metrics));
        for (let c = 0; c < categories.length; c++) {
          const result = (watch.drift as CategoricalDrift).update(categories[c]);
          if (result !== undefined) this.drifted(watch, result, time, record);
        }
        continue;
      }
      const value = spec.read!(record);
      if (value === undefined || value - value !== 0) continue;
      const watch = group.calls[i] ?? (group.calls[i] = new Watch(spec, group, this.options, this.metrics));
      this.feed(watch, value, time, record);
    }
  }

  /** One value of a watched signal; `record`: the call it came from, which gets the alerts it trips. */
  private feed(watch: Watch, value: number, time: number, record: CallRecord | undefined): void {
    const detector = watch.detector;
    if (detector !== undefined) {
      const result = detector.update(value, time);
      if (result.anomaly) this.anomalous(watch, value, result.score, time, record);
    }
    const drift = watch.drift;
    if (drift !== undefined && drift instanceof NumericDrift) {
      const result = drift.update(watch.working(value));
      if (result !== undefined) this.drifted(watch, result, time, record);
    }
  }

  private anomalous(watch: Watch, value: number, score: number, time: number, record: CallRecord | undefined): void {
    const detector = watch.detector!;
    const reason = detector.lastReason;
    if (record !== undefined) addAlert(record, { kind: 'anomaly', signal: watch.spec.name, score, threshold: ANOMALY_SCORE, value });
    if (this.metrics !== undefined) watch.anomalyCounter(this.metrics, reason).inc();
    const options = this.options;
    this.context.emit('anomaly', {
      kind: 'anomaly',
      signal: watch.spec.name,
      labels: { ...watch.group.labels },
      value,
      baseline: detector.lastAlertExpected,
      score,
      threshold: ANOMALY_SCORE,
      reason,
      windows: { warmup: options.warmup, memory: options.memory, cooldown: options.cooldown },
      time,
      recordId: record?.id,
    });
  }

  private drifted(watch: Watch, result: DriftResult, time: number, record: CallRecord | undefined): void {
    watch.lastDrift = result;
    if (!result.drifted) {
      watch.drifting = false;
      return;
    }
    // One event per drift episode: the next comes after a comparison that found none.
    if (watch.drifting) return;
    watch.drifting = true;
    if (record !== undefined) addAlert(record, { kind: 'drift', signal: watch.spec.name, score: result.score, threshold: 0.5 });
    const numeric = typeof result.current === 'number';
    this.context.emit('drift', {
      kind: 'drift',
      signal: watch.spec.name,
      labels: { ...watch.group.labels },
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
    });
  }

  private observeResource(signal: string, value: number, labels: SignalLabels, time: number): void {
    this.observeTable(this.group(labels), signal, value, time);
  }

  /** One value of a signal of `tableSpecs`, in one label set. */
  private observeTable(group: Group, signal: string, value: number, time: number): void {
    let watch = group.others.get(signal);
    if (watch === undefined) {
      watch = new Watch(this.tableSpecs.get(signal)!, group, this.options, this.metrics);
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
      group = this.group(labels);
      // Past maxGroups the same overflow group answers for every new label set; cache it anyway.
      byRoute.set(route, group);
    }
    return group;
  }

  private group(labels: SignalLabels): Group {
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
    group = new Group(labels, promLabelsOf(labels));
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
