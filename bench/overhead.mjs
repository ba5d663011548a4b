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

const dist = resolve(process.env.LLM_VITALS_DIST ?? new URL('../dist', import.meta.url).pathname);
const { createMonitor } = await import(pathToFileURL(`${dist}/index.js`).href);

const completion = {
  id: 'chatcmpl-bench',
  object: 'chat.completion',
  created: 1,
  model: 'gpt-4o-mini-2024-07-18',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Hello there' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 },
};

function chunkOf(i, last) {
  return {
    id: 'chatcmpl-bench',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'gpt-4o-mini-2024-07-18',
    choices: [{ index: 0, delta: { content: last ? '' : 'tok' }, finish_reason: last ? 'stop' : null }],
    ...(last ? { usage: { prompt_tokens: 12, completion_tokens: i, total_tokens: 12 + i } } : {}),
  };
}

/** A client with the shape of `openai`: a Stream-like async iterable with an `iterator` field. */
class FakeStream {
  constructor(chunks) {
    this.controller = new AbortController();
    this.iterator = async function* () {
      for (const c of chunks) yield c;
    };
  }
  [Symbol.asyncIterator]() {
    return this.iterator();
  }
}

function fakeClient(chunks) {
  return {
    baseURL: 'https://api.openai.com/v1',
    chat: {
      completions: {
        create(body) {
          return Promise.resolve(body.stream ? new FakeStream(chunks) : completion);
        },
      },
    },
  };
}

const CHUNKS = 500;
const streamChunks = Array.from({ length: CHUNKS }, (_, i) => chunkOf(i, i === CHUNKS - 1));
const body = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] };
const streamBody = { ...body, stream: true };

const monitor = createMonitor({ serviceName: 'bench' });
const plain = fakeClient(streamChunks);
const wrapped = monitor.wrap(fakeClient(streamChunks));
let records = 0;
monitor.on('call', () => records++);

const turn = () => new Promise((resolve) => setImmediate(resolve));

/**
 * Records are published off the call path (token estimation, evaluation run on a later turn), so a
 * batch is timed until every record of its calls has reached the sinks: the figures are the monitor's
 * whole cost, not only the part on the app's path. The unwrapped batch waits one turn too.
 */
async function settle(client, expected) {
  await turn();
  if (client === wrapped) while (records < expected) await turn();
}

async function callBatch(client, n) {
  const expected = records + n;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await client.chat.completions.create(body);
  await settle(client, expected);
  return Number(process.hrtime.bigint() - t0) / n;
}

async function streamBatch(client, n) {
  const expected = records + n;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const s = await client.chat.completions.create(streamBody);
    for await (const _ of s);
  }
  await settle(client, expected);
  return Number(process.hrtime.bigint() - t0) / (n * CHUNKS);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

async function compare(name, batch, n, rounds) {
  for (let i = 0; i < 5; i++) {
    await batch(plain, n);
    await batch(wrapped, n);
  }
  const a = [];
  const b = [];
  for (let i = 0; i < rounds; i++) {
    if (i % 2 === 0) {
      a.push(await batch(plain, n));
      b.push(await batch(wrapped, n));
    } else {
      b.push(await batch(wrapped, n));
      a.push(await batch(plain, n));
    }
  }
  const unwrapped = median(a);
  const wrappedNs = median(b);
  return { name, unwrappedNs: unwrapped, wrappedNs, ratio: wrappedNs / unwrapped, addedNs: wrappedNs - unwrapped };
}

const results = [await compare('non-streaming call', callBatch, 1000, 41), await compare('streamed chunk', streamBatch, 4, 41)];
await monitor.shutdown();

const fmt = (ns) => (ns >= 1000 ? `${(ns / 1000).toFixed(2)} µs` : `${ns.toFixed(0)} ns`);
console.log(`node ${process.version}, ${cpus()[0].model}, ${cpus().length} cores; ${records} records`);
console.log('| path | unwrapped (median) | wrapped (median) | ratio | added | target |');
console.log('|---|--:|--:|--:|--:|--:|');
for (const r of results) {
  const target = r.name === 'streamed chunk' ? '≤ 150 ns' : '≤ 3 µs';
  console.log(`| ${r.name} | ${fmt(r.unwrappedNs)} | ${fmt(r.wrappedNs)} | ${r.ratio.toFixed(2)}× | ${fmt(r.addedNs)} | ${target} |`);
}
