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

  it('reads its tail from a level the history reached, even when the grid steps past every surprise seen', () => {
    // A short history: 300 quiet surprises and 12 at 6.5 nats (4%, more than the 2% tail share), none
    // higher: the grid level above 6.5 that no more than 2% reached is one nobody reached.
    const c = new SurpriseCalibrator(100_000);
    for (let i = 0; i < 312; i++) c.calibrate(i % 26 === 0 ? 6.5 : 0.1);
    // The tail starts where the 12 are, -ln(12 / 312) = 3.3 nats, and extrapolates from there: 11 nats
    // is tempered, not taken as it is (which a share of 0 at the tail's level would do).
    const judged = c.calibrate(11);
    expect(judged).toBeLessThan(11);
    expect(judged).toBeGreaterThan(-Math.log(12 / 312));
  });

  it("counts a surprise taught as 'levels' as having happened, without letting it set the tail's slope", () => {
    const levels = new SurpriseCalibrator(100_000);
    const all = new SurpriseCalibrator(100_000);
    const next = exponential(3);
    for (let i = 0; i < 5000; i++) {
      const l = next();
      levels.calibrate(l);
      all.calibrate(l);
    }
    // One wild surprise (a spike the range rule reported): taught fully, it stretches the mean excess
    // so far that a later, smaller incident reads as ordinary; taught as levels, it does not.
    levels.calibrate(3000, 'levels');
    all.calibrate(3000);
    for (let i = 0; i < 64; i++) {
      const l = next();
      levels.calibrate(l);
      all.calibrate(l);
    }
    expect(levels.rarity(30, 'none')).toBeGreaterThan(15);
    expect(all.rarity(30, 'none')).toBeLessThan(10);
    // ...and it was counted: a level it reached, reached twice more, is as rare as it has been.
    levels.calibrate(3000, 'levels');
    levels.calibrate(3000, 'levels');
    expect(levels.rarity(3000, 'none')).toBeCloseTo(-Math.log(3 / 5133), 0);
  });

  it('counts quiet observations at once as it would one by one (addQuiet)', () => {
    const batched = new SurpriseCalibrator(1000);
    const single = new SurpriseCalibrator(1000);
    const next = exponential(5);
    let quiet = 0;
    // Surprises past the grid's base are given to both; the rest, one by one to one, counted at once by the other.
    for (let i = 0; i < 50_000; i++) {
      const l = next() - 2;
      if (l > 0.5) {
        batched.addQuiet(quiet);
        quiet = 0;
        expect(batched.rarity(l)).toBeCloseTo(single.rarity(l), 9);
      } else {
        quiet++;
        single.rarity(l);
      }
    }
    batched.addQuiet(quiet);
    for (const l of [1, 4, 9, 20]) expect(batched.rarity(l, 'none')).toBeCloseTo(single.rarity(l, 'none'), 9);
  });
});
