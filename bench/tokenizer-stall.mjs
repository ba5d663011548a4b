#!/usr/bin/env node
/**
 * Tokenizer: worst-case stall. How long counting the tokens of one call's text can hold the event loop,
 * on adversarial text (a run of one character, random bytes, emoji, a long word without spaces, base64)
 * and on ordinary text, when the provider reported no usage and the monitor has to estimate it.
 *
 *   npm run bench:tokenizer-stall                 (builds, then runs this file against dist/)
 *   LLM_VITALS_DIST=.bench-dist/stall node bench/tokenizer-stall.mjs [--only run-a] [--all] [--repeat 3]
 *
 * Two ways to count each input, each in a fresh child process (no shared merge cache, JIT or heap):
 * - "one call": gpt-tokenizer's countTokens on the whole text, as llm-vitals 0.1.0's estimator did (one
 *   synchronous call). Skipped where it would take minutes (past the sizes in WHOLE_UP_TO) unless --all.
 * - "monitor": the built library: a wrapped in-memory fake OpenAI client whose completion has no usage,
 *   the text as the user message; timed from the call until its record reaches an `on('call')` listener.
 *   Run --repeat times (3), each in its own process: the median and the worst are reported.
 * The longest block is the longest gap between two runs of a 1 ms `setInterval` probe, less the 1 ms;
 * "total" is wall time. The tokenizer is loaded (and its one-off import block measured) before timing.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const K = 1000;
const M = 1_000_000;

/** Inputs and sizes (UTF-16 units). */
const CASES = [
  ['run-a', [10 * K, 50 * K, 100 * K, 200 * K, 1 * M]],
  ['run-cjk', [10 * K, 50 * K, 200 * K]],
  ['run-space', [200 * K]],
  ['random-bytes', [200 * K, 1 * M]],
  ['emoji', [20 * K, 200 * K]],
  ['long-word', [50 * K, 200 * K]],
  ['base64', [200 * K]],
  ['ordinary', [200 * K, 1 * M, 4 * M]],
];

/** The largest size counted in one call by default: past it, that takes minutes (50 s at 200k `a`, 114 s at 200k emoji). */
const WHOLE_UP_TO = { 'run-a': 200 * K, 'run-cjk': 50 * K, 'run-space': 200 * K, emoji: 20 * K, 'long-word': 50 * K };

