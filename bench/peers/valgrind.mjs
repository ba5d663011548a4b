/**
 * One counted run under valgrind, for the instruction tools of this folder (`instructions-by-part.mjs`,
 * cachegrind; `instructions-by-js-function.mjs`, callgrind): COMMAND with every `{N}` replaced by n, its
 * stdout dropped, then `read(file, stderr, pid)` on the output file of the counted process (the first
 * one valgrind names), awaited before the file goes. One output file per process (`%p`): a child forked
 * by the command (a spawn that fails before its exec) would otherwise write over the counted process's.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function underValgrind(tool, toolArgs, command, n, read) {
  const dir = mkdtempSync(join(tmpdir(), `${tool}-`));
  try {
    const args = command.map((a) => a.replaceAll('{N}', String(n)));
    const res = spawnSync('valgrind', [`--tool=${tool}`, ...toolArgs, `--${tool}-out-file=${join(dir, `${tool}.out.%p`)}`, ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'ignore', 'pipe'],
      maxBuffer: 1 << 28,
    });
    if (res.status !== 0) throw new Error(`exit ${res.status}:\n${res.stderr.split('\n').slice(-8).join('\n')}`);
    const pid = /^==(\d+)== Command:/m.exec(res.stderr)?.[1];
    if (!pid) throw new Error(`no process in valgrind's output:\n${res.stderr.slice(0, 2000)}`);
    return await read(join(dir, `${tool}.out.${pid}`), res.stderr, pid);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
