import { defineConfig } from 'vitest/config';

/**
 * Tests that measure wall-clock time, or start a browser, a Prometheus server, child processes or the
 * demo's 40 s of traffic and assert on their timing: they run one file at a time, after the others,
 * so no other test file competes with them for the CPU. Everything else runs files in parallel.
 */
const REAL_TIME = [
  'test/demo/**/*.test.ts', // the demo's traffic and its incident table
  'test/dashboard/browser.test.ts', // headless Chromium
  'test/dashboard/late-open.test.ts', // headless Chromium, after an incident
  'test/integration/**/*.test.ts', // a real Prometheus scraping every second
  'test/examples.test.ts', // each example in its own process, promtool
  'test/package.test.ts', // the built package in child processes, with a time bound
  'test/detect/monitor.test.ts', // detectors fed by real calls
  'test/resources/**/*.test.ts', // event-loop timers, nvidia-smi children, a node:cluster
  'test/instrument/arrival.test.ts', // times of arrival against times of reading
];

export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'parallel',
          include: ['test/**/*.test.ts'],
          exclude: REAL_TIME,
        },
      },
      {
        extends: true,
        test: {
          name: 'real-time',
          include: REAL_TIME,
          fileParallelism: false,
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
