/**
 * The peers table: for each variant and mode, instructions per call (valgrind, counted as
 * ../shared/tools/instructions-per-op counts, by bench/peers/instructions-by-part.mjs, which also gives
 * the part V8's compilers took) and median time per call, each variant in fresh processes
 * (bench/peers/run.mjs). `npm run bench:peers` at the root runs all of it (hours under valgrind);
 * progress goes to stderr, the markdown table to stdout.
 *
 *   node bench/peers/table.mjs [--variants bare,llm-vitals-prom,traceloop,...] [--modes json,stream]
 *       [--warmup 3000] [--n1 1000] [--n2 2000] [--time-n 2000] [--no-instructions] [--no-time]
 *       [--shared-tool]          count with ../shared/tools/instructions-per-op itself (no split)
 *       [--virtual-clock]        every run on run.mjs's virtual clock (see its header; for all defaults)
 *       [--virtual-clock-jitter] the same clock, advancing a seeded 5 to 15 µs per read (latencies vary)
 *
 * A variant may name its openai major (`llm-vitals@6`); by default it gets the newest its
 * instrumentation accepts. "added" is a variant's count minus `bare`'s on the same openai major (the
 * baseline rows are added when missing), the ratio is added over @traceloop's added in the same mode.
 * LLM_VITALS_DIST picks the llm-vitals build (default: the root's dist/).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const sharedTool = process.env.INSTRUCTIONS_PER_OP ?? fileURLToPath(new URL('../../../shared/tools/instructions-per-op', import.meta.url));
const all = ['bare', 'bare@6', 'llm-vitals-prom', 'llm-vitals', 'llm-vitals-prom@6', 'llm-vitals@6', 'traceloop', 'otel-contrib', 'openinference', 'langfuse', 'openlit'];
const labels = {
  bare: 'bare SDK',
  'llm-vitals-prom': 'llm-vitals, Prometheus only',
  'llm-vitals': 'llm-vitals, all defaults',
  traceloop: 'OpenLLMetry-JS (`@traceloop/instrumentation-openai`)',
  'otel-contrib': '`@opentelemetry/instrumentation-openai`',
  openinference: 'OpenInference (`@arizeai/openinference-instrumentation-openai`)',
  langfuse: 'Langfuse `observeOpenAI`',
  openlit: 'OpenLIT',
};
const sixOnly = new Set(['traceloop', 'otel-contrib']);

const opts = { variants: all, modes: ['json', 'stream'], warmup: 3000, n1: 1000, n2: 2000, timeN: 2000, instructions: true, time: true, sharedTool: false, virtualClock: false, jitter: false };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--variants') opts.variants = argv[++i].split(',');
  else if (a === '--modes') opts.modes = argv[++i].split(',');
  else if (a === '--warmup' || a === '--n1' || a === '--n2') opts[a.slice(2)] = Number(argv[++i]);
  else if (a === '--time-n') opts.timeN = Number(argv[++i]);
  else if (a === '--no-instructions') opts.instructions = false;
  else if (a === '--no-time') opts.time = false;
  else if (a === '--shared-tool') opts.sharedTool = true;
  else if (a === '--virtual-clock') opts.virtualClock = true;
  else if (a === '--virtual-clock-jitter') opts.virtualClock = opts.jitter = true;
  else throw new Error(`unknown argument ${a} (see the header of bench/peers/table.mjs)`);
}
if (opts.instructions && opts.sharedTool && !existsSync(sharedTool)) throw new Error(`${sharedTool} not found (set INSTRUCTIONS_PER_OP)`);

const rows = opts.variants.map((spec) => {
  const [name, major] = spec.split('@');
  if (!labels[name]) throw new Error(`unknown variant ${name}`);
  return { name, major: Number(major ?? (sixOnly.has(name) ? 6 : 7)) };
});
for (const major of new Set(rows.map((r) => r.major))) {
  if (!rows.some((r) => r.name === 'bare' && r.major === major)) rows.unshift({ name: 'bare', major });
}

const started = Date.now();
const progress = (msg) => process.stderr.write(`[${((Date.now() - started) / 60000).toFixed(1)} min] ${msg}\n`);
// The node flags that make a count repeatable (run.mjs's header says why each).
const nodeFlags = [
  '--single-threaded',
  '--random-seed=1',
  '--no-memory-reducer',
  '--min-semi-space-size=16',
  '--max-semi-space-size=16',
  '--initial-old-space-size=512',
];
const runArgs = (r, mode, n, extra = []) => [...nodeFlags, 'bench/peers/run.mjs', r.name, mode, String(n), '--warmup', String(opts.warmup), '--openai', String(r.major), ...(opts.virtualClock ? [opts.jitter ? '--virtual-clock-jitter' : '--virtual-clock'] : []), ...extra];

function instructions(r, mode) {
  const [file, args] = opts.sharedTool ? [sharedTool, []] : [process.execPath, ['bench/peers/instructions-by-part.mjs']];
  args.push(String(opts.n1), String(opts.n2), ...(opts.sharedTool ? [] : ['--']), 'node', ...runArgs(r, mode, '{N}'));
  const res = spawnSync(file, args, { cwd: root, encoding: 'utf8', env: process.env });
  const m = /(-?\d+) instructions per op(?:; compilers (-?\d+), GC (-?\d+))?/.exec(res.stdout);
  if (res.status !== 0 || !m) throw new Error(`${r.name}@${r.major} ${mode}: counting failed:\n${res.stdout}${res.stderr}`);
  progress(`  ${res.stdout.trim().replaceAll('\n', '\n  ')}`);
  return { all: Number(m[1]), compilers: m[2] === undefined ? undefined : Number(m[2]) };
}

function medianUs(r, mode) {
  const res = spawnSync('node', runArgs(r, mode, opts.timeN, ['--time']), { cwd: root, encoding: 'utf8', env: process.env });
  if (res.status !== 0) throw new Error(`${r.name}@${r.major} ${mode} failed:\n${res.stderr}`);
  const summary = JSON.parse(res.stdout.trim().split('\n').pop());
  progress(`  ${summary.medianUs.toFixed(1)} µs/call, ${summary.promotedPerCall} B promoted/call; ${summary.versions}; ${summary.proof}`);
  return summary;
}

const results = [];
for (const mode of opts.modes) {
  for (const r of rows) {
    progress(`${r.name} on openai ${r.major}, ${mode}`);
    const result = { ...r, mode };
    if (opts.time) Object.assign(result, { summary: medianUs(r, mode) });
    if (opts.instructions) {
      const counted = instructions(r, mode);
      result.instructions = counted.all;
      if (counted.compilers !== undefined) result.steady = counted.all - counted.compilers;
    }
    results.push(result);
  }
}

const fmt = (x) => (x === undefined ? '' : Math.abs(x) >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : `${(x / 1e3).toFixed(1)}k`);
const signed = (x) => (x === undefined ? '' : `${x >= 0 ? '+' : '−'}${fmt(Math.abs(x))}`);
const find = (name, major, mode) => results.find((x) => x.name === name && x.major === major && x.mode === mode);
console.log(
  `\nwarm-up ${opts.warmup} calls; instructions: window N ${opts.n1}→${opts.n2}, no major GC in it; time: ${opts.timeN} calls after the warm-up, median of batches of 100; node ${process.version}\n`,
);
console.log(
  '| variant | openai | mode | instructions/call | added vs bare | ratio to OpenLLMetry\'s added | without compilers | added | ratio | median µs/call | old-space B promoted/call |',
);
console.log('|---|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|');
function addedAndRatio(x, key) {
  const bare = find('bare', x.major, x.mode);
  const added = x.name === 'bare' || x[key] === undefined || bare?.[key] === undefined ? undefined : x[key] - bare[key];
  const tl = find('traceloop', 6, x.mode);
  const tlBare = find('bare', 6, x.mode);
  const tlAdded = tl?.[key] !== undefined && tlBare?.[key] !== undefined ? tl[key] - tlBare[key] : undefined;
  return [signed(added), added !== undefined && tlAdded ? (added / tlAdded).toFixed(2) : ''];
}
for (const x of results) {
  const us = x.summary ? x.summary.medianUs.toFixed(1) : '';
  const promoted = x.summary ? String(x.summary.promotedPerCall) : '';
  const cells = [fmt(x.instructions), ...addedAndRatio(x, 'instructions'), fmt(x.steady), ...addedAndRatio(x, 'steady'), us, promoted];
  console.log(`| ${labels[x.name]} | ${x.major} | ${x.mode} | ${cells.join(' | ')} |`);
}
