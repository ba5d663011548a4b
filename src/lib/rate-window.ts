/**
 * Per-second counts over a sliding window of whole seconds, for requests/s and tokens/s. Fixed memory:
 * one slot per second of the window.
 */
export class RateWindow {
  private readonly counts: Float64Array;
  private readonly seconds: Float64Array;
  private readonly startedSecond: number;

  constructor(windowSeconds: number, nowMs = Date.now()) {
    this.counts = new Float64Array(windowSeconds);
    this.seconds = new Float64Array(windowSeconds).fill(-1);
    this.startedSecond = Math.floor(nowMs / 1000);
  }

  add(amount: number, atMs: number): void {
    const second = Math.floor(atMs / 1000);
    const slot = second % this.counts.length;
    if (this.seconds[slot] !== second) {
      this.seconds[slot] = second;
      this.counts[slot] = 0;
    }
    this.counts[slot] += amount;
  }

  /** Mean per second over the window (or over the time since start, when shorter), up to `nowMs`. */
  perSecond(nowMs = Date.now()): number {
    const now = Math.floor(nowMs / 1000);
    const size = this.counts.length;
    let sum = 0;
    for (let i = 0; i < size; i++) {
      const s = this.seconds[i];
      if (s > now - size && s <= now) sum += this.counts[i];
    }
    const span = Math.min(size, Math.max(1, now - this.startedSecond + 1));
    return sum / span;
  }
}
