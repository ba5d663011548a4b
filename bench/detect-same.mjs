/**
 * Two builds of the detectors fed the same streams must give the same results, bit for bit: every
 * update's score and anomaly, every detector's state() along the way, and the drift monitors'
 * comparisons. For changes meant to make the detectors cheaper without changing what they detect.
 *
 *   git archive <commit> src | tar -x -C /tmp/before
 *   npx esbuild /tmp/before/src/detect/index.ts --bundle --platform=node --format=esm --outfile=/tmp/before/detect.js
 *   npx esbuild src/detect/index.ts --bundle --platform=node --format=esm --outfile=/tmp/after/detect.js
 *   node bench/detect-same.mjs /tmp/before/detect.js /tmp/after/detect.js [--n 20000] [--ignore-state expected,spread]
 *
 * `--ignore-state` leaves the named fields of state() out of the comparison, for a change that means
 * to report them differently (what is detected, the scores and alerts, is still compared bit for bit).
 * Prints one line per stream and detector that differs (the first difference), and a summary; exit
 * status 1 when any differs.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { normal, uniform } from './random.mjs';

const [beforePath, afterPath] = process.argv.slice(2);
const nArg = process.argv.indexOf('--n');
const n = nArg > 0 ? Number(process.argv[nArg + 1]) : 20_000;
const ignoreArg = process.argv.indexOf('--ignore-state');
const ignored = ignoreArg > 0 ? process.argv[ignoreArg + 1].split(',') : [];
const before = await import(pathToFileURL(resolve(beforePath)).href);
const after = await import(pathToFileURL(resolve(afterPath)).href);

/** Stable families, each a generator factory from a seed (bench/detect-families.mjs's shapes). */
const families = {
  normal: (s) => { const g = normal(s); return () => 100 + 15 * g(); },
  lognormal: (s) => { const g = normal(s); return () => 800 * Math.exp(0.35 * g()); },
  gamma2: (s) => { const u = uniform(s); return () => -100 * Math.log((1 - u()) * (1 - u())); },
  pareto: (s) => { const u = uniform(s); return () => 100 * Math.pow(1 - u(), -1 / 2.5); },
  twoModes: (s) => { const g = normal(s); const u = uniform(s + 1); return () => (u() < 0.7 ? 200 + 20 * g() : 600 + 40 * g()); },
  tokens12: (s) => { const u = uniform(s); return () => (u() < 0.9 ? 12 : 10); },
  tokens1: (s) => { const u = uniform(s); return () => (u() < 0.97 ? 1 : 2); },
  classifier: (s) => { const u = uniform(s); return () => (u() < 0.5 ? 1 : 2); },
  poisson: (s) => { const u = uniform(s); return () => { let k = 0; let p = 1; const l = Math.exp(-4); do { k++; p *= u(); } while (p > l); return k - 1; }; },
  constant: () => () => 42,
  negative: (s) => { const g = normal(s); return () => -5 + g(); },
};

/** A stream of n values: the family, with a spike, a level shift, a spread change and non-finite values. */
function stream(family, seed) {
  const next = families[family](seed);
  const u = uniform(seed + 7);
  const values = new Float64Array(n);
  let shift = 0;
  let spread = 1;
  for (let i = 0; i < 400; i++) next();
  const probe = families[family](seed + 99);
  const xs = Array.from({ length: 400 }, probe);
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length) || 1;
  for (let i = 0; i < n; i++) {
    if (i % 5000 === 2500) shift = shift === 0 ? (u() < 0.5 ? 1 : 2) * sd * (u() < 0.5 ? 1 : -1) : 0;
    if (i % 7000 === 4000) spread = spread === 1 ? 2.5 : 1;
    let v = next();
    v = mean + (v - mean) * spread + shift;
    if (u() < 0.001) v += (u() < 0.5 ? 8 : -8) * sd;
    values[i] = v;
  }
  values[100] = NaN;
  values[3000] = Infinity;
  values[3001] = -Infinity;
  return values;
}

const numericOptions = [
  undefined,
  { scale: 'log', direction: 'up' },
  { scale: 'log', direction: 'both', logOffset: 0.1 },
  { direction: 'down' },
  { direction: 'up', warmup: 20, cooldown: 0 },
  { memory: 100, persistence: 3, falseAlarmRate: 1e-3 },
  { memory: 5000, cooldown: 200, falseAlarmRate: 1e-6 },
];
const detectors = [
  ...numericOptions.map((o) => ['CombinedDetector', o]),
  ['CusumDetector', undefined],
  ['EwmaDetector', undefined],
  ['PageHinkleyDetector', undefined],
  ['RobustZDetector', undefined],
  ['SeriesDetector', undefined],
  ['RateDetector', undefined],
  ['RateDetector', { warmup: 20, memory: 100 }],
];

const kept = (state) => (ignored.length === 0 ? state : Object.fromEntries(Object.entries(state).filter(([k]) => !ignored.includes(k))));
const same = (a, b) => Object.is(a, b) || JSON.stringify(kept(a)) === JSON.stringify(kept(b));
let compared = 0;
let differ = 0;
let alerts = 0;
let drifts = 0;
for (const family of Object.keys(families)) {
  for (const seed of [1, 2]) {
    const values = stream(family, seed);
    for (const [name, options] of detectors) {
      const a = new before[name](options);
      const b = new after[name](options);
      const rate = name === 'RateDetector';
      let first;
      for (let i = 0; i < n && first === undefined; i++) {
        const v = rate ? (values[i] > values[0] ? 1 : 0) : values[i];
        const t = i * 60_000;
        const ra = a.update(v, t);
        const sa = ra.score;
        const aa = ra.anomaly;
        const rb = b.update(v, t);
        if (!Object.is(sa, rb.score) || aa !== rb.anomaly) first = `update ${i}: ${sa} ${aa} / ${rb.score} ${rb.anomaly}`;
        else if (aa) alerts++;
        if ((i % 97 === 0 || aa) && first === undefined && !same(a.state(), b.state())) first = `state at ${i}: ${JSON.stringify(a.state())} / ${JSON.stringify(b.state())}`;
        if (i === (n >> 1) && first === undefined) {
          a.reset();
          b.reset();
        }
      }
      compared++;
      if (first !== undefined) {
        differ++;
        console.log(`${family} seed ${seed} ${name} ${JSON.stringify(options ?? {})}: ${first}`);
      }
    }
    // Drift monitors: every comparison alike.
    for (const [name, map] of [['NumericDrift', (v) => v], ['CategoricalDrift', (v) => (v > values[0] ? 'length' : 'stop')]]) {
      const a = new before[name]({ reference: 300, window: 200, every: 50 });
      const b = new after[name]({ reference: 300, window: 200, every: 50 });
      let first;
      for (let i = 0; i < n && first === undefined; i++) {
        if (i === 9000) {
          a.rebaseline();
          b.rebaseline();
        }
        const ra = a.update(map(values[i]));
        const rb = b.update(map(values[i]));
        if (!same(ra, rb)) first = `update ${i}: ${JSON.stringify(ra)} / ${JSON.stringify(rb)}`;
        else if (ra?.drifted) drifts++;
      }
      compared++;
      if (first !== undefined) {
        differ++;
        console.log(`${family} seed ${seed} ${name}: ${first}`);
      }
    }
  }
}
console.log(`${compared} streams × detectors of ${n} observations compared (${alerts} alerts, ${drifts} drift verdicts among them): ${differ} differ`);
process.exitCode = differ > 0 ? 1 : 0;
