/**
 * NAB scoreboard baselines on the labelled NAB subset, and leave-one-category-out folds.
 *
 *   node bench/nab-baselines/run.mjs [--only windowed-gaussian,relative-entropy,...] [--no-folds] [--floor-ratio] [--shift] [--pattern]
 *   NAB_DIR=... LLM_VITALS_DIST=... (defaults ../shared/data/nab and dist/)
 *
 * 1. Reproduction: each baseline, written from its paper / NAB's description (files beside this one),
 *    runs over all files and is scored with NAB's standard profile, threshold chosen on these files,
 *    against the published score of the same detector on the same files. Within ±2 points: it counts.
 * 2. Folds: the NAB categories (data subfolders) are the folds. For each held-out category every
 *    constant (the threshold, and the detector constants in the grid each baseline declares) is chosen
 *    on the other categories' files, then the held-out files are scored once at that threshold. The
 *    project's default backtest detector, `series`, runs at its own alert score 0.5 with warm-up = NAB
 *    probation, as bench/detect.mjs does; its constants (`tuning`: SERIES_GRID below) are chosen per
 *    fold on the other categories at that fixed threshold, then the held-out files are scored once.
 * 3. The shipped constants: the grid setting best on all files at 0.5, and how many of the
 *    leave-one-file-out choices (best on the other 33) agree with it: a setting one file wants does not
 *    survive that file's removal.
 */
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadNab, PROFILES, probationLength, scoreCorpus } from '../detect-nab.mjs';
import { partsAtThreshold, scoreAtThreshold, scoreOfParts } from './score.mjs';
import { BASELINES } from './baselines.mjs';

const root = new URL('../..', import.meta.url).pathname;
const nabDir = resolve(process.env.NAB_DIR ?? resolve(root, '../shared/data/nab'));
const dist = resolve(process.env.LLM_VITALS_DIST ?? resolve(root, 'dist'));
const args = process.argv.slice(2);
const onlyArg = args.indexOf('--only');
const only = onlyArg >= 0 ? args[onlyArg + 1].split(',') : undefined;
const folds = !args.includes('--no-folds');
/** `--floor-ratio`: the folds also choose whether the outage rule (tuning.floorRatio 0.2, the share it was written with) is on. */
const floorGrid = args.includes('--floor-ratio');
/**
 * `--shift`: the folds also choose whether the shift window (tuning.shiftWindow 30) is on, and with it
 * the point statistic's share of the budget (tuning.pointShare: a half, the window statistics a quarter
 * each; or a third each).
 */
const shiftGrid = args.includes('--shift');
/**
 * `--pattern`: the folds also choose the pattern window's width (tuning.patternSpan: a sixteenth or an
 * eighth of a day, or off).
 */
const patternGrid = args.includes('--pattern');

/**
 * The `series` constants the folds choose among (SeriesTuning, src/detect/series.ts): the mean-surprise
 * window, the range rule's tolerance as a share of the range seen, the share of a surprise history read
 * as its tail. The shipped setting is listed first, so a tie keeps it.
 */
