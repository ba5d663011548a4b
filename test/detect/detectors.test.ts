import { describe, expect, it } from 'vitest';
import {
  CombinedDetector,
  createDetector,
  CusumDetector,
  DETECTOR_NAMES,
  EwmaDetector,
  PageHinkleyDetector,
  RateDetector,
  RobustZDetector,
  SeriesDetector,
  SERIES_TUNING,
  type Detector,
} from '../../src/detect/index.js';
import { scoreOfRatio } from '../../src/detect/detector.js';
import { normal, poisson, uniform } from './random.js';

/** Feed n values; the indexes of the alerts. */
function run(detector: Detector, n: number, next: (i: number) => number, stepMs = 300_000): number[] {
  const alerts: number[] = [];
  for (let i = 0; i < n; i++) if (detector.update(next(i), i * stepMs).anomaly) alerts.push(i);
  return alerts;
}

describe('score calibration', () => {
  it('maps the false-alarm budget to 0.5 and its square to 0.75', () => {
    expect(scoreOfRatio(0)).toBe(0);
    expect(scoreOfRatio(1)).toBe(0.5);
    expect(scoreOfRatio(2)).toBe(0.75);
    expect(scoreOfRatio(40)).toBeLessThan(1);
  });

  it('alerts at no more than the budget rate on a stable signal, normal or heavy-tailed (robust z, no cooldown)', () => {
    const g = normal(11);
    const detector = new RobustZDetector({ falseAlarmRate: 1e-3, cooldown: 0, warmup: 200 });
    const alerts = run(detector, 200_000, () => g()).length;
    // At most about 200 (1e-3 of 199,800). The tail is taken as exponential beyond the history's top
    // tenth (ranks.ts): a normal tail is lighter, so its point alarms come out under the budget.
    expect(alerts).toBeGreaterThan(10);
    expect(alerts).toBeLessThan(280);
    // A Pareto tail (α 2.5) is exponential on the log scale, which the tail model also reads: near the budget.
    const u = uniform(12);
    const heavy = run(new RobustZDetector({ falseAlarmRate: 1e-3, cooldown: 0, warmup: 200 }), 200_000, () => Math.pow(1 - u(), -1 / 2.5)).length;
    expect(heavy).toBeGreaterThan(100);
    expect(heavy).toBeLessThan(280);
  });
});

