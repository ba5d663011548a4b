/**
 * The series the dashboard charts, read from one `monitor.snapshot()` at a time: what a point on each
 * chart is, in the unit its axis shows. Keys are `<chart>|<series name>`; the page groups them by the
 * part before the first `|`.
 *
 * - `rps` (requests/s) and `tps` (output tokens/s): all groups, over the snapshot's rate window;
 * - `lat|<group>|p50|p95|p99`, `ttfc|<group>|p50|p95|p99`: ms, over the group's recent calls
 *   (`snapshot.samples`); a percentile of several groups cannot be made from theirs, so one per group;
 * - `err|<error type>`: errors per second, all groups: the change of the snapshot's counters since the
 *   previous point, over the seconds between the two;
 * - `cost`: US dollars per minute, the same way, once a call had a price;
 * - `cpu|…` %, `mem|…` MB, `loop|p50|p99|max` ms (how late the event-loop timer fired: the delay minus
 *   the timer's period), `gpu|…` %: from the latest resource sample.
 */
import type { Snapshot } from '../sinks/snapshot.js';

export interface SeriesPoint {
  /** Epoch milliseconds of the snapshot. */
  time: number;
  /** Finite values only: a series with nothing to say at this point is left out. */
  values: Record<string, number>;
}

const MB = 1024 * 1024;

/** `openai · chat · gpt-4o-mini`: how the page names a provider / operation / model group. */
export function groupId(group: { provider: string; operation: string; model: string }): string {
  return `${group.provider} · ${group.operation} · ${group.model || '(no model)'}`;
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Reads snapshots into points; remembers the previous one, for the rates of counters. */
export class SeriesReader {
  private previous: { time: number; errors: Record<string, number>; usd: number | undefined } | undefined;

  read(snapshot: Snapshot): SeriesPoint {
    const time = Date.parse(snapshot.time);
    const values: Record<string, number> = {};
    const put = (key: string, value: unknown) => {
      if (finite(value)) values[key] = value;
    };
    put('rps', snapshot.requestsPerSecond);
    put('tps', snapshot.tokensPerSecond);
    const errors: Record<string, number> = {};
    for (const group of snapshot.groups) {
      const id = groupId(group);
      put(`lat|${id}|p50`, group.latencyMs.p50);
      put(`lat|${id}|p95`, group.latencyMs.p95);
      put(`lat|${id}|p99`, group.latencyMs.p99);
      put(`ttfc|${id}|p50`, group.timeToFirstChunkMs.p50);
      put(`ttfc|${id}|p95`, group.timeToFirstChunkMs.p95);
      put(`ttfc|${id}|p99`, group.timeToFirstChunkMs.p99);
      for (const type in group.errors) errors[type] = (errors[type] ?? 0) + group.errors[type];
    }
    const cost = snapshot.cost;
    const usd = cost !== undefined && finite(cost.usd) && cost.pricedCalls > 0 ? cost.usd : undefined;
    const previous = this.previous;
    const seconds = previous === undefined ? 0 : (time - previous.time) / 1000;
    if (previous !== undefined && seconds > 0) {
      // Counters since the monitor started: per second is the change since the previous point.
      for (const type in errors) put(`err|${type}`, Math.max(0, errors[type] - (previous.errors[type] ?? 0)) / seconds);
      for (const type in previous.errors) if (!(type in errors)) values[`err|${type}`] = 0;
      if (usd !== undefined && previous.usd !== undefined) put('cost', (Math.max(0, usd - previous.usd) / seconds) * 60);
    }
    if (previous === undefined || seconds > 0) this.previous = { time, errors, usd };
    readResources(snapshot.resources, put);
    return { time, values };
  }
}

/** The latest resource sample: fractions become percentages, bytes megabytes. */
function readResources(r: Snapshot['resources'], put: (key: string, value: unknown) => void): void {
  if (r === undefined || r === null || typeof r !== 'object') return;
  if (r.process !== undefined) {
    put('cpu|process (% of one core)', finite(r.process.cpuCoreShare) ? r.process.cpuCoreShare * 100 : undefined);
    put('mem|resident', finite(r.process.residentMemoryBytes) ? r.process.residentMemoryBytes / MB : undefined);
    put('mem|heap used', finite(r.process.heapUsedBytes) ? r.process.heapUsedBytes / MB : undefined);
  }
  if (r.system !== undefined && finite(r.system.cpuUtilization)) put('cpu|host (% of all CPUs)', r.system.cpuUtilization * 100);
  if (r.eventLoop !== undefined) {
    // The histogram reads the timer's period when idle: what it adds on top is how late the loop was.
    const period = finite(r.eventLoop.resolutionMs) ? r.eventLoop.resolutionMs : 0;
    const late = (v: unknown) => (finite(v) ? Math.max(0, v - period) : undefined);
    put('loop|p50', late(r.eventLoop.delayP50Ms));
    put('loop|p99', late(r.eventLoop.delayP99Ms));
    put('loop|max', late(r.eventLoop.delayMaxMs));
  }
  for (const gpu of Array.isArray(r.gpus) ? r.gpus : []) {
    put(`gpu|GPU ${gpu.index} busy`, finite(gpu.utilization) ? gpu.utilization * 100 : undefined);
    put(`gpu|GPU ${gpu.index} memory used`, finite(gpu.memoryUtilization) ? gpu.memoryUtilization * 100 : undefined);
  }
}