function rng(seed) {
  // mulberry32
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ('the of and to in is that for it as with was on be by this are from at or an which have not request response ' +
  'latency model token stream server client budget metric monitor throughput error retry timeout provider customer report ' +
  'summary quarter revenue growth analysis system network performance developer application library function value result').split(' ');

/** Ordinary text: English sentences, a code block and a JSON object, in turn. */
function ordinary(n, r) {
  const out = [];
  let length = 0;
  while (length < n) {
    const k = r();
    let piece;
    if (k < 0.6) {
      const words = Array.from({ length: 8 + Math.floor(r() * 14) }, () => WORDS[Math.floor(r() * WORDS.length)]);
      piece = `${words.join(' ')}. `;
    } else if (k < 0.8) {
      const name = WORDS[Math.floor(r() * WORDS.length)];
      piece = `\n\`\`\`js\nexport function ${name}Count(items, limit = ${Math.floor(r() * 100)}) {\n  return items.filter((x) => x.${name} > limit).length;\n}\n\`\`\`\n`;
    } else {
      piece = `${JSON.stringify({ id: Math.floor(r() * 1e6), name: WORDS[Math.floor(r() * WORDS.length)], ok: r() < 0.5, tags: [WORDS[Math.floor(r() * WORDS.length)]] }, null, 2)}\n`;
    }
    out.push(piece);
    length += piece.length;
  }
  return out.join('').slice(0, n);
}

function textOf(input, n) {
  const r = rng(42);
  switch (input) {
    case 'run-a':
      return 'a'.repeat(n);
    case 'run-cjk':
      return '中'.repeat(n);
    case 'run-space':
      return ' '.repeat(n);
    case 'random-bytes': {
      // Random bytes read as UTF-8, as binary pasted into a prompt: replacement characters among ASCII.
      const bytes = Buffer.alloc(n);
      for (let i = 0; i < n; i++) bytes[i] = Math.floor(r() * 256);
      return bytes.toString('utf8').slice(0, n);
    }
    case 'emoji': {
      let s = '';
      while (s.length < n) s += String.fromCodePoint(0x1f300 + Math.floor(r() * 0x300));
      return s.slice(0, n);
    }
    case 'long-word':
      return Array.from({ length: n }, () => String.fromCharCode(97 + Math.floor(r() * 26))).join('');
    case 'base64': {
      const bytes = Buffer.alloc(Math.ceil((n * 3) / 4));
      for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(r() * 256);
      return bytes.toString('base64').slice(0, n);
    }
    case 'ordinary':
      return ordinary(n, r);
    default:
      throw new Error(`unknown input ${input}`);
  }
}

/** The main thread's time on a CPU so far, in ms (Linux: /proc/self/task/<pid>/schedstat), else undefined. */
function threadCpuMs() {
  try {
    return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return undefined;
  }
}

/**
 * The longest gap between two 1 ms probe ticks, less the 1 ms the probe waits (`wall`), and the most
 * CPU time the main thread used between two ticks (`cpu`): on a shared machine a gap also holds the
 * time the process waited for a core, which `cpu` leaves out.
 */
function startProbe() {
  let last = performance.now();
  let lastCpu = threadCpuMs();
  let wall = 0;
  let cpu = 0;
  const tick = () => {
    const now = performance.now();
    const nowCpu = threadCpuMs();
    wall = Math.max(wall, now - last - 1);
    if (nowCpu !== undefined) cpu = Math.max(cpu, nowCpu - lastCpu);
    last = now;
    lastCpu = nowCpu;
  };
  const timer = setInterval(tick, 1);
  return () => {
    clearInterval(timer);
    tick();
    return { wall: Math.max(0, wall), cpu: lastCpu === undefined ? undefined : cpu };
  };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function child({ input, size, mode, dist }) {
  if (mode === 'idle') {
    // The noise floor: the longest gap of an event loop with nothing to do, on this machine now.
    const stop = startProbe();
    await sleep(size);
    const block = stop();
    return { blockMs: block.wall, blockCpuMs: block.cpu };
  }
  const text = textOf(input, size);
  if (mode === 'whole') {
    const { countTokens } = await import('gpt-tokenizer/encoding/o200k_base');
    const asText = { disallowedSpecial: new Set() };
    countTokens('warm up', asText);
    await sleep(20);
    const stop = startProbe();
    await sleep(5);
    const t0 = performance.now();
    const tokens = await new Promise((done) => setImmediate(() => done(countTokens(text, asText))));
    const totalMs = performance.now() - t0;
    await sleep(5);
    const block = stop();
    return { tokens, totalMs, blockMs: block.wall, blockCpuMs: block.cpu };
  }
  const { createMonitor } = await import(pathToFileURL(`${dist}/index.js`).href);
  const { fakeClient, COMPLETION } = await import('./fake-openai.mjs');
  const monitor = createMonitor({ serviceName: 'bench', detect: false, evaluationSampleRate: 0, resources: false, otel: false });
  const client = monitor.wrap(fakeClient({ completion: { ...COMPLETION, usage: undefined } }));
  let published;
  monitor.on('call', (record) => published?.(record));
  const call = async (content) => {
    const record = new Promise((done) => (published = done));
    await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }] });
    return record;
  };
  // The first estimate imports the tokenizer: one block, whatever the text, measured on its own.
  const stopLoad = startProbe();
  await call('warm up');
  const loadBlockMs = stopLoad().wall;
  await sleep(20);
  const stop = startProbe();
  await sleep(5);
  const t0 = performance.now();
  const record = await call(text);
  const totalMs = performance.now() - t0;
  await sleep(5);
  const block = stop();
  await monitor.shutdown();
  // One user message: 3 tokens for it and 3 to prime the reply.
  return { tokens: record.inputTokens.count - 6, totalMs, blockMs: block.wall, blockCpuMs: block.cpu, loadBlockMs, notes: record.notes.filter((n) => n.startsWith('estimate')) };
}

