/**
 * Real anomaly and drift alerts, raised through the public API: `monitor.observe` feeds the app's own
 * signal to the monitor's detectors, which emit `anomaly` / `drift` as they do for call signals.
 * Create the monitor with `detect: FAST_DETECT` so a few dozen values teach the baseline.
 */
import type { Monitor } from '../../src/index.js';

export const FAST_DETECT = { warmup: 20, cooldown: 5, drift: { reference: 40, window: 40, every: 10 } } as const;

/** Teach `signal` a baseline around 10, then observe `spike`: one anomaly alert. */
export function raiseAnomaly(monitor: Monitor, signal: string, spike: number, labels?: Record<string, string>): void {
  for (let i = 0; i < 40; i++) monitor.observe(signal, 10 + (i % 5), labels);
  monitor.observe(signal, spike, labels);
}

/** 40 values around 10 (the reference window), then 40 around 100: one drift alert. */
export function raiseDrift(monitor: Monitor, signal: string, labels?: Record<string, string>): void {
  for (let i = 0; i < 40; i++) monitor.observe(signal, 10 + (i % 7), labels);
  for (let i = 0; i < 40; i++) monitor.observe(signal, 100 + (i % 7), labels);
}
