import { describe, expect, it } from 'vitest';
import { SurpriseCalibrator } from '../../src/detect/calibration.js';
import { uniform } from './random.js';

/** Unit-exponential surprises: what a well-calibrated model gives on a stable signal. */
function exponential(seed: number): () => number {
  const u = uniform(seed);
  return () => -Math.log(1 - u());
}

describe('the likelihood stage (SurpriseCalibrator)', () => {
  it('has no opinion on an empty history, and never calls a surprise more than it is', () => {
    const c = new SurpriseCalibrator(100_000);
    expect(c.rarity(7)).toBe(Infinity);
    const next = exponential(1);
    for (let i = 0; i < 5000; i++) expect(c.calibrate(next())).toBeLessThanOrEqual(50);
    for (const l of [0.2, 2, 5, 12]) expect(c.calibrate(l)).toBeLessThanOrEqual(l);
  });

  it('extrapolates the tail beyond the history, and calls a level reached three times as rare as it has been', () => {
    const c = new SurpriseCalibrator(100_000);
    const next = exponential(2);
    for (let i = 0; i < 10_000; i++) c.calibrate(next());
    // Far beyond the history: the exponential tail extrapolates (its mean excess learning as it goes).
    const seen = [40, 40, 40, 40].map((l) => c.calibrate(l));
    expect(seen[0]).toBeGreaterThan(30);
    expect(seen[2]).toBeGreaterThan(10);
    // Reached three times in 10,003: about -ln(3 / 10,003), not the tail's extrapolation.
    expect(seen[3]).toBeCloseTo(-Math.log(3 / 10_003), 1);
    expect(seen[3]).toBeLessThan(seen[2] - 1);
  });

  it('counts a surprise into its history only `delay` observations after judging it', () => {
    const now = new SurpriseCalibrator(100_000);
    const later = new SurpriseCalibrator(100_000, 3);
    for (let i = 0; i < 1000; i++) {
      now.calibrate(0.1);
      later.calibrate(0.1);
    }
    // Nothing above the grid's base before: 20 nats stands as it is; once counted, the next is rarer.
    const first = now.calibrate(20);
    const second = now.calibrate(20);
    expect(first).toBe(20);
    expect(second).toBeLessThan(19);
    // With a delay of 3 the next three are judged on the history without it; the fourth on the history
    // the immediate calibrator had for its second.
    const seen = [20, 20, 20, 20, 20].map((l) => later.calibrate(l));
    expect(seen.slice(0, 4)).toEqual([20, 20, 20, 20]);
    expect(seen[4]).toBeCloseTo(second, 9);
  });
});
