/**
 * Cost of a scrape: `monitor.metrics()` and a GET of `monitor.metricsHandler()` on a monitor holding
 * many series, and the longest stretch each keeps the event loop blocked.
 *
 *   npm run bench:exposition                    (builds, then runs this file against dist/)
 *   npx tsup --out-dir .bench-dist/x --no-dts && LLM_VITALS_DIST=.bench-dist/x node bench/exposition.mjs
 *   node bench/exposition.mjs --rounds 51 --samples 10000 --models 100
 *
 * Series are made by real calls through the monitor (all defaults: detectors, evaluators, resource
 * sampler on), with the in-memory fake `openai` client of bench/fake-openai.mjs and a failing twin of
 * it: per model, one completed call, one streamed call (10 chunks), one 429 and one 500, the shape a
 * busy service reaches. Workloads: as many models as it takes for `--samples` samples (the issue's
 * "~10k series"), and `--models` models (100: the guard's default cap on `gen_ai_request_model`).
 *
 * Figures per workload, each over `--rounds` rounds after 5 unmeasured:
 * - time: median wall time of `await monitor.metrics()`, and of a GET of the handler on loopback
 *   (server and client in this process), whole body read; in brackets the median CPU time of the
 *   process meanwhile (steadier than wall time on a shared machine; GC threads included);
 * - longest block: the longest gap between two turns of a `setImmediate` chain running meanwhile (the
 *   time the loop could serve nothing else), median and worst of the rounds;
 * - nothing running: the same probe, for as long as a GET takes, with nothing to do. On a busy shared
 *   machine the process is descheduled and collects garbage at random: that is the floor under the
 *   figures above, not the render's doing.
 */
import http from 'node:http';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { fakeClient, streamChunks } from './fake-openai.mjs';

const dist = resolve(process.env.LLM_VITALS_DIST ?? new URL('../dist', import.meta.url).pathname);
const { createMonitor } = await import(pathToFileURL(`${dist}/index.js`).href);

const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const ROUNDS = Number(arg('--rounds', 31));
const SAMPLES = Number(arg('--samples', 10_000));
const MODELS = Number(arg('--models', 100));

/** A client whose every call fails with this HTTP status, as the SDK's APIError carries it. */
function failingClient(status) {
  const fail = () => Promise.reject(Object.assign(new Error(`status ${status}`), { status }));
  return { baseURL: 'https://api.openai.com/v1', chat: { completions: { create: fail } } };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const sampleCount = (text) => text.split('\n').filter((line) => line !== '' && !line.startsWith('#')).length;

/** A monitor with calls on `models` models, or (models undefined) on as many as it takes for `samples` samples. */
async function populate({ models, samples }) {
  const monitor = createMonitor({ serviceName: 'bench' });
  let records = 0;
  monitor.on('call', () => records++);
  const ok = monitor.wrap(fakeClient({ chunks: streamChunks(10) }));
  const limited = monitor.wrap(failingClient(429));
  const broken = monitor.wrap(failingClient(500));
  let expected = 0;
  let m = 0;
  for (;;) {
    const body = { model: `model-${m++}`, messages: [{ role: 'user', content: 'hi' }] };
    await ok.chat.completions.create(body);
    for await (const _ of await ok.chat.completions.create({ ...body, stream: true }));
    await limited.chat.completions.create(body).catch(() => {});
    await broken.chat.completions.create(body).catch(() => {});
    expected += 4;
    while (records < expected) await turn();
    if (models !== undefined ? m >= models : sampleCount(await monitor.metrics()) >= samples) break;
  }
  return { monitor, models: m };
}


/** Wall time, in ms, of `work()`, and the longest gap between two turns of a setImmediate chain meanwhile. */
async function probe(work) {
  let running = true;
  let last = performance.now();
  let longest = 0;
  const tick = () => {
    const now = performance.now();
    if (now - last > longest) longest = now - last;
    last = now;
    if (running) setImmediate(tick);
  };
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  setImmediate(tick);
  await work();
  const wall = performance.now() - t0;
  const { user, system } = process.cpuUsage(cpu0);
  running = false;
  const now = performance.now();
  if (now - last > longest) longest = now - last;
  await turn();
  return { wall, cpu: (user + system) / 1000, longest };
}

/** GET the whole body of a local server's path. */
function scrape(port) {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/metrics' }, (res) => {
        let bytes = 0;
        res.on('data', (chunk) => (bytes += chunk.length));
        res.on('end', () => resolve(bytes));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

/** Median wall time, median and worst longest block of `work`, over ROUNDS rounds (after 5 unmeasured). */
async function measure(work) {
  for (let i = 0; i < 5; i++) await work();
  const runs = [];
  for (let i = 0; i < ROUNDS; i++) runs.push(await probe(work));
  const blocks = runs.map((r) => r.longest);
  return { wall: median(runs.map((r) => r.wall)), cpu: median(runs.map((r) => r.cpu)), block: median(blocks), worst: Math.max(...blocks) };
}

const rows = [];
for (const [workload, size] of [
  [`~${SAMPLES.toLocaleString('en')} samples`, { samples: SAMPLES }],
  [`${MODELS} models`, { models: MODELS }],
]) {
  const { monitor, models } = await populate(size);
  const text = await monitor.metrics();
  const server = http.createServer(monitor.metricsHandler());
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  const render = await measure(() => monitor.metrics());
  const served = await measure(() => scrape(port));
  // The floor: the same probe with nothing to do, for as long as a scrape takes.
  const floor = await measure(() => new Promise((resolve) => setTimeout(resolve, served.wall)));
  rows.push({ workload, models, samples: sampleCount(text), bytes: Buffer.byteLength(text), render, served, floor });
  await new Promise((resolve) => server.close(resolve));
  await monitor.shutdown();
}

const ms = (x) => `${x.toFixed(1)} ms`;
console.log(`node ${process.version}, ${cpus()[0].model.trim()}, ${cpus().length} cores, load ${loadavg()[0].toFixed(1)}; ${ROUNDS} rounds; ${dist}`);
console.log(
  '| workload | models | samples | bytes | metrics(): time (CPU) | metrics(): longest block (median / worst) | GET /metrics: time (CPU) | GET /metrics: longest block (median / worst) | nothing running: longest block (median / worst) |',
);
console.log('|---|--:|--:|--:|--:|--:|--:|--:|--:|');
for (const r of rows) {
  console.log(
    `| ${r.workload} | ${r.models} | ${r.samples} | ${(r.bytes / 1e6).toFixed(2)} MB | ${ms(r.render.wall)} (${ms(r.render.cpu)}) | ${ms(r.render.block)} / ${ms(r.render.worst)} | ${ms(r.served.wall)} (${ms(r.served.cpu)}) | ${ms(r.served.block)} / ${ms(r.served.worst)} | ${ms(r.floor.block)} / ${ms(r.floor.worst)} |`,
  );
}
