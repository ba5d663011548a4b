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
 * (for a numeric signal: the value's rank among its last 500, three binary searches side by side and
 * one move of the values between the oldest's place and the new one's, and a few logs; no object
 * per observation but the numbers V8 boxes) and one drift ring update; the drift comparison runs every `drift.every` observations,
 * and the gauges are read only when Prometheus scrapes. Memory is bounded by `maxGroups` label sets times the signals, each of fixed size.
 */
import type { CallRecord } from '../record.js';
import type { ResourceSample } from '../resources/sample.js';
import { ATTR, GUARDED_NAME } from '../semconv.js';
import type { MetricLabels, Sink } from '../sinks/sink.js';
import { releaseMetrics } from '../lib/released-metrics.js';
import { LabelGuard } from '../lib/label-guard.js';
import { Tree3 } from '../lib/tree3.js';
import { Incident as IncidentOf, type IncidentCause, type RecoveryRule } from './incident.js';
import { ANOMALY_SCORE } from './detector.js';
import type { CategoricalDrift, DriftResult } from './drift.js';
import type { ResolvedDetectOptions } from './options.js';
import { CALL_SIGNALS, customSignal, QUALITY_SIGNALS, readCallSignals, RESOURCE_SIGNALS, type SignalSpec } from './signals.js';
import { checkObservation, type DetectorsSnapshot, type DetectorSinkContext, type SignalLabels } from './events.js';
import { anomalyEventOf, driftEventOf, resolvedEventOf, snapshotOf, createDetectorMetrics, Group, Watch, addAlert, keyOf, promLabelsOf, OVERFLOW_LABELS, type Incident, type Metrics, type PendingDrift } from './watch.js';

export * from './events.js';

export class DetectorSink implements Sink {
  readonly name = 'detectors';
  private readonly options: ResolvedDetectOptions;
  private readonly context: DetectorSinkContext;
  private readonly metrics: Metrics | undefined;
  private readonly groups = new Map<string, Group>();
  /** provider → model → route → group, so a call finds its group without building a key (the last one found at once). */
  private readonly byCall = new Tree3<Group>();
  private readonly callSignals: readonly SignalSpec[];
  /** The call being fed: its signals' values, by their place in CALL_SIGNALS (NaN: none). */
  private readonly values = new Float64Array(CALL_SIGNALS.length);
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
    if (context.registry !== undefined) this.metrics = createDetectorMetrics(context.registry, () => this.groups.values());
  }

  callEnded(record: CallRecord, labels?: MetricLabels): void {
    const provider = labels?.provider ?? record.provider;
    const model = labels?.requestModel ?? record.requestModel ?? '';
    const time = record.startTime + record.duration;
    readCallSignals(record, this.values);
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
    return snapshotOf(this.groups.values(), this.options.falseAlarmRate);
  }

  // ---- internals ----

  /** The call's signals (their values read into `values`) to one label set's watches. */
  private feedCall(group: Group, record: CallRecord, time: number): void {
    const specs = this.callSignals;
    const values = this.values;
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
      const value = values[i];
      if (value - value !== 0) continue;
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
    const drift = watch.numericDrift;
    if (drift !== undefined && value - value === 0) {
      const result = drift.update(watch.fedWorking(value));
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
      this.context.emit('anomaly', anomalyEventOf(incident, windows));
    }
    for (const incident of closed) {
      const watch = incident.watch;
      this.context.emit('anomaly_resolved', resolvedEventOf(incident, windows));
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
        pending.event = driftEventOf(watch, result, time, record, (this.options.drift as { every: number }).every);
        pending.event.related.push(related);
      } else {
        pending.event.related.push({ ...watch.group.labels });
      }
      return;
    }
    const pending = { event: driftEventOf(watch, result, time, record, (this.options.drift as { every: number }).every), root, record };
    root.pendingDrift = pending;
    this.drifts.push(pending);
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
    const group = this.byCall.get(provider, model, route);
    if (group !== undefined) return group;
    const labels: SignalLabels = { provider, model };
    if (route !== '') labels.route = route;
    // Past maxGroups the same overflow group answers for every new label set; cache it anyway.
    return this.byCall.set(provider, model, route, this.group(labels, route !== '' ? this.callGroup(provider, model, '') : undefined));
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
}
