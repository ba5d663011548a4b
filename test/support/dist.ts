/**
 * The package as `npm run build` left it in dist/, for the tests that run it in child processes: used
 * when it is at least as new as every file it is built from, so `npm test` (which builds first) builds
 * the package once per run, and a test run on its own after an edit to src/ still tests the edit (the
 * caller then builds src/ itself).
 */
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(new URL('../..', import.meta.url).pathname);

/** Newest modification time under `path` (a file or a folder, walked). */
function newest(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = 0;
  for (const entry of readdirSync(path)) latest = Math.max(latest, newest(join(path, entry)));
  return latest;
}

/**
 * dist/'s absolute path when each of `files` (names under dist/) is there and newer than src/,
 * package.json and tsup.config.ts; otherwise undefined.
 */
export function freshDist(files: string[] = ['index.js', 'index.cjs']): string | undefined {
  const dist = join(ROOT, 'dist');
  const built = files.map((file) => join(dist, file));
  if (!built.every((file) => existsSync(file))) return undefined;
  const oldestBuilt = Math.min(...built.map((file) => statSync(file).mtimeMs));
  const sources = Math.max(newest(join(ROOT, 'src')), newest(join(ROOT, 'package.json')), newest(join(ROOT, 'tsup.config.ts')));
  return oldestBuilt >= sources ? dist : undefined;
}

/**
 * Writes `outfile`, a CommonJS file that child processes require as the package: a re-export of
 * dist/index.cjs when dist/ is fresh, else src/ bundled into that one file by esbuild. Either way the
 * dependencies stay external and resolve from the repository's node_modules.
 */
export async function writeCjsPackage(outfile: string): Promise<void> {
  const dist = freshDist(['index.cjs']);
  if (dist !== undefined) {
    writeFileSync(outfile, `module.exports = require(${JSON.stringify(join(dist, 'index.cjs'))});\n`);
    return;
  }
  const { build } = await import('esbuild');
  await build({
    entryPoints: [join(ROOT, 'src/index.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    packages: 'external',
    outfile,
    logLevel: 'silent',
  });
}
