/**
 * GPU probe: one long-lived `nvidia-smi --query-gpu=... -lms <interval>` child, read line by line; the
 * latest reading per GPU is kept and handed to each sample. Never a process spawned per sample.
 *
 * Failure handling, none of which reaches the app:
 * - nvidia-smi not on PATH (ENOENT): no GPU figures, no fault, no retry (`gpu: 'auto'` means "if present").
 * - nvidia-smi exits or dies: its GPUs are marked absent at once (their gauges disappear), the fault is
 *   reported, and it is started again after a backoff that doubles from 1 s to 60 s (back to 1 s after a
 *   run that lasted 30 s). If it never printed a valid line in its first `GIVE_UP_AFTER` runs (binary
 *   present, driver missing), it is left off.
 * - nvidia-smi alive but silent (hung in the driver, stopped by a debugger, a wedged pipe): no reading for
 *   `silenceMs` (3 intervals, at least 5 s; `startupSilenceMs`, at least 30 s, for a run's first reading,
 *   as a first query on a machine without persistence mode can take seconds per GPU) counts as a hang.
 *   It is reported once, killed (SIGKILL: a hung process may not act on anything else), its GPUs are
 *   marked absent at once, and it is restarted with the same backoff as after a crash. A new one is
 *   started only once the killed one has gone, so a driver that hangs every nvidia-smi does not pile
 *   them up. A run that never printed a reading counts towards `GIVE_UP_AFTER` as above.
 * - A line that is not a GPU reading (warnings, truncation, garbage) is skipped; the first one after a
 *   run's first reading is reported as a fault (one before it goes with the fault of that run's exit,
 *   as it is usually nvidia-smi's own error). `[N/A]`, `[Not Supported]` and other non-numbers leave
 *   that figure absent.
 * - A GPU that stops being reported ages out after three intervals.
 *
 * The child and its pipes are unref'd, so it never keeps the app alive; it is killed on `stop()` and,
 * if the app exits without stopping, on the process's `exit` event (and it would die of SIGPIPE on its
 * next write anyway).
 *
 * The field list and units: `nvidia-smi --help-query-gpu`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { GpuSample } from './sample.js';
import { MAX_GPUS, NVIDIA_SMI_QUERY, parseNvidiaSmiLine, type GpuReading } from './nvidia-smi.js';
import { monotonic } from '../lib/clock.js';

export { MAX_GPUS, NVIDIA_SMI_QUERY, parseNvidiaSmiLine, type GpuReading } from './nvidia-smi.js';

/** A line longer than this is garbage: it is dropped without being buffered further. */
const MAX_LINE_LENGTH = 4096;
/** Runs that printed no valid line after which an 'auto' probe gives up. */
const GIVE_UP_AFTER = 3;
/** A run that printed readings for this long resets the restart backoff. */
const HEALTHY_RUN_MS = 30_000;
/**
 * The least silence taken as a hang, whatever the interval: a query that stalls for a second or two
 * on a busy driver is not one.
 */
const MIN_SILENCE_MS = 5000;
/** The least time a run is given for its first reading (driver and GPU initialisation). */
const MIN_STARTUP_SILENCE_MS = 30_000;
export interface GpuProbeOptions {
  intervalMs: number;
  /** The executable, looked up on PATH. */
  command?: string;
  /** First restart delay; doubles up to maxBackoffMs. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** No reading for this long from a running nvidia-smi is a hang. Default: 3 intervals, at least 5 s. */
  silenceMs?: number;
  /** The same, for a run's first reading. Default: 3 intervals, at least 30 s. */
  startupSilenceMs?: number;
  fault: (error: unknown) => void;
}

/** Children still running, killed if the app exits without stopping them. */
const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;

function killOnExit(child: ChildProcess): void {
  liveChildren.add(child);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const c of liveChildren) {
      try {
        if (c.pid !== undefined) c.kill('SIGKILL');
      } catch {
        // Already gone.
      }
    }
  });
}

export class GpuProbe {
  private readonly command: string;
  private readonly intervalMs: number;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly fault: (error: unknown) => void;
  /** Latest reading per GPU index, with performance.now() when it was read. */
  private readonly readings = new Map<number, { reading: GpuReading; at: number }>();
  private child: ChildProcess | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  /** Fires when the running nvidia-smi may have been silent too long. */
  private watchdog: NodeJS.Timeout | undefined;
  /** performance.now() of the run's latest reading, or of its start before its first. */
  private lastReadingAt = 0;
  /** An nvidia-smi killed for silence that has not exited yet: no new one starts until it has. */
  private silenced: ChildProcess | undefined;
  private backoffMs: number;
  private stopped = false;
  private partial = '';
  private validLinesThisRun = 0;
  private garbageReportedThisRun = false;
  private runsWithoutOutput = 0;
  private everValid = false;
  private stderrTail = '';
  /** The first unparsable line of a run that has printed no reading yet. */
  private outputBeforeReadings: string | undefined;
  private runStartedAt = 0;
  /** Spawns so far (tests check that the child is long-lived). */
  spawns = 0;
  /** Why the probe is not running, when it gave up: 'missing' (not on PATH) or 'failing'. */
  off: 'missing' | 'failing' | undefined;
  readonly silenceMs: number;
  readonly startupSilenceMs: number;

