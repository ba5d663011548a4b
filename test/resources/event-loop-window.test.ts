import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { EventLoopWindow, stepsOf, windowQuantile, type IntervalDelays } from '../../src/resources/event-loop-window.js';

/** A seeded generator, so a failure can be replayed. */
function random(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
}

/** Gaps as a 10 ms delay timer records them: mostly about 10 ms, now and then a block. */
function gapsNs(n: number, next: () => number): number[] {
  return Array.from({ length: n }, () => {
    const r = next();
    if (r < 0.01) return Math.round((50 + next() * 400) * 1e6);
    if (r < 0.05) return Math.round((12 + next() * 20) * 1e6);
    return Math.round((10 + next() * 0.6) * 1e6);
  });
}

/** What the probe hands the window for one interval's histogram. */
function intervalOf(h: RecordableHistogram): IntervalDelays {
  return { count: h.count, p50Ms: h.percentile(50) / 1e6, p99Ms: h.percentile(99) / 1e6, maxMs: h.max / 1e6, steps: stepsOf((rank) => h.percentile((100 * rank) / h.count) / 1e6, h.count) };
}

function histogramOf(values: number[]): RecordableHistogram {
  const h = createHistogram();
  for (const v of values) h.record(v);
  return h;
}

describe('the event-loop window (delays since the previous scrape)', () => {
  it("gives one interval's own p50, p99 and max exactly", () => {
    const h = histogramOf(gapsNs(500, random(1)));
    const window = new EventLoopWindow();
    window.add(intervalOf(h));
    expect(window.read()).toEqual({ p50Ms: h.percentile(50) / 1e6, p99Ms: h.percentile(99) / 1e6, maxMs: h.max / 1e6 });
  });

  it('gives the p50 and p99 of all the gaps of several intervals together, as one histogram over the whole window would', () => {
    for (const [seed, sizes] of [
      [2, [500, 500, 500]],
      [3, [25, 25, 25, 25, 25, 25]],
      [4, [100, 3, 400, 60]],
      [5, [1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000]],
    ] as const) {
      const next = random(seed);
      const all = createHistogram();
      const window = new EventLoopWindow();
      const intervals = sizes.map((n) => {
        const h = histogramOf(gapsNs(n, next));
        all.add(h);
        return intervalOf(h);
      });
      for (const interval of intervals) window.add(interval);
      const got = window.read()!;
      // The max and p99 exactly (each interval's top gaps are taken one by one); p50 a little high at
      // most (the body is in steps, each gap at the top of its step, never below).
      expect(got.maxMs, `seed ${seed}`).toBe(all.max / 1e6);
      const p50 = all.percentile(50) / 1e6;
      const p99 = all.percentile(99) / 1e6;
      expect(got.p50Ms, `seed ${seed} p50 ${got.p50Ms} vs ${p50}`).toBeGreaterThanOrEqual(p50 * 0.999);
      expect(got.p50Ms, `seed ${seed} p50 ${got.p50Ms} vs ${p50}`).toBeLessThanOrEqual(p50 * 1.02);
      expect(got.p99Ms, `seed ${seed} p99 ${got.p99Ms} vs ${p99}`).toBeGreaterThanOrEqual(p99 * 0.999);
      expect(got.p99Ms, `seed ${seed} p99 ${got.p99Ms} vs ${p99}`).toBeLessThanOrEqual(p99 * 1.001);
      expect(windowQuantile(intervals, 0.99)).toBe(got.p99Ms);
    }
  });

  it("reads p99 high, never low, when a window's slow gaps crowd into one interval past its top 2%", () => {
    const next = random(7);
    const idle = () => gapsNs(500, () => 0.5 + next() / 2); // no blocks
    const crowded = gapsNs(500, next).map((v, i) => (i % 25 === 0 ? Math.round((60 + 10 * i / 25) * 1e6) : v)); // 20 blocks, 60..250 ms
    const histograms = [histogramOf(idle()), histogramOf(idle()), histogramOf(crowded)];
    const all = createHistogram();
    for (const h of histograms) all.add(h);
    const window = new EventLoopWindow();
    for (const h of histograms) window.add(intervalOf(h));
    const got = window.read()!;
    const p99 = all.percentile(99) / 1e6;
    expect(got.p99Ms).toBeGreaterThanOrEqual(p99 * 0.999);
    expect(got.p99Ms).toBeLessThanOrEqual(p99 * 1.5);
    expect(got.maxMs).toBe(all.max / 1e6);
  });

  it('counts each interval in one read only, and repeats the last values while no interval has ended', () => {
    const window = new EventLoopWindow();
    expect(window.read()).toBeUndefined();
    const blocked = histogramOf([10e6, 10e6, 300e6]);
    window.add(intervalOf(blocked));
    expect(window.read()!.maxMs).toBe(blocked.max / 1e6);
    // A scrape faster than the sampling: the same values again, not a gap in the series.
    expect(window.read()!.maxMs).toBe(blocked.max / 1e6);
    const idle = histogramOf([10e6, 10.2e6, 10.1e6]);
    window.add(intervalOf(idle));
    expect(window.read()!.maxMs).toBe(idle.max / 1e6);
  });

  it('keeps memory bounded when nobody reads: past 64 intervals they are folded into one', () => {
    const window = new EventLoopWindow();
    const next = random(6);
    let max = 0;
    for (let i = 0; i < 1000; i++) {
      const h = histogramOf(gapsNs(100, next));
      max = Math.max(max, h.max / 1e6);
      window.add(intervalOf(h));
    }
    expect((window as unknown as { pending: unknown[] }).pending.length).toBeLessThanOrEqual(64);
    const got = window.read()!;
    expect(got.maxMs).toBe(max);
    expect(got.p50Ms).toBeGreaterThan(10);
    expect(got.p50Ms).toBeLessThan(10.7);
  });
});
