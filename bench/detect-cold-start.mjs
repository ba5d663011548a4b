/**
 * A service whose first values are slow (a step of +3σ over its first 10 or 20 values, or a ramp down
 * from +3σ over its first 30 or all 60), then a shift of the mean soon after the warm-up: how much a
 * spoilt baseline delays it. Written to price seeding the charts' autocorrelation from the warm-up
 * (a warm-up that moves reads as correlation, and a correlation read too high makes the charts
 * slower). The seed was reverted in 35b0b26, tried again with outliers left out in 56eae1b and taken
 * out again (bench/results/detect.md says why); this stays for the next attempt.
 *
 *   LLM_VITALS_DIST=.bench-dist/detect node bench/detect-cold-start.mjs [--seeds 200]
 *
 * Normal values (100, 15), default per-call detector (`combined`, linear), the shift at value 100 or
 * 300 searched for 500 values; mean delay over the runs that found it, runs that did not, and alerts
 * before the shift.
 */
import { DETECTORS } from './detect-families.mjs';
import { normal } from './random.mjs';

const args = process.argv.slice(2);
const seedsArg = args.indexOf('--seeds');
const SEEDS = seedsArg >= 0 ? Number(args[seedsArg + 1]) : 200;
const STARTS = [
  { name: 'none', values: 0, at: () => 0 },
  { name: 'a step of +3σ, first 10 values', values: 10, at: () => 45 },
  { name: 'a step of +3σ, first 20 values', values: 20, at: () => 45 },
  { name: 'a ramp from +3σ down, first 30 values', values: 30, at: (i) => 45 * (1 - i / 30) },
  { name: 'a ramp from +3σ down, the whole warm-up (60)', values: 60, at: (i) => 45 * (1 - i / 60) },
];

function run(start, shift, at) {
  const found = [];
  let missed = 0;
  let early = 0;
  for (let s = 0; s < SEEDS; s++) {
    const d = DETECTORS.combined();
    const g = normal(100 + s);
    let hit = false;
    for (let i = 0; i < at + 500; i++) {
      let v = 100 + 15 * g();
      if (i < start.values) v += start.at(i);
      if (i >= at) v += shift * 15;
      if (d.update(v, i).anomaly) {
        if (i < at) early++;
        else {
          found.push(i - at + 1);
          hit = true;
          break;
        }
      }
    }
    if (!hit) missed++;
  }
  const mean = found.reduce((a, b) => a + b, 0) / found.length;
  return `${found.length ? mean.toFixed(1) : '—'}, ${missed}, ${early}`;
}

console.log(`| slow start | +1σ at 100 | +1σ at 300 | +2σ at 100 | +2σ at 300 |`);
console.log(`| --- | ---: | ---: | ---: | ---: |`);
for (const start of STARTS) console.log(`| ${start.name} | ${run(start, 1, 100)} | ${run(start, 1, 300)} | ${run(start, 2, 100)} | ${run(start, 2, 300)} |`);
console.log(`\nEach cell: mean delay, runs not found within 500 (of ${SEEDS}), alerts before the shift.`);
