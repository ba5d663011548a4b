import { afterEach, describe, expect, it } from 'vitest';
import { CombinedDetector, SeriesDetector, type Detector } from '../../src/detect/index.js';
import { createMonitor, type Monitor } from '../../src/index.js';
import { normal, uniform } from './random.js';

// Issue 15, item 1: the false-alarm budget (1e-4 per observation at defaults) holds on stable signals
// of any shape, calibrated from the signal's own history. bench/detect-families.mjs runs the same
// families at 1,000,000 observations; these pin the counts at 200,000, where a seeded stream's count
// still wanders (Pareto: 17 to 33 over three seeds at about 1.2e-4 per observation): the bound is
// 1.5 × the budget plus two standard deviations of such a count.
const N = 200_000;
const bound = (n: number) => 1.5e-4 * n + 2 * Math.sqrt(1.5e-4 * n);
const BOUND = bound(N);
/** Fresh streams, each watched over its first values after the warm-up (60): the start-up, where most apps' signals live. */
const STREAMS = 400;
const START = 1000;
const START_BOUND = bound(STREAMS * (START - 60));

type Family = (seed: number) => () => number;
const twoValues = (a: number, b: number, shareOfA: number): Family => (seed) => {
  const u = uniform(seed);
  return () => (u() < shareOfA ? a : b);
};
const lognormal: Family = (seed) => {
  const g = normal(seed);
  return () => 800 * Math.exp(0.35 * g());
};
const pareto: Family = (seed) => {
  const u = uniform(seed);
  return () => 100 * Math.pow(1 - u(), -1 / 2.5);
};
const poisson4: Family = (seed) => {
  const u = uniform(seed);
  const limit = Math.exp(-4);
  return () => {
    let k = 0;
    let p = u();
    while (p > limit) {
      k++;
      p *= u();
    }
    return k;
  };
};

/** An AR(1) of lag-1 autocorrelation `phi` around 100, standard deviation 15. */
const ar = (phi: number): Family => (seed) => {
  const g = normal(seed);
  let x = 0;
  return () => 100 + 15 * (x = phi * x + Math.sqrt(1 - phi * phi) * g());
};

/** Heavy on both sides of the centre 100 (scale 10): Student's t with `nu` degrees of freedom; nu 1 is a Cauchy. */
const studentT = (nu: number): Family => (seed) => {
  if (nu === 1) {
    const u = uniform(seed);
    return () => 100 + 10 * Math.tan(Math.PI * (u() - 0.5));
  }
  const g = normal(seed);
  const h = normal(seed + 11);
  return () => {
    let chi2 = 0;
    for (let i = 0; i < nu; i++) chi2 += h() ** 2;
    return 100 + (10 * g()) / Math.sqrt(chi2 / nu);
  };
};

function alerts(detector: Detector, next: () => number, n: number): number {
  let count = 0;
  for (let i = 0; i < n; i++) if (detector.update(next(), i * 60_000).anomaly) count++;
  return count;
}

