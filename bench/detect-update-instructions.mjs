/**
 * Instructions per update of one detector or drift monitor, fed a signal of a given shape: the
 * per-observation cost the per-call figures in BENCHMARKS.md ("Peers on the real SDK") are made of.
 *
 *   ../shared/tools/instructions-per-op 20000 40000 node --single-threaded --random-seed=1 bench/detect-update-instructions.mjs DIST/detect.js PART {N}
 *
 * PART: `combined` (the default per-call detector, log scale, `up`, on a lognormal signal: median 800,
 * σ 0.35), `combined-const` (the same detector, both ways, on a constant), `drift` (a numeric drift
 * monitor on the lognormal's log), `rate` (the rate detector on non-events), `categorical` (a categorical
 * drift monitor on one category), `none` (the loop alone: subtract it). 20,000 updates come first (the
 * detector warmed up, its history full), then N more; the values are made once, before the count.
 */
const [path, part, nArg] = process.argv.slice(2);
const d = await import(new URL(path, `file://${process.cwd()}/`).href);
const N = Number(nArg) + 20000;
const SIZE = 1 << 16;
let s = 7;
const u = () => {
  s ^= s << 13;
  s ^= s >>> 17;
  s ^= s << 5;
  return ((s >>> 0) + 0.5) / 4294967296;
};
const g = () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
const values = Float64Array.from({ length: SIZE }, () => 800 * Math.exp(0.35 * g()));
let feed;
if (part === 'combined') {
  const x = new d.CombinedDetector({ scale: 'log', logOffset: 1, direction: 'up' });
  feed = (i) => x.update(values[i & (SIZE - 1)], i).anomaly;
} else if (part === 'combined-const') {
  const x = new d.CombinedDetector({ scale: 'log', logOffset: 1, direction: 'both' });
  feed = (i) => x.update(20, i).anomaly;
} else if (part === 'drift') {
  const x = new d.NumericDrift();
  feed = (i) => x.update(Math.log(values[i & (SIZE - 1)] + 1)) !== undefined;
} else if (part === 'rate') {
  const x = new d.RateDetector();
  feed = (i) => x.update(0, i).anomaly;
} else if (part === 'categorical') {
  const x = new d.CategoricalDrift();
  feed = () => x.update('stop') !== undefined;
} else if (part === 'none') feed = (i) => values[i & (SIZE - 1)] > 1e9;
else throw new Error(`unknown part ${part}`);
let hits = 0;
for (let i = 0; i < N; i++) if (feed(i)) hits++;
if (hits < 0) console.log(hits);
