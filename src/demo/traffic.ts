/**
 * The demo's traffic: requests to the demo app at a steady rate (Poisson arrivals, seeded), in phases:
 * steady, a latency incident, recovery, an error burst (429s), recovery, then a prompt-length drift
 * that lasts to the end. It prints progress as it goes and each anomaly and drift alert as it fires,
 * then a table of the injected incidents against the first alert that caught each one, with the delay.
 *
 * An alert counts as catching an incident when its signal is one the incident moves (the time signals
 * for the latency incident, error and rate-limit rates for the burst, input tokens and cost for the
 * drift) and it belongs to the incident or the recovery after it: an anomaly by the start of the call
 * that raised it (a call slowed down by the incident may end after it), a drift by when it fired.
 * Every other alert is listed as unmatched.
 */
import type { Monitor } from '../api.js';
import type { CallRecord } from '../record.js';
import type { Snapshot } from '../sinks/snapshot.js';
import type { AnomalyEvent, DriftEvent } from '../detect/sink.js';
import { lognormal, seededRandom, NORMAL_KNOBS, type DemoKnobs } from './server.js';
import { clock, formatValue, ms, pad } from './report.js';

export { incidentTable, type HeardAlert, type IncidentResult, type TrafficReport } from './report.js';
import type { HeardAlert, TrafficReport } from './report.js';

export interface Phase {
  name: string;
  /** Milliseconds from the start of the traffic. */
  startMs: number;
  endMs: number;
  /** The server's knobs during the phase (the rest stay normal). */
  knobs?: Partial<DemoKnobs>;
  /** Prompts are this many times longer than normal during the phase. */
  promptFactor?: number;
  /** Set on the phases that inject an incident. */
  incident?: IncidentSpec;
}

export interface IncidentSpec {
  /** What the table calls it, with its size. */
  label: string;
  /** Signals of alerts that catch it. */
  signals: RegExp;
}

/** The incidents' sizes: big enough to matter in production, small enough to be plausible. */
const SLOWDOWN = 3;
const RATE_LIMITED_SHARE = 0.3;
const PROMPT_GROWTH = 4;

const LATENCY: IncidentSpec = {
  label: `latency incident (model ${SLOWDOWN}x slower)`,
  signals: /^(latency|time_to_first_chunk|time_per_output_chunk|output_tokens_per_second)$/,
};
const ERRORS: IncidentSpec = { label: `error burst (${RATE_LIMITED_SHARE * 100}% 429 rate limits)`, signals: /^(error_rate|rate_limit_rate)$/ };
// Longer prompts cost more: a cost alert during the drift is the drift seen from the bill.
const DRIFT: IncidentSpec = { label: `prompt-length drift (prompts ${PROMPT_GROWTH}x longer)`, signals: /^(input_tokens|cost)$/ };

/** The phases of a run of `durationMs`, as shares of it, so a short run keeps the same story. */
export function demoPhases(durationMs: number): Phase[] {
  const at = (share: number) => Math.round(share * durationMs);
  return [
    { name: 'steady', startMs: 0, endMs: at(0.35) },
    { name: 'latency incident', startMs: at(0.35), endMs: at(0.5), knobs: { latencyFactor: SLOWDOWN }, incident: LATENCY },
    { name: 'recovery', startMs: at(0.5), endMs: at(0.6) },
    { name: 'error burst', startMs: at(0.6), endMs: at(0.72), knobs: { errorRate: RATE_LIMITED_SHARE, errorStatus: 429 }, incident: ERRORS },
    { name: 'recovery', startMs: at(0.72), endMs: at(0.8) },
    { name: 'prompt drift', startMs: at(0.8), endMs: durationMs, promptFactor: PROMPT_GROWTH, incident: DRIFT },
  ];
}

