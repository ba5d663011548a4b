/**
 * Every option object is checked key by key, at every depth: a misspelt key is a TypeError naming its
 * full path and the closest valid key, never an option silently ignored.
 */
import { afterEach, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { createMonitor, dashboardHandler, type Monitor, type MonitorOptions, type Sink } from '../src/index.js';
import { setupOtel } from '../src/otel/index.js';
import { createDetector, CusumDetector } from '../src/detect/index.js';
import { resolveDriftOptions } from '../src/detect/drift.js';

let monitor: Monitor | undefined;
afterEach(async () => {
  await monitor?.shutdown();
  monitor = undefined;
});

const quiet: MonitorOptions = { resources: false, otel: false };
const callEnded = () => {};

describe('createMonitor: a misspelt key at any depth', () => {
  const cases: [string, unknown, string][] = [
    ['top level', { servicename: 'x' }, 'unknown option "servicename" (did you mean "serviceName"?)'],
    ['tokens', { tokens: { estimat: false } }, 'unknown option "tokens.estimat" (did you mean "tokens.estimate"?)'],
    ['snapshot', { snapshot: { sampels: 64 } }, 'unknown option "snapshot.sampels" (did you mean "snapshot.samples"?)'],
    [
      'capture.redact',
      { capture: { content: true, redact: { pattern: [/secret/] } } },
      'unknown option "capture.redact.pattern" (did you mean "capture.redact.patterns"?)',
    ],
    [
      'a redact pattern',
      { capture: { content: true, redact: { patterns: [/a/, { pattern: /b/, replacment: '*' }] } } },
      'unknown option "capture.redact.patterns[1].replacment" (did you mean "capture.redact.patterns[1].replacement"?)',
    ],
    ['capture', { capture: { contnet: true } }, 'unknown option "capture.contnet" (did you mean "capture.content"?)'],
    ['segment', { segment: { by: 'tier', minSample: 50 } }, 'unknown option "segment.minSample" (did you mean "segment.minSamples"?)'],
    [
      'a sink',
      { sinks: [{ name: 'audit', callEnded, callStart() {} }] },
      'unknown option "sinks[0].callStart" (did you mean "sinks[0].callStarted"?)',
    ],
    [
      'a price',
      { prices: { 'openai/x': { input: 1, output: 2, ouptut: 2 } } },
      'unknown option "prices["openai/x"].ouptut" (did you mean "prices["openai/x"].output"?)',
    ],
    [
      'an evaluator',
      { evaluators: [{ name: 'mine', evaluate: () => true, evalute: () => true }] },
      'unknown option "evaluators[0].evalute" (did you mean "evaluators[0].evaluate"?)',
    ],
    ['otel', { otel: { metric: false } }, 'unknown option "otel.metric" (did you mean "otel.metrics"?)'],
    ['resources', { resources: { intervalMS: 1000 } }, 'unknown option "resources.intervalMS" (did you mean "resources.intervalMs"?)'],
    ['detect', { detect: { warmpu: 10 } }, 'unknown option "detect.warmpu" (did you mean "detect.warmup"?)'],
    ['detect.drift', { detect: { drift: { widow: 100 } } }, 'unknown option "detect.drift.widow" (did you mean "detect.drift.window"?)'],
    [
      'a detect signal',
      { detect: { signals: { queue_depth: { scael: 'log' } } } },
      'unknown option "detect.signals.queue_depth.scael" (did you mean "detect.signals.queue_depth.scale"?)',
    ],
    ['a key like no other', { tokens: { zzz: 1 } }, 'unknown option "tokens.zzz" (known: estimate, includeStreamUsage)'],
  ];
  for (const [where, options, message] of cases) {
    it(`refuses a misspelt key of ${where}, naming its full path`, () => {
      expect(() => createMonitor(options as MonitorOptions)).toThrow(new TypeError(`createMonitor: ${message}`));
    });
  }

  it('accepts a sink made from a class, whose own fields are its own business', async () => {
    class Audit implements Sink {
      readonly name = 'audit';
      readonly seen: string[] = [];
      callEnded(record: { id: string }) {
        this.seen.push(record.id);
      }
    }
    monitor = createMonitor({ ...quiet, sinks: [new Audit()] });
  });
});

describe('createMonitor: numeric options have bounds', () => {
  it('refuses a maxLabelValues past 100,000', () => {
    expect(() => createMonitor({ maxLabelValues: 1e15 })).toThrow(
      new TypeError('createMonitor: option "maxLabelValues" must be an integer from 1 to 100000, got 1000000000000000'),
    );
    expect(() => createMonitor({ maxLabelValues: 100_001 })).toThrow(/option "maxLabelValues" must be an integer from 1 to 100000/);
    monitor = createMonitor({ ...quiet, maxLabelValues: 100_000 });
  });
});

describe('the other entry points', () => {
  it('wrap refuses a misspelt option', () => {
    monitor = createMonitor(quiet);
    const client = new OpenAI({ apiKey: 'k', baseURL: 'http://127.0.0.1:9' });
    expect(() => monitor!.wrap(client, { provder: 'vllm' } as never)).toThrow(new TypeError('wrap: unknown option "provder" (did you mean "provider"?)'));
  });

  it('express refuses a misspelt option', () => {
    monitor = createMonitor(quiet);
    expect(() => monitor!.express({ metricPath: '/metrics' } as never)).toThrow(
      new TypeError('express: unknown option "metricPath" (did you mean "metricsPath"?)'),
    );
  });

  it('dashboardHandler refuses a misspelt option', () => {
    monitor = createMonitor(quiet);
    expect(() => dashboardHandler(monitor!, { intervalSecond: 1 } as never)).toThrow(
      new TypeError('dashboardHandler: unknown option "intervalSecond" (did you mean "intervalSeconds"?)'),
    );
  });

  it('setupOtel refuses a misspelt option, in batch too', () => {
    const exporter = new InMemorySpanExporter();
    expect(() => setupOtel({ exporter, serviceNmae: 'x' } as never)).toThrow(
      new TypeError('setupOtel: unknown option "serviceNmae" (did you mean "serviceName"?)'),
    );
    expect(() => setupOtel({ exporter, batch: { maxQueueSise: 10 } } as never)).toThrow(
      new TypeError('setupOtel: unknown option "batch.maxQueueSise" (did you mean "batch.maxQueueSize"?)'),
    );
  });

  it('the standalone detectors refuse a misspelt option', () => {
    expect(() => new CusumDetector({ shfit: 2 } as never)).toThrow(new TypeError('detector: unknown option "shfit" (did you mean "shift"?)'));
    expect(() => createDetector('series', { perod: 7 } as never)).toThrow(new TypeError('detector: unknown option "perod" (did you mean "period"?)'));
    expect(() => createDetector('rate', { warmup: 10, increase: 2, minIncrease: 0.1 } as never)).not.toThrow();
    expect(() => resolveDriftOptions({ evry: 10 } as never)).toThrow(new TypeError('drift: unknown option "evry" (did you mean "every"?)'));
  });
});

describe('events', () => {
  it('on and off refuse an unknown event, listing the events', () => {
    monitor = createMonitor(quiet);
    const events = 'events: call, error, resources, anomaly, anomaly_resolved, drift';
    expect(() => monitor!.on('calls' as never, () => {})).toThrow(new TypeError(`on: unknown event "calls" (did you mean "call"? ${events})`));
    expect(() => monitor!.off('eror' as never, () => {})).toThrow(new TypeError(`off: unknown event "eror" (did you mean "error"? ${events})`));
    expect(() => monitor!.on('finished' as never, () => {})).toThrow(new TypeError(`on: unknown event "finished" (${events})`));
  });
});

describe('observe', () => {
  it('refuses a value that is not a finite number, as docs/detection.md says', () => {
    monitor = createMonitor(quiet);
    expect(() => monitor!.observe('queue_depth', NaN)).toThrow(new TypeError('observe: value must be a finite number, got NaN'));
    expect(() => monitor!.observe('queue_depth', Infinity)).toThrow(new TypeError('observe: value must be a finite number, got Infinity'));
    expect(() => monitor!.observe('queue_depth', 3)).not.toThrow();
  });

  it('refuses it with detection off too', async () => {
    monitor = createMonitor({ ...quiet, detect: false });
    expect(() => monitor!.observe('queue_depth', NaN)).toThrow(new TypeError('observe: value must be a finite number, got NaN'));
    expect(() => monitor!.observe('Queue Depth', 1)).toThrow(/observe: signal must be a snake_case name/);
    expect(() => monitor!.observe('queue_depth', 1)).not.toThrow();
  });
});
