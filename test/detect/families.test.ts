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

describe('a burst of stalled calls in the warm-up', () => {
  /**
   * Latencies (s) as a call signal sees them: correlated (`phi`) around 40 ms, sd 5 ms, plus a few ms
   * of scheduling noise; a burst of `burst` stalls of 250 to 600 ms somewhere in the warm-up's later
   * two thirds; then 24 calls of 400 ms starting 10 calls after the warm-up. The calls from the
   * incident's start to its first alert, or undefined.
   */
  function incident(seed: number, phi: number, burst: number, warmup: number): number | undefined {
    const u = uniform(seed);
    const g = normal(seed + 7);
    const detector = new CombinedDetector({ warmup, cooldown: 10, scale: 'log', direction: 'up' });
    const at = Math.floor(warmup / 3) + Math.floor(u() * ((warmup * 2) / 3));
    const from = warmup + 10;
    let e = 0;
    for (let i = 0; i < from + 24; i++) {
      e = phi * e + 5 * Math.sqrt(1 - phi * phi) * g();
      let ms = i >= from ? 400 : 40 + e;
      if (i >= at && i < at + burst) ms = 250 + 350 * u();
      ms += -2 * Math.log(1 - u());
      if (detector.update(ms / 1000, i).anomaly && i >= from) return i - from;
    }
    return undefined;
  }

  it('does not hide a later tenfold incident at its level, on correlated latencies (was found later by the charts: at its first call in none of 100)', () => {
    // The stalls judged again at the warm-up's end, as each later value is judged, and kept out of the
    // history: the incident's first call is then beyond the history's range, a point alert. (With the
    // charts' autocorrelation seeded from the warm-up and the stalls kept, it was found within 24 calls
    // in only 49 and 58 of 100: bench/results/detect.md.)
    for (const warmup of [30, 60]) {
      const delays = Array.from({ length: 100 }, (_, s) => incident(700 + s, 0.7, 4, warmup));
      const found = delays.filter((d) => d !== undefined) as number[];
      expect(found.length, `warm-up ${warmup}`).toBeGreaterThanOrEqual(97);
      expect(found.filter((d) => d === 0).length, `warm-up ${warmup}`).toBeGreaterThanOrEqual(90);
    }
  });

  it('stays in the history when it recurs: a level reached in three separate episodes is the signal\'s own, not a spike', () => {
    // Stalls of 300 ms at three separate places in the warm-up (60), then one more: within the range
    // the warm-up saw, so not a point alert; the same warm-up with one stall drops it, and the next is one.
    const run = (stalls: number[]) => {
      const u = uniform(41);
      const detector = new CombinedDetector({ scale: 'log', direction: 'up' });
      for (let i = 0; i < 80; i++) detector.update((stalls.includes(i) ? 300 : 35 + 10 * u()) / 1000, i);
      return detector.update(0.3, 80).anomaly;
    };
    expect(run([25, 40, 55])).toBe(false);
    expect(run([40])).toBe(true);
  });

  it('recurring stalls on correlated latencies: a tenfold incident among them is still found within 24 calls (the charts seeded from the warm-up found it in 45 to 70 of 100)', () => {
    // Stalls at 5 random places of the warm-up's later two thirds are the signal's own level and stay
    // in the history, so the incident is left to the charts: they must not be slowed by a correlation
    // the warm-up's few dozen values cannot vouch for.
    for (const warmup of [30, 60]) {
      let found = 0;
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
            found++;
            break;
          }
        }
      }
      expect(found, `warm-up ${warmup}`).toBeGreaterThanOrEqual(95);
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
