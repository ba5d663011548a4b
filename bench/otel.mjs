/**
 * What OpenTelemetry adds per call: the same in-memory fake OpenAI client, unwrapped and wrapped,
 * in one process, under four configurations run in rotating order:
 *
 *   - unwrapped       the fake client itself;
 *   - otel off        createMonitor({ otel: false }): the monitor without its OTel sinks (baseline);
 *   - no SDK          createMonitor(): OTel sinks on, no SDK registered (most apps before OTel);
 *   - SDK, no-op      createMonitor({ otel: { tracerProvider, meterProvider } }): a BasicTracerProvider
 *                     with a BatchSpanProcessor around an exporter that drops what it gets, and a
 *                     MeterProvider whose reader never exports: every span and histogram is made.
 *
 * Each phase makes a fresh monitor, warms it up, then makes n calls in bursts of 50, a turn of the
 * event loop after each (as network waits would give), measured in process CPU time twice: inside
 * the bursts (the app's path: what each call's own work grows by) and until idle again (in all: the
 * work deferred to the turns, where spans are started and ended and histograms observed, the other
 * sinks' batches, GC). The OTel cost is the difference against "otel off".
 *
 *   npx tsup --out-dir .bench-dist/otel && LLM_VITALS_DIST=.bench-dist/otel node bench/otel.mjs
 *   node bench/otel.mjs                (against dist/, after npm run build)
 */
import { cpus } from 'node:os';
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { fakeClient, streamChunks } from './fake-openai.mjs';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';

const dist = resolve(process.env.LLM_VITALS_DIST ?? new URL('../dist', import.meta.url).pathname);
const { createMonitor } = await import(pathToFileURL(`${dist}/index.js`).href);

const CHUNKS = 200;
const chunks = streamChunks(CHUNKS);

// ---- the SDK with a no-op exporter -----------------------------------------------------------------
let exportedSpans = 0;
const dropExporter = {
  export(spans, done) {
    exportedSpans += spans.length;
    done({ code: 0 });
  },
  shutdown: () => Promise.resolve(),
  forceFlush: () => Promise.resolve(),
};
// A queue large enough that no span is dropped for lack of room (a dropped span is cheaper).
const tracerProvider = new BasicTracerProvider({
  spanProcessors: [new BatchSpanProcessor(dropExporter, { maxQueueSize: 1 << 17, maxExportBatchSize: 512, scheduledDelayMillis: 200 })],
});
class HoldingReader extends MetricReader {
  onForceFlush() {
    return Promise.resolve();
  }
  onShutdown() {
    return Promise.resolve();
  }
}
const reader = new HoldingReader();
const meterProvider = new MeterProvider({ readers: [reader] });

const configs = {
  unwrapped: undefined,
  'otel off': { serviceName: 'bench', otel: false },
  'no SDK': { serviceName: 'bench' },
  'SDK, no-op exporter': { serviceName: 'bench', otel: { tracerProvider, meterProvider } },
};

const body = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], temperature: 0.3 };
const streamBody = { ...body, stream: true, stream_options: { include_usage: true } };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const turn = () => new Promise((r) => setImmediate(r));
const BURST = 50;
/** Let every deferred piece of work run (spans, histograms, the other sinks' batches). */
const idle = async () => {
  for (let i = 0; i < 3; i++) await sleep(5);
};
const cpuNs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) * 1000;
};

const callOnce = (client) => client.chat.completions.create(body);
async function streamOnce(client) {
  const s = await client.chat.completions.create(streamBody);
  for await (const _ of s);
}

/**
 * One phase: a fresh monitor (none for `unwrapped`), warmed up, then `n` calls in bursts of BURST,
 * each burst followed by a turn of the event loop, as calls separated by network waits would be.
 * Measured in process CPU time: inside the bursts (the app's path) and from the first call until
 * idle again (in all: the work deferred to the turns, the other sinks' batches, GC). CPU time, not
 * wall clock: this machine's two cores are shared, and a wall clock there measures the neighbours.
 */
