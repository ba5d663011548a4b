import { describe, expect, it } from 'vitest';
import { runDemo } from '../../src/demo/run.js';
import { demoPhases, incidentTable, type TrafficReport } from '../../src/demo/traffic.js';

async function demo(argv: string[], onLine?: (line: string) => void, signal?: AbortSignal) {
  const lines: string[] = [];
  const code = await runDemo(argv, {
    color: false,
    signal,
    print: (line) => {
      lines.push(...line.split('\n'));
      onLine?.(line);
    },
  });
  return { code, lines, text: lines.join('\n') };
}

describe('llm-vitals demo', () => {
  it('runs the phases through the app, serves the dashboard and /metrics meanwhile, and ends with the incidents table', async () => {
    let served: Promise<{ metrics: string; data: any; page: string }> | undefined;
    const { code, lines, text } = await demo(['--duration', '12', '--rate', '40', '--port', '0'], (line) => {
      const url = /dashboard\s+(http:\/\/127\.0\.0\.1:\d+)\/llm-vitals/.exec(line)?.[1];
      if (url === undefined || served !== undefined) return;
      // Read them while the traffic runs, once more than 20 calls have ended (a condition, not a
      // clock: a loaded machine gets fewer calls through in the same seconds), bounded.
      served = (async () => {
        let data: any;
        for (let tries = 0; tries < 40; tries++) {
          data = await (await fetch(`${url}/llm-vitals/data.json`)).json();
          if (data.snapshot.calls > 20) break;
          await new Promise((r) => setTimeout(r, 250));
        }
        return {
          metrics: await (await fetch(`${url}/metrics`)).text(),
          data,
          page: await (await fetch(`${url}/llm-vitals`)).text(),
        };
      })();
    });
    expect(code).toBe(0);

    expect(served).toBeDefined();
    const { metrics, data, page } = await served!;
    expect(metrics).toMatch(/^gen_ai_client_operation_duration_seconds_count\{.*gen_ai_request_model="gpt-4o-mini".*\} [1-9]\d*$/m);
    expect(data.snapshot.service).toBe('llm-vitals-demo');
    expect(data.snapshot.calls).toBeGreaterThan(20);
    expect(page).toContain('<title>llm-vitals · llm-vitals-demo</title>');

    // Live progress, one line a second for a 12 s run, through every phase.
    const progress = lines.filter((l) => /^\[\s*\d+\.\d s\]\s+\S.*\bsent\s+\d+\s+ok\s+\d+/.test(l));
    expect(progress.length).toBeGreaterThanOrEqual(10);
    for (const phase of ['steady', 'latency incident', 'recovery', 'error burst', 'prompt drift']) {
      expect(progress.some((l) => l.includes(` ${phase} `))).toBe(true);
    }
    expect(text).toContain('>> injecting latency incident (model 3x slower)');
    expect(text).toContain('>> injecting error burst (30% 429 rate limits)');
    expect(text).toContain('>> injecting prompt-length drift (prompts 4x longer)');

    // The table: one row per injected incident, at the times the phases say.
    const header = lines.findIndex((l) => /injected incident\s+from\s+to\s+first alert\s+delay\s+by/.test(l));
    expect(header).toBeGreaterThan(0);
    const rows = lines.slice(header + 2, header + 5);
    expect(rows[0]).toMatch(/^ {2}latency incident \(model 3x slower\)\s+4\.2 s\s+6\.0 s\s/);
    expect(rows[1]).toMatch(/^ {2}error burst \(30% 429 rate limits\)\s+7\.2 s\s+8\.6 s\s/);
    expect(rows[2]).toMatch(/^ {2}prompt-length drift \(prompts 4x longer\)\s+9\.6 s\s+12\.0 s\s/);
    // The detectors caught the latency incident and the error burst, by the signals they move, and
    // the alert lines said so as they fired.
    const detected = (row: string) => /\s(\d+\.\d) s\s+(\d+\.\d) s\s+(anomaly|drift) (\S+)/.exec(row);
    const latency = detected(rows[0]);
    const burst = detected(rows[1]);
    expect(latency, rows[0]).not.toBeNull();
    expect(latency![4]).toMatch(/^(latency|time_to_first_chunk|time_per_output_chunk|output_tokens_per_second)$/);
    expect(Number(latency![1])).toBeGreaterThanOrEqual(4.2);
    expect(Number(latency![2])).toBeCloseTo(Number(latency![1]) - 4.2, 1);
    expect(burst, rows[1]).not.toBeNull();
    expect(burst![4]).toMatch(/^(error_rate|rate_limit_rate)$/);
    expect(Number(burst![1])).toBeGreaterThanOrEqual(7.2);
    expect(lines.some((l) => /^\[\s*\d+\.\d s\]\s+! ANOMALY\s+(error_rate|rate_limit_rate)\s.*usual rate \d+\.\d%/.test(l))).toBe(true);
    expect(text).toMatch(/detected [23] of 3 incidents; \d+ alerts in all, \d+ outside any incident/);

    // Requests went through: the app answered most and passed the LLM's errors on with their status.
    const requests = /requests: (\d+) sent, (\d+) answered, (\d+) failed \(([^)]*)\)/.exec(text)!;
    const [sent, answered, failed] = requests.slice(1, 4).map(Number);
    expect(sent).toBeGreaterThan(300);
    expect(answered + failed).toBe(sent);
    const causes = Object.fromEntries(requests[4].split(', ').map((c) => c.split(' x ').reverse()));
    expect(Number(causes['HTTP 429'])).toBeGreaterThan(5);
    const injected = Number(/LLM server: \d+ requests, \d+ streamed, (\d+) errors injected/.exec(text)![1]);
    expect(Number(causes['HTTP 429']) + Number(causes['HTTP 500'] ?? 0)).toBe(injected);
  }, 40_000);

  it('stops early on Ctrl-C (its abort signal) and still prints the table of what it saw', async () => {
    const stop = new AbortController();
    const started = Date.now();
    const { code, text } = await demo(['--duration', '60', '--rate', '20', '--port', '0'], (line) => {
      // At the first progress line, seconds into the steady phase.
      if (/^\[\s*\d+\.\d s\]\s+steady\s+sent/.test(line)) stop.abort();
    }, stop.signal);
    expect(code).toBe(0);
    // It did not run the 60 s: stopping cuts the wait for open requests short too.
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(text).toContain('Stopped early. Incidents against detections so far:');
    expect(text).toMatch(/latency incident \(model 3x slower\)\s+21\.0 s\s+30\.0 s\s+not detected/);
  }, 40_000);

  it('with --keep-open, keeps serving the dashboard after the traffic until stopped', async () => {
    const stop = new AbortController();
    let page: Promise<number> | undefined;
    const { code, text } = await demo(['--duration', '1', '--rate', '10', '--port', '0', '--keep-open'], (line) => {
      const url = /^Still serving (http:\/\/127\.0\.0\.1:\d+)\/llm-vitals/.exec(line)?.[1];
      if (url !== undefined) page = fetch(`${url}/llm-vitals/data.json`).then(async (res) => {
        const calls = (await res.json()).snapshot.calls;
        stop.abort();
        return calls;
      });
    }, stop.signal);
    expect(code).toBe(0);
    expect(text).toContain('Incidents against detections:');
    expect(page).toBeDefined();
    // Every request the traffic sent was a call the dashboard still shows.
    const sent = Number(/requests: (\d+) sent/.exec(text)![1]);
    expect(await page!).toBeGreaterThanOrEqual(sent);
  }, 40_000);

  it('prints its usage for --help, and rejects a bad flag with exit code 2 naming it', async () => {
    const help = await demo(['--help']);
    expect(help.code).toBe(0);
    expect(help.text).toMatch(/^Usage: llm-vitals demo/);
    const rate = await demo(['--rate', '0']);
    expect(rate.code).toBe(2);
    expect(rate.lines[0]).toBe('llm-vitals demo: --rate must be a number of requests per second above 0, up to 2000, got "0"');
    const unknown = await demo(['--sped', '3']);
    expect(unknown.code).toBe(2);
    expect(unknown.lines[0]).toMatch(/--sped/);
    expect((await demo(['--port', '70000'])).code).toBe(2);
    expect((await demo(['--duration', 'soon'])).code).toBe(2);
  });
});

