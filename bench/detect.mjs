/**
 * Detector benchmark: cost, quality on synthetic streams with known change points, and the NAB score.
 *
 *   npm run bench:detect                       (builds, then runs this file against dist/)
 *   LLM_VITALS_DIST=.bench-dist/detect node bench/detect.mjs [--section cost|synthetic|families|seasonal|nab] [--quick]
 *
 * 1. Cost: median nanoseconds per observation of each detector and drift monitor (batches of 100,000
 *    updates), and the time detection adds per call, monitor with `detect` on against off, one process.
 * 2. Synthetic streams, seeded: ARL0 (observations per false alarm on stable streams) and detection
 *    delay (observations from the change to the alert) for mean shifts of 0.5, 1 and 2 standard
 *    deviations, a variance change, lognormal latencies slowing down, an error-rate rise and a
 *    finish-reason mix change.
 * 3. Families (bench/detect-families.mjs): false alarms per observation on stable signals of ten shapes
 *    (1,000,000 observations each; 100,000 with --quick) and delays after 1σ and 2σ shifts; and the
 *    `series` detector on four stable daily series (its pattern window on and off) and level shifts
 *    smaller than their daily swing.
 * 4. Seasonal: a noisy sine with a spike and a level shift, replayed as `llm-vitals backtest` does.
 * 5. NAB: the subset in ../shared/data/nab (or NAB_DIR), every file replayed with the same `replay`
 *    the `llm-vitals backtest` command runs, scored with NAB's rules (bench/detect-nab.mjs), next to
 *    the published scores for the same files.
 *
 * Prints Markdown; bench/results/detect.md holds a run.
 */
import { cpus, loadavg } from 'node:os';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DAILY_CLOCK, DAILY_FAMILIES, dailyDetector, dailySection, familiesSection } from './detect-families.mjs';
import { loadNab, probationLength, PROFILES, scoreCorpus } from './detect-nab.mjs';
import { normal, uniform } from './random.mjs';

const root = new URL('..', import.meta.url).pathname;
const dist = resolve(process.env.LLM_VITALS_DIST ?? resolve(root, 'dist'));
const detect = await import(pathToFileURL(`${dist}/detect.js`).href);
const { createMonitor } = await import(pathToFileURL(`${dist}/index.js`).href);
const nabDir = resolve(process.env.NAB_DIR ?? resolve(root, '../shared/data/nab'));

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const sectionArg = args.indexOf('--section');
const only = sectionArg >= 0 ? args[sectionArg + 1] : undefined;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const mean = (xs) => (xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length);
const fmt = (x, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : String(x));
const out = (line = '') => process.stdout.write(`${line}\n`);

out(`# Detector benchmark`);
out();
out(`Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} at start; build: ${dist}${quick ? '; --quick' : ''}`);
out();

// ---- 1. cost ----

function nsPerUpdate(makeTarget, values, batches) {
  const perUpdate = [];
  for (let b = 0; b < batches; b++) {
    const target = makeTarget();
    const t0 = process.hrtime.bigint();
    target(values);
    const t1 = process.hrtime.bigint();
    perUpdate.push(Number(t1 - t0) / values.length);
  }
  return median(perUpdate.slice(Math.min(2, batches - 1)));
}

