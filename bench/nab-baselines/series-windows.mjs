/**
 * Where `series` detects and where it alerts falsely on the NAB subset, at its own alert score 0.5 with
 * warm-up = NAB probation (as run.mjs scores it): for every labelled window, the first detection's row,
 * its place in the window and what NAB pays for it (the scaled sigmoid, 1 at the left edge, about 0.87
 * at the centre, where NAB's windows put the labelled anomaly), and the highest score before it in the
 * window (what an earlier trigger would have to work with); for a missed window its highest score; and
 * every false positive with its score, reason and cost. Then each category's score.
 *
 *   LLM_VITALS_DIST=<build> node bench/nab-baselines/series-windows.mjs [--only <substring of a file name>]
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadNab, probationLength, PROFILES, scaledSigmoid, sweep } from '../detect-nab.mjs';
import { scoreAtThreshold } from './score.mjs';

const root = new URL('../..', import.meta.url).pathname;
const nabDir = resolve(process.env.NAB_DIR ?? resolve(root, '../shared/data/nab'));
const dist = resolve(process.env.LLM_VITALS_DIST ?? resolve(root, 'dist'));
const detect = await import(pathToFileURL(resolve(dist, 'detect.js')).href);
const onlyArg = process.argv.indexOf('--only');
const only = onlyArg >= 0 ? process.argv[onlyArg + 1] : undefined;

const category = (name) => name.slice(0, name.indexOf('/'));
const results = [];
let timing = 0;
for (const s of loadNab(nabDir)) {
  const probation = probationLength(s.values.length);
  const replay = detect.replay({ timestamps: s.timestamps.map(String), times: s.timestamps, values: s.values, source: s.name }, 'series', { warmup: Math.max(5, probation) });
  const r = { name: s.name, timestamps: s.timestamps, scores: replay.scores, windows: s.windows };
  results.push(r);
  if (only !== undefined && !s.name.includes(only)) continue;
  const reasonAt = new Map(replay.alerts.map((a) => [a.index, a.reason]));
  const row = new Map(s.timestamps.map((t, i) => [t, i]));
  const lines = [];
  for (const [start, end] of s.windows) {
    const left = row.get(start);
    const right = row.get(end);
    const width = right - left + 1;
    let first = -1;
    let before = 0;
    for (let i = Math.max(left, probation); i <= right && first < 0; i++) {
      if (r.scores[i] >= 0.5) first = i;
      else if (r.scores[i] > before) before = r.scores[i];
    }
    if (first < 0) {
      lines.push(`  window ${left}-${right}: missed, highest score ${before.toFixed(2)}`);
      continue;
    }
    const value = scaledSigmoid(-(right - first + 1) / width) / scaledSigmoid(-1);
    timing += 1 - value;
    lines.push(`  window ${left}-${right}: row ${first} (${reasonAt.get(first)}), ${((first - left) / width).toFixed(2)} of the way in, worth ${value.toFixed(2)}; highest score before it ${before.toFixed(2)}`);
  }
  const points = sweep(s.name, s.timestamps, r.scores, s.windows, PROFILES.standard);
  for (let i = probation; i < s.values.length; i++) {
    const p = points[i - probation];
    if (p.window === null && r.scores[i] >= 0.5) lines.push(`  false positive row ${i} (${reasonAt.get(i)}), score ${r.scores[i].toFixed(2)}, costs ${(-p.value).toFixed(3)}`);
  }
  process.stdout.write(`${s.name}: ${s.values.length} rows, probation ${probation}, ${replay.alerts.length} alerts\n${lines.map((l) => `${l}\n`).join('')}`);
}
process.stdout.write(`\nWhat detecting every caught window at its left edge would add (raw, standard profile): ${timing.toFixed(2)}\n`);
for (const c of [...new Set(results.map((r) => category(r.name)))]) {
  const s = scoreAtThreshold(results.filter((r) => category(r.name) === c), 0.5);
  process.stdout.write(`${c}: ${Number.isNaN(s.score) ? `raw ${s.raw.toFixed(2)}` : s.score.toFixed(2)} (${s.detectedWindows}/${s.windows} windows, ${s.falsePositives} false positives)\n`);
}
const all = scoreAtThreshold(results, 0.5);
process.stdout.write(`all files: ${all.score.toFixed(2)} (${all.detectedWindows}/${all.windows} windows, ${all.falsePositives} false positives)\n`);
