import { describe, expect, it } from 'vitest';
import { LabelGuard } from '../../src/lib/label-guard.js';

describe('the cardinality guard', () => {
  it('keeps the first values up to the cap, folds the rest into other, and counts each folded call', () => {
    const folds: string[] = [];
    const guard = new LabelGuard(2);
    guard.onOverflow = (label) => folds.push(label);
    const slot = guard.slot('model');
    expect(guard.slot('model')).toBe(slot);
    expect(['a', 'a', 'b', 'c', 'c', 'a', 'b', 'c'].map((v) => slot.value(v, true))).toEqual(['a', 'a', 'b', 'other', 'other', 'a', 'b', 'other']);
    // Every folded call counts, the repeated one too (no shortcut for a value not kept).
    expect(folds).toEqual(['model', 'model', 'model']);
    // Through the guard by name: the same slot, the same answers; without `count`, no report.
    expect(guard.value('model', 'b')).toBe('b');
    expect(guard.value('model', 'd')).toBe('other');
    expect(folds).toHaveLength(3);
    expect(guard.admits('model', 'a')).toBe(true);
    expect(guard.admits('model', 'e')).toBe(false);
    expect(slot.value(undefined)).toBe('');
    expect(slot.value('')).toBe('');
  });

  it('lists in sizes() the labels asked about, not a slot only taken or asked for nothing', () => {
    const guard = new LabelGuard(10);
    guard.slot('route');
    guard.value('segment', '');
    guard.value('provider', 'openai');
    guard.value('provider', 'openai');
    guard.value('provider', 'anthropic');
    expect(guard.sizes()).toEqual({ provider: 2 });
  });
});