async function costSection() {
  out('## Cost per observation');
  out();
  const n = 100_000;
  const batches = quick ? 8 : 30;
  const g = normal(1);
  const gaussian = Float64Array.from({ length: n }, () => 10 + g());
  const latencies = Float64Array.from({ length: n }, () => 200 * Math.exp(0.3 * g()));
  const u = uniform(2);
  const events = Float64Array.from({ length: n }, () => (u() < 0.02 ? 1 : 0));
  const reasons = Array.from({ length: n }, () => (u() < 0.05 ? 'length' : 'stop'));
  // Detectors warm up on the first values; every batch is a fresh detector fed the same 100,000.
  const run = (make) => () => {
    const d = make();
    return (values) => {
      for (let i = 0; i < values.length; i++) d.update(values[i], i);
    };
  };
  // The families' daily sine, 5 minutes apart (288 a day), with their warm-up that holds a day: the
  // seasonal model and the pattern window on (it speaks from day 8 of the 347).
  const sine = DAILY_FAMILIES[0].make(1);
  const daily = Float64Array.from({ length: n }, (_, i) => sine(i));
  const runDaily = (patternSpan) => () => {
    const d = dailyDetector(patternSpan);
    return (values) => {
      for (let i = 0; i < values.length; i++) d.update(values[i], i * DAILY_CLOCK.step);
    };
  };
  const rows = [
    ['default (combined), linear', run(() => new detect.CombinedDetector()), gaussian],
    ['default (combined), log scale (latency)', run(() => new detect.CombinedDetector({ scale: 'log', direction: 'up' })), latencies],
    ['series (time series: AR + season + likelihood stage)', run(() => new detect.SeriesDetector()), gaussian],
    ['series on a daily series (5 minutes apart, warm-up 1,500): the pattern window on', runDaily(0.125), daily],
    ['series on the same, pattern window off', runDaily(0), daily],
    ['robust-z', run(() => new detect.RobustZDetector()), gaussian],
    ['cusum', run(() => new detect.CusumDetector()), gaussian],
    ['ewma', run(() => new detect.EwmaDetector()), gaussian],
    ['page-hinkley', run(() => new detect.PageHinkleyDetector()), gaussian],
    ['rate (error rate)', run(() => new detect.RateDetector()), events],
    ['drift, numeric (ring + bin)', run(() => new detect.NumericDrift()), gaussian],
  ];
  out('| what | median ns per observation |');
  out('| --- | ---: |');
  for (const [name, make, values] of rows) out(`| ${name} | ${fmt(nsPerUpdate(make, values, batches), 0)} |`);
  const categorical = () => {
    const d = new detect.CategoricalDrift();
    return (values) => {
      for (let i = 0; i < values.length; i++) d.update(values[i]);
    };
  };
  out(`| drift, categorical (finish reasons) | ${fmt(nsPerUpdate(categorical, reasons, batches), 0)} |`);
  out();
  out('The drift rows include the window comparison every 100 observations (amortised).');
  out();

  // Per call, through the whole monitor: detection on against off, the same tracked function.
  const usage = { prompt_tokens: 120, completion_tokens: 40 };
  const reply = { model: 'bench-model', usage, choices: [{ finish_reason: 'stop' }] };
  const makeCall = (detectOn) => {
    const monitor = createMonitor({ resources: false, otel: false, detect: detectOn ? {} : false, tokens: { estimate: false } });
    const fn = monitor.track(async () => reply, {
      provider: 'bench',
      operation: 'chat',
      model: 'bench-model',
      readUsage: (r) => ({ inputTokens: r.usage.prompt_tokens, outputTokens: r.usage.completion_tokens }),
    });
    return { monitor, fn };
  };
  const on = makeCall(true);
  const off = makeCall(false);
  const perCall = async ({ fn }, calls) => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) await fn();
    return Number(process.hrtime.bigint() - t0) / calls;
  };
  const calls = quick ? 2000 : 10_000;
  const rounds = quick ? 6 : 20;
  const onTimes = [];
  const offTimes = [];
  await perCall(on, calls);
  await perCall(off, calls);
  for (let r = 0; r < rounds; r++) {
    // Interleaved, so drift of the machine hits both alike.
    offTimes.push(await perCall(off, calls));
    onTimes.push(await perCall(on, calls));
  }
  const onMedian = median(onTimes);
  const offMedian = median(offTimes);
  out('Per call through the monitor (`monitor.track` of an async function; all call signals fed):');
  out();
  out('| detect | median µs per call |');
  out('| --- | ---: |');
  out(`| off | ${fmt(offMedian / 1000, 2)} |`);
  out(`| on (defaults) | ${fmt(onMedian / 1000, 2)} |`);
  out();
  out(`Detection adds ${fmt((onMedian - offMedian) / 1000, 2)} µs per call (ratio ${fmt(onMedian / offMedian, 2)}).`);
  out();
  await on.monitor.shutdown();
  await off.monitor.shutdown();
}

// ---- 2. synthetic streams ----

/** Observations per false alarm over `streams` stable streams of `length`, after the warm-up. */
function arl0(make, next, streams, length, warmup = 60) {
  let alarms = 0;
  for (let s = 0; s < streams; s++) {
    const d = make();
    const value = next(1000 + s);
    // One observation a minute: the series detector's daily period is then 1,440 observations.
    for (let i = 0; i < length; i++) if (d.update(value(i), i * 60_000).anomaly) alarms++;
  }
  const watched = streams * (length - warmup);
  return { arl0: alarms === 0 ? Infinity : watched / alarms, alarms, watched };
}

/** Delay from a change at `changeAt` to the first alert at or after it, over seeded streams. */
function delays(make, before, after, seeds, changeAt = 1000, horizon = 2000) {
  const found = [];
  let missed = 0;
  let early = 0;
  for (let s = 0; s < seeds; s++) {
    const d = make();
    const pre = before(5000 + s);
    const post = after(9000 + s);
    for (let i = 0; i < changeAt; i++) if (d.update(pre(i), i * 60_000).anomaly) early++;
    let delay = -1;
    for (let j = 0; j < horizon; j++) {
      if (d.update(post(j), (changeAt + j) * 60_000).anomaly) {
        delay = j + 1;
        break;
      }
    }
    if (delay < 0) missed++;
    else found.push(delay);
  }
  return { mean: mean(found), median: median(found), missed, early, seeds };
}

