import { describe, expect, it } from 'vitest';
import { HistoryRings } from '../../src/dashboard/history.js';
import { groupId, SeriesReader } from '../../src/dashboard/series.js';
import type { Snapshot } from '../../src/sinks/snapshot.js';

const point = (time: number, values: Record<string, number>) => ({ time, values });

describe('history rings', () => {
  it('keeps the last capacity points, oldest first, with null where a series had no value', () => {
    const rings = new HistoryRings(10, 8, 1000);
    for (let i = 0; i < 25; i++) rings.add(point(1_000_000 + i * 1000, i % 2 === 0 ? { rps: i, tps: i * 10 } : { rps: i }));
    const h = rings.toJSON();
    expect(h).toMatchObject({ intervalMs: 1000, capacity: 10, droppedSeries: 0 });
    expect(h.times).toEqual(Array.from({ length: 10 }, (_, i) => 1_000_000 + (15 + i) * 1000));
    expect(h.series.rps).toEqual(Array.from({ length: 10 }, (_, i) => 15 + i));
    expect(h.series.tps).toEqual(Array.from({ length: 10 }, (_, i) => ((15 + i) % 2 === 0 ? (15 + i) * 10 : null)));
  });

  it('starts a new series with nulls for the points before it appeared', () => {
    const rings = new HistoryRings(10, 8, 1000);
    rings.add(point(1000, { rps: 1 }));
    rings.add(point(2000, { rps: 2 }));
    rings.add(point(3000, { rps: 3, 'err|rate_limit': 25 }));
    expect(rings.toJSON().series['err|rate_limit']).toEqual([null, null, 25]);
  });

  it('sends Float32 values with their 7 significant digits, not the binary tail', () => {
    const rings = new HistoryRings(10, 8, 1000);
    rings.add(point(1000, { 'lat|x|p50': 61.2, cost: 0.000123456789, 'mem|resident': 123456789, tps: 0 }));
    const { series } = rings.toJSON();
    expect(series['lat|x|p50']).toEqual([61.2]);
    expect(series.cost).toEqual([0.0001234568]);
    expect(series['mem|resident']).toEqual([123456800]);
    expect(series.tps).toEqual([0]);
    expect(rings.toText()).toBe(JSON.stringify(rings.toJSON()));
  });

  it('keeps at most maxSeries rings: one too many waits until a series has left the window, then takes its ring', () => {
    const rings = new HistoryRings(10, 8, 1000);
    const eight = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`s${i}`, i]));
    let t = 0;
    rings.add(point((t += 1000), eight));
    // s0 stops; s8 is new, and there is no room and no idle series yet.
    const { s0: _s0, ...seven } = eight;
    rings.add(point((t += 1000), { ...seven, s8: 8 }));
    expect(Object.keys(rings.toJSON().series)).not.toContain('s8');
    expect(rings.toJSON().droppedSeries).toBe(1);
    // Once the point holding s0's last value has left the 10-point window, s8 takes its ring.
    for (let i = 0; i < 9; i++) rings.add(point((t += 1000), { ...seven, s8: 8 }));
    const h = rings.toJSON();
    expect(Object.keys(h.series)).toHaveLength(8);
    expect(Object.keys(h.series)).not.toContain('s0');
    expect(h.series.s8).toEqual([...Array(9).fill(null), 8]);
    expect(h.droppedSeries).toBe(0);
  });

  it('allocates its memory up front: capacity × (8 + 4 × series) bytes, whatever is added', () => {
    const rings = new HistoryRings(3600, 128, 1000);
    const before = process.memoryUsage().arrayBuffers;
    const twoHundred = Object.fromEntries(Array.from({ length: 200 }, (_, k) => [`group ${k}`, k]));
    for (let i = 0; i < 4000; i++) rings.add(point(i * 1000, twoHundred));
    const grown = process.memoryUsage().arrayBuffers - before;
    // 128 Float32 rings of 3600 points: 1.84 MB; the 72 series beyond them are left out.
    expect(grown).toBeLessThan(128 * 3600 * 4 * 1.1);
    expect(rings.toJSON().droppedSeries).toBe(72);
    expect(rings.length).toBe(3600);
  });
});

