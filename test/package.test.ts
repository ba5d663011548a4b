import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// These run against the built package (`npm test` builds first), resolved by its own name through
// the `exports` map, exactly as an app would import it.
const root = new URL('..', import.meta.url).pathname;
const node = (args: string[]) => execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' });

describe('the built package', () => {
  it('has been built', () => {
    expect(existsSync(`${root}dist/index.js`) && existsSync(`${root}dist/index.cjs`), 'run `npm run build` first').toBe(true);
    expect(existsSync(`${root}dist/index.d.ts`)).toBe(true);
  });

  it('works from require() (CommonJS) and keeps the tokenizer out of the main import', () => {
    const out = node([
      '-e',
      `const { createMonitor } = require('llm-vitals');
       const m = createMonitor({ serviceName: 'cjs' });
       const loaded = Object.keys(require.cache).filter((k) => k.includes('gpt-tokenizer') || k.includes('/openai/'));
       m.metrics().then((text) => { console.log(JSON.stringify({ help: text.includes('# TYPE gen_ai_client_operation_duration_seconds histogram'), loaded })); return m.shutdown(); });`,
    ]);
    expect(JSON.parse(out)).toEqual({ help: true, loaded: [] });
  });

  it('works from import (ESM)', () => {
    const out = node([
      '--input-type=module',
      '-e',
      `import { createMonitor } from 'llm-vitals';
       const m = createMonitor({ serviceName: 'esm' });
       console.log(m.snapshot().service, typeof m.wrap, typeof m.metricsHandler());
       await m.shutdown();`,
    ]);
    expect(out.trim()).toBe('esm function function');
  });

  it('lets a script that wrapped a client finish on its own (no timer keeps it alive)', () => {
    const started = Date.now();
    node([
      '--input-type=module',
      '-e',
      `import { createMonitor } from 'llm-vitals';
       import OpenAI from 'openai';
       const m = createMonitor();
       m.wrap(new OpenAI({ apiKey: 'k', baseURL: 'http://127.0.0.1:9/v1' }));`,
    ]);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
