/**
 * Feedback that arrives after the call: `monitor.feedback(id, { score, label? })` with a score in
 * [0, 1], or `{ expected, actual }` ground truth for classification-style use (correct when equal).
 * `id` is the record's id or the provider's response id; the monitor remembers the labels of recent
 * calls under both in a bounded least-recently-used map, so feedback for a call too old to remember
 * is refused (`false`) rather than attributed to the wrong model or route.
 */

export interface Feedback {
  /** A score in [0, 1] (1 best): a thumbs up is 1, a thumbs down 0, a 4-star rating 0.75. */
  score?: number;
  /** A short category (`thumbs_up`, `wrong_tone`); counted per value, bounded by the cardinality guard. */
  label?: string;
  /** Ground truth: the right answer. With `actual`, counts one correct or incorrect answer. */
  expected?: unknown;
  /** Ground truth: the answer the model gave. */
  actual?: unknown;
}

/** Checks feedback at the API boundary: a TypeError naming what is wrong. */
export function checkFeedback(id: unknown, feedback: unknown): asserts feedback is Feedback {
  if (typeof id !== 'string' || id === '') throw new TypeError(`feedback: id must be a non-empty string (a record id or a response id), got ${typeof id}`);
  if (feedback === null || typeof feedback !== 'object' || Array.isArray(feedback)) throw new TypeError('feedback: expected an object { score, label? } or { expected, actual }');
  const f = feedback as Feedback;
  const hasScore = f.score !== undefined;
  const hasTruth = 'expected' in f || 'actual' in f;
  if (!hasScore && !hasTruth) throw new TypeError('feedback: give a score ({ score }) or ground truth ({ expected, actual })');
  if (hasScore && !(typeof f.score === 'number' && f.score >= 0 && f.score <= 1)) {
    throw new TypeError(`feedback: score must be a number from 0 to 1, got ${typeof f.score === 'number' ? f.score : typeof f.score}`);
  }
  if (hasTruth && !('expected' in f && 'actual' in f)) throw new TypeError('feedback: ground truth needs both expected and actual');
  if (f.label !== undefined && (typeof f.label !== 'string' || f.label === '')) throw new TypeError('feedback: label must be a non-empty string');
}

/** Ground truth is correct when both answers are equal: primitives by value, objects by their JSON. */
export function correct(expected: unknown, actual: unknown): boolean {
  if (Object.is(expected, actual)) return true;
  if (typeof expected === 'string' && typeof actual === 'string') return expected.trim() === actual.trim();
  if (expected === null || actual === null || typeof expected !== 'object' || typeof actual !== 'object') return false;
  try {
    return JSON.stringify(expected) === JSON.stringify(actual);
  } catch {
    return false;
  }
}

/**
 * The most recent calls, for feedback that arrives later: a fixed ring of `max` slots, each holding a
 * call's id, its provider response id and a value. Remembering is three array stores, no hashing and no
 * allocation (it runs for every call); recalling scans from the newest slot back (it runs once per
 * feedback, which is rare). A recalled entry is remembered again, so what is used stays longest.
 */
export class RecentCalls<V> {
  private readonly ids: (string | undefined)[];
  private readonly aliases: (string | undefined)[];
  private readonly values: (V | undefined)[];
  private next = 0;
  private filled = 0;

  constructor(max: number) {
    const size = Math.max(1, Math.floor(max));
    this.ids = new Array(size).fill(undefined);
    this.aliases = new Array(size).fill(undefined);
    this.values = new Array(size).fill(undefined);
  }

  /** Remember `value` under `id` and, when given, a second id (the provider's response id). */
  remember(id: string, value: V, alias?: string): void {
    const i = this.next;
    this.ids[i] = id;
    this.aliases[i] = alias;
    this.values[i] = value;
    this.next = i + 1 === this.ids.length ? 0 : i + 1;
    if (this.filled < this.ids.length) this.filled++;
  }

  recall(id: string): V | undefined {
    const size = this.ids.length;
    for (let k = 1; k <= this.filled; k++) {
      const i = (this.next - k + size) % size;
      if (this.ids[i] === id || this.aliases[i] === id) {
        const value = this.values[i] as V;
        // Feedback refreshes the call: more feedback on it is likely.
        if (k > 1) this.remember(this.ids[i]!, value, this.aliases[i]);
        return value;
      }
    }
    return undefined;
  }

  /** Slots in use. */
  get size(): number {
    return this.filled;
  }
}