function syntheticSection() {
  const streams = quick ? 10 : 40;
  const length = 50_000;
  const seeds = quick ? 50 : 200;
  out('## Synthetic streams');
  out();
  out(`ARL0: ${streams} stable streams of ${length.toLocaleString('en-US')} observations each; delays: ${seeds} seeded streams, change after 1,000 observations, searched for 2,000 after it. Defaults: falseAlarmRate 1e-4, warmup 60, memory 500, cooldown 30.`);
  out();
  const gaussian = (mu = 0, sd = 1) => (seed) => {
    const g = normal(seed);
    return () => mu + sd * g();
  };
  const lognormal = (medianMs, sigma) => (seed) => {
    const g = normal(seed);
    return () => medianMs * Math.exp(sigma * g());
  };
  const bernoulli = (p) => (seed) => {
    const u = uniform(seed);
    return () => (u() < p ? 1 : 0);
  };
  const combined = () => new detect.CombinedDetector();
  const latency = () => new detect.CombinedDetector({ scale: 'log', direction: 'up' });
  const rate = () => new detect.RateDetector();

  out('### False alarms on stable streams (ARL0, target ≥ 10,000)');
  out();
  out('| stream | detector | ARL0 (observations per false alarm) | false alarms |');
  out('| --- | --- | ---: | ---: |');
  const arlRows = [
    ['normal(0, 1)', 'default', combined, gaussian()],
    ['lognormal latencies, median 200 ms, σ 0.5 (log scale)', 'default, log, up', latency, lognormal(200, 0.5)],
    ['normal(0, 1)', 'series', () => new detect.SeriesDetector(), gaussian()],
    ['normal(0, 1)', 'cusum', () => new detect.CusumDetector(), gaussian()],
    ['normal(0, 1)', 'ewma', () => new detect.EwmaDetector(), gaussian()],
    ['normal(0, 1)', 'page-hinkley', () => new detect.PageHinkleyDetector(), gaussian()],
    ['normal(0, 1)', 'robust-z', () => new detect.RobustZDetector(), gaussian()],
    ['errors at 2%', 'rate', rate, bernoulli(0.02)],
  ];
  const arlResults = {};
  for (const [stream, name, make, next] of arlRows) {
    const r = arl0(make, next, streams, length);
    arlResults[`${stream}|${name}`] = r;
    out(`| ${stream} | ${name} | ${r.arl0 === Infinity ? `> ${r.watched.toLocaleString('en-US')}` : Math.round(r.arl0).toLocaleString('en-US')} | ${r.alarms} |`);
  }
  out();
  out('### Detection delay (target ≤ 20 observations at a 1σ shift)');
  out();
  out('| change | detector | mean delay | median | missed (of runs) | false alarms before the change |');
  out('| --- | --- | ---: | ---: | ---: | ---: |');
  const delayRows = [
    ['mean +0.5σ', 'default', combined, gaussian(), gaussian(0.5)],
    ['mean +1σ', 'default', combined, gaussian(), gaussian(1)],
    ['mean +2σ', 'default', combined, gaussian(), gaussian(2)],
    ['mean −1σ', 'default', combined, gaussian(), gaussian(-1)],
    ['sd ×1.5', 'default', combined, gaussian(), gaussian(0, 1.5)],
    ['sd ×2', 'default', combined, gaussian(), gaussian(0, 2)],
    ['latency median ×1.5 (lognormal σ 0.5)', 'default, log, up', latency, lognormal(200, 0.5), lognormal(300, 0.5)],
    ['latency median ×2 (lognormal σ 0.5)', 'default, log, up', latency, lognormal(200, 0.5), lognormal(400, 0.5)],
    ['mean +1σ', 'series', () => new detect.SeriesDetector(), gaussian(), gaussian(1)],
    ['mean +1σ', 'cusum', () => new detect.CusumDetector(), gaussian(), gaussian(1)],
    ['mean +1σ', 'ewma', () => new detect.EwmaDetector(), gaussian(), gaussian(1)],
    ['mean +1σ', 'page-hinkley', () => new detect.PageHinkleyDetector(), gaussian(), gaussian(1)],
    ['errors 2% → 10%', 'rate', rate, bernoulli(0.02), bernoulli(0.1)],
    ['errors 2% → 5%', 'rate', rate, bernoulli(0.02), bernoulli(0.05)],
  ];
  const delayResults = {};
  for (const [change, name, make, before, after] of delayRows) {
    const r = delays(make, before, after, seeds);
    delayResults[`${change}|${name}`] = r;
    out(`| ${change} | ${name} | ${fmt(r.mean)} | ${fmt(r.median, 0)} | ${r.missed} of ${r.seeds} | ${r.early} |`);
  }
  out();

  // Drift: windows of 500, compared every 100; delay counted in observations after the change.
  out('### Drift (reference 500, window 500, every 100)');
  out();
  out('| change | statistic | mean delay (observations) | missed | false drifts on stable streams (per 100,000 observations) |');
  out('| --- | --- | ---: | ---: | ---: |');
  const driftDelay = (make, before, after, runs) => {
    const found = [];
    let missed = 0;
    for (let s = 0; s < runs; s++) {
      const d = make();
      const pre = before(300 + s);
      const post = after(700 + s);
      for (let i = 0; i < 1000; i++) d.update(pre());
      let delay = -1;
      for (let j = 0; j < 2000; j++) {
        const r = d.update(post());
        if (r?.drifted) {
          delay = j + 1;
          break;
        }
      }
      if (delay < 0) missed++;
      else found.push(delay);
    }
    return { mean: mean(found), missed };
  };
  const falseDrifts = (make, next, runs, length) => {
    let episodes = 0;
    for (let s = 0; s < runs; s++) {
      const d = make();
      const value = next(4000 + s);
      let drifting = false;
      for (let i = 0; i < length; i++) {
        const r = d.update(value());
        if (r !== undefined) {
          if (r.drifted && !drifting) episodes++;
          drifting = r.drifted;
        }
      }
    }
    return (episodes / (runs * length)) * 100_000;
  };
  const mix = (lengthShare) => (seed) => {
    const u = uniform(seed);
    return () => (u() < lengthShare ? 'length' : 'stop');
  };
  const runs = quick ? 20 : 100;
  const numericDrift = () => new detect.NumericDrift();
  const categoricalDrift = () => new detect.CategoricalDrift();
  const d1 = driftDelay(numericDrift, gaussian(), gaussian(0.5), runs);
  const d2 = driftDelay(numericDrift, gaussian(), gaussian(1), runs);
  const d3 = driftDelay(categoricalDrift, mix(0.05), mix(0.2), runs);
  const d4 = driftDelay(categoricalDrift, mix(0.05), mix(0.12), runs);
  const fNumeric = falseDrifts(numericDrift, gaussian(), runs, 20_000);
  const fCategorical = falseDrifts(categoricalDrift, mix(0.05), runs, 20_000);
  out(`| numeric mean +0.5σ | PSI ≥ 0.2 | ${fmt(d1.mean)} | ${d1.missed} of ${runs} | ${fmt(fNumeric, 2)} |`);
  out(`| numeric mean +1σ | PSI ≥ 0.2 | ${fmt(d2.mean)} | ${d2.missed} of ${runs} | |`);
  out(`| finish reasons: length 5% → 20% | JS distance ≥ 0.1, χ² p < 0.001 | ${fmt(d3.mean)} | ${d3.missed} of ${runs} | ${fmt(fCategorical, 2)} |`);
  out(`| finish reasons: length 5% → 12% | JS distance ≥ 0.1, χ² p < 0.001 | ${fmt(d4.mean)} | ${d4.missed} of ${runs} | |`);
  out();
  return { arlResults, delayResults };
}

