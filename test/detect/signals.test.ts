import { describe, expect, it } from 'vitest';
import type { CallRecord } from '../../src/index.js';
import { CALL_SIGNALS, readCallSignals } from '../../src/detect/signals.js';

/** A record with every field a call signal reads, as a completed streamed call gives them. */
function record(overrides: Partial<CallRecord> = {}): CallRecord {
  return {
    outcome: 'completed',
    duration: 812,
    timeToFirstChunk: 95,
    timePerOutputChunk: 12.5,
    inputTokens: { count: 31, source: 'reported' },
    outputTokens: { count: 17, source: 'reported' },
    outputTokensPerSecond: 23.4,
    cost: { usd: 0.0042 },
    quality: { score: 0.75 },
    finishReasons: ['stop'],
    ...overrides,
  } as unknown as CallRecord;
}

const read = (r: CallRecord) => Object.fromEntries(CALL_SIGNALS.filter((s) => s.read !== undefined).map((s) => [s.name, s.read!(r)]));

describe('the call signals read from a record', () => {
  it('reads each signal from its own field, for a completed call', () => {
    expect(read(record())).toEqual({
      latency: 812,
      time_to_first_chunk: 95,
      time_per_output_chunk: 12.5,
      input_tokens: 31,
      output_tokens: 17,
      output_tokens_per_second: 23.4,
      cost: 0.0042,
      quality: 0.75,
      error_rate: 0,
      rate_limit_rate: 0,
      truncation_rate: 0,
      content_filter_rate: 0,
    });
    expect(read(record({ finishReasons: ['stop', 'length'] })).truncation_rate).toBe(1);
    expect(read(record({ finishReasons: ['content_filter'] })).content_filter_rate).toBe(1);
    expect(read(record({ finishReasons: ['MAX_TOKENS'] })).truncation_rate).toBe(1);
    // An answer the SDK got only after retrying a 429 met rate limiting.
    const retried = record({ attempts: [{ httpStatus: 429, errorType: 'rate_limit', duration: 3 }, { httpStatus: 200, errorType: undefined, duration: 800 }] } as Partial<CallRecord>);
    expect(read(retried).rate_limit_rate).toBe(1);
  });

  it('reads nothing a failed, cancelled or non-streamed call does not say', () => {
    const failed = read(record({ outcome: 'failed', errorType: 'rate_limit', finishReasons: [] } as Partial<CallRecord>));
    expect(failed).toMatchObject({ latency: undefined, output_tokens: undefined, output_tokens_per_second: undefined, error_rate: 1, rate_limit_rate: 1, input_tokens: 31 });
    expect(failed.truncation_rate).toBeUndefined();
    const cancelled = read(record({ outcome: 'cancelled' } as Partial<CallRecord>));
    expect(cancelled).toMatchObject({ latency: undefined, input_tokens: undefined, error_rate: undefined, rate_limit_rate: undefined, truncation_rate: undefined });
    const plain = read(record({ timeToFirstChunk: undefined, timePerOutputChunk: undefined, cost: undefined, quality: undefined, finishReasons: [] } as Partial<CallRecord>));
    expect(plain).toMatchObject({ time_to_first_chunk: undefined, time_per_output_chunk: undefined, cost: undefined, quality: undefined, truncation_rate: undefined, content_filter_rate: undefined });
  });

  it('gives the sink the same values, at each signal\'s place in CALL_SIGNALS, NaN where there is none', () => {
    const values = new Float64Array(CALL_SIGNALS.length).fill(-1);
    for (const r of [record(), record({ outcome: 'failed', finishReasons: [] } as Partial<CallRecord>), record({ inputTokens: { count: Number.NaN, source: 'reported' } } as Partial<CallRecord>)]) {
      readCallSignals(r, values);
      CALL_SIGNALS.forEach((spec, i) => {
        if (spec.read === undefined) return;
        const value = spec.read(r);
        if (value === undefined) expect(values[i]).toBeNaN();
        else expect(values[i]).toBe(value);
      });
    }
  });
});
