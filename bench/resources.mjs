/**
 * Cost of the resource sampler, and of the sources it could read.
 *
 *   npx tsup --out-dir .bench-dist/resources
 *   LLM_VITALS_DIST=.bench-dist/resources node bench/resources.mjs            # 60 s per configuration
 *   LLM_VITALS_DIST=.bench-dist/resources node bench/resources.mjs --seconds 120
 *
 * Part 1, sources: CPU per call of the calls the system probe could use (Node's `os`, /proc, and
 * systeminformation's `mem()` / `currentLoad()`), of the process probe's calls, and the added cost of
 * one scrape of `monitor.metrics()` with the resource gauges.
 *
 * Part 2, overhead: one idle child process per configuration, all at once (they measure their own CPU
 * time with `process.cpuUsage()`, so running side by side saves wall time without mixing the figures):
 * sampling off, then 1 s and 5 s intervals with the GPU off and on (a fake nvidia-smi on PATH printing
 * two GPUs), plus prom-client's `collectDefaultMetrics` (its 10 ms event-loop timer) for reference; then
 * the 1 s ones again in a process with steady work (a 20 ms timer), where wake-ups are shared.
 * Each reports CPU time over the run as a share of one core; the sampler's cost is the difference
 * from "off". The fake nvidia-smi's own CPU is not counted (it is another process, and not the real
 * tool): on a GPU host, measure the real nvidia-smi's CPU with `ps -o cputime -p <pid>`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dist = resolve(process.env.LLM_VITALS_DIST ?? fileURLToPath(new URL('../dist', import.meta.url)));
const fakeNvidiaSmi = fileURLToPath(new URL('../test/support/fake-nvidia-smi', import.meta.url));
const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};

const CONFIGS = {
  off: { resources: false },
  '1s, GPU off': { resources: { intervalMs: 1000, gpu: false } },
  '1s, GPU on (fake nvidia-smi)': { resources: { intervalMs: 1000, gpu: 'auto' }, gpu: true },
  '1s, GPU off, event loop off': { resources: { intervalMs: 1000, gpu: false, eventLoop: false } },
  '5s, GPU off': { resources: { intervalMs: 5000, gpu: false } },
  '5s, GPU on (fake nvidia-smi)': { resources: { intervalMs: 5000, gpu: 'auto' }, gpu: true },
  'reference: prom-client collectDefaultMetrics, sampling off': { resources: false, promDefaults: true },
  // An app with steady traffic wakes up often anyway: the sampler's timers then mostly share those wake-ups.
  'with traffic (a 20 ms app timer): off': { resources: false, traffic: true },
  'with traffic (a 20 ms app timer): 1s, GPU off': { resources: { intervalMs: 1000, gpu: false }, traffic: true },
  'with traffic (a 20 ms app timer): 1s, GPU on (fake nvidia-smi)': { resources: { intervalMs: 1000, gpu: 'auto' }, gpu: true, traffic: true },
};

if (args[0] === '--child') await child(args[1], Number(args[2]));
else await main();

// ---- child: one configuration, idle, measuring its own CPU ----

async function child(name, seconds) {
  const config = CONFIGS[name];
  const { createMonitor } = await import(pathToFileURL(`${dist}/index.js`).href);
  const monitor = createMonitor({ resources: config.resources });
  if (config.promDefaults) (await import('prom-client')).collectDefaultMetrics({ register: monitor.registry });
  let traffic;
  if (config.traffic) {
    // 50 wake-ups a second doing a little work, as a server handling steady requests would.
    const payload = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] };
    traffic = setInterval(() => JSON.parse(JSON.stringify(payload)), 20);
  }
  let samples = 0;
  let gpus = 0;
  monitor.on('resources', (s) => {
    samples++;
    gpus = s.gpus.length;
  });
  // Let startup (imports, JIT, nvidia-smi's start) settle, then measure an idle stretch.
  await new Promise((r) => setTimeout(r, 2000));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const samples0 = samples;
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const cpu = process.cpuUsage(cpu0);
  const wallMs = performance.now() - t0;
  clearInterval(traffic);
  await monitor.shutdown();
  process.stdout.write(JSON.stringify({ name, cpuMicros: cpu.user + cpu.system, wallMs, samples: samples - samples0, gpus }) + '\n');
}

// ---- parent ----

async function main() {
  const seconds = Number(arg('--seconds', '60'));
  console.log(`# Resource sampler cost\n`);
  console.log(`node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'} x${os.availableParallelism()}, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}, dist ${dist}\n`);
  await sources();
  await overhead(seconds);
}

/** CPU µs per call: the median of 7 batches. */
async function perCall(fn, n) {
  const batches = [];
  for (let b = 0; b < 7; b++) {
    const c0 = process.cpuUsage();
    for (let i = 0; i < n; i++) await fn();
    const c = process.cpuUsage(c0);
    batches.push((c.user + c.system) / n);
  }
  batches.sort((a, b) => a - b);
  return batches[3];
}