export interface TrafficOptions {
  monitor: Monitor;
  /** The demo app's base URL. */
  appUrl: string;
  /** The embedded LLM's knobs, changed per phase. */
  knobs: DemoKnobs;
  /** Requests per second to the app. */
  rate: number;
  durationMs: number;
  seed: number;
  /** Where lines go. */
  print: (line: string) => void;
  /** Colour the alert lines. */
  color?: boolean;
  /** Open requests at most; arrivals past it are skipped and counted. Default 256. */
  maxInFlight?: number;
  /** Stops the traffic early when aborted (Ctrl-C). */
  signal?: AbortSignal;
  /** Traffic before the phases, after which the detectors start over (`monitor.rebaseline()`). Default 1500. */
  warmupMs?: number;
}

const TICK_MS = 20;
/** Call start times kept to place alerts in the phase their call started in. */
const MAX_REMEMBERED_CALLS = 20_000;
/** How long the requests still open at the end may take to finish, before they are cut. */
const DRAIN_MS = 5_000;
const INTERRUPTED_DRAIN_MS = 2_000;

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

const WORDS = (
  'order shipping refund size colour delivery account password invoice discount return warranty ' +
  'address payment card tracking parcel store item price stock review exchange late broken help'
).split(' ');

/** Drive the phases through the app and report what was injected and what was caught. */
export async function runTraffic(options: TrafficOptions): Promise<TrafficReport> {
  const { monitor, appUrl, knobs, rate, durationMs, print } = options;
  const maxInFlight = options.maxInFlight ?? 256;
  const random = seededRandom(options.seed ^ 0x5eed);
  const phases = demoPhases(durationMs);
  const paint = (code: string, s: string) => (options.color ? `\u001b[${code}m${s}\u001b[0m` : s);
  const report: TrafficReport = { sent: 0, ok: 0, failed: 0, failures: {}, shed: 0, incidents: [], alerts: [], unmatched: [], interrupted: false };
  const requests = new AbortController();
  const open = new Set<Promise<void>>();
  const warmupMs = options.warmupMs ?? 1500;
  let startedAt = Date.now();
  /** Alerts before the phases begin (warm-up) are not the demo's to count. */
  let listening = false;
  let phaseIndex = 0;
  let phase = phases[0];

  const elapsed = () => Date.now() - startedAt;
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

  // ---- alerts, as they fire ----
  // An alert names the call that raised it; the call's start says which phase caused it (a call
  // slowed by the latency incident may end, and alert, after the incident is over).
  const callStarts = new Map<string, number>();
  const onCall = (record: CallRecord) => {
    callStarts.set(record.id, record.startTime);
    if (callStarts.size > MAX_REMEMBERED_CALLS) callStarts.delete(callStarts.keys().next().value!);
  };
  const phaseAt = (ms: number) => phases.find((p) => ms >= p.startMs && ms < p.endMs) ?? phases[phases.length - 1];
  let unresolved = 0;
  const hear = (kind: 'anomaly' | 'drift') => (event: AnomalyEvent | DriftEvent) => {
    if (!listening) return;
    const atMs = elapsed();
    unresolved++;
    // The monitor hands the record to 'call' listeners after the detectors: look its start up then.
    setImmediate(() => {
      unresolved--;
      const started = event.recordId !== undefined ? callStarts.get(event.recordId) : undefined;
      // A drift is a window's verdict, not one call's: it belongs to the moment it fired.
      const causeMs = started !== undefined && kind === 'anomaly' ? Math.max(0, started - startedAt) : undefined;
      const labels = event.labels ?? {};
      const alert: HeardAlert = {
        kind,
        signal: event.signal,
        atMs,
        causeMs,
        phase: phaseAt(causeMs ?? atMs).name,
        score: event.score,
        value: typeof event.value === 'number' ? event.value : undefined,
        baseline: typeof event.baseline === 'number' ? event.baseline : undefined,
        group: [labels.model, labels.route].filter(Boolean).join(' ') || undefined,
      };
      report.alerts.push(alert);
      print(alertLine(alert, event.score));
    });
  };
  const alertLine = (alert: HeardAlert, score: number) => {
    const cause = phaseAt(alert.causeMs ?? alert.atMs);
    const when =
      alert.causeMs === undefined
        ? `during ${cause.name}`
        : cause.incident
          ? `its call started ${seconds(alert.causeMs - cause.startMs)} into the ${cause.name}`
          : `its call started during ${cause.name}`;
    // A rate signal's value is 1 for the event that tripped it: its usual rate is what says something.
    const isRate = alert.signal.endsWith('_rate');
    const detail = [
      alert.group,
      alert.value !== undefined && !isRate ? `${alert.kind === 'drift' ? 'median ' : ''}${formatValue(alert.signal, alert.value)}` : undefined,
      alert.baseline !== undefined ? `${isRate ? 'usual rate' : 'vs'} ${formatValue(alert.signal, alert.baseline)}` : undefined,
      `score ${score.toFixed(2)}`,
    ].filter(Boolean);
    const badge = alert.kind === 'anomaly' ? paint('1;31', '! ANOMALY') : paint('1;33', '~ DRIFT  ');
    return `${clock(alert.atMs)}  ${badge}  ${alert.signal}  ${detail.join('  ')}  (${when})`;
  };
  const onAnomaly = hear('anomaly');
  const onDrift = hear('drift');
  monitor.on('anomaly', onAnomaly).on('drift', onDrift).on('call', onCall);

  // ---- one request ----
  function fail(cause: string): void {
    report.failed++;
    report.failures[cause] = (report.failures[cause] ?? 0) + 1;
  }

  function send(): void {
    if (open.size >= maxInFlight) {
      report.shed++;
      return;
    }
    report.sent++;
    const factor = phase.promptFactor ?? 1;
    const pick = random();
    const conversation = 1 + Math.floor(random() * 500);
    let path: string;
    let body: Record<string, unknown>;
    if (pick < 0.85) {
      path = `/chat/${conversation}`;
      body = { message: sentence(random, lognormal(random, 40, 0.45) * factor), stream: pick < 0.55 };
    } else {
      path = '/summarize';
      body = { text: sentence(random, lognormal(random, 250, 0.35) * factor) };
    }
    const request = fetch(`${appUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: requests.signal,
    })
      .then(async (res) => {
        await res.arrayBuffer();
        if (res.ok) report.ok++;
        else fail(String(res.status));
      })
      .catch(() => fail(requests.signal.aborted ? 'cut at the end' : 'network'))
      .finally(() => open.delete(request));
    open.add(request);
  }

  // ---- progress ----
  const progressEveryMs = Math.min(5, Math.max(1, Math.round(durationMs / 15_000))) * 1000;
  let nextProgressMs = progressEveryMs;
  const progress = () => {
    const snap = monitor.snapshot();
    const main = busiest(snap);
    const errors = snap.groups.reduce((sum, g) => sum + Object.values(g.errors).reduce((a, b) => a + b, 0), 0);
    print(
      `${clock(elapsed())}  ${phase.name.padEnd(16)}  sent ${pad(report.sent, 5)}  ok ${pad(report.ok, 5)}  failed ${pad(report.failed, 4)}` +
        `  ${snap.requestsPerSecond.toFixed(1).padStart(5)} req/s  p95 ${ms(main?.latencyMs.p95).padStart(7)}` +
        `  first chunk p50 ${ms(main?.timeToFirstChunkMs.p50).padStart(7)}  LLM errors ${pad(errors, 4)}  alerts ${report.alerts.length}`,
    );
  };

  // ---- arrivals ----
  /** Send at `rate` (Poisson arrivals) for `forMs`, calling `onTick` with the ms since it began. */
  async function drive(forMs: number, onTick: (nowMs: number) => void): Promise<void> {
    const begin = Date.now();
    const perTickCap = Math.ceil((rate * TICK_MS) / 1000) * 4 + 4;
    let nextArrivalMs = -Math.log(1 - random()) * (1000 / rate);
    while (!options.signal?.aborted) {
      const now = Date.now() - begin;
      if (now >= forMs) return;
      onTick(now);
      // Arrivals due by now, at most a few ticks' worth, so a stalled loop does not burst.
      for (let sent = 0; nextArrivalMs <= now && sent < perTickCap; sent++) {
        send();
        nextArrivalMs += -Math.log(1 - random()) * (1000 / rate);
      }
      if (nextArrivalMs < now - 1000) nextArrivalMs = now;
      await sleep(TICK_MS, options.signal);
    }
  }

  /** Wait for the requests in flight, `forMs` at most. */
  const settle = (forMs: number) => Promise.race([Promise.allSettled([...open]), sleep(forMs)]);

  // ---- phases ----
  const enter = (next: Phase) => {
    phase = next;
    Object.assign(knobs, NORMAL_KNOBS, next.knobs ?? {});
    if (next.incident) print(`${clock(elapsed())}  ${paint('1', `>> injecting ${next.incident.label}`)}`);
    else if (phaseIndex > 0) print(`${clock(elapsed())}  ${paint('1', `>> ${next.name}: back to normal`)}`);
  };
  try {
    // The first calls of a process are slow (JIT, new connections): learnt as normal, they would
    // hide the incidents. The detectors start over once the process is warm.
    if (warmupMs > 0) {
      print(`warming up for ${seconds(warmupMs)}; the detectors then learn from the steady phase`);
      Object.assign(knobs, NORMAL_KNOBS);
      await drive(warmupMs, () => undefined);
      // Most warm-up calls end within a second; the few that end later are no longer cold.
      await settle(1000);
      monitor.rebaseline();
    }
    startedAt = Date.now();
    listening = true;
    enter(phases[0]);
    await drive(durationMs, (now) => {
      while (phaseIndex < phases.length - 1 && now >= phases[phaseIndex + 1].startMs) enter(phases[++phaseIndex]);
      if (now >= nextProgressMs) {
        progress();
        nextProgressMs += progressEveryMs;
      }
    });
    report.interrupted = options.signal?.aborted === true;
    Object.assign(knobs, NORMAL_KNOBS);
    // Let the requests in flight finish, then cut what is left (soon, when stopped by hand).
    await settle(report.interrupted ? INTERRUPTED_DRAIN_MS : DRAIN_MS);
    requests.abort();
    await Promise.allSettled([...open]);
    progress();
  } finally {
    // Alerts raised by the last calls are looked up on the next turn.
    for (let i = 0; i < 10 && unresolved > 0; i++) await new Promise((r) => setImmediate(r));
    monitor.off('anomaly', onAnomaly).off('drift', onDrift).off('call', onCall);
  }

  // ---- incidents against detections ----
  const injected = phases.filter((p) => p.incident !== undefined);
  const endedAt = elapsed();
  const windows = injected.map((p) => {
    const nextInjection = injected.find((q) => q.startMs > p.startMs)?.startMs ?? Number.POSITIVE_INFINITY;
    return { phase: p, spec: p.incident!, untilMs: Math.min(nextInjection, endedAt + 1) };
  });
  // Caused by an incident: an anomaly whose call started, or a drift (a window's verdict, not one
  // call's) that fired, during the incident or the recovery after it.
  const explains = (w: (typeof windows)[number], a: HeardAlert) => {
    const causeMs = a.causeMs ?? a.atMs;
    return causeMs >= w.phase.startMs && causeMs < w.untilMs && w.spec.signals.test(a.signal);
  };
  for (const w of windows) {
    const detection = report.alerts.find((a) => explains(w, a));
    report.incidents.push({ label: w.spec.label, startMs: w.phase.startMs, endMs: w.phase.endMs, detection });
  }
  report.unmatched = report.alerts.filter((a) => !windows.some((w) => explains(w, a)));
  return report;
}

function busiest(snap: Snapshot) {
  let best: Snapshot['groups'][number] | undefined;
  for (const g of snap.groups) if (best === undefined || g.calls > best.calls) best = g;
  return best;
}

function sentence(random: () => number, words: number): string {
  const n = Math.max(3, Math.min(20_000, Math.round(words)));
  const out: string[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = WORDS[Math.floor(random() * WORDS.length)];
  return out.join(' ');
}
