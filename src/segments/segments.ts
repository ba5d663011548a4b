/**
 * Segments: the traffic split by a user-defined attribute (option `segment`: a context attribute such
 * as `user.tier`, or a function of the record), each value bounded by the cardinality guard. Over each
 * segment's most recent calls it keeps four rates of bad outcomes:
 *
 * - `error`: calls that failed;
 * - `slow`: calls slower than the p90 latency of all segments' recent calls together;
 * - `refusal`: evaluated calls whose `no_refusal` check failed;
 * - `low_quality`: evaluated calls whose quality score is below 1 (some check failed).
 *
 * and compares each with the same rate over the rest of the traffic by a two-proportion z-test. A
 * segment is flagged when its rate is higher with p below `alpha` divided by the number of tests made
 * (Bonferroni: many segments times four rates would otherwise flag something by chance), and only when
 * the segment and the rest each have at least `minSamples` calls for that rate.
 * Calls without a segment value are the segment `''`.
 */
import type { CallRecord } from '../record.js';
import { REFUSAL_EVALUATOR } from '../quality/evaluators.js';
import { twoProportionTest } from './z-test.js';

export const SEGMENT_SIGNALS = ['error', 'slow', 'refusal', 'low_quality'] as const;
export type SegmentSignal = (typeof SEGMENT_SIGNALS)[number];

/** Recent calls kept per segment. */
export const SEGMENT_WINDOW = 512;

export interface SegmentRate {
  /** Calls this rate is over (evaluated calls for `refusal` and `low_quality`). */
  n: number;
  rate: number | undefined;
  /** The same rate over the rest of the traffic. */
  rest: number | undefined;
  z: number | undefined;
  pValue: number | undefined;
  /** Higher than the rest, significantly. */
  flagged: boolean;
}

export interface SegmentSnapshot {
  segment: string;
  /** Calls since the monitor started. */
  calls: number;
  /** Over the recent calls (up to SEGMENT_WINDOW). */
  latencyMs: { p50: number | undefined; p95: number | undefined };
  rates: Record<SegmentSignal, SegmentRate>;
  feedback: { count: number; meanScore: number | undefined };
}

export interface SegmentFlag {
  segment: string;
  signal: SegmentSignal;
  rate: number;
  rest: number;
  pValue: number;
}

export interface SegmentsSnapshot {
  /** What the segment is (the context attribute's name, or `function`). */
  attribute: string;
  minSamples: number;
  alpha: number;
  /** The latency above which a call counts as slow: p90 of all recent calls, in ms. */
  slowThresholdMs: number | undefined;
  segments: SegmentSnapshot[];
  /** Segments whose rate is significantly higher than the rest's. */
  flagged: SegmentFlag[];
}

/** One segment's recent calls, in fixed-size rings. */
class Window {
  calls = 0;
  feedbackCount = 0;
  feedbackSum = 0;
  private next = 0;
  private size = 0;
  private readonly latency = new Float64Array(SEGMENT_WINDOW);
  private readonly failed = new Uint8Array(SEGMENT_WINDOW);
  /** -1 not evaluated, 0 no, 1 yes. */
  private readonly refusal = new Int8Array(SEGMENT_WINDOW);
  private readonly lowQuality = new Int8Array(SEGMENT_WINDOW);

  add(record: CallRecord): void {
    const i = this.next;
    this.latency[i] = record.duration;
    this.failed[i] = record.outcome === 'failed' ? 1 : 0;
    const quality = record.quality;
    const refusal = quality?.evaluations[REFUSAL_EVALUATOR];
    this.refusal[i] = refusal === 'pass' ? 0 : refusal === 'fail' ? 1 : -1;
    this.lowQuality[i] = quality?.score === undefined ? -1 : quality.score < 1 ? 1 : 0;
    this.next = (i + 1) % SEGMENT_WINDOW;
    if (this.size < SEGMENT_WINDOW) this.size++;
    this.calls++;
  }

  latencies(): Float64Array {
    return this.latency.subarray(0, this.size);
  }

