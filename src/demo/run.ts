/**
 * `llm-vitals demo`: the project's main job out of the box, with no key and no network. It starts the
 * embedded LLM (server.ts), an Express app that calls it through the wrapped `openai` client (app.ts),
 * and drives traffic through the app in phases with incidents (traffic.ts), while the dashboard and
 * `/metrics` are served. Ends on its own (40 s of traffic by default, under a minute in all), or on
 * Ctrl-C, with the incidents table.
 *
 * Exit code: 0 when the run completed (detected or not: the table says), 2 for a bad flag, 1 when the
 * demo could not start.
 */
import { parseArgs } from 'node:util';
import { createMonitor } from '../monitor.js';
import { startDemoLLMServer } from './server.js';
import { startDemoApp, MissingDemoPackage, type DemoApp } from './app.js';
import { incidentTable, runTraffic } from './traffic.js';

export interface DemoIO {
  /** Where the demo's lines go. Default: stdout. */
  print?: (line: string) => void;
  /** Colour alert lines. Default: when stdout is a terminal and NO_COLOR is unset. */
  color?: boolean;
  /** Stops the run early, as Ctrl-C does. */
  signal?: AbortSignal;
}

export const DEMO_USAGE = `Usage: llm-vitals demo [--duration <seconds>] [--rate <requests/s>] [--port <port>] [--seed <n>] [--keep-open]

Runs an embedded OpenAI-compatible LLM and an Express app that calls it through a monitored
\`openai\` client, drives traffic in phases (steady, a latency incident, an error burst, a
prompt-length drift), prints the alerts as they fire and a table of incidents against detections.

  --duration <s>   how long the traffic runs, in seconds (default 40)
  --rate <n>       requests per second sent to the app (default 20)
  --port <port>    the app's port on 127.0.0.1, for the dashboard and /metrics (default 3000;
                   0 picks a free one; a busy port falls back to a free one)
  --seed <n>       seed of every random draw (default 42)
  --keep-open      after the traffic, keep serving the dashboard and /metrics until Ctrl-C
  -h, --help       this text`;

interface DemoFlags {
  durationMs: number;
  rate: number;
  port: number;
  seed: number;
  keepOpen: boolean;
}

class FlagError extends Error {}

function parseFlags(argv: string[]): DemoFlags | 'help' {
  const { values } = parseArgs({
    args: argv,
    allowPositionals: false,
    strict: true,
    options: {
      duration: { type: 'string' },
      rate: { type: 'string' },
      port: { type: 'string' },
      seed: { type: 'string' },
      'keep-open': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const number = (name: string, raw: string | undefined, fallback: number, ok: (n: number) => boolean, expected: string) => {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n) || !ok(n)) throw new FlagError(`--${name} must be ${expected}, got "${raw}"`);
    return n;
  };
  return {
    durationMs: number('duration', values.duration, 40, (n) => n >= 1 && n <= 86_400, 'a number of seconds from 1 to 86400') * 1000,
    rate: number('rate', values.rate, 20, (n) => n > 0 && n <= 2000, 'a number of requests per second above 0, up to 2000'),
    port: number('port', values.port, 3000, (n) => Number.isInteger(n) && n >= 0 && n <= 65_535, 'an integer from 0 to 65535'),
    seed: number('seed', values.seed, 42, (n) => Number.isInteger(n), 'an integer'),
    keepOpen: values['keep-open'] === true,
  };
}

/** Run the demo; resolves to the process exit code. */
export async function runDemo(argv: string[], io: DemoIO = {}): Promise<number> {
  const print = io.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  let flags: DemoFlags;
  try {
    const parsed = parseFlags(argv);
    if (parsed === 'help') {
      print(DEMO_USAGE);
      return 0;
    }
    flags = parsed;
  } catch (error) {
    print(`llm-vitals demo: ${(error as Error).message}`);
    print('');
    print(DEMO_USAGE);
    return 2;
  }
  const color = io.color ?? (process.stdout.isTTY === true && !process.env.NO_COLOR);

  // Ctrl-C ends the traffic early and still prints the table; the listener goes when the demo ends.
  const stop = new AbortController();
  const onSigint = () => stop.abort();
  const onOuterAbort = () => stop.abort();
  io.signal?.addEventListener('abort', onOuterAbort, { once: true });
  if (io.signal?.aborted) stop.abort();
  process.once('SIGINT', onSigint);

  const monitor = createMonitor({
    serviceName: 'llm-vitals-demo',
    // A short memory, so the dashboard and the progress lines follow the phases within seconds.
    snapshot: { samples: 128, rateWindowSeconds: 5 },
    // Drift windows sized for a demo of a minute (the defaults want 1000 calls per model): the first
    // 200 calls of a model are the reference (done before the first incident at the default rate),
    // compared with the latest 200 every 25 calls.
    detect: { drift: { reference: 200, window: 200, every: 25 } },
  });
  const llm = await startDemoLLMServer({ seed: flags.seed });
  let app: DemoApp | undefined;
  try {
    try {
      app = await startDemoApp({ monitor, llmUrl: llm.url, port: flags.port });
    } catch (error) {
      if ((error as { code?: string }).code !== 'EADDRINUSE') throw error;
      print(`port ${flags.port} is busy: using a free one instead (choose with --port)`);
      app = await startDemoApp({ monitor, llmUrl: llm.url, port: 0 });
    }
    print('llm-vitals demo: an embedded OpenAI-compatible LLM, an Express app calling it through the monitored `openai` client.');
    print(`  dashboard  ${app.url}/llm-vitals`);
    print(`  metrics    ${app.url}/metrics`);
    print(`  traffic    ${flags.rate} requests/s for ${flags.durationMs / 1000} s (seed ${flags.seed}); Ctrl-C stops early`);
    print('');

    const report = await runTraffic({
      monitor,
      appUrl: app.url,
      knobs: llm.knobs,
      rate: flags.rate,
      durationMs: flags.durationMs,
      seed: flags.seed,
      print,
      color,
      signal: stop.signal,
    });

    print('');
    print(report.interrupted ? 'Stopped early. Incidents against detections so far:' : 'Incidents against detections:');
    for (const line of incidentTable(report)) print(line);
    print('');
    const causes = Object.entries(report.failures)
      .map(([cause, n]) => `${n} x ${/^\d+$/.test(cause) ? `HTTP ${cause}` : cause}`)
      .join(', ');
    print(
      `  requests: ${report.sent} sent, ${report.ok} answered, ${report.failed} failed${causes ? ` (${causes})` : ''}` +
        `${report.shed ? `, ${report.shed} skipped (too many open)` : ''}`,
    );
    print(`  LLM server: ${llm.stats.requests} requests, ${llm.stats.streamed} streamed, ${llm.stats.errors} errors injected`);

    if (flags.keepOpen && !stop.signal.aborted) {
      print('');
      print(`Still serving ${app.url}/llm-vitals and ${app.url}/metrics: Ctrl-C to end.`);
      await new Promise<void>((resolve) => stop.signal.addEventListener('abort', () => resolve(), { once: true }));
    }
    return 0;
  } catch (error) {
    if (error instanceof MissingDemoPackage) print(`llm-vitals demo: ${error.message}`);
    else print(`llm-vitals demo: could not run: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    process.off('SIGINT', onSigint);
    io.signal?.removeEventListener('abort', onOuterAbort);
    await app?.close();
    await llm.close();
    await monitor.shutdown();
  }
}