async function phase(config, once, n) {
  const monitor = config === undefined ? undefined : createMonitor(config);
  const client = monitor === undefined ? fakeClient({ chunks }) : monitor.wrap(fakeClient({ chunks }));
  for (let i = 0; i < Math.min(n, 200); i++) await once(client);
  await idle();
  let path = 0;
  const start = cpuNs();
  for (let done = 0; done < n; done += BURST) {
    const t = cpuNs();
    for (let i = 0; i < BURST; i++) await once(client);
    path += cpuNs() - t;
    await turn();
  }
  await idle();
  const all = cpuNs() - start;
  await monitor?.shutdown();
  return { path: path / n, cpu: all / n };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function compare(once, n, rounds) {
  const names = Object.keys(configs);
  const samples = Object.fromEntries(names.map((name) => [name, { path: [], cpu: [] }]));
  for (const name of names) await phase(configs[name], once, n); // warm-up round, not counted
  for (let i = 0; i < rounds; i++) {
    // Rotate the order each round, so no configuration always runs first or last.
    for (let k = 0; k < names.length; k++) {
      const name = names[(k + i) % names.length];
      const { path, cpu } = await phase(configs[name], once, n);
      samples[name].path.push(path);
      samples[name].cpu.push(cpu);
    }
  }
  return Object.fromEntries(names.map((name) => [name, { path: median(samples[name].path), cpu: median(samples[name].cpu) }]));
}

const ROUNDS = Number(process.env.ROUNDS ?? 11);
const calls = await compare(callOnce, 20000, ROUNDS);
const streams = await compare(streamOnce, 200, ROUNDS);

/**
 * The no-SDK cost is below the noise of whole phases, so it is also measured as an A/B of two
 * long-lived monitors, `otel: false` and the default, in 2000 alternating bursts of 50 calls.
 */
async function noSdkAB() {
  const off = createMonitor({ serviceName: 'bench', otel: false });
  const on = createMonitor({ serviceName: 'bench' });
  const offClient = off.wrap(fakeClient({ chunks }));
  const onClient = on.wrap(fakeClient({ chunks }));
  const burst = async (client) => {
    const t = cpuNs();
    for (let i = 0; i < BURST; i++) await callOnce(client);
    const ns = (cpuNs() - t) / BURST;
    await turn();
    return ns;
  };
  const a = [];
  const b = [];
  for (let i = 0; i < 2000; i++) {
    if (i % 2 === 0) {
      a.push(await burst(offClient));
      b.push(await burst(onClient));
    } else {
      b.push(await burst(onClient));
      a.push(await burst(offClient));
    }
  }
  await off.shutdown();
  await on.shutdown();
  return { off: median(a), noSdk: median(b) };
}
const ab = await noSdkAB();

await tracerProvider.forceFlush();
const { resourceMetrics } = await reader.collect();
const durationPoints = resourceMetrics.scopeMetrics
  .flatMap((s) => s.metrics)
  .find((m) => m.descriptor.name === 'gen_ai.client.operation.duration')
  ?.dataPoints.reduce((sum, p) => sum + p.value.count, 0);
await tracerProvider.shutdown();
await meterProvider.shutdown();

const fmt = (ns) => (Math.abs(ns) >= 1000 ? `${(ns / 1000).toFixed(2)} µs` : `${ns.toFixed(0)} ns`);
function table(title, results) {
  const base = results.unwrapped;
  const off = results['otel off'];
  console.log(`\n${title}\n`);
  console.log("| client | CPU on the app's path | × unwrapped | added vs otel off | CPU in all | × unwrapped | added vs otel off |");
  console.log('|---|--:|--:|--:|--:|--:|--:|');
  for (const [name, r] of Object.entries(results)) {
    const vsOff = (x, y) => (name === 'unwrapped' || name === 'otel off' ? '–' : fmt(x - y));
    console.log(`| ${name} | ${fmt(r.path)} | ${(r.path / base.path).toFixed(2)}× | ${vsOff(r.path, off.path)} | ${fmt(r.cpu)} | ${(r.cpu / base.cpu).toFixed(2)}× | ${vsOff(r.cpu, off.cpu)} |`);
  }
}

console.log(`node ${process.version}, ${cpus()[0].model}, ${cpus().length} cores; median of ${ROUNDS} rounds, configurations in rotating order`);
table(`Non-streaming call (phases of 20000 calls), per call:`, calls);
table(`Streamed call of ${CHUNKS} chunks (phases of 200 streams), per stream:`, streams);
console.log(`\nNo SDK, A/B of two monitors in 2000 alternating bursts of ${BURST} calls: CPU on the app's path ${fmt(ab.off)} with otel: false, ${fmt(ab.noSdk)} by default (${fmt(ab.noSdk - ab.off)} a call).`);
console.log(`\nSDK path exercised: ${exportedSpans} spans exported, ${durationPoints} durations observed.`);