  /** [bad, n] per signal. */
  counts(slowThreshold: number | undefined): Record<SegmentSignal, [number, number]> {
    let failed = 0;
    let slow = 0;
    let refusals = 0;
    let refusalN = 0;
    let low = 0;
    let lowN = 0;
    for (let i = 0; i < this.size; i++) {
      failed += this.failed[i];
      if (slowThreshold !== undefined && this.latency[i] > slowThreshold) slow++;
      if (this.refusal[i] >= 0) {
        refusalN++;
        refusals += this.refusal[i];
      }
      if (this.lowQuality[i] >= 0) {
        lowN++;
        low += this.lowQuality[i];
      }
    }
    return {
      error: [failed, this.size],
      slow: [slow, slowThreshold === undefined ? 0 : this.size],
      refusal: [refusals, refusalN],
      low_quality: [low, lowN],
    };
  }
}

function percentile(sorted: Float64Array, p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))];
}

export class SegmentTracker {
  private readonly windows = new Map<string, Window>();

  constructor(
    readonly attribute: string,
    readonly minSamples: number,
    readonly alpha: number,
  ) {}

  add(record: CallRecord): void {
    this.windowOf(record.segment ?? '').add(record);
  }

  feedback(segment: string, score: number): void {
    const window = this.windowOf(segment);
    window.feedbackCount++;
    window.feedbackSum += score;
  }

  snapshot(): SegmentsSnapshot {
    const names = [...this.windows.keys()];
    const windows = names.map((name) => this.windows.get(name)!);
    let total = 0;
    for (const w of windows) total += w.latencies().length;
    const all = new Float64Array(total);
    let at = 0;
    for (const w of windows) {
      all.set(w.latencies(), at);
      at += w.latencies().length;
    }
    all.sort();
    const slowThreshold = percentile(all, 90);
    const counts = windows.map((w) => w.counts(slowThreshold));
    const totals = {} as Record<SegmentSignal, [number, number]>;
    for (const signal of SEGMENT_SIGNALS) {
      totals[signal] = [0, 0];
      for (const c of counts) {
        totals[signal][0] += c[signal][0];
        totals[signal][1] += c[signal][1];
      }
    }
    // Bonferroni: every (segment, signal) pair with enough calls on both sides is one test.
    let tests = 0;
    for (const c of counts) {
      for (const signal of SEGMENT_SIGNALS) {
        const n = c[signal][1];
        if (n >= this.minSamples && totals[signal][1] - n >= this.minSamples) tests++;
      }
    }
    const threshold = tests > 0 ? this.alpha / tests : 0;
    const segments: SegmentSnapshot[] = [];
    const flagged: SegmentFlag[] = [];
    windows.forEach((w, index) => {
      const sorted = w.latencies().slice().sort();
      const rates = {} as Record<SegmentSignal, SegmentRate>;
      for (const signal of SEGMENT_SIGNALS) {
        const [x1, n1] = counts[index][signal];
        const x2 = totals[signal][0] - x1;
        const n2 = totals[signal][1] - n1;
        const enough = n1 >= this.minSamples && n2 >= this.minSamples;
        const test = enough ? twoProportionTest(x1, n1, x2, n2) : undefined;
        const isFlagged = test !== undefined && test.rate > test.rest && test.pValue < threshold;
        rates[signal] = {
          n: n1,
          rate: n1 > 0 ? x1 / n1 : undefined,
          rest: n2 > 0 ? x2 / n2 : undefined,
          z: test?.z,
          pValue: test?.pValue,
          flagged: isFlagged,
        };
        if (isFlagged) flagged.push({ segment: names[index], signal, rate: test.rate, rest: test.rest, pValue: test.pValue });
      }
      segments.push({
        segment: names[index],
        calls: w.calls,
        latencyMs: { p50: percentile(sorted, 50), p95: percentile(sorted, 95) },
        rates,
        feedback: { count: w.feedbackCount, meanScore: w.feedbackCount > 0 ? w.feedbackSum / w.feedbackCount : undefined },
      });
    });
    return { attribute: this.attribute, minSamples: this.minSamples, alpha: this.alpha, slowThresholdMs: slowThreshold, segments, flagged };
  }

  private windowOf(segment: string): Window {
    let window = this.windows.get(segment);
    if (window === undefined) this.windows.set(segment, (window = new Window()));
    return window;
  }
}
