/**
 * One variant, one mode, in this process:
 *
 *   node --single-threaded bench/peers/run.mjs <variant> <json|stream> <N> [--warmup W] [--openai 6|7] [--time] [--batch B]
 *
 * Sets the variant up (variants/<variant>.mjs), then makes W warm-up calls (default 3000), each result
 * compared with the fixture's, then N more calls: the window. For a stream, a call is the whole
 * stream read (`for await`). It proves the variant instruments before any figure counts: after the
 * warm-up and again after the window, once the variant has flushed, it must have exactly one span or
 * record per call made (W, then W + N), every result equal to the fixture's (the warm-up calls and
 * the last call), the fixture's being what the bare SDK returns; otherwise it exits 1.
 *
 * Instructions per call (F: the node flags below):
 *   instructions-per-op N1 N2 node $F bench/peers/run.mjs v m {N} --warmup 3000
 *   F="--single-threaded --random-seed=1 --no-memory-reducer --min-semi-space-size=16
 *      --max-semi-space-size=16 --initial-old-space-size=512"
 * runs it at N1 and N2 with the same warm-up, so I(N2) - I(N1) counts only warmed calls (and the
 * flush and checks at the end, the same in both). The flags make runs repeatable: `--single-threaded`
 * puts JIT and GC on the counted thread, in the same order every run; `--random-seed=1` makes V8's
 * random numbers (Math.random, which the SDK and llm-vitals call; object identity hashes) the same;
 * `--no-memory-reducer` and a fixed young generation (16 MB semi-spaces, V8's largest default) take
 * out GC decisions driven by wall time, which valgrind and the machine's load stretch. Without them the
 * same 1000→2000 window of `bare` counted 600k a call in one run and 831k in another; with the seed
 * alone, I(2000) of three runs spread by 2%; with all of them, three runs of 5000 calls agree to 0.008%.
 * Major GC is kept out of that window: one mark-compact costs as much as a few hundred calls and comes
 * every few thousand, so whether it falls inside a 1000-call window or just before decides the figure
 * (seen: bare 597k instructions a call with one in the window, a variant 310k without). Started with an
 * old space large enough for the whole run (`--initial-old-space-size=512`), no major GC runs; the
 * window is watched (v8.GCProfiler) and a count with a major GC in it exits 1. What the calls leave for
 * a later major GC is reported instead: old-space bytes promoted per call in the window.
 * `--virtual-clock` (for every variant alike): `performance.now()` and `Date.now()` read a clock that
 * advances 10 µs per read, from the same start in every run. With all of llm-vitals' defaults on, the
 * detectors watch the calls' latencies and the evaluators yield on a time budget: under valgrind real
 * time makes two runs of one variant alert, re-learn and compile differently (counts of one window then
 * differ by more than the figure, or come out with the compilers negative); on the virtual clock every
 * run sees the same steady latencies, as a healthy app's monitor does. `--virtual-clock-jitter`: the
 * same clock, but each read advances a seeded pseudo-random 5 to 15 µs, so latencies and throughputs
 * vary from call to call as a real app's do (the detectors then rank and move values as they do on
 * real data) and still follow the same sequence in every run. Work driven by timers (the resource sampler) still follows wall time,
 * which valgrind stretches about 50×: count it per second (bench/resources.mjs), not per call.
 * Time per call (`--time`): the window is timed in batches of B calls (default 100); it prints the
 * median batch's time per call. Prints one JSON line on stdout; progress and failures on stderr.
 */
import { isDeepStrictEqual } from 'node:util';
import { readFileSync } from 'node:fs';
import { GCProfiler, getHeapSpaceStatistics } from 'node:v8';
import { fetchFor, requests, expected, streamedChunks } from './fixture.mjs';

const variants = ['bare', 'llm-vitals', 'llm-vitals-prom', 'traceloop', 'otel-contrib', 'openinference', 'langfuse', 'openlit'];
const usage = `usage: node --single-threaded bench/peers/run.mjs <${variants.join('|')}> <json|stream> <N> [--warmup W] [--openai 6|7] [--time] [--batch B] [--virtual-clock | --virtual-clock-jitter]`;

function parseArgs(argv) {
  const positional = [];
  const flags = { warmup: 3000, openai: undefined, time: false, batch: 100, virtualClock: false, jitter: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--time') flags.time = true;
    else if (a === '--virtual-clock') flags.virtualClock = true;
    else if (a === '--virtual-clock-jitter') flags.virtualClock = flags.jitter = true;
    else if (a === '--warmup' || a === '--openai' || a === '--batch') flags[a.slice(2)] = Number(argv[++i]);
    else if (a.startsWith('--')) fail(`unknown flag ${a}\n${usage}`);
    else positional.push(a);
  }
  const [variant, mode, n] = positional;
  if (!variants.includes(variant) || !(mode in requests) || !(Number(n) >= 1)) fail(usage);
  for (const k of ['warmup', 'batch']) if (!Number.isInteger(flags[k]) || flags[k] < (k === 'warmup' ? 0 : 1)) fail(`--${k} must be an integer\n${usage}`);
  return { variant, mode, n: Number(n), ...flags };
}

function fail(message) {
  console.error(message);
  process.exit(1);
}

