/**
 * Event-loop probe: how late the loop runs timers (delay percentiles and max) and how busy it is
 * (utilisation), over each sampling interval.
 *
 * Delay comes from `perf_hooks.monitorEventLoopDelay`: a libuv timer inside Node.js, due every
 * `EVENT_LOOP_RESOLUTION_MS`, records the time between its ticks in a histogram. A blocked loop
 * cannot tick, so a block of N ms shows as a value >= N ms. Utilisation comes from
 * `performance.eventLoopUtilization(previous)` (two counters, free).
 *
 * Per-interval figures without a blind spot: `reset()` makes the histogram forget its previous tick,
 * so the first gap after a reset is never recorded, and a block that starts then is lost (measured:
 * every 200 ms block starting within ~10-20 ms of a reset went unseen). So two histograms take turns:
 * at each read the spare one starts, and the one just read keeps running for two more resolutions,
 * until the new one has surely ticked; the largest gap it records in that time is carried into the
 * next interval's max. The two overlap for 2 x resolution per interval (two more timer ticks each).
 *
 * Each interval's delays also go to the `onInterval` hook (its gaps as a few steps, `stepsOf`): the
 * Prometheus gauges build prom-client's since-the-previous-scrape window from them
 * (event-loop-window.ts).
 *
 * Definitions: https://nodejs.org/api/perf_hooks.html#perf_hooksmonitoreventloopdelayoptions and the
 * OpenTelemetry `nodejs.eventloop.*` metrics.
 */
import { monitorEventLoopDelay, performance, type EventLoopUtilization, type IntervalHistogram } from 'node:perf_hooks';
import { stepsOf, type IntervalDelays } from './event-loop-window.js';
import type { EventLoopSample } from './sample.js';

/**
 * The delay timer's period: 10 ms, prom-client's (`eventLoopMonitoringPrecision`) and OpenTelemetry
 * runtime-node's (`monitoringPrecision`) default. The values are gaps between ticks, so the period is
 * part of what they mean: an idle loop reads about one period, and the share of gaps a block takes
 * (hence p50, p99) depends on how many ticks an interval has. With any other period, the gauges
 * published under prom-client's names would not mean what prom-client's mean (at 100 ms an idle
 * process read p50 0.0999 s where prom-client said 0.0102 s, and an alert on "p99 > 50 ms" fired
 * forever). The cost: each tick wakes the process; on the 2-core VM of bench/resources.mjs an idle
 * process pays about 0.5% of one core for this timer (what `collectDefaultMetrics` pays for its own).
 */
export const EVENT_LOOP_RESOLUTION_MS = 10;

const RESOLUTION_NS = EVENT_LOOP_RESOLUTION_MS * 1e6;

/** The histogram just read, still running until its successor has ticked, and what it held when read. */
interface Lingering {
  histogram: IntervalHistogram;
  count: number;
  mean: number;
  max: number;
}

export class EventLoopProbe {
  private current: IntervalHistogram;
  private spare: IntervalHistogram;
  private lingering: Lingering | undefined;
  private lingerTimer: NodeJS.Timeout | undefined;
  /** The largest gap the previous histogram recorded after it was read, in ns: it belongs to the next interval. */
  private carriedMaxNs = 0;
  private lastUtilization: EventLoopUtilization;

  /** `onInterval`: each interval's delays, for the since-the-previous-scrape window; not called for an interval without a gap. */
  constructor(private readonly onInterval?: (delays: IntervalDelays) => void) {
    this.current = monitorEventLoopDelay({ resolution: EVENT_LOOP_RESOLUTION_MS });
    this.spare = monitorEventLoopDelay({ resolution: EVENT_LOOP_RESOLUTION_MS });
    this.current.enable();
    this.lastUtilization = performance.eventLoopUtilization();
  }