async function sources() {
  const { readFileSync: readSync } = await import('node:fs');
  const v8 = await import('node:v8');
  const si = (await import('systeminformation')).default;
  const rows = [];
  const row = (what, micros, note = '') => rows.push(`| ${what} | ${micros.toFixed(1)} | ${note} |`);

  row('`os.totalmem()` + `os.freemem()`', await perCall(() => (os.totalmem(), os.freemem()), 2000), 'chosen: MemAvailable from /proc/meminfo, in C');
  row('systeminformation `mem()`', await perCall(() => si.mem(), 500), 'reads and splits all of /proc/meminfo in JS');
  row('`readFileSync("/proc/stat")` + parse first line', await perCall(() => readSync('/proc/stat', 'latin1').slice(0, 80).split(' '), 2000), 'chosen on Linux');
  row('`os.cpus()`', await perCall(() => os.cpus(), 2000), 'fallback elsewhere; also reads per-CPU frequency');
  row('`os.loadavg()`', await perCall(() => os.loadavg(), 2000), '');
  // currentLoad() caches for 200 ms: time real refreshes, spaced out. Its execSync blocks the loop.
  await si.currentLoad();
  let loadMicros = 0;
  let loadWallMs = 0;
  for (let i = 0; i < 5; i++) {
    await new Promise((r) => setTimeout(r, 220));
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await si.currentLoad();
    loadWallMs += performance.now() - t0;
    const c = process.cpuUsage(c0);
    loadMicros += c.user + c.system;
  }
  row('systeminformation `currentLoad()` (uncached)', loadMicros / 5, `blocks the event loop ${(loadWallMs / 5).toFixed(1)} ms per call (execSync of a shell), plus the shell's own CPU`);
  row('`process.cpuUsage()`', await perCall(() => process.cpuUsage(), 5000), 'chosen');
  row('`process.memoryUsage()`', await perCall(() => process.memoryUsage(), 2000), 'chosen: rss and heap in one call');
  row('`process.memoryUsage.rss()` + `v8.getHeapStatistics()`', await perCall(() => (process.memoryUsage.rss(), v8.getHeapStatistics()), 2000), '');
  row('`performance.eventLoopUtilization()`', await perCall(() => performance.eventLoopUtilization(), 5000), 'chosen');

  // One scrape: the monitor's registry with and without the resource gauges.
  const { createMonitor } = await import(pathToFileURL(`${dist}/index.js`).href);
  const withResources = createMonitor({ resources: { intervalMs: 250, gpu: false }, otel: false });
  const without = createMonitor({ resources: false, otel: false });
  await new Promise((r) => setTimeout(r, 600));
  const scrapeOn = await perCall(() => withResources.metrics(), 300);
  const scrapeOff = await perCall(() => without.metrics(), 300);
  await withResources.shutdown();
  await without.shutdown();
  row('one scrape, `monitor.metrics()`: added by the resource gauges', scrapeOn - scrapeOff, `${scrapeOff.toFixed(0)} µs without, ${scrapeOn.toFixed(0)} µs with (no traffic yet)`);

  console.log(`## Sources: CPU per call (median of 7 batches)\n`);
  console.log('| call | µs CPU per call | note |\n|---|---:|---|');
  console.log(rows.join('\n') + '\n');
}

async function overhead(seconds) {
  const smiDir = mkdtempSync(join(os.tmpdir(), 'llm-vitals-bench-smi-'));
  symlinkSync(fakeNvidiaSmi, join(smiDir, 'nvidia-smi'));
  const self = fileURLToPath(import.meta.url);
  console.log(`## Overhead: ${seconds} s per configuration, run side by side\n`);
  try {
    const results = await Promise.all(
      Object.entries(CONFIGS).map(([name, config]) => {
        const env = { ...process.env, LLM_VITALS_DIST: dist, PATH: config.gpu ? `${smiDir}:${process.env.PATH}` : process.env.PATH };
        return new Promise((done, fail) => {
          const p = spawn(process.execPath, [self, '--child', name, String(seconds)], { env, stdio: ['ignore', 'pipe', 'inherit'] });
          let out = '';
          p.stdout.on('data', (d) => (out += d));
          p.on('close', (code) => (code === 0 ? done(JSON.parse(out)) : fail(new Error(`${name} exited with ${code}`))));
        });
      }),
    );
    const share = (r) => r.cpuMicros / (r.wallMs * 1000);
    console.log('| configuration | samples | GPUs seen | CPU ms | % of one core | added vs off, % of one core | added per sample, µs |');
    console.log('|---|---:|---:|---:|---:|---:|---:|');
    for (const r of results) {
      const off = results.find((o) => o.name === (CONFIGS[r.name].traffic ? 'with traffic (a 20 ms app timer): off' : 'off'));
      const added = share(r) - share(off);
      const perSample = r.samples > 0 ? (r.cpuMicros - off.cpuMicros * (r.wallMs / off.wallMs)) / r.samples : undefined;
      console.log(
        `| ${r.name} | ${r.samples} | ${r.gpus} | ${(r.cpuMicros / 1000).toFixed(1)} | ${(share(r) * 100).toFixed(3)} | ${r === off ? '-' : (added * 100).toFixed(3)} | ${perSample === undefined ? '-' : perSample.toFixed(0)} |`,
      );
    }
    console.log(`\n"Added" is against "off" of the same kind (idle, or with traffic). "Added per sample" includes the event-loop delay timer's wake-ups (every 10 ms, prom-client's resolution) between samples.`);
  } finally {
    rmSync(smiDir, { recursive: true, force: true });
  }
}
