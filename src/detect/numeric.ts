/**
 * The frame of the detectors that watch a numeric signal against a robust baseline: the working
 * scale (linear, or ln(value + offset) for signals whose spread grows with their level), the warm-up
 * that fits the baseline, and the standardised residual z = (y - location) / scale each statistic is
 * built on.
 *
 * After a level or spread alert the baseline is learnt again (the new level is the new normal), from
 * as many values as the cooldown lasts (at least 10, at most the warm-up): the cooldown is blind to
 * new alerts anyway, so learning during it costs no extra blindness, and an incident that follows a
 * shift soon after is not missed for want of a baseline.
 */
import { Baseline } from './baseline.js';
import { StreamingDetector, type DetectorOptions } from './detector.js';

/** The fewest values a baseline is learnt again from after an alert (a median and MAD need a few). */
const RELEARN_MIN = 10;

export abstract class NumericDetector extends StreamingDetector {
  protected readonly baseline: Baseline;
  private readonly relearnValues: number;
  private readonly logScale: boolean;
  private readonly logOffset: number;

  constructor(options: DetectorOptions | undefined, ownKeys: readonly string[] = []) {
    super(options, ownKeys);
    this.baseline = new Baseline(this.options.warmup, this.options.memory);
    this.logScale = this.options.scale === 'log';
    this.logOffset = this.options.logOffset;
    this.relearnValues = Math.min(this.options.warmup, Math.max(RELEARN_MIN, this.options.cooldown));
  }

  expected(): number | undefined {
    const b = this.baseline;
    if (!b.ready) return undefined;
    return this.logScale ? Math.exp(b.location) - this.logOffset : b.location;
  }

  protected spread(): number | undefined {
    return this.baseline.ready ? this.baseline.scale : undefined;
  }

  protected evidence(value: number): number {
    const y = this.logScale ? Math.log((value > 0 ? value : 0) + this.logOffset) : value;
    const b = this.baseline;
    if (!b.ready) {
      b.learn(y);
      return -1;
    }
    const ratio = this.test(b.standardize(y));
    if (this.follows()) b.follow(y);
    return ratio;
  }

  protected restart(): void {
    this.baseline.restart();
    this.clear();
  }

  /** After a level or spread alert: learn the baseline again, over the cooldown's length. */
  protected relearn(): void {
    this.baseline.restart(this.relearnValues);
    this.clear();
  }

  /** Update the statistics with the standardised residual; the ratio ln(p) / ln(budget) of the strongest. */
  protected abstract test(z: number): number;
  /** Whether the baseline may follow this observation (false while a shift is building up). */
  protected follows(): boolean {
    return true;
  }
  /** Zero the statistics. */
  protected abstract clear(): void;
}
