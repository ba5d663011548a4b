#!/usr/bin/env node
// Token-counter benchmark: gpt-tokenizer vs js-tiktoken, o200k_base and cl100k_base.
// Usage: node bench/tokenizers.mjs
// Every measurement runs in a fresh child process (`node --expose-gc --input-type=module -e ...`)
// so module caches, JIT state and heaps of the libraries never mix. Results -> stdout and
// bench/results/tokenizers.md.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ENCODINGS = ['o200k_base', 'cl100k_base'];
const IMPORT_RUNS = 5;
const SPEED_ROUNDS = 7;

// Each loader is a snippet that must define `count(text) => number`.
// `load` time in the tables = everything the snippet does (imports + encoder construction).
const LOADERS = {
  'node baseline (no tokenizer)': () => `const count = (s) => s.length;`,
  'gpt-tokenizer': (enc) =>
    `const m = await import('gpt-tokenizer/encoding/${enc}'); const count = m.countTokens;`,
  'gpt-tokenizer (main entry)': () =>
    `const m = await import('gpt-tokenizer'); const count = m.countTokens;`,
  'gpt-tokenizer, merge cache off': (enc) =>
    `const m = await import('gpt-tokenizer/encoding/${enc}'); m.setMergeCacheSize(0); const count = m.countTokens;`,
  'js-tiktoken/lite + ranks': (enc) =>
    `const { Tiktoken } = await import('js-tiktoken/lite');
     const { default: ranks } = await import('js-tiktoken/ranks/${enc}');
     const enc = new Tiktoken(ranks); const count = (s) => enc.encode(s).length;`,
  'js-tiktoken (full import)': (enc) =>
    `const { getEncoding } = await import('js-tiktoken');
     const enc = getEncoding('${enc}'); const count = (s) => enc.encode(s).length;`,
};
const IMPORT_CASES = [
  ['node baseline (no tokenizer)', '-'],
  ...ENCODINGS.flatMap((e) => [['gpt-tokenizer', e], ['js-tiktoken/lite + ranks', e], ['js-tiktoken (full import)', e]]),
  ['gpt-tokenizer (main entry)', 'o200k_base'],
];
const SPEED_LIBS = ['gpt-tokenizer', 'gpt-tokenizer, merge cache off', 'js-tiktoken/lite + ranks'];