describe('phases and the incidents table', () => {
  it('keeps the same story for any duration', () => {
    const phases = demoPhases(60_000);
    expect(phases.map((p) => [p.name, p.startMs, p.endMs])).toEqual([
      ['steady', 0, 21_000],
      ['latency incident', 21_000, 30_000],
      ['recovery', 30_000, 36_000],
      ['error burst', 36_000, 43_200],
      ['recovery', 43_200, 48_000],
      ['prompt drift', 48_000, 60_000],
    ]);
    expect(phases.filter((p) => p.incident).map((p) => p.name)).toEqual(['latency incident', 'error burst', 'prompt drift']);
    expect(phases[1].knobs).toEqual({ latencyFactor: 3 });
    expect(phases[3].knobs).toEqual({ errorRate: 0.3, errorStatus: 429 });
    expect(phases[5].promptFactor).toBe(4);
  });

  it('puts each incident against its first alert, with the delay, and counts the others', () => {
    const alert = (signal: string, atMs: number, kind: 'anomaly' | 'drift' = 'anomaly') => ({ kind, signal, atMs, causeMs: atMs - 900, phase: 'steady', score: 0.9, value: 1, baseline: 0.5, group: 'gpt-4o-mini' });
    const report: TrafficReport = {
      sent: 10,
      ok: 9,
      failed: 1,
      failures: { '429': 1 },
      shed: 0,
      interrupted: false,
      incidents: [
        { label: 'latency incident (model 3x slower)', startMs: 21_000, endMs: 30_000, detection: alert('latency', 23_400) },
        { label: 'error burst (30% 429 rate limits)', startMs: 36_000, endMs: 43_200, detection: undefined },
      ],
      alerts: [alert('latency', 23_400), alert('cost', 5_000)],
      unmatched: [alert('cost', 5_000)],
    };
    expect(incidentTable(report)).toEqual([
      '  injected incident                     from      to   first alert  delay  by',
      '  ----------------------------------  ------  ------  ------------  -----  -----------------------------',
      '  latency incident (model 3x slower)  21.0 s  30.0 s        23.4 s  2.4 s  anomaly latency (gpt-4o-mini)',
      '  error burst (30% 429 rate limits)   36.0 s  43.2 s  not detected      -  -',
      '',
      '  detected 1 of 2 incidents; 2 alerts in all, 1 outside any incident',
      '    unmatched: anomaly cost at 5.0 s (its call started in steady)',
    ]);
  });
});
