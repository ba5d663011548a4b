/**
 * Drift of a numeric signal (drift.ts describes drift as a whole): the reference's deciles, on the
 * working scale the caller gives (log values for latencies), become fixed bin edges; each observation
 * then costs one binary search over at most 9 edges and a ring update. Each comparison reports PSI
 * (the decision, drift at ≥ 0.2 by default), the Jensen-Shannon distance and the normalised
 * Wasserstein-1 distance over those bins (divergence.ts has the definitions and the thresholds'
 * reasons), and each window's median.
 *
 * Memory is fixed per signal: the reference's values until its edges are set, then one byte and one
 * float per current-window observation.
 */
import { jensenShannonDistance, normalisedWasserstein, psi } from './divergence.js';
import type { DriftOptions } from './drift-options.js';
import { DriftMonitor, type DriftResult } from './drift-monitor.js';
import { quantileOfSorted } from './stats.js';

const DECILES = 10;

/** Drift of a numeric signal, on the working scale the caller gives (log values for log signals). */
export class NumericDrift extends DriftMonitor {
  private readonly referenceValues: Float64Array;
  private referenceFill = 0;
  /** Interior bin edges, ascending, deduplicated. */
  private edges = new Float64Array(0);
  private bins = 1;
  private readonly refCounts = new Float64Array(DECILES);
  private readonly refMeans = new Float64Array(DECILES);
  private refMedian = 0;
  private refScale = 0;
  // The current window: a ring of values and of their bins, and per-bin counts and sums.
  private readonly ringValues: Float64Array;
  private readonly ringBins: Uint8Array;
  private ringNext = 0;
  private ringFill = 0;
  private readonly curCounts = new Float64Array(DECILES);
  private readonly curSums = new Float64Array(DECILES);
  /** Where the current window's median is selected (made on the first drift verdict). */
  private scratch: Float64Array | undefined;

  constructor(options?: DriftOptions) {
    super(options);
    this.referenceValues = new Float64Array(this.options.reference);
    this.ringValues = new Float64Array(this.options.window);
    this.ringBins = new Uint8Array(this.options.window);
  }

  /** Count one value (non-finite values are ignored); the comparison when one is due. */
  update(value: number): DriftResult | undefined {
    if (value - value !== 0) return undefined;
    this.observations++;
    this.push(value);
    if (!this.referenceReady) {
      this.referenceValues[this.referenceFill++] = value;
      if (this.referenceFill === this.referenceValues.length) this.fitReference();
      return undefined;
    }
    return this.tick();
  }

  /** Make the current window the reference (and keep filling it up to `reference` observations). */
  rebaseline(): void {
    this.referenceFill = 0;
    this.referenceReady = false;
    const size = this.options.window;
    const n = Math.min(this.ringFill, this.referenceValues.length);
    for (let k = 0; k < n; k++) {
      // Oldest first, so that the reference keeps the window's order.
      this.referenceValues[this.referenceFill++] = this.ringValues[(this.ringNext - this.ringFill + k + size) % size];
    }
    this.resetTicks();
    if (this.referenceFill === this.referenceValues.length) this.fitReference();
  }

  protected referenceSize(): number {
    return this.referenceReady ? this.referenceValues.length : this.referenceFill;
  }

  protected currentSize(): number {
    return this.ringFill;
  }

  protected compare(): DriftResult | undefined {
    if (this.ringFill === 0) return undefined;
    const bins = this.bins;
    const curMeans = new Float64Array(bins);
    for (let i = 0; i < bins; i++) curMeans[i] = this.curCounts[i] > 0 ? this.curSums[i] / this.curCounts[i] : this.refMeans[i];
    const value = psi(this.refCounts, this.curCounts, bins);
    const threshold = this.options.psi;
    const drifted = value >= threshold;
    const statistics = {
      psi: value,
      js_distance: jensenShannonDistance(this.refCounts, this.curCounts, bins),
      wasserstein: normalisedWasserstein(this.refCounts, this.refMeans, this.curCounts, curMeans, this.refScale, bins),
    };
    return {
      statistic: 'psi',
      value,
      threshold,
      score: value / (value + threshold),
      drifted,
      statistics,
      reference: this.refMedian,
      // Exact (a sort of the window) for a drift verdict; from the bins otherwise, to stay cheap.
      current: drifted ? this.currentMedian() : this.binnedMedian(curMeans),
      referenceSize: this.referenceValues.length,
      currentSize: this.ringFill,
    };
  }

  /** The current window's median, approximated by the mean of the bin holding it. */
  private binnedMedian(curMeans: Float64Array): number {
    const half = this.ringFill / 2;
    let seen = 0;
    for (let i = 0; i < this.bins; i++) {
      seen += this.curCounts[i];
      if (seen >= half) return curMeans[i];
    }
    return curMeans[this.bins - 1];
  }

