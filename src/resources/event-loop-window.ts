/**
 * Event-loop delay since the previous scrape, as prom-client's `collectDefaultMetrics` reports it under
 * `nodejs_eventloop_lag_{p50,p99,max}_seconds`: prom-client reads its `monitorEventLoopDelay`
 * histogram at each scrape and resets it, so each value covers every gap between the delay timer's
 * ticks since the scrape before. A gauge that showed only the latest sampling interval would miss a
 * block in any earlier interval between two scrapes (at a 5 s interval and a 15 s scrape, two in three).
 *
 * The sampler's histogram is read once per interval (it serves the samples too, and Node cannot merge
 * its delay histograms), so a window is made of the intervals completed since the previous scrape:
 * - max: the largest of their maxima, exact;
 * - p50, p99: of one interval, exactly that interval's; of several, the quantile of all their gaps
 *   together, each interval's gaps described by its top 2% one by one and the rest in five steps
 *   (`stepsOf`): exact while a window's top 1% lies within its intervals' top 2% each, else a little
 *   high, never low;
 * - a scrape with no interval completed since the previous one repeats the previous values (a gauge
 *   that holds, rather than a series that blinks out when scrapes come faster than samples).
 * Values lag the scrape by up to one sampling interval; each interval is counted in exactly one scrape.
 *
 * prom-client's code: https://github.com/siimon/prom-client/blob/master/lib/metrics/eventLoopLag.js
 */

/** One sampling interval's gaps between delay-timer ticks, in milliseconds. */
export interface IntervalDelays {
  /** Gaps in the interval (at least 1). */
  count: number;
  /** The interval's own percentiles and max, exact. */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /**
   * The gaps as steps, delay ascending: `[delay, gaps, delay, gaps, ...]`, each step the gaps above the
   * previous step's delay and at most this one's. `gaps` may be fractional; they add up to `count`.
   */
  steps: number[];
}

export interface WindowDelays {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** Intervals kept apart at most; past this (nobody scrapes) they are folded into one. */
const MAX_PENDING = 64;

/** Top gaps taken one by one: 2% of an interval's, plus one (p99 of a window lies among its top 1%). */
const TOP_SHARE = 0.02;
/** Below the top, the gaps are told apart at these shares (each gap placed at the top of its share). */
const BODY_SHARES = [0.25, 0.5, 0.75, 0.9, 0.95];

/**
 * The steps of `count` gaps, from the value of the gap at a rank (1 = smallest). The top ones are
 * taken one by one, the rest in a few steps, each gap placed at the value of the highest rank of its
 * step: at most its own value, never below it. For a histogram, `rank => histogram.percentile(100 *
 * rank / count)`: HDR rounds percentile x count to the nearest rank, so that is exactly the rank's value.
 */
export function stepsOf(valueAtRank: (rank: number) => number, count: number): number[] {
  const top = Math.min(count, Math.ceil(TOP_SHARE * count) + 1);
  const ranks: number[] = [];
  for (const share of BODY_SHARES) ranks.push(Math.ceil(share * count));
  for (let rank = count - top; rank <= count; rank++) ranks.push(rank);
  const steps: number[] = [];
  let previousRank = 0;
  for (const rank of ranks) {
    if (rank <= previousRank) continue;
    const delayMs = valueAtRank(rank);
    const gaps = rank - previousRank;
    previousRank = rank;
    if (steps.length > 0 && steps[steps.length - 2] === delayMs) steps[steps.length - 1] += gaps;
    else steps.push(delayMs, gaps);
  }
  return steps;
}

/** All the intervals' steps as one ascending list, and how many gaps they hold. */
function together(intervals: readonly IntervalDelays[]): { delays: number[]; gaps: number[]; total: number } {
  const pairs: [number, number][] = [];
  let total = 0;
  for (const d of intervals) {
    for (let i = 0; i < d.steps.length; i += 2) pairs.push([d.steps[i], d.steps[i + 1]]);
    total += d.count;
  }
  pairs.sort((a, b) => a[0] - b[0]);
  return { delays: pairs.map((p) => p[0]), gaps: pairs.map((p) => p[1]), total };
}

/** The delay of the gap ranked q x total (rounded, as HDR's percentile does), smallest first. */
function quantile(all: { delays: number[]; gaps: number[]; total: number }, q: number): number {
  return atRank(all, Math.max(1, Math.floor(q * all.total + 0.5)));
}

function atRank(all: { delays: number[]; gaps: number[]; total: number }, rank: number): number {
  const want = rank - 1e-9;
  let below = 0;
  for (let i = 0; i < all.delays.length; i++) {
    below += all.gaps[i];
    if (below >= want) return all.delays[i];
  }
  return all.delays[all.delays.length - 1];
}

/** The q-quantile of the gaps of several intervals together. */
export function windowQuantile(intervals: readonly IntervalDelays[], q: number): number {
  return quantile(together(intervals), q);
}

function merge(intervals: readonly IntervalDelays[]): IntervalDelays {
  if (intervals.length === 1) return intervals[0];
  const all = together(intervals);
  let maxMs = 0;
  for (const d of intervals) if (d.maxMs > maxMs) maxMs = d.maxMs;
  return { count: all.total, p50Ms: quantile(all, 0.5), p99Ms: quantile(all, 0.99), maxMs, steps: stepsOf((rank) => atRank(all, rank), all.total) };
}

export class EventLoopWindow {
  private pending: IntervalDelays[] = [];
  private last: WindowDelays | undefined;

  /** One more sampling interval's delays (the sampler calls this). */
  add(interval: IntervalDelays): void {
    if (this.pending.length >= MAX_PENDING) this.pending = [merge(this.pending)];
    this.pending.push(interval);
  }

  /** The delays since the previous read (a scrape); the previous read's when no interval ended since. */
  read(): WindowDelays | undefined {
    if (this.pending.length > 0) {
      const merged = merge(this.pending);
      this.pending = [];
      this.last = { p50Ms: merged.p50Ms, p99Ms: merged.p99Ms, maxMs: merged.maxMs };
    }
    return this.last;
  }
}
