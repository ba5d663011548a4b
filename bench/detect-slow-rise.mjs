/**
 * A slow rise the one-step forecasts follow, with and without the `series` shift window (issue 15, item 2;
 * the stream of test/detect/detectors.test.ts, "finds a slow rise the forecasts follow").
 *
 *   LLM_VITALS_DIST=.bench-dist/detect node bench/detect-slow-rise.mjs
 *
 * Poisson(3) counts; a +150 spike every 700 values (the range reaches far above) and a 4-value +20
 * burst every 700 (windows of high surprise are this series' normal), each optional; from value 5,000
 * the rate rises from 3 to 18 over `ramp` values and stays. Prints, per seed, the first alert from
 * value 5,000 on (values after the rise began; — not within 400) and the alerts from 2,000 to 4,999.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { poisson, uniform } from './random.mjs';

const root = new URL('..', import.meta.url).pathname;
const dist = resolve(process.env.LLM_VITALS_DIST ?? resolve(root, 'dist'));
const { SeriesDetector } = await import(pathToFileURL(`${dist}/detect.js`).href);

function run(seed, shiftWindow, { ramp, spikes, bursts }) {
  const u = uniform(seed);
  const detector = new SeriesDetector({ warmup: 600, period: false, tuning: { shiftWindow } });
  let found;
  let before = 0;
  for (let i = 0; i < 5400; i++) {
    let v;
    if (i >= 5000) v = poisson(u, 3 + Math.min(1, (i - 5000) / ramp) * 15);
    else v = poisson(u, 3) + (spikes && i % 700 === 350 ? 150 : 0) + (bursts && i % 700 >= 500 && i % 700 < 504 ? 20 : 0);
    if (detector.update(v, i * 300_000).anomaly) {
      if (i >= 5000 && found === undefined) found = i - 5000;
      else if (i >= 2000 && i < 5000) before++;
    }
  }
  return { found, before };
}

const out = (line = '') => process.stdout.write(`${line}\n`);
out('| stream | shift window | first alert after the rise began, seeds 1–8 | alerts before it (2,000–4,999), all seeds |');
out('| --- | --- | --- | ---: |');
for (const stream of [
  { ramp: 200, spikes: true, bursts: true },
  { ramp: 40, spikes: true, bursts: true },
  { ramp: 200, spikes: true, bursts: false },
  { ramp: 200, spikes: false, bursts: false },
]) {
  const name = `rise over ${stream.ramp}${stream.spikes ? ', spikes' : ''}${stream.bursts ? ', bursts' : ''}`;
  for (const shiftWindow of [0, 30]) {
    const runs = [1, 2, 3, 4, 5, 6, 7, 8].map((seed) => run(seed, shiftWindow, stream));
    out(`| ${name} | ${shiftWindow === 0 ? 'off' : '30 (shipped)'} | ${runs.map((r) => r.found ?? '—').join(', ')} | ${runs.reduce((n, r) => n + r.before, 0)} |`);
  }
}