describe('the default (combined) detector', () => {
  it('scores 0 and never alerts during the warm-up', () => {
    const detector = new CombinedDetector({ warmup: 50 });
    for (let i = 0; i < 49; i++) {
      const r = detector.update(i % 2 === 0 ? 1 : 1000, i);
      expect(r).toEqual({ score: 0, anomaly: false });
    }
    expect(detector.state().phase).toBe('warming_up');
  });

  it('stays quiet on a stable normal signal: ARL0 of the order of 1 / falseAlarmRate', () => {
    const g = normal(3);
    const alerts = run(new CombinedDetector(), 50_000, () => 10 + 2 * g());
    // 1e-4 per observation: about 5 expected in 50,000.
    expect(alerts.length).toBeLessThanOrEqual(12);
  });

  it('finds a 2σ level shift within 15 observations, as a level_up, and alerts once for it', () => {
    const g = normal(5);
    const detector = new CombinedDetector();
    const alerts = run(detector, 1500, (i) => g() + (i >= 1000 ? 2 : 0));
    const after = alerts.filter((i) => i >= 1000);
    expect(after.length).toBe(1);
    expect(after[0] - 1000).toBeLessThan(15);
    expect(detector.state().lastAlertReason).toBe('level_up');
    // The baseline was learnt again at the new level.
    expect(detector.expected()).toBeCloseTo(2, 0);
  });

  it('learns the new level during the cooldown after a level alert, and watches again right after it', () => {
    const g = normal(6);
    const detector = new CombinedDetector({ warmup: 60, cooldown: 20 });
    let at = 0;
    while (!detector.update(50 + g() + (at >= 500 ? 3 : 0), at).anomaly) at++;
    expect(at).toBeGreaterThanOrEqual(500);
    expect(at).toBeLessThan(510);
    expect(detector.state().lastAlertReason).toBe('level_up');
    // Learnt again from the 20 values of the cooldown (not from a new 60-value warm-up, which
    // would leave it blind 60 observations, then 20 more of cooldown).
    expect(detector.state().phase).toBe('cooling_down');
    for (let i = 1; i <= 20; i++) {
      expect(detector.update(53 + g(), at + i).anomaly).toBe(false);
      expect(detector.state().phase).toBe('warming_up');
    }
    expect(detector.expected()).toBeCloseTo(53, 0);
    // A spike the next moment is caught, against the new baseline (learnt from 20 values, its tail is
    // uncertain: 12σ is not yet beyond the point budget there, 30σ is).
    expect(detector.update(83, at + 21).anomaly).toBe(true);
    expect(detector.state().lastAlertReason).toBe('point');
    expect(detector.state().lastAlertTime).toBe(at + 21);
  });

  it('finds one large spike as a point anomaly and keeps its baseline', () => {
    const g = normal(8);
    const detector = new CombinedDetector();
    run(detector, 500, () => 100 + g());
    const spike = detector.update(130, 500);
    expect(spike.anomaly).toBe(true);
    expect(spike.score).toBeGreaterThan(0.9);
    expect(detector.state().lastAlertReason).toBe('point');
    expect(detector.expected()).toBeCloseTo(100, 0);
    expect(detector.update(100, 501).anomaly).toBe(false);
  });

  it('finds the spread growing without the level moving', () => {
    const g = normal(21);
    const detector = new CombinedDetector();
    const alerts = run(detector, 1400, (i) => (i >= 1000 ? 3 : 1) * g());
    expect(alerts.some((i) => i >= 1000 && i < 1100)).toBe(true);
  });

  it('works on a log scale for latencies: the baseline is their median, in milliseconds', () => {
    const g = normal(9);
    const detector = new CombinedDetector({ scale: 'log', direction: 'up' });
    // Lognormal latencies, median 200 ms.
    const alerts = run(detector, 3000, () => 200 * Math.exp(0.3 * g()));
    expect(alerts.length).toBeLessThanOrEqual(2);
    expect(detector.expected()! / 200).toBeCloseTo(1, 1);
    // Twice as slow for a while: found, and faster calls never alert with direction "up".
    const slow = run(detector, 100, () => 400 * Math.exp(0.3 * g()));
    expect(slow.length).toBeGreaterThan(0);
    const fresh = new CombinedDetector({ scale: 'log', direction: 'up' });
    run(fresh, 500, () => 200 * Math.exp(0.3 * g()));
    expect(run(fresh, 200, () => 50 * Math.exp(0.3 * g())).length).toBe(0);
  });

  it('needs `persistence` anomalous observations in a row', () => {
    const g = normal(4);
    const detector = new CombinedDetector({ persistence: 3 });
    run(detector, 300, () => g());
    expect(detector.update(50, 300).anomaly).toBe(false);
    expect(detector.update(0, 301).anomaly).toBe(false);
    expect(detector.update(50, 302).anomaly).toBe(false);
    expect(detector.update(50, 303).anomaly).toBe(false);
    expect(detector.update(50, 304).anomaly).toBe(true);
  });

  it('holds further alerts during the cooldown', () => {
    const g = normal(6);
    const detector = new CombinedDetector({ cooldown: 10 });
    run(detector, 300, () => g());
    expect(detector.update(40, 300).anomaly).toBe(true);
    expect(detector.state().phase).toBe('cooling_down');
    for (let i = 1; i <= 10; i++) expect(detector.update(i === 5 ? 40 : 0, 300 + i).anomaly).toBe(false);
    expect(detector.update(40, 311).anomaly).toBe(true);
  });

  it('ignores NaN and infinities', () => {
    const detector = new CombinedDetector({ warmup: 5 });
    for (const v of [1, 2, NaN, 3, Infinity, -Infinity, 4]) detector.update(v);
    expect(detector.state().observations).toBe(4);
  });

  it('reports its state and forgets it on reset', () => {
    const g = normal(7);
    const detector = new CombinedDetector({ warmup: 20 });
    run(detector, 100, () => 5 + g());
    const state = detector.state();
    expect(state).toMatchObject({ detector: 'combined', phase: 'watching', observations: 100, alerts: 0 });
    expect(state.expected).toBeCloseTo(5, 0);
    expect(state.spread).toBeGreaterThan(0.5);
    detector.reset();
    expect(detector.state()).toMatchObject({ phase: 'warming_up', observations: 0, expected: undefined });
  });

  it('reports as its typical value and spread the median and interquartile range of the values it kept', () => {
    // 1..400 once each (no spike: each is inside the history's range when it comes): the kept values
    // are the last 400 accepted, so the median is 200.5 and the IQR (300.25 - 100.75) / 1.349.
    const detector = new CombinedDetector({ warmup: 20, memory: 500, falseAlarmRate: 1e-9 });
    const values = Array.from({ length: 400 }, (_, i) => ((i * 7919) % 400) + 1);
    for (let i = 0; i < values.length; i++) detector.update(values[i], i);
    const state = detector.state();
    expect(state.alerts).toBe(0);
    expect(state.expected).toBeCloseTo(200.5, 9);
    expect(state.spread).toBeCloseTo((300.25 - 100.75) / 1.349, 9);
    // A count that is mostly one value (IQR 0): the mean absolute deviation stands in, 1.2533 × 3 × 10% here.
    const counts = new CombinedDetector({ warmup: 20, memory: 100, falseAlarmRate: 1e-9 });
    for (let i = 0; i < 100; i++) counts.update(i % 10 === 0 ? 13 : 10, i);
    expect(counts.state().expected).toBe(10);
    expect(counts.state().spread).toBeCloseTo(1.2533 * 0.3, 9);
    // A constant still has a unit: a millionth of its size.
    const flat = new CombinedDetector({ warmup: 20 });
    for (let i = 0; i < 50; i++) flat.update(7, i);
    expect(flat.state().spread).toBeCloseTo(7e-6, 12);
  });

  it('gives every detector a result object of one shape, that reads, spreads and compares as { score, anomaly }', () => {
    const a = new CombinedDetector({ warmup: 5 });
    const b = new RateDetector({ warmup: 5 });
    const ra = a.update(1, 0);
    const rb = b.update(0, 0);
    expect(ra).toEqual({ score: 0, anomaly: false });
    expect({ ...rb }).toEqual({ score: 0, anomaly: false });
    expect(Object.keys(ra)).toEqual(['score', 'anomaly']);
    // One getter for every result (what gives them one hidden class), reading each result's own ratio.
    const getter = (r: object) => Object.getOwnPropertyDescriptor(r, 'score')!.get;
    expect(getter(ra)).toBe(getter(rb));
    const spike = new CombinedDetector({ warmup: 20 });
    const g = normal(3);
    run(spike, 200, () => g());
    const hit = spike.update(60, 200);
    expect(hit.anomaly).toBe(true);
    expect(hit.score).toBeGreaterThan(0.5);
    expect(ra.score).toBe(0);
  });
});

