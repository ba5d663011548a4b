/**
 * System probe: host CPU utilisation, load average and memory, from the cheapest source measured.
 *
 * Measured per call in bench/resources.mjs (figures in bench/results/resources.md):
 * - memory: `os.totalmem()` + `os.freemem()` (libuv reads MemAvailable from /proc/meminfo) costs a few
 *   tens of µs; systeminformation's `mem()` reads and splits all of /proc/meminfo in JS: about 10x more.
 * - CPU: systeminformation's `currentLoad()` runs `execSync('cat /proc/stat | grep cpu')` (a blocking
 *   shell spawn on the app's event loop) and `os.cpus()`; reading the first line of `/proc/stat`
 *   ourselves is one small synchronous read of a kernel file. `os.cpus()`, which also reads per-CPU
 *   frequency files, is the fallback where there is no /proc/stat.
 * systeminformation is therefore not used here.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { SystemSample } from './sample.js';

interface CpuTimes {
  busy: number;
  total: number;
}

/** The aggregate `cpu` line of /proc/stat: user nice system idle iowait irq softirq steal (guest is inside user). */
export function parseProcStat(text: string): CpuTimes | undefined {
  const end = text.indexOf('\n');
  const line = end < 0 ? text : text.slice(0, end);
  if (!line.startsWith('cpu ')) return undefined;
  const fields = line.slice(4).trim().split(/\s+/, 8).map(Number);
  if (fields.length < 4 || fields.some((n) => !Number.isFinite(n))) return undefined;
  let total = 0;
  for (const n of fields) total += n;
  const idle = fields[3] + (fields[4] ?? 0);
  return { busy: total - idle, total };
}

function cpuTimesFromOs(): CpuTimes | undefined {
  let busy = 0;
  let total = 0;
  for (const cpu of os.cpus()) {
    const t = cpu.times;
    const all = t.user + t.nice + t.sys + t.idle + t.irq;
    total += all;
    busy += all - t.idle;
  }
  return total > 0 ? { busy, total } : undefined;
}

export class SystemProbe {
  private readonly useProcStat: boolean;
  private last: CpuTimes | undefined;
  private readonly cpuCount = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  private readonly hasLoadAverage = process.platform !== 'win32';

  constructor() {
    this.useProcStat = process.platform === 'linux' && this.readProcStat() !== undefined;
    this.last = this.cpuTimes();
  }

  read(): SystemSample {
    const times = this.cpuTimes();
    let cpuUtilization: number | undefined;
    if (times !== undefined && this.last !== undefined && times.total > this.last.total) {
      cpuUtilization = Math.min(1, Math.max(0, (times.busy - this.last.busy) / (times.total - this.last.total)));
    }
    if (times !== undefined) this.last = times;
    const total = os.totalmem();
    return {
      cpuUtilization,
      cpuCount: this.cpuCount,
      loadAverage1m: this.hasLoadAverage ? os.loadavg()[0] : undefined,
      memoryUsedBytes: total - os.freemem(),
      memoryTotalBytes: total,
    };
  }

  private cpuTimes(): CpuTimes | undefined {
    return this.useProcStat ? this.readProcStat() : cpuTimesFromOs();
  }

  private readProcStat(): CpuTimes | undefined {
    try {
      return parseProcStat(readFileSync('/proc/stat', 'latin1'));
    } catch {
      return undefined;
    }
  }
}
