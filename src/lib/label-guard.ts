/**
 * The cardinality guard: each label keeps at most `max` distinct values, first come first kept; any
 * later new value folds into `other`, and every folded observation is reported to `onOverflow`.
 * Once a value is kept it stays kept, so the same input always maps to the same output.
 */
import { OVERFLOW_VALUE } from '../semconv.js';

/**
 * One label's kept values. A caller that guards the same label on every call keeps its slot (no map
 * lookup of the label per call), and the value it saw last is answered without a set lookup: most
 * calls repeat the previous call's provider, model and operation.
 */
export class LabelSlot {
  readonly values = new Set<string>();
  /** The latest value kept or found kept ('' before any). */
  private last = '';
  /** A value was asked about (what `sizes()` lists: a slot only taken is not). */
  asked = false;

  constructor(
    private readonly guard: LabelGuard,
    readonly label: string,
  ) {}

  /** As `LabelGuard.value` for this slot's label. */
  value(raw: string | undefined, count = false): string {
    if (raw === undefined || raw === '') return '';
    return this.admits(raw, count) ? raw : OVERFLOW_VALUE;
  }

  /** As `LabelGuard.admits` for this slot's label. */
  admits(raw: string, count = false): boolean {
    if (raw === this.last && raw !== '') return true;
    this.asked = true;
    const values = this.values;
    if (values.has(raw) || (values.size < this.guard.max && values.add(raw))) {
      this.last = raw;
      return true;
    }
    if (count) this.guard.onOverflow?.(this.label);
    return false;
  }
}

export class LabelGuard {
  private readonly seen = new Map<string, LabelSlot>();
  readonly max: number;
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
    return this.slot(label).value(raw, count);
  }

  /** The slot of `label`'s kept values, to keep and guard with on every call. */
  slot(label: string): LabelSlot {
    let slot = this.seen.get(label);
    if (slot === undefined) {
      slot = new LabelSlot(this, label);
      this.seen.set(label, slot);
    }
    return slot;
  }

  /**
   * Whether `raw` is one of the values kept for `label` (kept now if there is room). For names that
   * are dropped rather than folded past the cap (attribute keys), where a kept name `other` and a
   * folded one must not look alike.
   */
  admits(label: string, raw: string, count = false): boolean {
    return this.slot(label).admits(raw, count);
  }

  /** Distinct values kept so far, per label. */
  sizes(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [label, slot] of this.seen) if (slot.asked) out[label] = slot.values.size;
    return out;
  }
}