// ---------- deterministic sample texts ----------
function rng(seed) { // mulberry32
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const WORDS = ('the of and to in is that for it as with was on be by this are from at or an which have not ' +
  'request response latency model token stream server client budget metric monitor throughput error retry ' +
  'timeout provider customer report summary quarter revenue growth analysis system network performance ' +
  'developer application library function value result however although because therefore meanwhile ' +
  'important significant measured observed increased reduced average median percentile distribution ' +
  'during between across within without before after under over large small first second final several ' +
  'people company market product feature release version update support document question answer').split(' ');
const UNICODE = ['Grüße aus München — café, naïve façade, Ærøskøbing.', '日本語のテキストをトークン化します。',
  'Привет, как дела? Всё хорошо, спасибо.', 'Emoji: 😀🚀✨👍🏽 👩‍💻 🇩🇪', 'مرحبا بالعالم، كيف حالك؟',
  '한국어 문장입니다. 토큰 수를 세어 봅시다.', 'Math: ∑ ∫ √x ≠ ≤ ≥ π ≈ 3.14159 ∞', '中文文本：今天天气很好，我们去公园散步吧。',
  'Ελληνικά: Γειά σου Κόσμε!', 'हिन्दी: नमस्ते दुनिया'];
function sentence(r) {
  const n = 6 + Math.floor(r() * 16);
  const w = Array.from({ length: n }, () => WORDS[Math.floor(r() * WORDS.length)]);
  if (r() < 0.2) w.splice(1 + Math.floor(r() * (n - 1)), 0, String(Math.floor(r() * 10000)));
  const s = w.join(' ');
  return s[0].toUpperCase() + s.slice(1) + (r() < 0.1 ? '?' : r() < 0.2 ? '!' : '.');
}
function paragraph(r) { return Array.from({ length: 3 + Math.floor(r() * 5) }, () => sentence(r)).join(' '); }
function codeBlock(r) {
  const id = () => WORDS[Math.floor(r() * WORDS.length)] + (r() < 0.5 ? 'Count' : 'Value');
  const a = id(), b = id(), k = Math.floor(r() * 1000);
  return r() < 0.5
    ? `\`\`\`js\nexport async function ${a}(${b}, opts = {}) {\n  const start = performance.now();\n` +
      `  for (let i = 0; i < ${k}; i++) {\n    if (${b}[i]?.done) break;\n    await sleep(i * 2);\n  }\n` +
      `  return { ${a}: Math.round(performance.now() - start), ok: true };\n}\n\`\`\``
    : `\`\`\`python\ndef ${a}(${b}: list[int]) -> dict:\n    """Compute ${a} stats."""\n` +
      `    total = sum(x * ${k} for x in ${b} if x % 3 == 0)\n    return {"${b}": total, "n": len(${b})}\n\`\`\``;
}
function buildText(bytes, seed, mixed) {
  const r = rng(seed), parts = [];
  let size = 0;
  while (size < bytes) {
    const x = r();
    const p = !mixed || x < 0.5 ? paragraph(r) : x < 0.8 ? codeBlock(r)
      : Array.from({ length: 2 + Math.floor(r() * 3) }, () => UNICODE[Math.floor(r() * UNICODE.length)]).join(' ');
    parts.push(p);
    size += Buffer.byteLength(p) + 2;
  }
  let s = parts.join('\n\n');
  if (!mixed) s = s.slice(0, bytes).replace(/\s+\S*$/, '.'); // ASCII only: cut at a word boundary
  return s;
}
const TEXTS = {
  'short chat prompt': 'Summarize this support ticket in two sentences for the team.',
  '4 KB English': buildText(4096, 42, false),
  '64 KB mixed': buildText(64 * 1024, 7, true),
};

// ---------- child-process runners ----------
function runChild(script, input) {
  const t0 = process.hrtime.bigint();
  const res = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script],
    { cwd: ROOT, input, encoding: 'utf8', maxBuffer: 16 << 20 });
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  if (res.status !== 0) throw new Error(`child failed (${res.status}):\n${res.stderr}\n--- script ---\n${script}`);
  return { ...JSON.parse(res.stdout.trim().split('\n').pop()), wallMs };
}
const importScript = (snippet) => `
gc(); const m0 = process.memoryUsage(); const t0 = performance.now();
${snippet}
const t1 = performance.now(); const n = count(${JSON.stringify(TEXTS['short chat prompt'])}); const t2 = performance.now();
const m1 = process.memoryUsage(); gc(); gc(); const m2 = process.memoryUsage();
console.log(JSON.stringify({ loadMs: t1 - t0, firstMs: t2 - t1, rss: m1.rss - m0.rss,
  heap: m2.heapUsed - m0.heapUsed, ext: m2.external - m0.external, n }));`;
const speedScript = (snippet) => `
import { readFileSync } from 'node:fs';
gc(); const h0 = process.memoryUsage().heapUsed;
${snippet}
const texts = JSON.parse(readFileSync(0, 'utf8')); const out = {};
for (const [name, text] of Object.entries(texts)) {
  let n = 0; const w0 = performance.now();
  while (performance.now() - w0 < 400) { count(text); n++; }          // warm-up ~400 ms
  const iters = Math.max(3, Math.round(n / 4));                         // ~100 ms per round
  const rounds = [];
  for (let r = 0; r < ${SPEED_ROUNDS}; r++) {
    const s = performance.now();
    for (let i = 0; i < iters; i++) count(text);
    rounds.push(((performance.now() - s) * 1000) / iters);
  }
  rounds.sort((a, b) => a - b);
  const us = rounds[rounds.length >> 1];
  out[name] = { tokens: count(text), us, mbps: Buffer.byteLength(text) / us };
}
gc(); gc(); // heap still retained by the encoder (incl. caches) after all the counting above
console.log(JSON.stringify({ texts: out, heapAfter: process.memoryUsage().heapUsed - h0 }));`;

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const MB = (b) => (b / 2 ** 20).toFixed(1);
const f = (x, d = 1) => x.toFixed(d);
const fUs = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

// 1 + 3. import cost and retained memory (runs interleaved round-robin to spread out noise)
process.stderr.write(`import cost: ${IMPORT_CASES.length} cases x ${IMPORT_RUNS} fresh processes\n`);
const importRuns = IMPORT_CASES.map(() => []);
for (let run = 0; run < IMPORT_RUNS; run++)
  IMPORT_CASES.forEach(([lib, enc], i) => importRuns[i].push(runChild(importScript(LOADERS[lib](enc)))));

