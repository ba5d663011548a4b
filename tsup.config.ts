import { existsSync } from 'node:fs';
import { defineConfig } from 'tsup';

// One entry per public subpath; optional parts live behind their own subpath so the main import stays light.
const entries: Record<string, string> = {
  index: 'src/index.ts',
  otel: 'src/otel/index.ts',
  detect: 'src/detect/index.ts',
  cli: 'src/cli.ts',
};

export default defineConfig({
  entry: Object.fromEntries(Object.entries(entries).filter(([, file]) => existsSync(file))),
  format: ['esm', 'cjs'],
  dts: true,
  target: 'node20',
  platform: 'node',
  sourcemap: true,
  clean: true,
  splitting: true,
  // Dependencies stay external and are loaded by the one file that needs them (some lazily).
  external: [/^@opentelemetry\//, 'gpt-tokenizer', 'prom-client', 'systeminformation', 'openai', '@anthropic-ai/sdk', 'express'],
});
