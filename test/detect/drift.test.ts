import { describe, expect, it } from 'vitest';
import {
  CategoricalDrift,
  chiSquaredPValue,
  jensenShannonDistance,
  normalisedWasserstein,
  NumericDrift,
  psi,
  type DriftResult,
} from '../../src/detect/index.js';
import { resolveDriftOptions } from '../../src/detect/drift.js';
import { normal, uniform } from './random.js';

describe('divergences', () => {
  it('PSI: 0 for equal mixes; 0.406 for 50/50 against 80/20 (half-count smoothing)', () => {
    expect(psi([30, 70], [30, 70])).toBeCloseTo(0, 12);
    // By hand: shares 0.5/0.5 against 80.5/101 and 20.5/101.
    expect(psi([50, 50], [80, 20])).toBeCloseTo(0.40629, 4);
    // An empty bin does not make it infinite.
    expect(Number.isFinite(psi([100, 0], [0, 100]))).toBe(true);
  });

  it('Jensen-Shannon distance: 0 for equal mixes, 1 for disjoint ones, 0.108 for 5% -> 12%', () => {
    expect(jensenShannonDistance([1, 3], [2, 6])).toBeCloseTo(0, 12);
    expect(jensenShannonDistance([1, 0], [0, 1])).toBeCloseTo(1, 12);
    expect(jensenShannonDistance([95, 5], [88, 12])).toBeCloseTo(0.10806, 4);
  });

  it('chi-squared test of homogeneity', () => {
    // 2x2 table [[50, 50], [80, 20]]: statistic 19.78 on 1 degree of freedom.
    expect(chiSquaredPValue([50, 50], [80, 20])).toBeCloseTo(8.69e-6, 7);
    expect(chiSquaredPValue([50, 50], [50, 50])).toBeCloseTo(1, 12);
    expect(chiSquaredPValue([10, 0], [10, 0])).toBe(1);
  });

  it('Wasserstein-1 over bin means, in reference standard deviations', () => {
    // All mass at 0 against all mass at 2, scale 4: distance 2, normalised 0.5.
    expect(normalisedWasserstein([1, 0], [0, 0], [0, 1], [0, 2], 4)).toBeCloseTo(0.5, 12);
    // Half the mass moved by 3: 1.5.
    expect(normalisedWasserstein([5, 5], [0, 10], [5, 5], [3, 10], 1)).toBeCloseTo(1.5, 12);
  });
});

describe('numeric drift', () => {
  const options = { reference: 300, window: 300, every: 50 };

  function feed(drift: NumericDrift, n: number, next: () => number): DriftResult[] {
    const results: DriftResult[] = [];
    for (let i = 0; i < n; i++) {
      const r = drift.update(next());
      if (r !== undefined) results.push(r);
    }
    return results;
  }

  it('compares every `every` observations once the reference is full, never per observation', () => {
    const g = normal(1);
    const drift = new NumericDrift(options);
    expect(feed(drift, 300, g)).toHaveLength(0);
    expect(drift.state().phase).toBe('watching');
    expect(feed(drift, 500, g)).toHaveLength(10);
  });

  it('finds no drift in a stable signal and a 1σ shift as drift', () => {
    const g = normal(2);
    const drift = new NumericDrift(options);
    const stable = feed(drift, 1000, g);
    expect(stable.every((r) => !r.drifted && r.value < 0.2)).toBe(true);
    const shifted = feed(drift, 300, () => 1 + g());
    const last = shifted[shifted.length - 1];
    expect(last.drifted).toBe(true);
    expect(last.statistic).toBe('psi');
    expect(last.value).toBeGreaterThan(0.4);
    expect(last.statistics.wasserstein).toBeGreaterThan(0.7);
    expect(last.statistics.wasserstein).toBeLessThan(1.3);
    expect(last.current as number).toBeCloseTo(1, 0);
    expect(last.reference as number).toBeCloseTo(0, 0);
    expect(last.score).toBeCloseTo(last.value / (last.value + 0.2), 12);
  });

  it('sees values beyond the reference range in the Wasserstein distance', () => {
    const g = normal(3);
    const drift = new NumericDrift(options);
    feed(drift, 600, g);
    const results = feed(drift, 300, () => 10 + g());
    expect(results[results.length - 1].statistics.wasserstein).toBeGreaterThan(8);
  });

  it('handles a heavily repeated value (equal deciles)', () => {
    const u = uniform(4);
    const drift = new NumericDrift(options);
    const results = feed(drift, 900, () => (u() < 0.8 ? 5 : 5 + u()));
    expect(results.every((r) => Number.isFinite(r.value) && !r.drifted)).toBe(true);
  });

  it('rebaseline() makes the current window the reference', () => {
    const g = normal(5);
    const drift = new NumericDrift(options);
    feed(drift, 600, g);
    expect(feed(drift, 300, () => 2 + g()).pop()!.drifted).toBe(true);
    drift.rebaseline();
    expect(drift.state().referenceSize).toBe(300);
    expect(feed(drift, 300, () => 2 + g()).every((r) => !r.drifted)).toBe(true);
  });
});

