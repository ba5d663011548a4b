/**
 * What privacy, cost and quality cost per call: the same in-memory fake OpenAI client, wrapped by
 * monitors that differ only in these options, in one process, rounds interleaved so drift hits all
 * alike. For each, two figures per non-streaming call:
 *
 * - app path: from calling `create` to the app holding its response (what the app waits for);
 * - total: CPU time of the call plus everything the monitor does later for it (held records are
 *   captured, evaluated and published on a later turn), until every record has been published
 *   (process.cpuUsage, so a busy machine's waits for a core are not counted).
 *
 *   npx tsup --out-dir .bench-dist/quality && LLM_VITALS_DIST=.bench-dist/quality node bench/quality.mjs
 *
 * Configurations: `baseline` (evaluation off: evaluationSampleRate 0, no capture), `evaluators`
 * (the default: the six built-ins on every completed call), `capture` (the default plus content capture
 * with redaction), `evaluators + custom` (the default plus one sync custom evaluator).
 */
import { cpus } from 'node:os';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { fakeClient } from './fake-openai.mjs';

const dist = resolve(process.env.LLM_VITALS_DIST ?? new URL('../dist', import.meta.url).pathname);
const { createMonitor } = await import(pathToFileURL(`${dist}/index.js`).href);

// A JSON answer to a JSON request: valid_json parses it, the others read it.
const answer = JSON.stringify({ answer: 'The capital of France is Paris.', confidence: 0.93, sources: ['a', 'b', 'c'] });
const completion = {
  id: 'chatcmpl-bench',
  object: 'chat.completion',
  created: 1,
  model: 'gpt-4o-mini-2024-07-18',
  choices: [{ index: 0, message: { role: 'assistant', content: answer }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 120, completion_tokens: 30, total_tokens: 150, prompt_tokens_details: { cached_tokens: 64 } },
};
// About 1 KB of prompt with an e-mail address, a phone number and a key for the redactor to find.
const prompt = `Customer jane.doe@example.com (+44 20 7946 0958) asks about order 1234 and pasted sk-proj-${'a'.repeat(40)}. ${'Lorem ipsum dolor sit amet, consectetur adipiscing elit. '.repeat(15)}`;
const body = {
  model: 'gpt-4o-mini',
  messages: [
    { role: 'system', content: 'Answer in JSON.' },
    { role: 'user', content: prompt },
  ],
  response_format: { type: 'json_object' },
};

// Detectors off: their own cost is measured in their own benchmark; these figures are privacy, cost and quality only.
const base = { serviceName: 'bench', otel: false, resources: false, detect: false };
const configs = [
  ['baseline (evaluation off)', { ...base, evaluationSampleRate: 0 }],
  ['evaluators (default)', { ...base }],
  ['evaluators + capture', { ...base, capture: { content: true } }],
  ['evaluators + custom sync', { ...base, evaluators: ['non_empty', 'not_truncated', 'valid_json', 'matches_schema', 'no_refusal', 'tool_arguments', { name: 'mentions_paris', evaluate: ({ output }) => output.includes('Paris') }] }],
];

const setups = configs.map(([name, options]) => {
  const monitor = createMonitor(options);
  const client = monitor.wrap(fakeClient({ completion }));
  const state = { name, monitor, client, published: 0 };
  monitor.on('call', () => state.published++);
  return state;
});

const turn = () => new Promise((r) => setImmediate(r));

/** n calls; returns [app path ns per call, total CPU ns per call]. */
async function batch(state, n) {
  const target = state.published + n;
  // CPU time, not wall time, for the total: on a shared machine, waiting for a core is not our cost.
  const cpu0 = process.cpuUsage();
  let appNs = 0n;
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    await state.client.chat.completions.create(body);
    appNs += process.hrtime.bigint() - t;
    // A real call waits on the network, so later turns run between calls: let them run here too.
    if (i % 16 === 15) await turn();
  }
  for (let i = 0; state.published < target && i < 10_000; i++) await turn();
  if (state.published < target) throw new Error(`${state.name}: ${target - state.published} records never published`);
  const cpu = process.cpuUsage(cpu0);
  return [Number(appNs) / n, ((cpu.user + cpu.system) * 1000) / n];
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const N = 512;
const ROUNDS = 31;
for (let i = 0; i < 3; i++) for (const s of setups) await batch(s, N);
const app = setups.map(() => []);
const total = setups.map(() => []);
for (let round = 0; round < ROUNDS; round++) {
  // Rotate the order each round.
  for (let k = 0; k < setups.length; k++) {
    const i = (k + round) % setups.length;
    const [a, t] = await batch(setups[i], N);
    app[i].push(a);
    total[i].push(t);
  }
}
for (const s of setups) await s.monitor.shutdown();

const fmt = (ns) => (ns >= 1000 ? `${(ns / 1000).toFixed(2)} µs` : `${ns.toFixed(0)} ns`);
const baseApp = median(app[0]);
const baseTotal = median(total[0]);
console.log(`node ${process.version}, ${cpus()[0].model}, ${cpus().length} cores; ${N} calls × ${ROUNDS} rounds per configuration, medians`);
console.log('| configuration | app path per call (wall) | added on the app path | total CPU per call | added in total |');
console.log('|---|--:|--:|--:|--:|');
setups.forEach((s, i) => {
  const a = median(app[i]);
  const t = median(total[i]);
  console.log(`| ${s.name} | ${fmt(a)} | ${fmt(a - baseApp)} | ${fmt(t)} | ${fmt(t - baseTotal)} |`);
});
