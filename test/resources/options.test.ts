import { describe, expect, it } from 'vitest';
import { resolveOptions } from '../../src/options.js';

describe('option "resources"', () => {
  it('defaults to a 5 s interval, GPUs if nvidia-smi is there, and the event loop', () => {
    expect(resolveOptions({}).resources).toEqual({ intervalMs: 5000, gpu: 'auto', eventLoop: true });
    expect(resolveOptions({ resources: true }).resources).toEqual({ intervalMs: 5000, gpu: 'auto', eventLoop: true });
    expect(resolveOptions({ resources: {} }).resources).toEqual({ intervalMs: 5000, gpu: 'auto', eventLoop: true });
  });

  it('takes false, and each field on its own', () => {
    expect(resolveOptions({ resources: false }).resources).toBe(false);
    expect(resolveOptions({ resources: { intervalMs: 1000 } }).resources).toEqual({ intervalMs: 1000, gpu: 'auto', eventLoop: true });
    expect(resolveOptions({ resources: { gpu: false, eventLoop: false } }).resources).toEqual({ intervalMs: 5000, gpu: false, eventLoop: false });
  });

  it('rejects bad values with a TypeError naming the option', () => {
    const bad: [unknown, string][] = [
      ['yes', 'createMonitor: option "resources" must be false or an object ({ intervalMs, gpu, eventLoop }), got "yes"'],
      [[], 'createMonitor: option "resources" must be false or an object ({ intervalMs, gpu, eventLoop }), got an array'],
      [{ intervalMs: 249 }, 'createMonitor: option "resources.intervalMs" must be an integer from 250 to 3600000, got 249'],
      [{ intervalMs: 1000.5 }, 'createMonitor: option "resources.intervalMs" must be an integer from 250 to 3600000, got 1000.5'],
      [{ intervalMs: '1000' }, 'createMonitor: option "resources.intervalMs" must be an integer from 250 to 3600000, got "1000"'],
      [{ gpu: true }, 'createMonitor: option "resources.gpu" must be "auto" or false, got true'],
      [{ gpu: 'nvidia' }, 'createMonitor: option "resources.gpu" must be "auto" or false, got "nvidia"'],
      [{ eventLoop: 1 }, 'createMonitor: option "resources.eventLoop" must be a boolean, got 1'],
      [{ intervalMS: 1000 }, 'createMonitor: unknown option "resources.intervalMS" (did you mean "resources.intervalMs"?)'],
      [{ cpu: true }, 'createMonitor: unknown option "resources.cpu" (did you mean "resources.gpu"?)'],
      [{ samples: 3 }, 'createMonitor: unknown option "resources.samples" (known: intervalMs, gpu, eventLoop)'],
    ];
    for (const [value, message] of bad) {
      expect(() => resolveOptions({ resources: value as never }), JSON.stringify(value)).toThrow(new TypeError(message));
    }
  });
});