describe('categorical drift', () => {
  function feed(drift: CategoricalDrift, n: number, lengthShare: number, u: () => number): DriftResult[] {
    const results: DriftResult[] = [];
    for (let i = 0; i < n; i++) {
      const r = drift.update(u() < lengthShare ? 'length' : 'stop');
      if (r !== undefined) results.push(r);
    }
    return results;
  }

  it('finds `length` finishes rising from 5% to 40%, with the shares of each window', () => {
    const u = uniform(6);
    const drift = new CategoricalDrift({ reference: 500, window: 500, every: 100 });
    expect(feed(drift, 1500, 0.05, u).every((r) => !r.drifted)).toBe(true);
    const last = feed(drift, 500, 0.4, u).pop()!;
    expect(last.drifted).toBe(true);
    expect(last.statistic).toBe('js_distance');
    expect(last.statistics.chi_squared_p_value).toBeLessThan(1e-6);
    expect((last.current as Record<string, number>).length).toBeCloseTo(0.4, 1);
    expect((last.reference as Record<string, number>).length).toBeCloseTo(0.05, 1);
  });

  it('does not call a change on a handful of calls drift (chi-squared guard)', () => {
    const drift = new CategoricalDrift({ reference: 20, window: 20, every: 20 });
    for (let i = 0; i < 20; i++) drift.update(i === 0 ? 'length' : 'stop');
    let result: DriftResult | undefined;
    for (let i = 0; i < 20; i++) result = drift.update(i < 4 ? 'length' : 'stop') ?? result;
    expect(result!.value).toBeGreaterThan(0.1);
    expect(result!.drifted).toBe(false);
  });

  it('folds categories past 16 into `other`', () => {
    const drift = new CategoricalDrift({ reference: 40, window: 40, every: 40 });
    let result: DriftResult | undefined;
    for (let i = 0; i < 80; i++) result = drift.update(`reason_${i % 40}`) ?? result;
    const shares = result!.current as Record<string, number>;
    expect(Object.keys(shares)).toHaveLength(16);
    expect(shares.other).toBeCloseTo(25 / 40, 12);
  });
});

describe('drift options', () => {
  it('are validated with messages naming the option', () => {
    expect(resolveDriftOptions(undefined)).toMatchObject({ reference: 500, window: 500, every: 100, psi: 0.2, jsDistance: 0.1 });
    expect(() => resolveDriftOptions({ every: 0 })).toThrow(/option "every" must be an integer from 1/);
    expect(() => resolveDriftOptions({ psi: -1 })).toThrow(/option "psi"/);
    expect(() => resolveDriftOptions({ bins: 3 } as never)).toThrow(/unknown option "bins"/);
  });
});
