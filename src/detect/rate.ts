/**
 * Rate detector: a Bernoulli CUSUM on whether each observation is an event (an error, a rate-limit
 * reply, a `length` finish): it alerts when the event rate has risen above the baseline rate p0 to
 * a rate p1 it is tuned to find, from the log-likelihood ratio of each observation:
 *
 *   S = max(0, S + ln(p1 / p0))          for an event,
 *   S = max(0, S + ln((1 - p1) / (1 - p0)))  otherwise,  alarm when S ≥ h.
 *
 * For a likelihood-ratio CUSUM the in-control run length is about e^h / KL(p0 ‖ p1) (Siegmund 1985,
 * leaving out the overshoot, which only lengthens it), so h = ln(KL / budget), recomputed as p0
 * moves (for half the budget: p0 is estimated), and the score is S / h. p0 is
 * learnt during warm-up (with half an event of prior, so a clean warm-up does not make the first error
 * infinitely surprising) and followed with an EWMA while no rise is building up; p1 is `increase`
 * times p0, and at least `minIncrease` above it. Defined in Reynolds & Stoumbos (1999), "A CUSUM
 * chart for monitoring a proportion when inspecting continuously".
 */
import { detectorOptionFailure, StreamingDetector, type AlertReason, type DetectorOptions } from './detector.js';
import { checkNumberIn } from '../lib/option-error.js';

/** The share of the budget the threshold is computed for (see `tune`). */
const ESTIMATION_MARGIN = 0.5;

export interface RateOptions extends DetectorOptions {
  /** The rise to find fastest, as a multiple of the baseline rate. Default 3. */
  increase?: number;
  /** The rise to find fastest is at least this much above the baseline rate. Default 0.02. */
  minIncrease?: number;
}

export class RateDetector extends StreamingDetector {
  readonly name: string = 'rate';
  private readonly increase: number;
  private readonly minIncrease: number;
  private threshold: number;
  private readonly rate: number;
  private readonly recentRate: number;
  private learnt = 0;
  private events = 0;
  private ready = false;
  private p0 = 0;
  /** A short EWMA of the event rate: after an alert it becomes the new baseline, so a lasting rise is one alert. */
  private recent = 0;
  private sum = 0;
  private pUsed = -1;
  private onEvent = 0;
  private onQuiet = 0;

  constructor(options?: RateOptions) {
    super(options, ['increase', 'minIncrease']);
    const increase = options?.increase ?? 3;
    const minIncrease = options?.minIncrease ?? 0.02;
    checkNumberIn(detectorOptionFailure, 'increase', increase, 1, 1000);
    if (!(typeof minIncrease === 'number' && minIncrease >= 0 && minIncrease < 1)) detectorOptionFailure('minIncrease', 'a number in [0, 1)', minIncrease);
    this.increase = increase;
    this.minIncrease = minIncrease;
    this.threshold = -Math.log(this.options.falseAlarmRate);
    this.rate = 2 / (this.options.memory + 1);
    this.recentRate = 2 / (this.options.warmup + 1);
  }

  expected(): number | undefined {
    return this.ready ? this.p0 : undefined;
  }

  protected spread(): number | undefined {
    return this.ready ? Math.sqrt(this.p0 * (1 - this.p0)) : undefined;
  }

  protected evidence(value: number): number {
    const x = value > 0 ? 1 : 0;
    this.recent += this.recentRate * (x - this.recent);
    if (!this.ready) {
      this.learnt++;
      this.events += x;
      if (this.learnt < this.options.warmup) return -1;
      this.p0 = (this.events + 0.5) / (this.learnt + 1);
      this.recent = this.p0;
      this.ready = true;
      return -1;
    }
    const p0 = this.p0;
    // The log ratios change only as p0 moves; recompute them when it has moved by 2%.
    if (p0 > this.pUsed * 1.02 || p0 < this.pUsed * 0.98) this.tune(p0);
    this.sum += x === 1 ? this.onEvent : this.onQuiet;
    if (this.sum < 0) this.sum = 0;
    if (this.sum < this.threshold / 2) {
      // The floor keeps p0 from reaching 0 on a long clean run: half an event per memory.
      this.p0 = Math.max(p0 + this.rate * (x - p0), this.rate / 4);
    }
    this.reason = 'rate';
    return this.sum / this.threshold;
  }

  protected alerted(_reason: AlertReason): void {
    this.sum = 0;
    if (this.recent > this.p0) this.p0 = Math.min(this.recent, 0.99);
  }

  protected restart(): void {
    this.learnt = this.events = 0;
    this.ready = false;
    this.p0 = this.recent = this.sum = 0;
    this.pUsed = -1;
  }

  private tune(p0: number): void {
    const p1 = Math.min(0.999, Math.max(p0 * this.increase, p0 + this.minIncrease));
    this.onEvent = Math.log(p1 / p0);
    this.onQuiet = Math.log((1 - p1) / (1 - p0));
    // Siegmund: ARL0 ≈ e^h / KL(p0 ‖ p1) (the overshoot left out, which only lengthens it), so the
    // threshold for 1 / budget is h = ln(KL / budget); it is asked of half the budget, because p0 is
    // itself estimated (the benchmark measured 8,000 where 10,000 was asked without that margin).
    const kl = p0 * Math.log(p0 / p1) + (1 - p0) * Math.log((1 - p0) / (1 - p1));
    this.threshold = Math.max(1, Math.log(kl / (ESTIMATION_MARGIN * this.options.falseAlarmRate)));
    this.pUsed = p0;
  }
}