const args = parseArgs(process.argv.slice(2));
const { variant, mode, n, warmup } = args;
if (args.virtualClock) {
  // Every read of performance.now() advances 10 µs: what the monitors compute from time (latencies the
  // detectors watch, the evaluators' batch budget, span times) is then the same on every run, so two
  // counts of one variant at different N execute the same code (see the header).
  // It starts at the same value in every run too, and Date.now() reads it (from a fixed epoch): what is
  // bucketed by absolute time (the snapshot's per-second rates, event times) then falls alike.
  const perf = performance;
  let t = 1000;
  // xorshift32, seeded alike in every run: a step of 5 to 15 µs per read with --virtual-clock-jitter.
  let seed = 2463534242;
  const step = args.jitter
    ? () => {
        seed ^= seed << 13;
        seed ^= seed >>> 17;
        seed ^= seed << 5;
        return 0.005 + 0.01 * ((seed >>> 0) / 4294967296);
      }
    : () => 0.01;
  perf.now = function now() {
    return (t += step());
  };
  Date.now = function now() {
    return 1_800_000_000_000 + Math.floor((t += step()));
  };
}
const module = await import(`./variants/${variant}.mjs`);
const major = args.openai ?? module.openaiMajors[0];
if (!module.openaiMajors.includes(major)) fail(`${variant} does not support openai ${major} (it supports ${module.openaiMajors.join(', ')})`);

const { fetch, requestsSeen } = fetchFor(mode);
const v = await module.setup({ fetch, major });
const request = requests[mode];
const want = expected[mode];

const call =
  mode === 'json'
    ? () => v.client.chat.completions.create(request)
    : async () => {
        const stream = await v.client.chat.completions.create(request);
        const chunks = [];
        for await (const chunk of stream) chunks.push(chunk);
        return chunks;
      };

function check(result, what) {
  if (!isDeepStrictEqual(result, want)) {
    console.error(`${variant} ${mode}: ${what} differs from the bare SDK's:\n${JSON.stringify(result).slice(0, 2000)}`);
    process.exit(1);
  }
}

async function checkCounts(calls, when) {
  await v.settle();
  const records = v.records ? v.records() : calls;
  if (requestsSeen() !== calls || records !== calls) {
    console.error(`${variant} ${mode}: after ${when}, ${calls} calls made, ${requestsSeen()} requests reached fetch, ${records} spans/records (want exactly ${calls}; ${v.describe()})`);
    process.exit(1);
  }
}

// What the first call hands the app: the SDK's own APIPromise and Stream, or replacements.
const first = v.client.chat.completions.create(request);
const keepsApiPromise = typeof first.withResponse === 'function';
const firstResult = await first;
let keepsStream = mode === 'json' ? undefined : typeof firstResult.tee === 'function' && typeof firstResult.toReadableStream === 'function';
if (mode === 'stream') {
  const chunks = [];
  for await (const chunk of firstResult) chunks.push(chunk);
  check(chunks, 'the first call');
  if (chunks.length !== streamedChunks) fail(`${variant}: ${chunks.length} chunks, want ${streamedChunks}`);
} else check(firstResult, 'the first call');

for (let i = 1; i < warmup; i++) check(await call(), `warm-up call ${i + 1}`);
await checkCounts(Math.max(warmup, 1), 'the warm-up');
const before = Math.max(warmup, 1);

let medianUs;
let last;
const gcs = new GCProfiler();
const oldSpace = () => getHeapSpaceStatistics().find((space) => space.space_name === 'old_space').space_used_size;
const oldBefore = oldSpace();
gcs.start();
if (args.time) {
  const perCall = [];
  for (let done = 0; done < n; ) {
    const size = Math.min(args.batch, n - done);
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < size; i++) last = await call();
    perCall.push(Number(process.hrtime.bigint() - t0) / 1000 / size);
    done += size;
  }
  perCall.sort((a, b) => a - b);
  medianUs = perCall[Math.floor(perCall.length / 2)];
} else {
  for (let i = 0; i < n; i++) last = await call();
}
const gcWindow = gcs.stop().statistics;
const promotedPerCall = Math.round((oldSpace() - oldBefore) / n);
const majorGcs = gcWindow.filter((gc) => gc.gcType !== 'Scavenge').length;
if (majorGcs > 0 && !args.time) {
  console.error(
    `${variant} ${mode}: ${majorGcs} major GC events in the window (${[...new Set(gcWindow.map((gc) => gc.gcType))].join(', ')}): ` +
      'its instruction count would depend on where they fall; run node with --initial-old-space-size=512 (or larger)',
  );
  process.exit(1);
}
check(last, 'the last call');
await checkCounts(before + n, 'the window');

const versions = (module.packages ?? []).map((name) => {
  try {
    return `${name} ${JSON.parse(readFileSync(new URL(`./node_modules/${name}/package.json`, import.meta.url), 'utf8')).version}`;
  } catch {
    return `${name} ?`;
  }
});
const summary = {
  variant,
  mode,
  openai: major,
  warmup: before,
  n,
  records: v.records ? v.records() : null,
  keepsApiPromise,
  keepsStream,
  medianUs,
  scavengesPerThousand: Math.round(((gcWindow.length - majorGcs) / n) * 1000 * 10) / 10,
  majorGcs,
  promotedPerCall,
  versions: [v.version, ...versions].join(', '),
  proof: v.describe(),
};
await v.close();
console.log(JSON.stringify(summary));
process.exit(process.exitCode ?? 0);
