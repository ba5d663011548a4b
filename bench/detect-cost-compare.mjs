/**
 * The per-call detector's cost, two builds side by side in one process (interleaved, so the load of a
 * shared machine hits both alike): median ns per observation over `--rounds` rounds (default 15) of
 * 100,000 updates of a fresh detector, per kind of signal.
 *
 *   git archive <commit> src | tar -x -C /tmp/before
 *   npx esbuild /tmp/before/src/detect/index.ts --bundle --platform=node --format=esm --outfile=/tmp/before/detect.js
 *   npx esbuild src/detect/index.ts --bundle --platform=node --format=esm --outfile=/tmp/after/detect.js
 *   node bench/detect-cost-compare.mjs /tmp/before/detect.js /tmp/after/detect.js
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { normal, uniform } from './random.mjs';

const [beforePath, afterPath] = process.argv.slice(2);
const roundsArg = process.argv.indexOf('--rounds');
const rounds = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : 15;
const before = await import(pathToFileURL(resolve(beforePath)).href);
const after = await import(pathToFileURL(resolve(afterPath)).href);
const n = 100_000;
const u = uniform(1);
const g = normal(2);
const cases = [
  ['linear, both ways (monitor.observe), uniform values', undefined, Float64Array.from({ length: n }, () => 10 + u())],
  ['log scale, up (latency), lognormal values', { scale: 'log', direction: 'up' }, Float64Array.from({ length: n }, () => 800 * Math.exp(0.35 * g()))],
  ['log scale, both ways (token counts), integers 100 to 140', { scale: 'log', direction: 'both' }, Float64Array.from({ length: n }, () => 100 + Math.floor(41 * u()))],
];
const time = (Detector, options, values) => {
  const d = new Detector(options);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < values.length; i++) d.update(values[i], i);
  return Number(process.hrtime.bigint() - t0) / values.length;
};
const median = (xs) => [...xs].sort((x, y) => x - y)[xs.length >> 1];
console.log(`| combined detector, ${rounds} rounds | before, ns | after, ns | after / before |`);
console.log('| --- | ---: | ---: | ---: |');
for (const [name, options, values] of cases) {
  const a = [];
  const b = [];
  for (let r = 0; r < rounds; r++) {
    a.push(time(before.CombinedDetector, options, values));
    b.push(time(after.CombinedDetector, options, values));
  }
  console.log(`| ${name} | ${median(a).toFixed(0)} | ${median(b).toFixed(0)} | ${(median(b) / median(a)).toFixed(2)} |`);
}
