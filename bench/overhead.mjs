/**
 * Overhead of the monitor: the same in-memory fake OpenAI client called unwrapped and wrapped, in one
 * process, batches interleaved so drift hits both alike. Everything is at its defaults (Prometheus
 * export, snapshot, events, detectors, evaluators, resource sampler; no OTel SDK registered).
 *
 *   npm run bench                      (builds, then runs this file against dist/)
 *   LLM_VITALS_DIST=.bench-dist/x node bench/overhead.mjs
 *
 * Reports the median time per non-streaming call and per streamed chunk, wrapped and unwrapped, their
 * ratio and the added time.
 */
import { cpus } from 'node:os';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { fakeClient, streamChunks } from './fake-openai.mjs';

const dist = resolve(process.env.LLM_VITALS_DIST ?? new URL('../dist', import.meta.url).pathname);
const { createMonitor } = await import(pathToFileURL(`${dist}/index.js`).href);

const CHUNKS = 500;
const chunks = streamChunks(CHUNKS);
const body = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] };
const streamBody = { ...body, stream: true };

const plain = fakeClient({ chunks });
let wrapped;
let records = 0;

const turn = () => new Promise((resolve) => setImmediate(resolve));

/**
 * Records are published off the call path (token estimation and evaluation run on a later turn). Two
 * figures per path: "app's path" times the calls alone (what the app waits for; the deferred work of
 * the batch runs after the clock stops), "in all" times until every record of the batch has reached
 * the sinks (the monitor's whole CPU cost). The unwrapped batch waits one turn too.
 */
async function settle(client, expected) {
  await turn();
  if (client === wrapped) while (records < expected) await turn();
}

async function callBatch(client, n, whole) {
  const expected = records + n;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await client.chat.completions.create(body);
  if (whole) await settle(client, expected);
  const ns = Number(process.hrtime.bigint() - t0) / n;
  if (!whole) await settle(client, expected);
  return ns;
}

async function streamBatch(client, n, whole) {
  const expected = records + n;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const s = await client.chat.completions.create(streamBody);
    for await (const _ of s);
  }
  if (whole) await settle(client, expected);
  const ns = Number(process.hrtime.bigint() - t0) / (n * CHUNKS);
  if (!whole) await settle(client, expected);
  return ns;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

async function compare(batch, n, rounds, whole) {
  for (let i = 0; i < 5; i++) {
    await batch(plain, n, whole);
    await batch(wrapped, n, whole);
  }
  const a = [];
  const b = [];
  for (let i = 0; i < rounds; i++) {
    if (i % 2 === 0) {
      a.push(await batch(plain, n, whole));
      b.push(await batch(wrapped, n, whole));
    } else {
      b.push(await batch(wrapped, n, whole));
      a.push(await batch(plain, n, whole));
    }
  }
  const unwrappedNs = median(a);
  const wrappedNs = median(b);
  return { unwrappedNs, wrappedNs, ratio: wrappedNs / unwrappedNs, addedNs: wrappedNs - unwrappedNs };
}

const configs = [
  {
    name: 'Prometheus export only',
    options: { detect: false, evaluationSampleRate: 0, resources: false, otel: false },
  },
  { name: 'all defaults', options: {} },
];

const fmt = (ns) => (Math.abs(ns) >= 1000 ? `${(ns / 1000).toFixed(2)} µs` : `${ns.toFixed(0)} ns`);
const rows = [];
for (const config of configs) {
  const monitor = createMonitor({ serviceName: 'bench', ...config.options });
  wrapped = monitor.wrap(fakeClient({ chunks }));
  monitor.on('call', () => records++);
  for (const [path, batch, n, target] of [
    ['non-streaming call', callBatch, 1000, '≤ 3 µs'],
    ['streamed chunk', streamBatch, 4, '≤ 150 ns'],
  ]) {
    for (const whole of [false, true]) {
      const r = await compare(batch, n, 31, whole);
      rows.push(
        `| ${config.name} | ${path} | ${whole ? 'in all' : "app's path"} | ${fmt(r.unwrappedNs)} | ${fmt(r.wrappedNs)} | ${r.ratio.toFixed(2)}× | ${fmt(r.addedNs)} | ${target} |`,
      );
    }
  }
  await monitor.shutdown();
}

console.log(`node ${process.version}, ${cpus()[0].model}, ${cpus().length} cores; ${records} records`);
console.log('| configuration | path | timed | unwrapped (median) | wrapped (median) | ratio | added | target |');
console.log('|---|---|---|--:|--:|--:|--:|--:|');
for (const row of rows) console.log(row);