const SERIES_GRID = (shipped) => {
  const grid = [];
  const floorRatios = [shipped.floorRatio, ...(floorGrid ? [0, 0.2].filter((f) => f !== shipped.floorRatio) : [])];
  const shipShift = { shiftWindow: shipped.shiftWindow, pointShare: shipped.pointShare };
  const shifts = [shipShift, ...(shiftGrid ? [{ shiftWindow: 30, pointShare: 0.5 }, { shiftWindow: 30, pointShare: 1 / 3 }, { shiftWindow: 0, pointShare: 0.5 }] : [])].filter(
    (t, i, all) => all.findIndex((u) => u.shiftWindow === t.shiftWindow && u.pointShare === t.pointShare) === i,
  );
  const patternSpans = [shipped.patternSpan, ...(patternGrid ? [0.0625, 0.125, 0].filter((p) => p !== shipped.patternSpan) : [])];
  for (const patternSpan of patternSpans) for (const shift of shifts) for (const floorRatio of floorRatios) {
    for (const window of [shipped.window, ...[20, 30, 45].filter((w) => w !== shipped.window)]) {
      for (const rangeTolerance of [shipped.rangeTolerance, ...[0.05, 0.1].filter((r) => r !== shipped.rangeTolerance)]) {
        for (const tailShare of [shipped.tailShare, ...[0.01, 0.02, 0.05].filter((t) => t !== shipped.tailShare)]) grid.push({ window, rangeTolerance, tailShare, floorRatio, ...shift, patternSpan });
      }
    }
  }
  return grid;
};
const describeTuning = (t) => `window ${t.window}, range tolerance ${t.rangeTolerance}, tail share ${t.tailShare}${floorGrid ? `, floor ratio ${t.floorRatio}` : ''}${shiftGrid ? `, shift window ${t.shiftWindow}${t.shiftWindow > 0 ? `, point share ${fmt(t.pointShare, 2)}` : ''}` : ''}${patternGrid ? `, pattern span ${t.patternSpan > 0 ? `1/${Math.round(1 / t.patternSpan)}` : 'off'}` : ''}`;

const out = (line = '') => process.stdout.write(`${line}\n`);
const fmt = (x, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : '—');
const signed = (x) => (fmt(x) === '-0.0' || x >= 0 ? `+${fmt(Math.abs(x))}` : fmt(x));
const started = performance.now();

const series = loadNab(nabDir);
const category = (s) => s.name.slice(0, s.name.indexOf('/'));
const categories = [...new Set(series.map(category))];
const windows = series.reduce((n, s) => n + s.windows.length, 0);

out('# NAB scoreboard baselines, reproduced, and leave-one-category-out folds');
out();
out('Produced by `npm run bench:nab-baselines > bench/results/nab-baselines.md` (or `node bench/nab-baselines/run.mjs` against an existing build, `LLM_VITALS_DIST=<dir>` for another). Every figure is deterministic: no detector here draws a random number.');
out();
out(`Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} at start. ${series.length} files, ${windows} windows, ${categories.length} categories, from ${nabDir}; \`series\` from ${dist}.`);
out();

/**
 * NAB's published result files hold each score as Python 2 prints a float, 12 significant digits, and
 * its scorer reads them back: so do we. It matters where a detector's scores crowd towards 1 (Windowed
 * Gaussian: 35.6 this way, 38.5 at full precision).
 */
const asPublished = (x) => Number(x.toPrecision(12));

const baselines = BASELINES.filter((b) => only === undefined || only.includes(b.id));
/** scores[baseline id][grid index] = per-file results. */
const runs = new Map();
const runGrid = (b) => {
  if (runs.has(b.id)) return runs.get(b.id);
  const perSetting = (folds ? b.grid : [b.grid[0]]).map((setting) =>
    series.map((s) => ({ ...s, scores: Array.from(b.score(s.values, setting), asPublished) })),
  );
  runs.set(b.id, perSetting);
  return perSetting;
};

/** The published score to reproduce: on ../shared's 34 files, or on NAB's whole corpus (58 files); none for another set. */
const publishedHere = (b) => (series.length === 34 ? b.published : series.length === 58 ? b.publishedCorpus : undefined);
const corpusName = series.length === 58 ? 'NAB\'s whole corpus' : series.length === 34 ? 'these 34 files' : `these ${series.length} files (no published score: NAB published the 58 files' only)`;