  /**
   * The figures since the previous read. Reads must be at least two resolutions apart (the sampler's
   * shortest interval, 250 ms, is): the histogram that lingers must have ticked before it is read.
   */
  read(): EventLoopSample {
    this.endLinger();
    const h = this.current;
    const count = h.count;
    const maxNs = Math.max(count > 0 ? h.max : 0, this.carriedMaxNs);
    this.carriedMaxNs = 0;
    // No gap recorded here but a carried one (a block filled the interval): that gap is the distribution.
    const sample: EventLoopSample = {
      delayP50Ms: count > 0 ? h.percentile(50) / 1e6 : maxNs > 0 ? maxNs / 1e6 : undefined,
      delayP99Ms: count > 0 ? h.percentile(99) / 1e6 : maxNs > 0 ? maxNs / 1e6 : undefined,
      delayMaxMs: maxNs > 0 ? maxNs / 1e6 : undefined,
      utilization: 0,
      resolutionMs: EVENT_LOOP_RESOLUTION_MS,
    };
    if (this.onInterval !== undefined && maxNs > 0) this.onInterval(this.intervalDelays(h, count, maxNs, sample));
    const next = this.spare;
    next.reset();
    next.enable();
    this.current = next;
    this.spare = h;
    this.lingering = { histogram: h, count, mean: count > 0 ? h.mean : 0, max: count > 0 ? h.max : 0 };
    // After two resolutions the new histogram has ticked at least once, and any block that began
    // before its first tick has been seen by the old one: its next tick after such a block was due
    // before then. The check runs from setImmediate so that an old tick that is overdue with it (the
    // loop was blocked) is recorded first. Due at the new histogram's second tick, it often shares
    // that wake-up.
    this.lingerTimer = setTimeout(() => setImmediate(() => this.endLinger()).unref(), 2 * EVENT_LOOP_RESOLUTION_MS);
    this.lingerTimer.unref();

    const now = performance.eventLoopUtilization();
    sample.utilization = performance.eventLoopUtilization(now, this.lastUtilization).utilization;
    this.lastUtilization = now;
    return sample;
  }

  /** The interval's gaps for the since-the-previous-scrape window, with the carried one when it is the largest. */
  private intervalDelays(h: IntervalHistogram, count: number, maxNs: number, sample: EventLoopSample): IntervalDelays {
    const maxMs = maxNs / 1e6;
    if (count === 0) return { count: 1, p50Ms: maxMs, p99Ms: maxMs, maxMs, steps: [maxMs, 1] };
    const steps = stepsOf((rank) => h.percentile((100 * rank) / count) / 1e6, count);
    if (maxNs <= h.max) return { count, p50Ms: sample.delayP50Ms!, p99Ms: sample.delayP99Ms!, maxMs, steps };
    // The carried gap is one more, the largest.
    steps.push(maxMs, 1);
    return { count: count + 1, p50Ms: sample.delayP50Ms!, p99Ms: sample.delayP99Ms!, maxMs, steps };
  }

  stop(): void {
    this.endLinger();
    this.current.disable();
  }

  /** Carry what the old histogram recorded since it was read into the next interval's max, and stop it. */
  private endLinger(): void {
    const lingering = this.lingering;
    if (lingering === undefined) return;
    this.lingering = undefined;
    clearTimeout(this.lingerTimer);
    const h = lingering.histogram;
    const added = h.count - lingering.count;
    if (added > 0) {
      let largest: number;
      if (h.max > lingering.max) largest = h.max; // The new max is one of the new gaps.
      else {
        // The new gaps hide under the old max. Their sum comes from the means; with one new gap that
        // is it, with more the others are taken as idle ticks (one resolution each).
        const sum = h.mean * h.count - lingering.mean * lingering.count;
        largest = Math.min(lingering.max, Math.max(sum / added, sum - (added - 1) * RESOLUTION_NS));
      }
      if (largest > this.carriedMaxNs) this.carriedMaxNs = largest;
    }
    h.disable();
  }
}
