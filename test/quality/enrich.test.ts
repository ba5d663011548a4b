/**
 * The enricher's queue on its own: batches that yield the event loop, the bound on held calls, and the
 * pieces it reads outputs with (JSON sequences, the schema subset).
 */
import { describe, expect, it } from 'vitest';
import type { CallRecord } from '../../src/record.js';
import type { Call } from '../../src/call.js';
import { LabelGuard } from '../../src/lib/label-guard.js';
import { Enricher, MAX_HELD } from '../../src/quality/enrich.js';
import { resolvePrivacyCostQuality, type PrivacyCostQualityOptions } from '../../src/quality/options.js';
import { splitJsonSequence } from '../../src/quality/output.js';
import { schemaMismatch } from '../../src/quality/json-schema.js';

function fakeCall(i: number): Call {
  const record = {
    id: `r${i}`,
    provider: 'openai',
    operation: 'chat',
    requestModel: 'gpt-4o-mini',
    responseModel: 'gpt-4o-mini',
    outcome: 'completed',
    chunks: 0,
    finishReasons: ['stop'],
    notes: [],
    inputTokens: { count: 1, source: 'reported' },
    outputTokens: { count: 1, source: 'reported' },
  } as unknown as CallRecord;
  return { record, pending: { request: {}, outputParts: ['ok'] } } as unknown as Call;
}

function enricher(options: PrivacyCostQualityOptions, published: Call[]) {
  const faults: unknown[] = [];
  // As the pipeline connects it: a held call is handed on past the enricher, to the sinks.
  const e = new Enricher(resolvePrivacyCostQuality(options), new LabelGuard(100), (call) => published.push(call), (_c, error) => faults.push(error));
  return { e, faults };
}

describe('Enricher', () => {
  it('yields the event loop between batches when evaluators are slow', async () => {
    const published: Call[] = [];
    let evaluated = 0;
    const busy = (ms: number) => {
      const until = performance.now() + ms;
      while (performance.now() < until);
    };
    const { e } = enricher({ evaluators: [{ name: 'slow', evaluate: () => (busy(3), ++evaluated, true) }] }, published);
    for (let i = 0; i < 10; i++) expect(e.hold(fakeCall(i))).toBe(true);
    let evaluatedWhenOtherWorkRan = -1;
    setImmediate(() => (evaluatedWhenOtherWorkRan = evaluated));
    await e.flush();
    expect(published).toHaveLength(10);
    // Other work ran after the first batch (5 ms of budget: two 3 ms evaluations), not after all ten.
    expect(evaluatedWhenOtherWorkRan).toBeGreaterThan(0);
    expect(evaluatedWhenOtherWorkRan).toBeLessThan(10);
  });

  it(`holds at most ${MAX_HELD} calls; past that a record goes on unevaluated and says so`, async () => {
    const published: Call[] = [];
    const { e } = enricher({ evaluationTimeoutMs: 1, evaluators: [{ name: 'never', evaluate: () => new Promise(() => undefined) }] }, published);
    for (let i = 0; i < MAX_HELD; i++) e.hold(fakeCall(i));
    const extra = fakeCall(MAX_HELD);
    expect(e.hold(extra)).toBe(false);
    expect(extra.record.notes).toEqual(['evaluation_skipped']);
    await e.flush();
    expect(published).toHaveLength(MAX_HELD);
    expect(published.every((c) => c.record.quality!.evaluations.never === 'timeout')).toBe(true);
  });
});

describe('reading outputs', () => {
  it('splits tool-call arguments written back to back', () => {
    expect(splitJsonSequence('{"a":1}{"b":"}{"}')).toEqual(['{"a":1}', '{"b":"}{"}']);
    expect(splitJsonSequence(' {"a":[1,{"x":2}]}\n{"b":2} ')).toEqual(['{"a":[1,{"x":2}]}', '{"b":2}']);
    expect(splitJsonSequence('{"a":1}{"b":')).toEqual(['{"a":1}', '{"b":']);
    expect(splitJsonSequence('{"a":1} trailing')).toEqual(['{"a":1}', 'trailing']);
    expect(splitJsonSequence('{"s":"quote \\" and brace }"}')).toEqual(['{"s":"quote \\" and brace }"}']);
    expect(splitJsonSequence('Let me check.{"a":1}')).toBeUndefined();
  });

  it('checks the JSON schema subset', () => {
    const schema = {
      type: 'object',
      properties: { n: { type: 'integer' }, kind: { enum: ['a', 'b'] }, list: { type: 'array', items: { type: ['string', 'null'] } } },
      required: ['n'],
      additionalProperties: false,
    };
    expect(schemaMismatch(schema, { n: 1, kind: 'a', list: ['x', null] })).toBeUndefined();
    expect(schemaMismatch(schema, { n: 1.5 })).toBe('$.n: expected integer, got number');
    expect(schemaMismatch(schema, {})).toBe('$: missing required property "n"');
    expect(schemaMismatch(schema, { n: 1, kind: 'c' })).toBe('$.kind: not one of the enum values');
    expect(schemaMismatch(schema, { n: 1, list: [3] })).toBe('$.list[0]: expected string or null, got number');
    // The message names what the schema names, never a key of the output.
    expect(schemaMismatch(schema, { n: 1, secretKey: 1 })).toBe('$: a property the schema does not name');
    expect(schemaMismatch({ type: 'array' }, 'x')).toBe('$: expected array, got string');
    // Keywords outside the subset are not held against the value.
    expect(schemaMismatch({ type: 'string', pattern: '^a' }, 'b')).toBeUndefined();
  });
});
