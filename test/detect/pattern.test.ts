import { describe, expect, it } from 'vitest';
import { SERIES_TUNING, SeriesDetector } from '../../src/detect/index.js';
import { normal, poisson, uniform } from './random.js';

// The `series` detector's pattern window (src/detect/series-pattern.ts) on daily series sampled every
// 5 minutes (288 points a day), with a warm-up that holds a day so the seasonal model is on. Before it,
// a level shift smaller than the daily swing went unseen: the level model follows it step by step and
// the shift window ranks the new values among a whole day's range.
const DAY = 288;
const START = Date.UTC(2026, 0, 5); // a Monday

interface Day {
  /** The value at point i of the stream (i counts from 0 at START). */
  value: (i: number) => number;
}

/** Alerts (index, reason) of the default `series` detector over `days` days of `stream`. */
function alertsOf(stream: Day, days: number, tuning?: { patternSpan: number }, falseAlarmRate?: number): { index: number; reason: string }[] {
  const detector = new SeriesDetector({ warmup: 1500, tuning, ...(falseAlarmRate === undefined ? {} : { falseAlarmRate }) });
  const alerts: { index: number; reason: string }[] = [];
  for (let i = 0; i < days * DAY; i++) {
    if (detector.update(stream.value(i), START + i * 300_000).anomaly) alerts.push({ index: i, reason: detector.state().lastAlertReason });
  }
  return alerts;
}

/** A daily sine of ±20 around 100 with normal noise σ 3; `change` adds to the clean curve from a point on. */
function sine(seed: number, change?: (i: number, curve: number) => number): Day {
  const g = normal(seed);
  return {
    value: (i) => {
      const curve = 100 + 20 * Math.sin((2 * Math.PI * i) / DAY);
      return (change === undefined ? curve : change(i, curve)) + 3 * g();
    },
  };
}

const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8];

/** The same sine, 30 lower on Saturdays and Sundays (START is a Monday). */
function weekly(seed: number): Day {
  const g = normal(seed);
  return { value: (i) => 100 + 20 * Math.sin((2 * Math.PI * i) / DAY) - (Math.floor(i / DAY) % 7 >= 5 ? 30 : 0) + 3 * g() };
}

describe('series: the pattern window on a daily series', () => {
  it('finds a level shift smaller than the daily swing within 3 hours, one alert per incident; without it, never', () => {
    const at = 20 * DAY + 100;
    const shifted = (seed: number) => sine(seed, (i, curve) => (i >= at ? curve + 9 : curve));
    for (const seed of SEEDS) {
      const alerts = alertsOf(shifted(seed), 30);
      // Nothing before the shift; one alert within 36 points (3 hours) of it, and none in the 10 days after.
      expect(alerts.filter((a) => a.index < at)).toEqual([]);
      expect(alerts.length).toBe(1);
      expect(alerts[0].index - at).toBeLessThanOrEqual(36);
      expect(alerts[0].reason).toBe('level_up');
      expect(alertsOf(shifted(seed), 30, { patternSpan: 0 })).toEqual([]);
    }
  });

  it('finds a day shaped unlike yesterday and last week (a flat holiday) once, and not the day after it', () => {
    const holiday = 20 * DAY;
    const flat = (seed: number) => sine(seed, (i, curve) => (i >= holiday && i < holiday + DAY ? 100 : curve));
    for (const seed of SEEDS) {
      const alerts = alertsOf(flat(seed), 24);
      expect(alerts.length).toBe(1);
      expect(alerts[0].index).toBeGreaterThanOrEqual(holiday);
      // Found in its first quarter (the sine's first peak flattened), in the direction it moved.
      expect(alerts[0].index - holiday).toBeLessThan(DAY / 4);
      expect(alerts[0].reason).toBe('level_down');
      expect(alertsOf(flat(seed), 24, { patternSpan: 0 })).toEqual([]);
    }
  });

  it('keeps the false-alarm budget on stable daily series (a sine, weekday/weekend steps, wandering noise, Poisson counts), the pattern window within its share', () => {
    // falseAlarmRate 1e-3 so a bound of 1.5 × the budget means something over 60 days; the pattern
    // window has a sixth of it (the point statistic a half, three window statistics the other half).
    const rate = 1e-3;
    const days = 60;
    // Noise that wanders (AR(1), φ 0.95): a window's differences from yesterday move together, far
    // wider than independent ones, which only the likelihood stage's own history of them knows.
    const wandering = (seed: number): Day => {
      const g = normal(seed);
      let e = 0;
      return { value: (i) => 100 + 20 * Math.sin((2 * Math.PI * i) / DAY) + (e = 0.95 * e + 3 * g()) };
    };
    const counts = (seed: number): Day => {
      const u = uniform(seed);
      return { value: (i) => poisson(u, 4 + 3 * Math.sin((2 * Math.PI * i) / DAY)) };
    };
    for (const [name, make] of [
      ['sine', sine],
      ['weekly', weekly],
      ['wandering', wandering],
      ['counts', counts],
    ] as const) {
      let alerts = 0;
      let without = 0;
      for (const seed of [1, 2, 3]) {
        alerts += alertsOf(make(seed), days, undefined, rate).length;
        without += alertsOf(make(seed), days, { patternSpan: 0 }, rate).length;
      }
      const watched = 3 * (days * DAY - 1500);
      // The whole detector within 1.5 × its budget, and the alerts the pattern window adds within 1.5 ×
      // its sixth (uncalibrated, its raw surprise adds 16 on the wandering series against a bound of 12).
      expect({ name, whole: alerts <= 1.5 * rate * watched, added: alerts - without <= (1.5 * rate * watched) / 6 }).toEqual({ name, whole: true, added: true });
    }
  });

  it('judges a value by last week\'s at this time when that is nearer: no alert when a weekend starts', () => {
    // Seeds on which, without the pattern window's week of values, a Saturday's first value (30 under
    // Friday's last, and under yesterday's at this time) is a point alert once the warm-up is over.
    for (const seed of [5001, 5002, 5013, 5016]) {
      const without = alertsOf(weekly(seed), 20, { patternSpan: 0 });
      expect(without.some((a) => a.reason === 'point' && a.index % DAY === 0 && Math.floor(a.index / DAY) % 7 === 5)).toBe(true);
      expect(alertsOf(weekly(seed), 20)).toEqual([]);
    }
  });

  it('still finds a spike last week did not have, and not one that last week had at the same time', () => {
    const at = 15 * DAY + 144;
    for (const seed of SEEDS) {
      // +25 (8 noise SDs, a peak of the sine higher) once; then the same spike a week later.
      const spikes = (weekToo: boolean) => sine(seed, (i, curve) => (i === at || (weekToo && i === at + 7 * DAY) ? curve + 25 : curve));
      expect(alertsOf(spikes(false), 24).map((a) => a.index)).toEqual([at]);
      expect(alertsOf(spikes(true), 24).map((a) => a.index)).toEqual([at]);
    }
  });

  it('is on by default at an eighth of a day, and `tuning.patternSpan` is checked by name', () => {
    expect(SERIES_TUNING.patternSpan).toBe(0.125);
    expect(() => new SeriesDetector({ tuning: { patternSpan: 1.5 } })).toThrow(/option "tuning.patternSpan"/);
    expect(() => new SeriesDetector({ tuning: { patternSpan: -0.1 } })).toThrow(/option "tuning.patternSpan"/);
    expect(() => new SeriesDetector({ tuning: { patternSpan: Number.NaN } })).toThrow(/option "tuning.patternSpan"/);
  });
});
