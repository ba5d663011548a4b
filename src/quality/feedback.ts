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
 * A map of recent entries, bounded to `max`: two generations of `max / 2` each. New entries go to
 * the young one; when it is full the old one is dropped and the young one becomes old. A recalled
 * entry moves back to the young one, so what is used stays (least recently used, by generation).
 * Every operation is O(1): no scan over deleted slots, which a single Map evicting its oldest key
 * would pay on each insertion once full.
 */
export class RecentCalls<V> {
  private young = new Map<string, V>();
  private old = new Map<string, V>();
  private readonly half: number;

  constructor(max: number) {
    this.half = Math.max(1, Math.floor(max / 2));
  }

  remember(id: string, value: V): void {
    if (this.young.size >= this.half && !this.young.has(id)) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(id, value);
  }

  recall(id: string): V | undefined {
    const young = this.young.get(id);
    if (young !== undefined) return young;
    const old = this.old.get(id);
    if (old !== undefined) {
      // Feedback refreshes the call: more feedback on it is likely.
      this.old.delete(id);
      this.remember(id, old);
    }
    return old;
  }

  /** Entries held (an id may be counted in both generations until the old one is dropped). */
  get size(): number {
    return this.young.size + this.old.size;
  }
}
