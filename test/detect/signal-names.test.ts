/**
 * The app's own signal names (`monitor.observe(name, ...)`) pass through the cardinality guard:
 * each new name is a detector, a drift monitor and their series, so past `maxLabelValues` new names
 * are watched together as `other` and counted in `llm_vitals_label_overflow_total{label="signal"}`.
 *
 * Measured with `node --expose-gc bench/label-cardinality.mjs` (20,000 names, defaults, Node 20):
 * before the guard, +85.6 MB of heap and +100,000 exposition samples (each name's score and its
 * anomaly counters at 0); with it, +0.6 MB and +503. The tests pin the series, not the heap.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createMonitor, type Monitor } from '../../src/index.js';
import { parseExposition, samplesOf, valueOf } from '../support/exposition.js';

let monitor: Monitor;
afterEach(async () => {
  await monitor?.shutdown();
});

describe('signal names of monitor.observe()', () => {
  it('watches 20,000 names as the first 100 and `other`: 101 score series, 19,900 folds counted', async () => {
    monitor = createMonitor({ serviceName: 'signals-test', resources: false });
    // Known up front, so the first fold is an increase from 0.
    expect(valueOf(await monitor.metrics(), 'llm_vitals_label_overflow_total', { label: 'signal' })).toBe(0);
    for (let i = 0; i < 20_000; i++) monitor.observe(`signal_${i}`, i % 7);
    const text = await monitor.metrics();
    const scores = samplesOf(text, 'llm_vitals_anomaly_score').map((s) => s.labels.signal);
    expect(scores).toHaveLength(101);
    expect(new Set(scores)).toEqual(new Set([...Array.from({ length: 100 }, (_, i) => `signal_${i}`), 'other']));
    // Every detector series (scores, anomaly counters at 0 per reason, drift) names one of those 101.
    expect(new Set(parseExposition(text).flatMap((s) => (s.labels.signal === undefined ? [] : [s.labels.signal]))).size).toBe(101);
    expect(valueOf(text, 'llm_vitals_label_overflow_total', { label: 'signal' })).toBe(19_900);
    expect(Object.keys(monitor.snapshot().detectors!.groups[0].signals)).toHaveLength(101);
  });

  it('never folds the built-in signals or those configured in detect.signals, even past the cap', async () => {
    monitor = createMonitor({ serviceName: 'signals-test', resources: false, maxLabelValues: 2, detect: { signals: { queue_depth: { scale: 'log' } } } });
    for (const name of ['a', 'b', 'c', 'event_loop_delay', 'queue_depth', 'latency']) monitor.observe(name, 5);
    const text = await monitor.metrics();
    expect(samplesOf(text, 'llm_vitals_anomaly_score').map((s) => s.labels.signal).sort()).toEqual(['a', 'b', 'event_loop_delay', 'latency', 'other', 'queue_depth']);
    expect(valueOf(text, 'llm_vitals_label_overflow_total', { label: 'signal' })).toBe(1);
  });

  it('reports a folded name as `other` in its events', async () => {
    monitor = createMonitor({ serviceName: 'signals-test', resources: false, maxLabelValues: 1, detect: { warmup: 20 } });
    const signals: string[] = [];
    monitor.on('anomaly', (event) => signals.push(event.signal));
    monitor.observe('kept', 1);
    // A steady signal, then a jump: the detector behind `other` alerts under that name.
    for (let i = 0; i < 40; i++) monitor.observe(`folded_${i}`, 10 + (i % 3));
    monitor.observe('folded_x', 1_000);
    expect(signals).toEqual(['other']);
  });
});
