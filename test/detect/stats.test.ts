import { describe, expect, it } from 'vitest';
import {
  chiSquaredUpperTail,
  logGamma,
  logNormalTwoSidedTail,
  logNormalUpperTail,
  normalQuantile,
} from '../../src/detect/stats.js';

describe('distribution functions', () => {
  it('gives normal tail probabilities from the textbook tables, in log form', () => {
    expect(Math.exp(logNormalUpperTail(1.959964))).toBeCloseTo(0.025, 6);
    expect(Math.exp(logNormalTwoSidedTail(-2.575829))).toBeCloseTo(0.01, 6);
    // Far in the tail, where 1 - Φ(z) would round to 0 in double precision: P(Z >= 10) = 7.62e-24.
    expect(logNormalUpperTail(10) / Math.log(7.619853e-24)).toBeCloseTo(1, 5);
    expect(logNormalUpperTail(0)).toBeCloseTo(Math.log(0.5), 12);
  });

  it('inverts the normal distribution', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 6);
    expect(normalQuantile(1e-4)).toBeCloseTo(-3.719016, 5);
    expect(() => normalQuantile(0)).toThrow(RangeError);
  });

  it('gives chi-squared p-values from the tables', () => {
    expect(chiSquaredUpperTail(3.841459, 1)).toBeCloseTo(0.05, 6);
    expect(chiSquaredUpperTail(18.307038, 10)).toBeCloseTo(0.05, 6);
    expect(chiSquaredUpperTail(0.5, 3)).toBeCloseTo(0.918891, 5);
    expect(chiSquaredUpperTail(0, 2)).toBe(1);
  });

  it('computes ln Γ', () => {
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 10);
    expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 10);
  });
});
