import { describe, expect, it } from 'vitest';
import { parseNabTime, PROFILES, probationLength, scaledSigmoid, scoreCorpus } from '../../bench/detect-nab.mjs';

// One series of 100 rows a minute apart, one window over rows 40..49 (width 10).
const timestamps = Array.from({ length: 100 }, (_, i) => Date.UTC(2014, 0, 1) + i * 60_000);
const series = { name: 'test/one.csv', timestamps, values: timestamps.map(() => 0), windows: [[timestamps[40], timestamps[49]]] as [number, number][] };
const withDetections = (detections: Record<number, number>) => [{ ...series, scores: timestamps.map((_, i) => detections[i] ?? 0) }];

describe('the NAB scorer (bench/detect-nab.mjs)', () => {
  it('follows NAB\'s sigmoid and probation rules', () => {
    expect(scaledSigmoid(-1)).toBeCloseTo(0.98661, 5);
    expect(scaledSigmoid(0)).toBe(0);
    expect(scaledSigmoid(3)).toBe(-1);
    expect(probationLength(4032)).toBe(604);
    expect(probationLength(10_000)).toBe(750);
    expect(parseNabTime('2014-02-19 10:50:00.000000')).toBe(Date.UTC(2014, 1, 19, 10, 50));
  });

  it('scores a detection at the left edge 100 and none 0', () => {
    expect(scoreCorpus(withDetections({ 40: 1 }))).toMatchObject({ score: 100, raw: 1, windows: 1, detectedWindows: 1 });
    expect(scoreCorpus(withDetections({}))).toMatchObject({ score: 0, raw: -1, detectedWindows: 0 });
  });

  it('weighs a detection by its place in the window: only the earliest counts', () => {
    // Row 45: position -(49 - 45 + 1) / 10 = -0.5, worth scaledSigmoid(-0.5) / scaledSigmoid(-1) = 0.85983.
    const mid = scoreCorpus(withDetections({ 45: 1, 48: 1 }));
    expect(mid.raw).toBeCloseTo(0.85983, 4);
    expect(mid.score).toBeCloseTo(92.99, 2);
  });

  it('charges false positives by their distance past the previous window, and ignores the probation period', () => {
    // Row 20: before any window, the full fpWeight; row 52: |49 - 52| / 9 past the window, 0.11 x -0.6825.
    const result = scoreCorpus(withDetections({ 5: 1, 20: 0.9, 40: 0.9, 52: 0.9 }));
    expect(result.raw).toBeCloseTo(1 - 0.11 - 0.11 * 0.68254, 4);
    expect(result.falsePositives).toBe(2);
    // A low-FP profile would rather not detect at all than pay twice as much.
    expect(scoreCorpus(withDetections({ 20: 0.9, 40: 0.5 }), PROFILES.reward_low_FP_rate).threshold).toBe(0.5);
  });

  it('chooses the one threshold that maximises the total', () => {
    // Detecting the window costs letting in a false positive scored above it: worth it (1 - 0.11 > -1).
    const result = scoreCorpus(withDetections({ 20: 0.8, 40: 0.6 }));
    expect(result.threshold).toBe(0.6);
    expect(result.raw).toBeCloseTo(0.89, 10);
  });
});