describe('the other detectors', () => {
  for (const [name, make] of [
    ['cusum', () => new CusumDetector()],
    ['ewma', () => new EwmaDetector()],
    ['page-hinkley', () => new PageHinkleyDetector()],
  ] as const) {
    it(`${name}: quiet on a stable signal, finds a 1σ shift within 60 observations`, () => {
      const g = normal(31);
      const detector = make();
      expect(detector.name).toBe(name);
      const quiet = run(detector, 20_000, () => g());
      expect(quiet.length).toBeLessThanOrEqual(6);
      const shifted = make();
      const alerts = run(shifted, 1100, (i) => g() + (i >= 1000 ? 1 : 0)).filter((i) => i >= 1000);
      expect(alerts.length).toBeGreaterThan(0);
      expect(alerts[0] - 1000).toBeLessThan(60);
    });
  }

  it('robust-z: finds single outliers but follows a slow level change', () => {
    const g = normal(12);
    const detector = new RobustZDetector();
    const alerts = run(detector, 5000, (i) => i / 500 + g() + (i === 3000 ? 12 : 0));
    expect(alerts).toContain(3000);
    expect(alerts.length).toBeLessThanOrEqual(3);
  });

  it('rate: quiet at a steady 5% error rate, alerts within 40 calls when it jumps to 30%', () => {
    const u = uniform(99);
    const detector = new RateDetector();
    const quiet = run(detector, 20_000, () => (u() < 0.05 ? 1 : 0));
    expect(quiet.length).toBeLessThanOrEqual(4);
    expect(detector.expected()).toBeCloseTo(0.05, 1);
    const burst = run(detector, 200, () => (u() < 0.3 ? 1 : 0));
    expect(burst.length).toBeGreaterThan(0);
    expect(burst[0]).toBeLessThan(40);
    expect(detector.state().lastAlertReason).toBe('rate');
  });

  it('rate: after a clean warm-up, a burst of failures still alerts, a lone one does not', () => {
    const detector = new RateDetector();
    run(detector, 500, () => 0);
    expect(detector.update(1).anomaly).toBe(false);
    const burst = run(detector, 10, () => 1);
    expect(burst.length).toBe(1);
  });

  it('creates each detector by name, and names the known ones for an unknown one', () => {
    for (const name of DETECTOR_NAMES) expect(createDetector(name).name).toBe(name);
    expect(() => createDetector('prophet')).toThrow(/unknown detector "prophet" \(known: series, combined, robust-z/);
  });

  it('rejects bad options with a TypeError naming the option', () => {
    expect(() => new CombinedDetector({ warmup: 2 })).toThrow(/option "warmup" must be an integer from 5/);
    expect(() => new CombinedDetector({ falseAlarmRate: 0 })).toThrow(/option "falseAlarmRate"/);
    expect(() => new CombinedDetector({ scale: 'cubic' as never })).toThrow(/option "scale" must be "linear" or "log"/);
    expect(() => new CusumDetector({ shift: -1 })).toThrow(/option "shift"/);
    expect(() => new EwmaDetector({ lambda: 2 })).toThrow(/option "lambda"/);
    expect(() => new RateDetector({ increase: 1 })).toThrow(/option "increase"/);
  });
});

describe('the time-series detector', () => {
  const FIVE_MINUTES = 300_000;
  /** A day of 288 five-minute values: low at night, high by day, with noise. */
  const daily = (g: () => number, i: number) => (i % 288 >= 96 && i % 288 < 216 ? 80 : 20) + g();

  it('learns a daily pattern from the timestamps: its steps do not alert, a missing day-time high does', () => {
    const g = normal(41);
    const detector = new SeriesDetector({ warmup: 600 });
    const quiet = run(detector, 288 * 10, (i) => daily(g, i)).map((i) => i);
    expect(quiet.filter((i) => i >= 600)).toHaveLength(0);
    // The same day again, but the high never comes.
    const start = 288 * 10;
    const alerts: number[] = [];
    for (let i = start; i < start + 288; i++) {
      if (detector.update(i % 288 >= 96 && i % 288 < 216 ? 20 + g() : daily(g, i), i * FIVE_MINUTES).anomaly) alerts.push(i % 288);
    }
    expect(alerts.length).toBeGreaterThan(0);
    expect(alerts[0]).toBeGreaterThanOrEqual(96);
    expect(alerts[0]).toBeLessThan(110);
  });

  it('without timestamps (or period: false) it has no seasonal model: the daily step is not foreseen', () => {
    const seasonal = new SeriesDetector({ warmup: 600 });
    const plain = new SeriesDetector({ warmup: 600, period: false });
    const g = normal(42);
    for (let i = 0; i <= 288 * 10 + 96; i++) {
      const value = daily(g, i);
      seasonal.update(value, i * FIVE_MINUTES);
      plain.update(value, i * FIVE_MINUTES);
    }
    // Row 96 of the day: the high begins. The seasonal model expected it (yesterday's value); the
    // level model expected the night's level from the previous value.
    expect(seasonal.expected()).toBeGreaterThan(70);
    expect(plain.expected()).toBeLessThan(30);
  });

  it('is quiet on a strongly autocorrelated series and finds a jump in it', () => {
    const g = normal(43);
    const detector = new SeriesDetector({ warmup: 200 });
    let x = 0;
    const quiet = run(detector, 20_000, () => (x = 0.9 * x + g()));
    expect(quiet.length).toBeLessThanOrEqual(4);
    const jump = run(detector, 50, (i) => (x = 0.9 * x + g()) + (i >= 10 ? 15 : 0));
    expect(jump[0]).toBe(10);
  });

  it('learns that regular bursts are this series\' normal, and still alerts on a much larger one', () => {
    const g = normal(44);
    const detector = new SeriesDetector({ warmup: 300, period: false });
    const alerts = run(detector, 6000, (i) => 10 + g() + (i % 97 === 0 ? 12 : 0));
    // The first bursts after the warm-up may alert; once they are history, they do not.
    expect(alerts.filter((i) => i >= 3000)).toHaveLength(0);
    expect(detector.update(10 + 60, 6000).anomaly).toBe(true);
  });

  it('scores a value beyond everything seen (by 5% of the range and one standard deviation) 1, as `range`', () => {
    const g = uniform(45);
    const detector = new SeriesDetector({ warmup: 100, period: false });
    // Values in [10, 20): the range seen is about 10, the standard deviation about 2.9 (10 / √12), so
    // the tolerance is the standard deviation.
    const alerts = run(detector, 2000, () => 10 + 10 * g());
    expect(alerts).toHaveLength(0);
    // Beyond the maximum by more than 5% of the range but less than the standard deviation: not out of range.
    const near = detector.update(22, 2000);
    expect(near.score).toBeLessThan(0.5);
    // 22 is now the maximum: beyond it by more than the standard deviation is out of range.
    const beyond = detector.update(26, 2001);
    expect(beyond.score).toBe(1);
    expect(beyond.anomaly).toBe(true);
    expect(detector.state().lastAlertReason).toBe('range');
    // Below the minimum, after the cooldown: the rule works both ways.
    run(detector, 40, () => 10 + 10 * g());
    const below = detector.update(6.5, 3000);
    expect(below.score).toBe(1);
    expect(detector.state().lastAlertReason).toBe('range');
    // The range now spans [6.5, 26]: 28 is within a standard deviation of its maximum.
    expect(detector.update(28, 3001).score).toBeLessThan(1);
    // With a direction, only that side counts.
    const up = new SeriesDetector({ warmup: 100, period: false, direction: 'up' });
    const h = uniform(46);
    run(up, 2000, () => 10 + 10 * h());
    expect(up.update(2, 2000).score).toBeLessThan(0.5);
    expect(up.update(30, 2001).score).toBe(1);
  });

  it('calls a positive series falling under a fifth of its smallest value out of range (an outage), which the linear rule cannot see', () => {
    // Values in [1, 21): the linear rule's low side is min - max(range share × 20, sd ≈ 5.8) < 0, so no
    // value can ever be out of range downwards on it.
    const outage = (tuning: { floorRatio: number }, drop: number, options: { direction?: 'up' | 'down' } = {}) => {
      const g = uniform(47);
      const detector = new SeriesDetector({ warmup: 100, period: false, tuning, ...options });
      const alerts = run(detector, 2000, () => 1 + 20 * g());
      const r = detector.update(drop, 2000);
      return { alerts, score: r.score, reason: detector.state().lastAlertReason };
    };
    const on = outage({ floorRatio: 0.2 }, 0.05);
    expect(on.alerts).toHaveLength(0);
    expect(on.score).toBe(1);
    expect(on.reason).toBe('range');
    // A drop to exactly 0 is under any share of a positive minimum too.
    expect(outage({ floorRatio: 0.2 }, 0).score).toBe(1);
    // Off: the same drop is an ordinary low value (z about -1.9).
    expect(outage({ floorRatio: 0 }, 0.05).score).toBeLessThan(0.5);
    // Above a fifth of the smallest value (about 1.0): not out of range.
    expect(outage({ floorRatio: 0.2 }, 0.5).score).toBeLessThan(0.5);
    // Watching upward moves only: not reported.
    expect(outage({ floorRatio: 0.2 }, 0.05, { direction: 'up' }).score).toBeLessThan(0.5);
    // A series that has once been 0 or below is not a positive quantity: the rule stays off for good.
    const g = uniform(48);
    const crossed = new SeriesDetector({ warmup: 100, period: false, tuning: { floorRatio: 0.2 } });
    run(crossed, 2000, (i) => (i === 50 ? 0 : 1 + 20 * g()));
    expect(crossed.update(0.05, 2000).score).toBeLessThan(0.5);
    const h = uniform(49);
    const negative = new SeriesDetector({ warmup: 100, period: false, tuning: { floorRatio: 0.2 } });
    run(negative, 2000, (i) => (i === 50 ? -1 : 1 + 20 * h()));
    // -0.5 is within the range [-1, 21) the series has shown.
    expect(negative.update(-0.5, 2000).score).toBeLessThan(0.5);
    expect(() => new SeriesDetector({ tuning: { floorRatio: 1 } })).toThrow(/option "tuning.floorRatio"/);
    expect(() => new SeriesDetector({ tuning: { floorRatio: -0.1 } })).toThrow(/option "tuning.floorRatio"/);
  });

  it('finds a slow rise the forecasts follow, within the range and among known bursts, by the shift window (tuning.shiftWindow)', () => {
    // Counts around 3 with a spike of +150 every 700 values (the range reaches far above) and a burst of
    // +20 for 4 values every 700 (windows of high surprise are this series' normal); then the level
    // rises from 3 to 18 over 200 values and stays. Each value is close to its one-step forecast, and
    // never beyond the range: only the recent values' place in the longer history shows the move.
    const firstAfterRise = (shiftWindow: number, seed: number) => {
      const u = uniform(seed);
      const detector = new SeriesDetector({ warmup: 600, period: false, tuning: { shiftWindow } });
      const alerts = run(detector, 5400, (i) => {
        if (i >= 5000) return poisson(u, 3 + Math.min(1, (i - 5000) / 200) * 15);
        return poisson(u, 3) + (i % 700 === 350 ? 150 : 0) + (i % 700 >= 500 && i % 700 < 504 ? 20 : 0);
      });
      return { found: alerts.find((i) => i >= 5000), before: alerts.filter((i) => i >= 2000 && i < 5000).length };
    };
    const seeds = [1, 2, 3, 4, 5, 6, 7, 8];
    const on = seeds.map((seed) => firstAfterRise(30, seed));
    const off = seeds.map((seed) => firstAfterRise(0, seed));
    // With the shift window: found within 60 values of the rise's start on every seed (the level is then
    // under 7.5, half way up), and no more alerts before it than without.
    for (const r of on) expect(r.found! - 5000).toBeLessThanOrEqual(60);
    expect(on.reduce((n, r) => n + r.before, 0)).toBeLessThanOrEqual(off.reduce((n, r) => n + r.before, 0) + 1);
    // Without it, the same rise is missed, or found past 150 values, on at least half the seeds.
    expect(off.filter((r) => r.found === undefined || r.found - 5000 > 150).length).toBeGreaterThanOrEqual(4);
  });

  it('raises one alert for a level that moves and comes back: the shift window does not call the return a second incident', () => {
    // An AR(1) series (φ 0.8, sd about 1.7) moves up by 3 for 400 values, then back.
    const outcome = (seed: number, shiftWindow: number) => {
      const g = normal(seed);
      const detector = new SeriesDetector({ warmup: 600, period: false, tuning: { shiftWindow } });
      const alerts: { i: number; reason: string }[] = [];
      let x = 0;
      for (let i = 0; i < 5000; i++) {
        x = 0.8 * x + g();
        if (detector.update(100 + x + (i >= 3000 && i < 3400 ? 3 : 0), i * 60_000).anomaly) alerts.push({ i, reason: detector.state().lastAlertReason });
      }
      return {
        found: alerts.some((a) => a.i >= 3000 && a.i < 3100 && a.reason === 'level_up'),
        recovery: alerts.filter((a) => a.i >= 3400 && a.i < 3500).length,
        before: alerts.filter((a) => a.i >= 1000 && a.i < 3000).length,
      };
    };
    const seeds = [1, 2, 3, 4, 5, 6, 7, 8];
    const on = seeds.map((seed) => outcome(seed, 30));
    const off = seeds.map((seed) => outcome(seed, 0));
    // Found within 100 values on at least 5 of 8 seeds (the forecasts' statistics alone: fewer).
    expect(on.filter((r) => r.found).length).toBeGreaterThanOrEqual(5);
    expect(off.filter((r) => r.found).length).toBeLessThan(on.filter((r) => r.found).length);
    // No alert in the 100 values after the level returns, and none before the move.
    expect(on.reduce((n, r) => n + r.recovery, 0)).toBe(0);
    expect(on.reduce((n, r) => n + r.before, 0)).toBe(0);
  });

  it('rejects a bad period', () => {
    expect(() => new SeriesDetector({ period: 1 })).toThrow(/option "period"/);
  });

  it('takes its constants from `tuning` (what the NAB folds refit), and rejects bad ones by name', () => {
    expect(SERIES_TUNING).toEqual({ window: 30, rangeTolerance: 0.05, seasonalAdvantage: 0.8, tailShare: 0.02, floorRatio: 0.2, shiftWindow: 30, shiftHistory: 1000, pointShare: 0.5, patternSpan: 0.125 });
    // The same stream and value as above: with a tolerance of three times the range seen (about 30),
    // 26 is no longer out of range; with the shipped one it is.
    const scoreOf26 = (tuning?: { rangeTolerance: number }) => {
      const g = uniform(45);
      const detector = new SeriesDetector({ warmup: 100, period: false, tuning });
      run(detector, 2000, () => 10 + 10 * g());
      detector.update(22, 2000);
      return detector.update(26, 2001).score;
    };
    expect(scoreOf26()).toBe(1);
    expect(scoreOf26({ rangeTolerance: 3 })).toBeLessThan(1);
    expect(() => new SeriesDetector({ tuning: { window: 1 } })).toThrow(/option "tuning.window"/);
    expect(() => new SeriesDetector({ tuning: { window: 2.5 } })).toThrow(/option "tuning.window"/);
    expect(() => new SeriesDetector({ tuning: { tailShare: 0 } })).toThrow(/option "tuning.tailShare"/);
    expect(() => new SeriesDetector({ tuning: { shiftWindow: -1 } })).toThrow(/option "tuning.shiftWindow"/);
    expect(() => new SeriesDetector({ tuning: { pointShare: 1 } })).toThrow(/option "tuning.pointShare"/);
    expect(() => new SeriesDetector({ tuning: { shiftHistory: 100.5 } })).toThrow(/option "tuning.shiftHistory"/);
    expect(() => new SeriesDetector({ tuning: { shiftWindow: 100, shiftHistory: 150 } })).toThrow(/option "tuning.shiftHistory".*at least twice tuning.shiftWindow/);
    expect(() => new SeriesDetector({ tuning: { shift: 1 } as never })).toThrow(/option "tuning.shift"/);
  });
});
