/**
 * The fixture the sink tests share: one local OpenAI server for the test file, and for each test a
 * monitor (shut down after the test), its recorder and an `openai` client wrapped by it, talking to
 * the server over HTTP. Call `openAIFixture()` at the top of a file (or a `describe`); its hooks
 * register there.
 */
import { afterAll, afterEach, beforeAll } from 'vitest';
import OpenAI from 'openai';
import { createMonitor, type Monitor, type MonitorOptions } from '../../src/index.js';
import { startOpenAIServer, type OpenAITestServer } from './openai-server.js';
import { recorder } from './records.js';

export interface OpenAIFixture {
  /** The local server, started before the first test. */
  server: OpenAITestServer;
  /** The current test's monitor (after `fresh`). */
  monitor: Monitor;
  rec: ReturnType<typeof recorder>;
  /** A real `openai` client wrapped by the current monitor. */
  openai: OpenAI;
  /** A new monitor from the fixture's defaults and `options`, its recorder, and a wrapped client. */
  fresh(options?: MonitorOptions): void;
}

export function openAIFixture(defaults: MonitorOptions): OpenAIFixture {
  let monitor: Monitor | undefined;
  const fixture = {
    fresh(options: MonitorOptions = {}) {
      monitor = fixture.monitor = createMonitor({ ...defaults, ...options });
      fixture.rec = recorder(monitor);
      fixture.openai = monitor.wrap(new OpenAI({ apiKey: 'test-key', baseURL: fixture.server.url, maxRetries: 0 }));
    },
  } as OpenAIFixture;
  beforeAll(async () => {
    fixture.server = await startOpenAIServer();
  });
  afterAll(async () => {
    await fixture.server.close();
  });
  afterEach(async () => {
    await monitor?.shutdown();
    monitor = undefined;
  });
  return fixture;
}