describe('false alarms on stable signals of any shape, at default settings', () => {
  let monitor: Monitor | undefined;
  afterEach(async () => {
    await monitor?.shutdown();
    monitor = undefined;
  });

  it('input tokens 90% 12 / 10% 10: within the budget (was 2.5e-2 per observation, 250 × it)', () => {
    const count = alerts(new CombinedDetector({ scale: 'log', direction: 'both' }), twoValues(12, 10, 0.9)(1), N);
    expect(count).toBeLessThanOrEqual(BOUND);
  });

  it('output tokens 97% 1 / 3% 2: within the budget (was 1.5e-2), and a 2 is never a point anomaly once seen', () => {
    const detector = new CombinedDetector();
    const next = twoValues(1, 2, 0.97)(2);
    let points = 0;
    let count = 0;
    for (let i = 0; i < N; i++) {
      if (detector.update(next(), i).anomaly) {
        count++;
        if (detector.state().lastAlertReason === 'point') points++;
      }
    }
    expect(count).toBeLessThanOrEqual(BOUND);
    // At most the first 2 after a warm-up that held none.
    expect(points).toBeLessThanOrEqual(1);
  });

  it('a lognormal signal through monitor.observe at defaults (linear scale declared): within the budget (was 389 in 100,000)', () => {
    monitor = createMonitor({ resources: false, otel: false, prometheus: false });
    let count = 0;
    monitor.on('anomaly', () => count++);
    const next = lognormal(3);
    for (let i = 0; i < N; i++) monitor.observe('reply_ms', next());
    expect(count).toBeLessThanOrEqual(BOUND);
  });

  it('Pareto (α 2.5) and Poisson counts: within the budget, per-call and series detectors', () => {
    expect(alerts(new CombinedDetector(), pareto(4), N)).toBeLessThanOrEqual(BOUND);
    expect(alerts(new CombinedDetector(), poisson4(5), N)).toBeLessThanOrEqual(BOUND);
    expect(alerts(new SeriesDetector(), pareto(6), N)).toBeLessThanOrEqual(BOUND);
  });

  it("tails heavy on both sides (Student's t with 3 degrees of freedom, a Cauchy): within the budget, per-call detector and monitor.observe (were 11 and 85 × it)", () => {
    expect(alerts(new CombinedDetector(), studentT(3)(7), N)).toBeLessThanOrEqual(BOUND);
    expect(alerts(new CombinedDetector(), studentT(1)(8), N)).toBeLessThanOrEqual(BOUND);
    monitor = createMonitor({ resources: false, otel: false, prometheus: false });
    let count = 0;
    monitor.on('anomaly', () => count++);
    const next = studentT(1)(9);
    for (let i = 0; i < N; i++) monitor.observe('delta_ms', next());
    expect(count).toBeLessThanOrEqual(BOUND);
  });

  it('consecutive values correlated (AR(1), φ 0.5 and 0.9): within the budget, per-call detector (φ 0.5 was 53 × it)', () => {
    for (const [phi, seed] of [[0.5, 12], [0.9, 13]] as const) expect(alerts(new CombinedDetector(), ar(phi)(seed), N)).toBeLessThanOrEqual(BOUND);
  });

  it('a spike far beyond a heavy-tailed signal is still a point anomaly, and the same spike on normal data is found as before', () => {
    // The likelihood stage tempers a value beyond the history by what the signal has shown: a Cauchy's
    // history holds values 100 scales out, so a spike must go further; a normal signal's does not.
    for (const [family, spike] of [
      [studentT(1)(10), 1e7],
      [(() => { const g = normal(11); return () => 100 + 10 * g(); })(), 170],
    ] as const) {
      const detector = new CombinedDetector();
      for (let i = 0; i < 20_000; i++) detector.update(family(), i);
      expect(detector.update(spike, 20_000).anomaly).toBe(true);
      expect(detector.state().lastAlertReason).toBe('point');
    }
  });

  it('a constant never alerts; a move off it is found in a few values, one value off it only once the constant has held past the point budget', () => {
    // A history of one value has no scale: the first other value after n equal ones is 1 in n + 1.
    const detector = new CombinedDetector();
    expect(alerts(detector, () => 42, 10_000)).toBe(0);
    expect(detector.update(60, 10_000).anomaly).toBe(false);
    let at = 0;
    for (let j = 1; j <= 10 && at === 0; j++) if (detector.update(60, 10_000 + j).anomaly) at = j;
    expect(at).toBeGreaterThan(0);
    expect(at).toBeLessThanOrEqual(5);
    // The point test's share of the default budget is 2.5e-5: past 40,000 equal values, one is enough.
    const long = new CombinedDetector();
    expect(alerts(long, () => 42, 50_000)).toBe(0);
    expect(long.update(60, 50_000).anomaly).toBe(true);
    expect(long.state().lastAlertReason).toBe('point');
  });

  it('a rare count the warm-up did not see is not a point alert when it first comes (was 8e-4 per observation in the first 300)', () => {
    // 97% 1 / 3% 2: one warm-up in six sees no 2.
    let alarms = 0;
    for (let s = 0; s < STREAMS; s++) alarms += alerts(new CombinedDetector(), twoValues(1, 2, 0.97)(300 + s), START);
    expect(alarms).toBeLessThanOrEqual(START_BOUND);
  });
});