// 2 + 4. speed and token counts
const speed = {};
for (const enc of ENCODINGS) for (const lib of SPEED_LIBS) {
  process.stderr.write(`speed: ${lib} / ${enc}\n`);
  speed[`${lib}|${enc}`] = runChild(speedScript(LOADERS[lib](enc)), JSON.stringify(TEXTS));
}

// ---------- report ----------
const pkgVersion = (p) => JSON.parse(readFileSync(new URL(`../node_modules/${p}/package.json`, import.meta.url), 'utf8')).version;
const cpus = os.cpus();
const L = [];
L.push('# Tokenizer benchmark: gpt-tokenizer vs js-tiktoken', '');
L.push('- Command: `node bench/tokenizers.mjs`');
L.push(`- Date: ${new Date().toISOString()}`);
L.push(`- Node: ${process.version} (${process.platform}-${process.arch})`);
L.push(`- Machine: ${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, ${MB(os.totalmem() / 1024)} GiB RAM`);
L.push(`- Libraries: gpt-tokenizer ${pkgVersion('gpt-tokenizer')}, js-tiktoken ${pkgVersion('js-tiktoken')}`);
L.push('', `## Import cost and memory (fresh process per sample, median of ${IMPORT_RUNS})`, '');
L.push('load = `import()` + encoder construction; first count = first call on the short prompt; ' +
  'process wall = whole child process incl. Node startup (compare with the baseline row). ' +
  'RSS growth measured right after the first count; heap/external retained measured after `gc()`.', '');
L.push('| Library / entry point | Encoding | load ms | first count ms | load + first ms | process wall ms | RSS growth MB | heap retained MB | external retained MB |');
L.push('|---|---|--:|--:|--:|--:|--:|--:|--:|');
IMPORT_CASES.forEach(([lib, enc], i) => {
  const r = importRuns[i], m = (k) => median(r.map((x) => x[k]));
  L.push(`| ${lib} | ${enc} | ${f(m('loadMs'))} | ${f(m('firstMs'), 2)} | ${f(median(r.map((x) => x.loadMs + x.firstMs)))} | ` +
    `${f(m('wallMs'))} | ${MB(m('rss'))} | ${MB(m('heap'))} | ${MB(m('ext'))} |`);
});
const names = Object.keys(TEXTS), bytes = names.map((n) => Buffer.byteLength(TEXTS[n]));
L.push('', `## Speed (token counting, median of ${SPEED_ROUNDS} rounds after ~400 ms warm-up; µs per call / MB/s)`, '');
L.push('gpt-tokenizer uses `countTokens`; js-tiktoken uses `encode(text).length` (it has no count API). ' +
  'gpt-tokenizer keeps an LRU merge cache (default 100k entries) that is warm after the first call; ' +
  'the "merge cache off" row shows the uncached BPE cost. Last column: heap still held (after `gc()`) ' +
  'once all texts were counted, i.e. encoder + caches in steady state.', '');
L.push(`| Library | Encoding | ${names.map((n, i) => `${n} (${bytes[i]} B) µs | MB/s`).join(' | ')} | heap retained after run MB |`);
L.push(`|---|---|${names.map(() => '--:|--:').join('|')}|--:|`);
for (const enc of ENCODINGS) for (const lib of SPEED_LIBS) {
  const s = speed[`${lib}|${enc}`];
  L.push(`| ${lib} | ${enc} | ${names.map((n) => `${fUs(s.texts[n].us)} | ${f(s.texts[n].mbps, 2)}`).join(' | ')} | ${MB(s.heapAfter)} |`);
}
L.push('', '## Correctness cross-check (token counts)', '');
L.push(`| Encoding | Text | bytes | ${SPEED_LIBS.join(' | ')} | match |`);
L.push(`|---|---|--:|${SPEED_LIBS.map(() => '--:').join('|')}|---|`);
let allMatch = true;
for (const enc of ENCODINGS) names.forEach((n, i) => {
  const counts = SPEED_LIBS.map((lib) => speed[`${lib}|${enc}`].texts[n].tokens);
  const ok = counts.every((c) => c === counts[0]);
  allMatch &&= ok;
  L.push(`| ${enc} | ${n} | ${bytes[i]} | ${counts.join(' | ')} | ${ok ? 'yes' : '**NO**'} |`);
});
L.push('', `All token counts match: **${allMatch ? 'yes' : 'NO'}**`, '');

const md = L.join('\n');
console.log(md);
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/tokenizers.md', import.meta.url), md);
if (!allMatch) process.exitCode = 1;
