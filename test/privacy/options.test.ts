/**
 * Validation of the privacy options: TypeErrors that name the option, and never echo a key.
 */
import { describe, expect, it } from 'vitest';
import { createMonitor } from '../../src/index.js';

describe('privacy options', () => {
  it('refuse malformed capture options with a TypeError naming the option', () => {
    expect(() => createMonitor({ capture: true as any })).toThrow(/option "capture" must be an object such as \{ content: true \}, got true/);
    expect(() => createMonitor({ capture: { contents: true } as any })).toThrow(/unknown option "capture.contents"/);
    expect(() => createMonitor({ capture: { content: 'yes' as any } })).toThrow(/option "capture.content" must be a boolean/);
    expect(() => createMonitor({ capture: { content: true, maxLength: 4 } })).toThrow(/option "capture.maxLength" must be an integer from 16/);
    expect(() => createMonitor({ capture: { content: true, sampleRate: -0.1 } })).toThrow(/option "capture.sampleRate" must be a number from 0 to 1/);
    expect(() => createMonitor({ capture: { content: true, redact: { fn: 'x' as any } } })).toThrow(/option "capture.redact.fn" must be a function/);
    expect(() => createMonitor({ capture: { content: true, redact: { patterns: ['x' as any] } } })).toThrow(/option "capture.redact.patterns\[0\]" must be a RegExp/);
  });

  it('refuse a short hash key without echoing it', () => {
    let message = '';
    try {
      createMonitor({ hashKey: 'short-secret' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe('createMonitor: option "hashKey" must be a string of at least 16 characters, got a string of 12 characters');
    expect(() => createMonitor({ hashAttributes: ['user.id', ''] })).toThrow(/option "hashAttributes" must be an array of attribute names/);
  });

  it('accept the documented shapes', async () => {
    const monitor = createMonitor({
      otel: false,
      resources: false,
      capture: { content: true, maxLength: 100, sampleRate: 0.5, redact: { patterns: [/x/, { pattern: /y/g, replacement: '*' }], fn: (t) => t } },
      hashKey: 'k'.repeat(16),
      hashAttributes: ['customer'],
      prices: { '*/my-model': { input: 1, output: 2, cachedInput: 0.5, cacheWrite: 1.25, reasoning: 2 } },
      evaluators: ['valid_json', { name: 'mine', evaluate: () => true }],
      evaluationSampleRate: 0.25,
      evaluationTimeoutMs: 200,
      segment: { by: 'tier', minSamples: 50, alpha: 0.05 },
    });
    await monitor.shutdown();
  });
});
