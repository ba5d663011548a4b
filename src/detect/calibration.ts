/**
 * The likelihood stage: a second look at each surprise, against the stream's own history of surprises.
 *
 * A detector's statistics are calibrated for a stable, roughly normal signal: a surprise
 * L = -ln p says how rare the observation would be there. Real series have regular bursts, heavy
 * tails and daily steps that are rare for a normal signal and ordinary for this one. This stage keeps
 * how often each surprise level was reached before (a histogram on a geometric grid of levels,
 * exponentially forgotten over `horizon` observations) and reports an observation as no more
 * surprising than that history says: L' = min(L, -ln P̂(surprise ≥ L)).
 *
 * Below a high level u (the level the top `tailShare` of past surprises exceed), P̂ is the empirical
 * frequency; above it, the peaks-over-threshold tail P̂ = share(u) · exp(-(L - u) / β), with β the
 * mean excess over u (at least 1, the slope of a well-calibrated surprise, so a normal signal keeps
 * its model's calibration). Because it only ever lowers a surprise, it never adds false alarms.
 *
 * The idea is Numenta's anomaly likelihood (Ahmad et al. 2017, "Unsupervised real-time anomaly
 * detection for streaming data", Neurocomputing 262), with the tail of the streaming POT of Siffer
 * et al. (2017), "Anomaly detection in streams with extreme value theory" (KDD), shape 0.
 */

const LEVELS = 64;
/** Grid of surprise levels: BASE · GROWTH^j nats. */
const BASE = 0.5;
const GROWTH = 1.2;
const LN_GROWTH = Math.log(GROWTH);

function levelOf(surprise: number): number {
  if (!(surprise > BASE)) return 0;
  const j = Math.floor(Math.log(surprise / BASE) / LN_GROWTH);
  return j >= LEVELS ? LEVELS - 1 : j;
}

const levelValue = (j: number) => BASE * Math.pow(GROWTH, j);

export class SurpriseCalibrator {
  /** counts[j]: weight of past surprises at or above level j. */
  private readonly counts = new Float64Array(LEVELS);
  private total = 0;
  private weight = 1;
  private readonly growth: number;
  /** The tail threshold u (a grid level index) and the mean excess over it. */
  private tailLevel = LEVELS - 1;
  private excess = 1;
  private sinceTail = 0;

  constructor(
    horizon: number,
    private readonly tailShare = 0.02,
  ) {
    // Forgetting by giving each new observation a growing weight, renormalised now and then, so an
    // update touches only the levels it reached, not every counter.
    this.growth = 1 / (1 - 1 / horizon);
  }

  /** The calibrated surprise of L (nats), and L counted into the history. */
  calibrate(surprise: number): number {
    let calibrated = surprise;
    if (surprise > BASE && this.total > 0) {
      const u = levelValue(this.tailLevel);
      let empirical: number;
      if (surprise > u) {
        empirical = -Math.log(this.counts[this.tailLevel] / this.total) + (surprise - u) / this.excess;
      } else {
        empirical = -Math.log(this.counts[levelOf(surprise)] / this.total);
      }
      if (empirical < calibrated) calibrated = empirical;
    }
    this.count(surprise);
    return calibrated;
  }

  reset(): void {
    this.counts.fill(0);
    this.total = 0;
    this.weight = 1;
    this.tailLevel = LEVELS - 1;
    this.excess = 1;
    this.sinceTail = 0;
  }

  private count(surprise: number): void {
    const w = this.weight;
    this.total += w;
    const level = levelOf(surprise);
    // Surprises at or below the lowest level only count toward the total.
    if (surprise > BASE) for (let j = 0; j <= level; j++) this.counts[j] += w;
    const u = levelValue(this.tailLevel);
    if (surprise > u) {
      // Mean excess over u, followed with the weight of the tail's own observations.
      this.excess = Math.max(1, this.excess + 0.05 * (surprise - u - this.excess));
    }
    if (++this.sinceTail >= 32) this.placeTail();
    this.weight = w * this.growth;
    if (this.weight > 1e100) {
      const scale = 1 / this.weight;
      for (let j = 0; j < LEVELS; j++) this.counts[j] *= scale;
      this.total *= scale;
      this.weight = 1;
    }
  }

  /** u: the lowest grid level that no more than `tailShare` of the history reached. */
  private placeTail(): void {
    this.sinceTail = 0;
    const limit = this.tailShare * this.total;
    let j = 0;
    while (j < LEVELS - 1 && this.counts[j] > limit) j++;
    this.tailLevel = j;
  }
}