function snapshotAt(time: number, over: Partial<Snapshot> = {}, errors: Record<string, number> = {}, usd?: number): Snapshot {
  return {
    service: 'svc',
    time: new Date(time).toISOString(),
    uptimeSeconds: 1,
    calls: 0,
    inFlight: 0,
    requestsPerSecond: 2,
    tokensPerSecond: 40,
    groups: [
      {
        provider: 'openai',
        operation: 'chat',
        model: 'gpt-4o-mini',
        calls: 3,
        outcomes: {},
        errors,
        inFlight: 0,
        latencyMs: { p50: 60, p95: 80, p99: 90 },
        timeToFirstChunkMs: { p50: 45, p95: undefined, p99: undefined },
        outputTokensPerSecond: { p50: undefined, p95: undefined, p99: undefined },
        tokens: { input: 0, output: 0, cachedInput: 0, reasoning: 0, estimated: 0 },
        requestsPerSecond: 2,
        tokensPerSecond: 40,
      },
    ],
    internalErrors: {},
    labelValues: {},
    ...(usd === undefined ? {} : { cost: { usd, estimatedUsd: 0, pricedCalls: 3, unknownCostCalls: 0, pricesCheckedAt: '2025-01-01', groups: [] } }),
    ...over,
  };
}

describe('series read from snapshots', () => {
  it('names groups as the page does', () => {
    expect(groupId({ provider: 'openai', operation: 'chat', model: '' })).toBe('openai · chat · (no model)');
  });

  it('turns error counters into errors per second since the previous point, and cost into USD per minute', () => {
    const reader = new SeriesReader();
    const first = reader.read(snapshotAt(10_000, {}, {}, 0.01));
    expect(first.time).toBe(10_000);
    expect(first.values).toEqual({
      rps: 2,
      tps: 40,
      'lat|openai · chat · gpt-4o-mini|p50': 60,
      'lat|openai · chat · gpt-4o-mini|p95': 80,
      'lat|openai · chat · gpt-4o-mini|p99': 90,
      'ttfc|openai · chat · gpt-4o-mini|p50': 45,
    });
    // 25 rate limits in the half second since: 50 per second; $0.005 more: $0.6 per minute.
    const second = reader.read(snapshotAt(10_500, {}, { rate_limit: 25 }, 0.015));
    expect(second.values['err|rate_limit']).toBe(50);
    expect(second.values.cost).toBeCloseTo(0.6, 10);
    // No new error: the rate is 0, not absent.
    expect(reader.read(snapshotAt(11_500, {}, { rate_limit: 25 }, 0.015)).values['err|rate_limit']).toBe(0);
  });

  it('reads resources in the units the axes show: %, MB, and how late the loop timer fired in ms', () => {
    const resources = {
      time: 0,
      intervalMs: 1000,
      process: { cpuUserSeconds: 1, cpuSystemSeconds: 1, cpuCoreShare: 0.25, residentMemoryBytes: 100 * 1048576, heapUsedBytes: 30 * 1048576, heapTotalBytes: 0 },
      eventLoop: { delayP50Ms: 10.5, delayP99Ms: 12, delayMaxMs: 40, utilization: 0.1, resolutionMs: 10 },
      system: { cpuUtilization: 0.5, cpuCount: 2, loadAverage1m: 1, memoryUsedBytes: 0, memoryTotalBytes: 0 },
      gpus: [{ index: 0, uuid: 'GPU-0', name: 'x', utilization: 0.37, memoryUtilization: 0.05, ageMs: 0 }],
    };
    const { values } = new SeriesReader().read(snapshotAt(1000, { resources }));
    expect(values).toMatchObject({
      'cpu|process (% of one core)': 25,
      'cpu|host (% of all CPUs)': 50,
      'mem|resident': 100,
      'mem|heap used': 30,
      'loop|p50': 0.5,
      'loop|p99': 2,
      'loop|max': 30,
      'gpu|GPU 0 busy': 37,
      'gpu|GPU 0 memory used': 5,
    });
  });
});
