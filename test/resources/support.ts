/**
 * Shared pieces of the resource tests: the fake nvidia-smi put on PATH, and waits that poll with a
 * deadline (never a fixed sleep).
 */
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FAKE_NVIDIA_SMI = fileURLToPath(new URL('../support/fake-nvidia-smi', import.meta.url));
export const MIB = 1024 * 1024;
export const GPU_NAME = 'NVIDIA H100 80GB HBM3';
export const uuidOf = (i: number) => `GPU-00000000-1111-2222-3333-00000000000${i}`;

export interface FakeNvidiaSmi {
  /** The directory put first on PATH. */
  dir: string;
  /** Environment of the fake (for a child process). */
  env: Record<string, string>;
  /** One entry per run of the fake so far. */
  runs(): { pid: number; run: number; args: string[] }[];
  restore(): void;
}

/**
 * Put the fake `nvidia-smi` first on PATH, in this process's environment (children inherit it), with
 * FAKE_NVIDIA_SMI_* settings. `restore()` puts PATH and the settings back.
 */
export function installFakeNvidiaSmi(
  settings: { mode?: string; gpus?: number; crashAfter?: number; hangAfter?: number; hangRuns?: number } = {},
): FakeNvidiaSmi {
  const dir = mkdtempSync(join(tmpdir(), 'llm-vitals-smi-'));
  symlinkSync(FAKE_NVIDIA_SMI, join(dir, 'nvidia-smi'));
  const log = join(dir, 'runs.log');
  const env: Record<string, string> = {
    PATH: `${dir}:${process.env.PATH ?? ''}`,
    FAKE_NVIDIA_SMI_LOG: log,
    FAKE_NVIDIA_SMI_MODE: settings.mode ?? '',
    FAKE_NVIDIA_SMI_GPUS: String(settings.gpus ?? 2),
    FAKE_NVIDIA_SMI_CRASH_AFTER: String(settings.crashAfter ?? 2),
    FAKE_NVIDIA_SMI_HANG_AFTER: String(settings.hangAfter ?? 2),
    FAKE_NVIDIA_SMI_HANG_RUNS: String(settings.hangRuns ?? 1),
  };
  const saved: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(env)) {
    saved[key] = process.env[key];
    process.env[key] = value;
  }
  return {
    dir,
    env,
    runs() {
      try {
        return readFileSync(log, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line));
      } catch {
        return [];
      }
    },
    restore() {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** PATH without any nvidia-smi: a directory of nothing. */
export function withoutNvidiaSmi(): { restore(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'llm-vitals-nosmi-'));
  const saved = process.env.PATH;
  process.env.PATH = dir;
  return {
    restore() {
      process.env.PATH = saved;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Poll `check` until it returns a value other than undefined, or fail after `ms`. */
export async function waitFor<T>(what: string, check: () => T | undefined, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** True while a process with this pid exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Block the event loop for `ms` milliseconds. */
export function busyWait(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}
