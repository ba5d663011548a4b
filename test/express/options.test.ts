/** `monitor.express()` options: each bad option throws a TypeError naming it, when the middleware is made. */
import { afterEach, describe, expect, it } from 'vitest';
import { Histogram, Registry } from 'prom-client';
import { createMonitor, type Monitor } from '../../src/index.js';

let monitor: Monitor;
afterEach(async () => {
  await monitor?.shutdown();
});

describe('express options', () => {
  it('accepts no options and every option at once', () => {
    monitor = createMonitor();
    expect(typeof monitor.express()).toBe('function');
    const middleware = monitor.express({
      attributes: () => ({ tenant: 't' }),
      serverTiming: false,
      metricsPath: '/metrics',
      dashboardPath: '/llm-vitals',
      guard: () => true,
    });
    // Three parameters: Express must not take it for an error handler.
    expect(middleware.length).toBe(3);
  });

  it.each([
    [{ attribute: () => ({}) }, /unknown option "attribute"/],
    [{ attributes: { tenant: 'x' } }, /option "attributes" must be a function/],
    [{ serverTiming: 'yes' }, /option "serverTiming" must be a boolean, got "yes"/],
    [{ metricsPath: 'metrics' }, /option "metricsPath" must be a path like "\/metrics"/],
    [{ metricsPath: '/metrics/' }, /option "metricsPath"/],
    [{ metricsPath: '/metrics?x=1' }, /option "metricsPath"/],
    [{ metricsPath: '/' }, /option "metricsPath"/],
    [{ dashboardPath: 42 }, /option "dashboardPath" must be a path like "\/metrics".*got 42/],
    [{ metricsPath: '/ops', dashboardPath: '/ops' }, /option "metricsPath" must be a path outside dashboardPath/],
    [{ metricsPath: '/ops/metrics', dashboardPath: '/ops' }, /option "metricsPath" must be a path outside dashboardPath/],
    [{ metricsPath: '/metrics', guard: 'token' }, /option "guard" must be a function/],
    [{ guard: () => true }, /option "guard" must be given only with metricsPath or dashboardPath/],
  ])('rejects %o', (options, message) => {
    monitor = createMonitor();
    expect(() => monitor.express(options as never)).toThrow(TypeError);
    expect(() => monitor.express(options as never)).toThrow(message);
  });

  it('rejects options that are not an object', () => {
    monitor = createMonitor();
    expect(() => monitor.express('/metrics' as never)).toThrow(/express: options must be an object, got "\/metrics"/);
  });

  it('names the registry when it already holds a metric of the request metrics name', () => {
    const registry = new Registry();
    new Histogram({ name: 'llm_vitals_request_llm_calls', help: 'taken', registers: [registry] });
    monitor = createMonitor({ registry });
    expect(() => monitor.express()).toThrow(TypeError);
    expect(() => monitor.express()).toThrow(/option "registry" could not take the llm-vitals request metrics/);
  });
});