  constructor(options: GpuProbeOptions) {
    this.command = options.command ?? 'nvidia-smi';
    this.intervalMs = options.intervalMs;
    this.initialBackoffMs = options.initialBackoffMs ?? 1000;
    this.maxBackoffMs = options.maxBackoffMs ?? 60_000;
    this.backoffMs = this.initialBackoffMs;
    this.fault = options.fault;
    this.silenceMs = options.silenceMs ?? Math.max(3 * this.intervalMs, MIN_SILENCE_MS);
    this.startupSilenceMs = options.startupSilenceMs ?? Math.max(3 * this.intervalMs, MIN_STARTUP_SILENCE_MS);
    // Spawned on the next turn, not inside createMonitor(): a monitor created and shut down at once
    // (tests, short scripts) never forks a process.
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      this.start();
    }, 0);
    this.restartTimer.unref();
  }

  /** The GPUs reported within the last three intervals, in index order. */
  read(): GpuSample[] {
    const now = monotonic();
    const staleAfter = 3 * this.intervalMs + 1000;
    const gpus: GpuSample[] = [];
    for (const [index, { reading, at }] of this.readings) {
      const ageMs = now - at;
      if (ageMs > staleAfter) {
        this.readings.delete(index);
        continue;
      }
      gpus.push(toSample(reading, ageMs));
    }
    return gpus.sort((a, b) => a.index - b.index);
  }

  stop(): void {
    this.stopped = true;
    if (this.restartTimer !== undefined) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    this.disarmWatchdog();
    this.readings.clear();
    const child = this.child;
    this.child = undefined;
    if (child !== undefined) {
      liveChildren.delete(child);
      // A child whose spawn failed has no pid, and kill() would then signal pid 0: the whole
      // process group, the app included.
      if (child.pid !== undefined) child.kill('SIGTERM');
    }
  }

  private start(): void {
    if (this.stopped) return;
    if (this.silenced !== undefined) {
      // The one killed for silence is still there (stuck in the driver?): wait for it, backing off.
      this.scheduleRestart();
      return;
    }
    this.partial = '';
    this.validLinesThisRun = 0;
    this.garbageReportedThisRun = false;
    this.stderrTail = '';
    this.outputBeforeReadings = undefined;
    let child: ChildProcess;
    try {
      child = spawn(this.command, [`--query-gpu=${NVIDIA_SMI_QUERY}`, '--format=csv,noheader,nounits', '-lms', String(this.intervalMs)], {
        stdio: ['ignore', 'pipe', 'pipe'],
        windowsHide: true,
      });
    } catch (error) {
      // spawn throws synchronously only for bad arguments; treat like a failed run.
      this.fault(error);
      this.scheduleRestart();
      return;
    }
    this.spawns++;
    this.runStartedAt = monotonic();
    this.lastReadingAt = this.runStartedAt;
    this.child = child;
    this.armWatchdog(this.startupSilenceMs);
    killOnExit(child);
    child.unref();
    // The pipes are handles of their own: unref them too, or they keep the app's loop alive.
    (child.stdout as unknown as { unref?: () => void } | null)?.unref?.();
    (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();
    child.stdout!.setEncoding('utf8');
    // Output of a child killed for silence, printed before it went, is not this run's.
    child.stdout!.on('data', (chunk: string) => {
      if (this.child === child) this.onData(chunk);
    });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      if (this.child === child) this.stderrTail = (this.stderrTail + chunk).slice(-500);
    });
    // A pipe error ends the run like an exit does ('close' follows); unhandled, it would throw.
    child.stdout!.on('error', () => {});
    child.stderr!.on('error', () => {});
    child.once('error', (error: NodeJS.ErrnoException) => this.onEnd(child, error, null, null));
    child.once('close', (code, signal) => this.onEnd(child, undefined, code, signal));
  }

  private onData(chunk: string): void {
    let text = this.partial + chunk;
    let start = 0;
    for (let end = text.indexOf('\n'); end >= 0; end = text.indexOf('\n', start)) {
      this.onLine(text.slice(start, end));
      start = end + 1;
    }
    text = text.slice(start);
    if (text.length > MAX_LINE_LENGTH) {
      this.onGarbage(text.slice(0, 80));
      text = '';
    }
    this.partial = text;
  }

  private onLine(line: string): void {
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.trim() === '') return;
    const reading = parseNvidiaSmiLine(line);
    if (reading === undefined) {
      this.onGarbage(line);
      return;
    }
    const now = monotonic();
    this.lastReadingAt = now;
    // The run's first reading: from now on a hang is the shorter silence.
    if (this.validLinesThisRun === 0) this.armWatchdog(this.silenceMs);
    this.validLinesThisRun++;
    this.everValid = true;
    this.runsWithoutOutput = 0;
    this.readings.set(reading.index, { reading, at: now });
  }

  private armWatchdog(ms: number): void {
    this.disarmWatchdog();
    this.watchdog = setTimeout(this.checkSilence, Math.max(1, ms));
    this.watchdog.unref();
  }

  private disarmWatchdog(): void {
    if (this.watchdog !== undefined) clearTimeout(this.watchdog);
    this.watchdog = undefined;
  }

  /** The watchdog: re-armed for the rest of the allowance if a reading came since, else the run hung. */
  private readonly checkSilence = (): void => {
    this.watchdog = undefined;
    const child = this.child;
    if (child === undefined || this.stopped) return;
    const limit = this.validLinesThisRun > 0 ? this.silenceMs : this.startupSilenceMs;
    const silentFor = monotonic() - this.lastReadingAt;
    if (silentFor < limit) {
      this.armWatchdog(limit - silentFor);
      return;
    }
    // Ended here, as a crash ends in onEnd; its 'close', when it comes, is not reported again.
    this.child = undefined;
    this.readings.clear();
    this.silenced = child;
    try {
      if (child.pid !== undefined) child.kill('SIGKILL');
    } catch {
      // Gone already.
    }
    const said = [this.outputBeforeReadings, this.stderrTail.trim()].filter(Boolean).join(' / ');
    this.fault(new Error(`nvidia-smi printed no reading for ${limit} ms while still running: killed it${said ? `; it said: ${said}` : ''}`));
    this.afterRun(this.lastReadingAt - this.runStartedAt);
  };

  private onGarbage(line: string): void {
    // Before any reading, it is likely nvidia-smi's own error message: it goes with the exit's fault.
    if (this.validLinesThisRun === 0) {
      this.outputBeforeReadings ??= line.slice(0, 300);
      return;
    }
    if (this.garbageReportedThisRun) return;
    this.garbageReportedThisRun = true;
    this.fault(new Error(`nvidia-smi printed a line that is not a GPU reading: ${JSON.stringify(line.slice(0, 200))}`));
  }

  private onEnd(child: ChildProcess, error: NodeJS.ErrnoException | undefined, code: number | null, signal: NodeJS.Signals | null): void {
    liveChildren.delete(child);
    if (this.silenced === child) this.silenced = undefined;
    if (this.child !== child) return; // Stopped, killed for silence, or an 'error' already handled this run.
    this.child = undefined;
    this.disarmWatchdog();
    this.readings.clear();
    if (this.stopped) return;
    if (error?.code === 'ENOENT' && !this.everValid) {
      this.off = 'missing';
      return;
    }
    const why = error !== undefined ? error.message : signal !== null ? `was killed by ${signal}` : `exited with code ${code}`;
    const said = [this.outputBeforeReadings, this.stderrTail.trim()].filter(Boolean).join(' / ');
    this.fault(new Error(`nvidia-smi ${why}${said ? `: ${said}` : ''}`));
    this.afterRun(monotonic() - this.runStartedAt);
  }

  /** After a run ended (exit, crash or hang) that printed readings for `healthyMs`: restart, or give up. */
  private afterRun(healthyMs: number): void {
    if (this.validLinesThisRun === 0) this.runsWithoutOutput++;
    if (!this.everValid && this.runsWithoutOutput >= GIVE_UP_AFTER) {
      this.off = 'failing';
      return;
    }
    // A run that printed readings for a while was healthy: restart soon. A crash loop backs off.
    if (this.validLinesThisRun > 0 && healthyMs >= HEALTHY_RUN_MS) this.backoffMs = this.initialBackoffMs;
    this.scheduleRestart();
  }

  private scheduleRestart(): void {
    if (this.stopped) return;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.maxBackoffMs, this.backoffMs * 2);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      this.start();
    }, delay);
    this.restartTimer.unref();
  }
}

function toSample(r: GpuReading, ageMs: number): GpuSample {
  const sample: GpuSample = { index: r.index, uuid: r.uuid, name: r.name, ageMs };
  if (r.utilization !== undefined) sample.utilization = r.utilization;
  if (r.memoryControllerUtilization !== undefined) sample.memoryControllerUtilization = r.memoryControllerUtilization;
  if (r.memoryUsedBytes !== undefined) sample.memoryUsedBytes = r.memoryUsedBytes;
  if (r.memoryTotalBytes !== undefined) sample.memoryTotalBytes = r.memoryTotalBytes;
  if (r.memoryUsedBytes !== undefined && r.memoryTotalBytes !== undefined && r.memoryTotalBytes > 0) {
    sample.memoryUtilization = r.memoryUsedBytes / r.memoryTotalBytes;
  }
  if (r.temperatureCelsius !== undefined) sample.temperatureCelsius = r.temperatureCelsius;
  if (r.powerWatts !== undefined) sample.powerWatts = r.powerWatts;
  return sample;
}
