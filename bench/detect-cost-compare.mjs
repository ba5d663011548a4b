/**
 * The per-call detector's cost, two builds side by side in one process (interleaved, so the load of a
 * shared machine hits both alike): median ns per observation over 9 rounds of 100,000 updates.
 *
 *   git archive <commit> src | tar -x -C /tmp/before
 *   npx esbuild /tmp/before/src/detect/index.ts --bundle --platform=node --format=esm --outfile=/tmp/before/detect.js
 *   node bench/detect-cost-compare.mjs /tmp/before/detect.js .bench-dist/detect/detect.js
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { uniform } from './random.mjs';

const [beforePath, afterPath] = process.argv.slice(2);
const before = await import(pathToFileURL(resolve(beforePath)).href);
const after = await import(pathToFileURL(resolve(afterPath)).href);
const u = uniform(1);
const values = Float64Array.from({ length: 100_000 }, () => 10 + u());
const time = (Detector, options) => {
  const d = new Detector(options);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < values.length; i++) d.update(values[i], i);
  return Number(process.hrtime.bigint() - t0) / values.length;
};
console.log('| combined detector | before, ns | after, ns |');
console.log('| --- | ---: | ---: |');
for (const [name, options] of [['linear, both ways (monitor.observe)', undefined], ['log scale, up (latency)', { scale: 'log', direction: 'up' }]]) {
  const a = [];
  const b = [];
  for (let r = 0; r < 9; r++) {
    a.push(time(before.CombinedDetector, options));
    b.push(time(after.CombinedDetector, options));
  }
  a.sort((x, y) => x - y);
  b.sort((x, y) => x - y);
  console.log(`| ${name} | ${a[4].toFixed(0)} | ${b[4].toFixed(0)} |`);
}
