/**
 * What the detectors tell the app: the `anomaly`, `anomaly_resolved` and `drift` events, the
 * detectors' part of `snapshot()`, what the detector sink needs from the monitor, and the check of
 * `monitor.observe(signal, value, labels)`'s arguments.
 */
import type { Registry } from 'prom-client';
import type { LabelGuard } from '../lib/label-guard.js';
import { type IncidentCause } from './incident.js';
import { type AlertReason, type DetectorState } from './detector.js';
import { type DriftState } from './drift.js';
import type { ResolvedDetectOptions } from './options.js';
import { type SignalSpec } from './signals.js';

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

