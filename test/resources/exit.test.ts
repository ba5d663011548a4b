import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { writeCjsPackage } from '../support/dist.js';
import { alive, installFakeNvidiaSmi, waitFor, type FakeNvidiaSmi } from './support.js';

// The child scripts load the package as one CommonJS file: dist/index.cjs when `npm run build` made it
// fresh, else the source bundled by esbuild (support/dist.ts); dependencies stay external and resolve
// from the repository's node_modules.
const dir = fileURLToPath(new URL('../artifacts/resources/', import.meta.url));
const bundle = `${dir}llm-vitals.cjs`;

beforeAll(async () => {
  mkdirSync(dir, { recursive: true });
  await writeCjsPackage(bundle);
});

let fake: FakeNvidiaSmi | undefined;
afterEach(() => {
  fake?.restore();
  fake = undefined;
});

/** Run a script with node; resolve with its exit code and output, or reject if it is still running after `ms`. */
function run(name: string, source: string, ms = 15_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const file = `${dir}${name}.cjs`;
  writeFileSync(file, source);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file], { env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} was still running after ${ms} ms: something keeps it alive\n${stdout}${stderr}`));
    }, ms);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('a script using the monitor', () => {
  it('exits on its own with nvidia-smi running, and takes nvidia-smi with it', async () => {
    fake = installFakeNvidiaSmi();
    const result = await run(
      'gpu-script',
      `const { createMonitor } = require('./llm-vitals.cjs');
       const OpenAI = require('openai');
       const monitor = createMonitor({ resources: { intervalMs: 250 } });
       monitor.wrap(new OpenAI({ apiKey: 'k', baseURL: 'http://127.0.0.1:9/v1' }));
       // The script's own work: wait until the GPUs are sampled (at most 10 s), then finish without shutdown().
       const work = setTimeout(() => console.log('no GPU sample'), 10000);
       monitor.on('resources', (sample) => {
         if (sample.gpus.length !== 2) return;
         console.log('gpus ' + sample.gpus.map((g) => g.uuid).join(' '));
         clearTimeout(work);
       });`,
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('gpus GPU-00000000-1111-2222-3333-000000000000 GPU-00000000-1111-2222-3333-000000000001\n');
    // nvidia-smi was started once and is gone with the app.
    const runs = fake.runs();
    expect(runs).toHaveLength(1);
    await waitFor('nvidia-smi to be gone', () => (alive(runs[0].pid) ? undefined : true));
  });

  it('exits at once when it only creates a monitor with the default options', async () => {
    const started = Date.now();
    const result = await run('default-script', `require('./llm-vitals.cjs').createMonitor(); console.log('created');`);
    expect(result).toEqual({ code: 0, stdout: 'created\n', stderr: '' });
    // Well before the first 5 s sample: no timer of the sampler holds it.
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