  /**
   * The median of the current window (on the working scale), when a comparison asks: the middle value
   * (or two) selected in a scratch copy, not the window sorted: a drifting signal asks at every
   * comparison. Equal to `quantileOfSorted(sorted window, 0.5)`: the same values, the same formula.
   */
  private currentMedian(): number {
    const n = this.ringFill;
    const scratch = (this.scratch ??= new Float64Array(this.ringValues.length));
    const values = this.ringValues;
    for (let i = 0; i < n; i++) scratch[i] = values[i];
    const position = 0.5 * (n - 1);
    const lower = Math.floor(position);
    selectInPlace(scratch, n, lower);
    const low = scratch[lower];
    let high = low;
    if (lower + 1 < n) {
      high = scratch[lower + 1];
      for (let i = lower + 2; i < n; i++) if (scratch[i] < high) high = scratch[i];
    }
    // A sort puts -0 before 0, which a selection does not tell apart: a zero in the middle is sorted.
    if (low === 0 || high === 0) return quantileOfSorted(values.slice(0, n).sort(), 0.5);
    return low + (high - low) * (position - lower);
  }

  private push(value: number): void {
    const size = this.ringValues.length;
    const slot = this.ringNext;
    if (this.ringFill === size && this.referenceReady) {
      const old = this.ringBins[slot];
      this.curCounts[old]--;
      this.curSums[old] -= this.ringValues[slot];
    }
    this.ringValues[slot] = value;
    if (this.referenceReady) {
      const bin = this.binOf(value);
      this.ringBins[slot] = bin;
      this.curCounts[bin]++;
      this.curSums[bin] += value;
    }
    this.ringNext = slot + 1 === size ? 0 : slot + 1;
    if (this.ringFill < size) this.ringFill++;
  }

  private binOf(value: number): number {
    // The number of edges at or below the value (binary search over at most 9 edges).
    const edges = this.edges;
    let lo = 0;
    let hi = edges.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (edges[mid] <= value) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private fitReference(): void {
    const sorted = this.referenceValues.slice().sort();
    const edges: number[] = [];
    for (let d = 1; d < DECILES; d++) {
      const edge = quantileOfSorted(sorted, d / DECILES);
      // A heavily repeated value makes equal deciles: one edge is enough (bins stay non-empty).
      if (edges.length === 0 || edge > edges[edges.length - 1]) edges.push(edge);
    }
    // An edge equal to the minimum would leave the first bin empty: values equal to an edge go above it.
    if (edges.length > 0 && edges[0] <= sorted[0]) edges.shift();
    this.edges = Float64Array.from(edges);
    this.bins = edges.length + 1;
    this.refCounts.fill(0);
    this.refMeans.fill(0);
    let sum = 0;
    for (let i = 0; i < sorted.length; i++) {
      const bin = this.binOf(sorted[i]);
      this.refCounts[bin]++;
      this.refMeans[bin] += sorted[i];
      sum += sorted[i];
    }
    for (let i = 0; i < this.bins; i++) if (this.refCounts[i] > 0) this.refMeans[i] /= this.refCounts[i];
    const mean = sum / sorted.length;
    let squares = 0;
    for (let i = 0; i < sorted.length; i++) squares += (sorted[i] - mean) ** 2;
    this.refScale = Math.sqrt(squares / Math.max(1, sorted.length - 1)) || Math.abs(mean) * 1e-6 || 1e-12;
    this.refMedian = quantileOfSorted(sorted, 0.5);
    // Re-bin the current window against the new edges.
    this.curCounts.fill(0);
    this.curSums.fill(0);
    const size = this.ringValues.length;
    for (let k = 0; k < this.ringFill; k++) {
      const slot = (this.ringNext - this.ringFill + k + size) % size;
      const bin = this.binOf(this.ringValues[slot]);
      this.ringBins[slot] = bin;
      this.curCounts[bin]++;
      this.curSums[bin] += this.ringValues[slot];
    }
    this.referenceReady = true;
  }
}

/**
 * Reorder `values[0..n)` so that `values[k]` is the value a sort would put there, none before it
 * greater and none after it smaller (Hoare's selection, Wirth's form).
 */
function selectInPlace(values: Float64Array, n: number, k: number): void {
  let left = 0;
  let right = n - 1;
  while (left < right) {
    const pivot = values[(left + right) >>> 1];
    let i = left;
    let j = right;
    while (i <= j) {
      while (values[i] < pivot) i++;
      while (values[j] > pivot) j--;
      if (i <= j) {
        const t = values[i];
        values[i] = values[j];
        values[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else return;
  }
}