out('## 1. Reproduction: all files, threshold chosen on them, standard profile');
out();
out(`Published: on ${corpusName}.`);
out();
out('| baseline | constants (NAB\'s published) | score here | published | difference | counts (±2) | windows detected | false positives | threshold | time |');
out('| --- | --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |');
for (const b of baselines) {
  const t0 = performance.now();
  const results = runGrid(b)[0];
  const seconds = (performance.now() - t0) / 1000;
  const r = scoreCorpus(results, PROFILES.standard);
  const published = publishedHere(b);
  const diff = published === undefined ? NaN : r.score - published;
  out(`| ${b.name} | ${b.describe(b.grid[0])} | ${fmt(r.score)} | ${fmt(published)} | ${published === undefined ? '—' : signed(diff)} | ${published === undefined ? '—' : Math.abs(diff) <= 2 ? 'yes' : 'no'} | ${r.detectedWindows} of ${r.windows} | ${r.falsePositives} | ${fmt(r.threshold, 4)} | ${fmt(seconds)} s${folds && b.grid.length > 1 ? ` (${b.grid.length} settings)` : ''} |`);
}
out();

if (folds) {
  const detect = await import(pathToFileURL(`${dist}/detect.js`).href);
  const shipped = { ...detect.SERIES_TUNING };
  const seriesGrid = SERIES_GRID(shipped);
  const t0 = performance.now();
  const seriesRuns = seriesGrid.map((tuning) =>
    series.map((s) => {
      const r = detect.replay({ timestamps: s.timestamps.map(String), times: s.timestamps, values: s.values, source: s.name }, 'series', { warmup: Math.max(5, probationLength(s.values.length)), tuning });
      return { ...s, scores: r.scores };
    }),
  );
  const seriesSeconds = (performance.now() - t0) / 1000;
  /** Each setting's files at 0.5 as parts (score.mjs): every subset below is scored by adding parts, with no sweep again. */
  const seriesParts = seriesRuns.map((results) => results.map((r) => partsAtThreshold(r, 0.5)));
  const seriesScore = (g, keep) => scoreOfParts(seriesParts[g].filter((_, i) => keep(series[i])), undefined, 0.5);

  out('## 2. Leave one category out');
  out();
  out(`Each row is one held-out category. Baselines: threshold and grid setting chosen on the other ${categories.length - 1} categories (best normalised standard score there), then the held-out files scored once at that threshold. \`series\`, refitted: its threshold is its own alert score 0.5, fixed before any file is seen, and its constants are chosen on the other ${categories.length - 1} categories (best standard score there at 0.5) from a grid of ${seriesGrid.length} (window 20, 30, 45 × range tolerance 0.05, 0.1 × tail share 0.01, 0.02, 0.05${floorGrid ? ' × floor ratio 0, 0.2' : ''}${shiftGrid ? ' × shift window 30 with point share ½ or ⅓, or off' : ''}${patternGrid ? ' × pattern span ⅛ or 1/16 of a day, or off' : ''}), then the held-out files are scored once. \`series\`, shipped: the shipped constants (${describeTuning(shipped)}), chosen on all 58 of NAB's files (section 3 of a run on them, \`bench/results/nab-full-corpus.md\`): held out in its threshold only. artificialNoAnomaly has no windows, so no normalised score: its cell gives the raw score (0 is perfect; each false positive far from a window costs 0.11) and the false positives. Mean: the folds with windows.`);
  out();
  const columns = [...baselines.map((b) => b.name), '`series` refitted, at 0.5', '`series` shipped, at 0.5'];
  out(`| held-out category (files, windows) | ${columns.join(' | ')} |`);
  out(`| --- | ${columns.map(() => '---:').join(' | ')} |`);
  const sums = columns.map(() => 0);
  let withWindows = 0;
  const choices = [];
  for (const held of categories) {
    const train = (results) => results.filter((s) => category(s) !== held);
    const test = (results) => results.filter((s) => category(s) === held);
    const cells = [];
    for (const b of baselines) {
      let best;
      runGrid(b).forEach((results, g) => {
        const fit = scoreCorpus(train(results), PROFILES.standard);
        if (best === undefined || fit.score > best.fit.score) best = { fit, g, results };
      });
      const r = scoreAtThreshold(test(best.results), best.fit.threshold);
      choices.push(`${held}: ${b.name} ${b.describe(b.grid[best.g])}, threshold ${fmt(best.fit.threshold, 4)} (${fmt(best.fit.score)} on the other categories)`);
      cells.push(r);
    }
    let bestSeries;
    seriesRuns.forEach((_, g) => {
      const fit = seriesScore(g, (s) => category(s) !== held);
      if (bestSeries === undefined || fit.score > bestSeries.fit.score) bestSeries = { fit, g };
    });
    choices.push(`${held}: \`series\` ${describeTuning(seriesGrid[bestSeries.g])}${bestSeries.g === 0 ? ' (the shipped setting)' : ''}, threshold 0.5 (${fmt(bestSeries.fit.score)} on the other categories)`);
    cells.push(seriesScore(bestSeries.g, (s) => category(s) === held));
    cells.push(seriesScore(0, (s) => category(s) === held));
    const heldFiles = series.filter((s) => category(s) === held);
    const heldWindows = heldFiles.reduce((n, s) => n + s.windows.length, 0);
    if (heldWindows > 0) {
      withWindows++;
      cells.forEach((r, c) => (sums[c] += r.score));
    }
    const cell = (r) => (r.windows === 0 ? `raw ${fmt(r.raw, 2)}, ${r.falsePositives} FP` : `${fmt(r.score)} (${r.detectedWindows}/${r.windows}, ${r.falsePositives} FP)`);
    out(`| ${held} (${heldFiles.length}, ${heldWindows}) | ${cells.map(cell).join(' | ')} |`);
  }
  out(`| **mean of the ${withWindows} folds with windows** | ${sums.map((s) => `**${fmt(s / withWindows)}**`).join(' | ')} |`);
  out();
  out('Cells: normalised standard score (windows detected / windows, false positives).');
  out();
  out('Chosen on the other categories, per fold:');
  out();
  for (const c of choices) out(`- ${c}`);
  out();

  out('## 3. The shipped `series` constants');
  out();
  const onAll = seriesRuns.map((_, g) => seriesScore(g, () => true).score);
  const bestAll = onAll.indexOf(Math.max(...onAll));
  let agree = 0;
  const others = new Map();
  for (const file of series) {
    const scores = seriesRuns.map((_, g) => seriesScore(g, (s) => s.name !== file.name).score);
    const g = scores.indexOf(Math.max(...scores));
    if (g === bestAll) agree++;
    else others.set(g, [...(others.get(g) ?? []), file.name]);
  }
  out(`Best on all ${series.length} files at 0.5: ${describeTuning(seriesGrid[bestAll])} (${fmt(onAll[bestAll])}; the shipped setting ${fmt(onAll[0])}${bestAll === 0 ? ', the same' : ''}). Leaving out one file at a time, the best on the other ${series.length - 1} is the same setting ${agree} times of ${series.length}${others.size === 0 ? '' : `; otherwise ${[...others].map(([g, files]) => `${describeTuning(seriesGrid[g])} without ${files.join(', ')}`).join('; ')}`}.`);
  out();
  out(`Every setting of the grid on all files at 0.5 (${seriesGrid.length} replays of the ${series.length} files in ${fmt(seriesSeconds)} s):`);
  out();
  out('| setting | all files | ' + categories.join(' | ') + ' |');
  out(`| --- | ---: | ${categories.map(() => '---:').join(' | ')} |`);
  seriesRuns.forEach((_, g) => {
    const cell = (r) => (r.windows === 0 ? `raw ${fmt(r.raw, 2)}` : fmt(r.score));
    out(`| ${describeTuning(seriesGrid[g])}${g === 0 ? ' (shipped)' : ''} | ${fmt(onAll[g])} | ${categories.map((c) => cell(seriesScore(g, (s) => category(s) === c))).join(' | ')} |`);
  });
  out();
}
out(`Ran in ${fmt((performance.now() - started) / 1000)} s.`);
