import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  target: 'node20',
  platform: 'node',
  sourcemap: true,
  clean: true,
  splitting: true,
  // Optional heavy parts stay out of the bundle and are loaded lazily by the one file that needs them.
  external: ['gpt-tokenizer', 'prom-client', 'openai', '@anthropic-ai/sdk'],
});
