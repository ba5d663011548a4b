/**
 * The cardinality guard: each label keeps at most `max` distinct values, first come first kept; any
 * later new value folds into `other`, and every folded observation is reported to `onOverflow`.
 * Once a value is kept it stays kept, so the same input always maps to the same output.
 */
import { OVERFLOW_VALUE } from '../semconv.js';

export class LabelGuard {
  private readonly seen = new Map<string, Set<string>>();
  private readonly max: number;
  onOverflow: ((label: string) => void) | undefined;

  constructor(max: number) {
    this.max = max;
  }

  /**
   * The value to export for `label`: the value itself while there is room, else `other`. Several
   * sinks look up the same record; only the one that passes `count` reports the fold, so each folded
   * call is counted once.
   */
  value(label: string, raw: string | undefined, count = false): string {
    if (raw === undefined || raw === '') return '';
    return this.admits(label, raw, count) ? raw : OVERFLOW_VALUE;
  }

  /**
   * Whether `raw` is one of the values kept for `label` (kept now if there is room). For names that
   * are dropped rather than folded past the cap (attribute keys), where a kept name `other` and a
   * folded one must not look alike.
   */
  admits(label: string, raw: string, count = false): boolean {
    let values = this.seen.get(label);
    if (values === undefined) {
      values = new Set();
      this.seen.set(label, values);
    }
    if (values.has(raw)) return true;
    if (values.size < this.max) {
      values.add(raw);
      return true;
    }
    if (count) this.onOverflow?.(label);
    return false;
  }

  /** Distinct values kept so far, per label. */
  sizes(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [label, values] of this.seen) out[label] = values.size;
    return out;
  }
}