describe('an incident soon after the warm-up', () => {
  /**
   * Latencies (ms) as the monitor feeds them (log scale, offset 1, up), the default warm-up (60): from
   * call 80, 10 calls at `factor` times the median. Whether an alert came within them.
   */
  function found(seed: number, factor: number, baseline: (u: () => number, g: () => number) => number): boolean {
    const u = uniform(seed);
    const g = normal(seed + 40);
    const detector = new CombinedDetector({ scale: 'log', logOffset: 1, direction: 'up' });
    for (let i = 0; i < 90; i++) {
      const ms = i >= 80 ? 18 * factor * (1 + 0.05 * u()) : baseline(u, g);
      if (detector.update(ms, i).anomaly && i >= 80) return true;
    }
    return false;
  }

  it('is found within its 10 calls, however far past the history it lies (lognormal latencies, ×5: was missed in 93 of 200)', () => {
    // Past the history's range the point test's p is tempered by the signal's few surprises so far;
    // once three of the incident's own values had come, its z fell below a value just inside the range.
    const lognormal = (_u: () => number, g: () => number) => 18 * Math.exp(0.3 * g());
    for (const factor of [3, 5, 16]) {
      let hits = 0;
      for (let s = 0; s < 100; s++) if (found(50 + s, factor, lognormal)) hits++;
      expect(hits, `×${factor}`).toBeGreaterThanOrEqual(97);
    }
  });

  it('stalls that recur in the warm-up of correlated latencies do not hide a tenfold incident at their level (the charts seeded with the warm-up\'s autocorrelation found it in 45 of 100)', () => {
    // Stalls at 5 random places of the warm-up's later two thirds are within the history's range, so the
    // incident is left to the charts: they must not be slowed by a correlation the warm-up's few dozen
    // values cannot vouch for (bench/results/detect.md, "a correlated signal's start-up, again").
    for (const warmup of [30, 60]) {
      let hits = 0;
      for (let s = 0; s < 100; s++) {
        const u = uniform(700 + s);
        const g = normal(707 + s);
        const detector = new CombinedDetector({ warmup, cooldown: 10, scale: 'log', direction: 'up' });
        const stalls = new Set(Array.from({ length: 5 }, () => Math.floor(warmup / 3) + Math.floor(u() * ((warmup * 2) / 3))));
        const from = warmup + 10;
        let e = 0;
        for (let i = 0; i < from + 24; i++) {
          e = 0.7 * e + 5 * Math.sqrt(1 - 0.49) * g();
          const ms = (i >= from ? 400 : stalls.has(i) ? 250 + 350 * u() : 40 + e) - 2 * Math.log(1 - u());
          if (detector.update(ms / 1000, i).anomaly && i >= from) {
            hits++;
            break;
          }
        }
      }
      expect(hits, `warm-up ${warmup}`).toBeGreaterThanOrEqual(95);
    }
  });
});

describe('detection delay after a shift of the mean, default per-call detector', () => {
  /** Mean observations from the shift to the alert over `seeds` streams (the mean moved by `shift` sd). */
  function meanDelay(family: Family, sd: number, shift: number, seeds: number): number {
    let total = 0;
    for (let s = 0; s < seeds; s++) {
      const detector = new CombinedDetector();
      const next = family(100 + s);
      for (let i = 0; i < 1000; i++) detector.update(next(), i);
      let delay = 1000;
      for (let j = 0; j < 1000; j++) {
        if (detector.update(next() + shift * sd, 1000 + j).anomaly) {
          delay = j + 1;
          break;
        }
      }
      total += delay;
    }
    return total / seeds;
  }
  const lognormalSd = 800 * Math.sqrt((Math.exp(0.35 ** 2) - 1) * Math.exp(0.35 ** 2));

  it('one standard deviation: within 20 observations on average (lognormal, Pareto, two token counts)', () => {
    expect(meanDelay(lognormal, lognormalSd, 1, 60)).toBeLessThanOrEqual(20);
    expect(meanDelay(pareto, 100 * Math.sqrt(2.5 / (1.5 ** 2 * 0.5)), 1, 60)).toBeLessThanOrEqual(20);
    expect(meanDelay(twoValues(12, 10, 0.9), 0.6, 1, 60)).toBeLessThanOrEqual(20);
  });

  it('two standard deviations: within 8 observations on average (lognormal)', () => {
    expect(meanDelay(lognormal, lognormalSd, 2, 60)).toBeLessThanOrEqual(8);
  });
});
