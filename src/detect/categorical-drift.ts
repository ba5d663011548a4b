/**
 * Drift of a categorical signal, the finish-reason mix (drift.ts describes drift as a whole): counts
 * per category, at most 16 (later new ones fold into `other`), in the reference and in a ring of the
 * current window. Each comparison reports the Jensen-Shannon distance (the decision: drift at ≥ 0.1 by
 * default, and only when the chi-squared test of homogeneity gives p < 0.001) and that p-value
 * (divergence.ts has both), and each window's shares.
 */
import { chiSquaredPValue, jensenShannonDistance } from './divergence.js';
import type { DriftOptions } from './drift-options.js';
import { DriftMonitor, type DriftResult } from './drift-monitor.js';

/** Categories kept per signal; later new ones fold into `other`. */
export const MAX_CATEGORIES = 16;
const OTHER = 'other';

/** Drift of a categorical signal (finish-reason mix). */
export class CategoricalDrift extends DriftMonitor {
  private readonly names: string[] = [];
  private readonly index = new Map<string, number>();
  private readonly refCounts = new Float64Array(MAX_CATEGORIES);
  private referenceFill = 0;
  private readonly ring: Uint8Array;
  private ringNext = 0;
  private ringFill = 0;
  private readonly curCounts = new Float64Array(MAX_CATEGORIES);

  constructor(options?: DriftOptions) {
    super(options);
    this.ring = new Uint8Array(this.options.window);
  }

  /** Count one category; the comparison when one is due. */
  update(category: string): DriftResult | undefined {
    const c = this.categoryOf(category);
    this.observations++;
    const size = this.ring.length;
    const slot = this.ringNext;
    if (this.ringFill === size) this.curCounts[this.ring[slot]]--;
    this.ring[slot] = c;
    this.curCounts[c]++;
    this.ringNext = slot + 1 === size ? 0 : slot + 1;
    if (this.ringFill < size) this.ringFill++;
    if (!this.referenceReady) {
      this.refCounts[c]++;
      if (++this.referenceFill === this.options.reference) this.referenceReady = true;
      return undefined;
    }
    return this.tick();
  }

  rebaseline(): void {
    this.refCounts.set(this.curCounts);
    this.referenceFill = this.ringFill;
    this.referenceReady = this.referenceFill >= this.options.reference;
    this.resetTicks();
  }

  protected referenceSize(): number {
    return this.referenceFill;
  }

  protected currentSize(): number {
    return this.ringFill;
  }

  protected compare(): DriftResult | undefined {
    const bins = this.names.length;
    if (bins === 0) return undefined;
    const value = jensenShannonDistance(this.refCounts, this.curCounts, bins);
    const pValue = chiSquaredPValue(this.refCounts, this.curCounts, bins);
    const threshold = this.options.jsDistance;
    return {
      statistic: 'js_distance',
      value,
      threshold,
      score: value / (value + threshold),
      drifted: value >= threshold && pValue < this.options.pValue,
      statistics: { js_distance: value, chi_squared_p_value: pValue },
      reference: this.shares(this.refCounts),
      current: this.shares(this.curCounts),
      referenceSize: this.referenceFill,
      currentSize: this.ringFill,
    };
  }

  private shares(counts: Float64Array): Record<string, number> {
    let total = 0;
    for (let i = 0; i < this.names.length; i++) total += counts[i];
    const out: Record<string, number> = {};
    for (let i = 0; i < this.names.length; i++) out[this.names[i]] = total > 0 ? counts[i] / total : 0;
    return out;
  }

  private categoryOf(name: string): number {
    let c = this.index.get(name);
    if (c !== undefined) return c;
    if (this.names.length < MAX_CATEGORIES - 1 || (this.names.length === MAX_CATEGORIES - 1 && name === OTHER)) {
      c = this.names.length;
      this.names.push(name);
      this.index.set(name, c);
      return c;
    }
    c = this.index.get(OTHER);
    if (c === undefined) {
      c = this.names.length;
      this.names.push(OTHER);
      this.index.set(OTHER, c);
    }
    return c;
  }
}