// ---- 3. NAB ----

const PUBLISHED = [
  ['Numenta HTM', 73.6],
  ['Relative Entropy', 46.3],
  ['Windowed Gaussian', 35.0],
];

function nabSection() {
  out('## NAB subset');
  out();
  if (!existsSync(nabDir)) {
    out(`NAB data not found at ${nabDir} (set NAB_DIR): skipped.`);
    out();
    return;
  }
  const series = loadNab(nabDir);
  const windows = series.reduce((n, s) => n + s.windows.length, 0);
  out(`${series.length} files, ${windows} windows, from ${nabDir}. Each file replayed through \`replay\` (what \`llm-vitals backtest <file>\` writes), scored with NAB's rules, one threshold for the corpus chosen to maximise the total.`);
  out();
  // `fixed`: detections are the rows at or above the detector's own alert score (0.5), no threshold search.
  const score = (name, options, fixed = false) => {
    const results = series.map((s) => {
      const r = detect.replay({ timestamps: s.timestamps.map(String), times: s.timestamps, values: s.values, source: s.name }, name, options(s));
      return { ...s, scores: fixed ? r.scores.map((x) => (x >= 0.5 ? 1 : 0)) : r.scores };
    });
    return {
      standard: scoreCorpus(results, PROFILES.standard),
      lowFP: scoreCorpus(results, PROFILES.reward_low_FP_rate),
      lowFN: scoreCorpus(results, PROFILES.reward_low_FN_rate),
    };
  };
  const defaults = () => undefined;
  const probation = (s) => ({ warmup: Math.max(5, probationLength(s.values.length)) });
  const rows = [
    ['series (the backtest default), warm-up = NAB probation', 'series', probation],
    ['series, warm-up = NAB probation, its own alert threshold 0.5 (no search)', 'series', probation, true],
    ['series, default options (warm-up 60)', 'series', defaults],
    ['combined (the per-call default), warm-up = NAB probation', 'combined', probation],
    ['combined, default options', 'combined', defaults],
    ['robust-z, default options', 'robust-z', defaults],
    ['cusum, default options', 'cusum', defaults],
    ['ewma, default options', 'ewma', defaults],
    ['page-hinkley, default options', 'page-hinkley', defaults],
  ];
  out('| detector | standard | reward low FP | reward low FN | windows detected | false positives | threshold |');
  out('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  let headline;
  for (const [label, name, options, fixed] of rows) {
    const r = score(name, options, fixed);
    headline ??= r.standard.score;
    const s = r.standard;
    out(`| ${label} | ${fmt(s.score)} | ${fmt(r.lowFP.score)} | ${fmt(r.lowFN.score)} | ${s.detectedWindows} of ${s.windows} | ${s.falsePositives} | ${fixed ? '0.5' : fmt(s.threshold, 3)} |`);
  }
  for (const [name, value] of PUBLISHED) out(`| ${name} (published, this subset) | ${fmt(value)} | | | | | |`);
  out();
  return headline;
}

// ---- 4. seasonal ----

/** Issue 15, item 3: sine ±10 (period 100 rows), noise σ 2, 2,000 rows a minute apart, spike at 700, +25 from 1400. */
function seasonalSection() {
  out('## Seasonal series: a spike and a level shift');
  out();
  out('Noisy sine (±10, period 100 rows, noise σ 2), 2,000 rows one minute apart, +40 at row 700, +25 from row 1400 on; each detector with default options through `replay` (what `llm-vitals backtest file.csv --detector <name>` runs). Eight noise seeds; targets for the default (`series`): nothing before row 700, the shift found within 20 rows, one alert per incident.');
  out();
  out('| detector | seed 1: alerts (row: reason) | seeds with an alert before row 700 | seeds with the shift found within 20 rows | mean alerts per seed |');
  out('| --- | --- | ---: | ---: | ---: |');
  const rows = (seed) => {
    const g = normal(seed);
    const start = Date.UTC(2026, 0, 1);
    const values = [];
    const times = [];
    for (let i = 0; i < 2000; i++) {
      values.push(10 * Math.sin((2 * Math.PI * i) / 100) + 2 * g() + (i === 700 ? 40 : 0) + (i >= 1400 ? 25 : 0));
      times.push(start + i * 60_000);
    }
    return { timestamps: times.map((t) => new Date(t).toISOString()), times, values, source: `seasonal-${seed}` };
  };
  for (const name of ['series', 'combined', 'cusum', 'ewma']) {
    let early = 0;
    let found = 0;
    let total = 0;
    let first = '';
    for (let seed = 1; seed <= 8; seed++) {
      const { alerts } = detect.replay(rows(seed), name);
      if (seed === 1) first = alerts.length > 12 ? `${alerts.length} alerts` : alerts.map((a) => `${a.index}: ${a.reason}`).join(', ');
      if (alerts.some((a) => a.index < 700)) early++;
      if (alerts.some((a) => a.index >= 1400 && a.index <= 1420)) found++;
      total += alerts.length;
    }
    out(`| ${name} | ${first} | ${early} of 8 | ${found} of 8 | ${fmt(total / 8)} |`);
  }
  out();
}

const started = performance.now();
if (only === undefined || only === 'cost') await costSection();
if (only === undefined || only === 'synthetic') syntheticSection();
if (only === undefined || only === 'families') {
  await familiesSection(out, { n: quick ? 100_000 : 1_000_000, seeds: quick ? 50 : 200 });
  dailySection(out, { n: quick ? 100_000 : 1_000_000, seeds: 20 });
}
if (only === undefined || only === 'seasonal') seasonalSection();
if (only === undefined || only === 'nab') nabSection();
out(`Ran in ${fmt((performance.now() - started) / 1000)} s.`);
