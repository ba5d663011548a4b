/**
 * Process probe: this Node.js process's CPU time and memory, with the cheap calls only.
 *
 * - CPU: `process.cpuUsage()` (one getrusage), cumulative since the process started; the share of one
 *   core is the difference from the previous read over the wall time between them.
 * - Memory: `process.memoryUsage()`: resident set size and the V8 heap in one call (about as cheap as
 *   `process.memoryUsage.rss()` alone on Node 20; see bench/results/resources.md).
 */
import type { ProcessSample } from './sample.js';
import { monotonic } from '../lib/clock.js';

export class ProcessProbe {
  private lastCpu: NodeJS.CpuUsage;
  private lastAt: number;

  constructor() {
    this.lastCpu = process.cpuUsage();
    this.lastAt = monotonic();
  }

  read(): ProcessSample {
    const now = monotonic();
    const cpu = process.cpuUsage();
    const usedMicros = cpu.user - this.lastCpu.user + (cpu.system - this.lastCpu.system);
    const wallMicros = (now - this.lastAt) * 1000;
    this.lastCpu = cpu;
    this.lastAt = now;
    const memory = process.memoryUsage();
    return {
      cpuUserSeconds: cpu.user / 1e6,
      cpuSystemSeconds: cpu.system / 1e6,
      cpuCoreShare: wallMicros > 0 ? usedMicros / wallMicros : 0,
      residentMemoryBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
      heapTotalBytes: memory.heapTotal,
    };
  }
}
