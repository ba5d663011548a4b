/**
 * A fixed-size ring of the most recent samples, for percentiles computed when someone asks
 * (snapshot, dashboard), never on the call path. Memory is fixed at construction.
 */
export class SampleRing {
  private readonly values: Float64Array;
  private next = 0;
  private filled = 0;

  constructor(size: number) {
    this.values = new Float64Array(size);
  }

  push(value: number): void {
    this.values[this.next] = value;
    this.next = this.next + 1 === this.values.length ? 0 : this.next + 1;
    if (this.filled < this.values.length) this.filled++;
  }

  get count(): number {
    return this.filled;
  }

  /** Percentiles (0..100) of the samples held, by the nearest-rank method; undefined when empty. */
  percentiles(ps: readonly number[]): (number | undefined)[] {
    if (this.filled === 0) return ps.map(() => undefined);
    const sorted = this.values.slice(0, this.filled).sort();
    return ps.map((p) => sorted[Math.min(this.filled - 1, Math.max(0, Math.ceil((p / 100) * this.filled) - 1))]);
  }
}
