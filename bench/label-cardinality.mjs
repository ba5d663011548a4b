/**
 * What unbounded names cost a monitor: 20,000 distinct `monitor.observe()` signal names, and 20,000
 * distinct keys returned by the Express middleware's `attributes`, each measured as retained heap
 * (after a full GC, before and after the workload) and as series in the exposition.
 *
 *   npx tsup --out-dir .bench-dist/x --no-dts && LLM_VITALS_DIST=.bench-dist/x node --expose-gc bench/label-cardinality.mjs
 *   node --expose-gc bench/label-cardinality.mjs --names 20000   (against dist/, after npm run build)
 *
 * Signals: one value each of `signal_0` ... `signal_19999`, no labels. Attribute keys: one request
 * each through a real Express 5 app over HTTP (keep-alive, 16 at a time), whose handler makes one
 * tracked LLM call, so the request's context (and its attributes) is built; key `key_<i>`, value `v`.
 * The control sends the same requests with one key throughout: what 20,000 requests leave anyway.
 * Every other option is the default (maxLabelValues 100, detectors on).
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import express from 'express';

const dist = resolve(process.env.LLM_VITALS_DIST ?? new URL('../dist', import.meta.url).pathname);
const { createMonitor } = await import(pathToFileURL(`${dist}/index.js`).href);

const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const NAMES = Number(arg('--names', 20_000));

if (typeof globalThis.gc !== 'function') {
  console.error('run with node --expose-gc');
  process.exit(2);
}

/** Heap in use after a full collection, in bytes. */
async function heapUsed() {
  for (let i = 0; i < 3; i++) {
    globalThis.gc();
    await new Promise((r) => setImmediate(r));
  }
  return process.memoryUsage().heapUsed;
}

/** Sample lines of the exposition (comments left out), all metrics and one metric's. */
async function seriesOf(monitor, metric) {
  const lines = (await monitor.metrics()).split('\n').filter((l) => l !== '' && !l.startsWith('#'));
  return { all: lines.length, metric: lines.filter((l) => l.startsWith(`${metric}{`) || l.startsWith(`${metric} `)).length };
}

const overflow = (text, label) => {
  const m = new RegExp(`^llm_vitals_label_overflow_total\\{label="${label}"\\} (\\d+)`, 'm').exec(text);
  return m === null ? 'absent' : Number(m[1]);
};

async function signals() {
  const monitor = createMonitor({ serviceName: 'bench', resources: false });
  monitor.observe('warm_up', 1);
  const before = await heapUsed();
  const seriesBefore = await seriesOf(monitor, 'llm_vitals_anomaly_score');
  for (let i = 0; i < NAMES; i++) monitor.observe(`signal_${i}`, i % 7);
  const after = await heapUsed();
  const seriesAfter = await seriesOf(monitor, 'llm_vitals_anomaly_score');
  const text = await monitor.metrics();
  await monitor.shutdown();
  return {
    workload: `${NAMES} observe() signal names`,
    heapMB: (after - before) / 1e6,
    series: seriesAfter.all - seriesBefore.all,
    anomalyScoreSeries: seriesAfter.metric,
    overflowCounted: overflow(text, 'signal'),
  };
}

/** `distinct`: a new key per request; otherwise the same key each time (the control: what requests cost anyway). */
async function attributeKeys(distinct) {
  const monitor = createMonitor({ serviceName: 'bench', resources: false });
  const llm = monitor.track(async () => ({ ok: true }), { provider: 'openai', operation: 'chat', model: 'm' });
  const app = express();
  app.use(monitor.express({ attributes: distinct ? (req) => ({ [String(req.query.k)]: 'v' }) : () => ({ tenant: 'v' }) }));
  app.get('/x', async (_req, res) => res.json(await llm()));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${server.address().port}`;
  const worker = async (from, to) => {
    for (let i = from; i < to; i++) await (await fetch(`${base}/x?k=key_${i}`)).arrayBuffer();
  };
  await worker(0, 100); // warm-up: keys key_0 .. key_99, paths compiled, sockets open
  const before = await heapUsed();
  const seriesBefore = await seriesOf(monitor, 'llm_vitals_request_llm_calls_count');
  const step = Math.ceil((NAMES - 100) / 16);
  await Promise.all(Array.from({ length: 16 }, (_, w) => worker(100 + w * step, Math.min(NAMES, 100 + (w + 1) * step))));
  await monitor.flush?.();
  const after = await heapUsed();
  const seriesAfter = await seriesOf(monitor, 'llm_vitals_request_llm_calls_count');
  const text = await monitor.metrics();
  const labelValues = Object.keys(monitor.snapshot().labelValues ?? {}).length;
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await monitor.shutdown();
  return {
    workload: distinct ? `${NAMES} attributes keys (Express 5, HTTP)` : `${NAMES} requests, one attributes key (control)`,
    heapMB: (after - before) / 1e6,
    series: seriesAfter.all - seriesBefore.all,
    guardedLabels: labelValues,
    overflowCounted: overflow(text, 'attribute_key'),
  };
}

console.log(`node ${process.version}, dist ${dist}`);
for (const result of [await signals(), await attributeKeys(true), await attributeKeys(false)]) {
  console.log(
    `${result.workload}: heap +${result.heapMB.toFixed(1)} MB, +${result.series} exposition samples` +
      (result.anomalyScoreSeries !== undefined ? ` (llm_vitals_anomaly_score: ${result.anomalyScoreSeries})` : '') +
      (result.guardedLabels !== undefined ? `, labels tracked by the guard: ${result.guardedLabels}` : '') +
      `, overflow counted: ${result.overflowCounted}`,
  );
}