if (process.argv[2] === '--child') {
  const result = await child(JSON.parse(process.argv[3]));
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

const args = process.argv.slice(2);
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
const all = args.includes('--all');
const REPEAT = args.includes('--repeat') ? Number(args[args.indexOf('--repeat') + 1]) : 3;
const dist = resolve(process.env.LLM_VITALS_DIST ?? fileURLToPath(new URL('../dist', import.meta.url)));
const self = fileURLToPath(import.meta.url);

function run(spec) {
  const out = spawnSync(process.execPath, [self, '--child', JSON.stringify({ ...spec, dist })], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (out.status !== 0) throw new Error(`child ${JSON.stringify(spec)} failed:\n${out.stderr}`);
  return JSON.parse(out.stdout.trim().split('\n').pop());
}

const ms = (x) => (x >= 1000 ? `${(x / 1000).toFixed(1)} s` : x >= 10 ? `${x.toFixed(0)} ms` : `${x.toFixed(1)} ms`);
const size = (n) => (n >= M ? `${n / M}M` : `${n / K}k`);

console.log(`node ${process.version}, ${cpus()[0]?.model ?? '?'} × ${cpus().length}, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}; build: ${dist}`);
console.log('');
console.log(`Monitor figures: median of ${REPEAT} fresh processes, the worst in brackets. "cpu": the main thread's own CPU`);
console.log('time in its longest stretch between two probe ticks (what the code costs, without waiting for a core).');
console.log('');
console.log('| input | chars | one call: block, wall | one call: cpu | monitor: longest block, wall | monitor: cpu | monitor: total | ratio (cpu) | tokens (one call) | tokens (monitor) | difference |');
console.log('|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|');
const msOr = (x) => (x === undefined ? 'n/a' : ms(x));
let loadBlocks = [];
for (const [input, sizes] of CASES) {
  if (only !== undefined && input !== only) continue;
  for (const n of sizes) {
    const wholeRuns = all || n <= (WHOLE_UP_TO[input] ?? Infinity);
    const whole = wholeRuns ? run({ input, size: n, mode: 'whole' }) : undefined;
    const runs = Array.from({ length: REPEAT }, () => run({ input, size: n, mode: 'monitor' }));
    const median = (key) => runs.map((r) => r[key]).sort((a, b) => a - b)[Math.floor(REPEAT / 2)];
    const worst = (key) => Math.max(...runs.map((r) => r[key]));
    loadBlocks.push(...runs.map((r) => r.loadBlockMs));
    const blockMs = median('blockMs');
    const cpu = runs[0].blockCpuMs === undefined ? 'n/a' : `${ms(median('blockCpuMs'))} (${ms(worst('blockCpuMs'))})`;
    const diff = whole === undefined ? '' : `${(((runs[0].tokens - whole.tokens) / whole.tokens) * 100).toFixed(2)}%`;
    const noted = runs[0].notes.length > 0 ? ` (${runs[0].notes.join(', ')})` : '';
    console.log(
      `| ${input} | ${size(n)} | ${whole ? ms(whole.blockMs) : 'not run'} | ${whole ? msOr(whole.blockCpuMs) : ''} | ${ms(blockMs)} (${ms(worst('blockMs'))}) | ${cpu} | ${ms(median('totalMs'))} | ` +
        `${whole?.blockCpuMs !== undefined ? `${Math.round(whole.blockCpuMs / Math.max(median('blockCpuMs'), 0.1)).toLocaleString('en')}×` : ''} | ${whole?.tokens ?? ''} | ${runs[0].tokens}${noted} | ${diff} |`,
    );
  }
}
const idle = Array.from({ length: REPEAT }, () => run({ size: 2000, mode: 'idle' }));
loadBlocks = loadBlocks.sort((a, b) => a - b);
console.log('');
console.log(`Noise floor: an idle event loop's longest gap over 2 s, ${REPEAT} processes: ${idle.map((r) => `${ms(r.blockMs)} (cpu ${msOr(r.blockCpuMs)})`).join(', ')}.`);
console.log('');
console.log(`First estimate (imports gpt-tokenizer's o200k_base): one block of ${ms(loadBlocks[0])}–${ms(loadBlocks[loadBlocks.length - 1])}, whatever the text.`);
