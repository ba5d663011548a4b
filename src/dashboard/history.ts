/**
 * The dashboard's memory: the last `points` points of every charted series, in fixed-size rings, so
 * a page opened after an incident draws it. One shared time ring (epoch ms, Float64) and one Float32
 * ring per series (NaN where the series had no value), allocated whole when the series first appears.
 *
 * Memory is bounded up front: at most `points × (8 + 4 × maxSeries)` bytes of ring, 1.9 MB at the
 * defaults (3,600 points, 128 series). A series that would be one too many takes the ring of one that
 * has no value left in the window (a group that stopped); when there is none, it is left out until
 * one frees up (counted in `droppedSeries`).
 */
import type { SeriesPoint } from './series.js';

/** The kept history, as `data.json` and the event stream send it: columns, oldest point first. */
export interface DashboardHistory {
  /** Milliseconds between two points. */
  intervalMs: number;
  /** Points kept per series at most; `capacity × intervalMs` is the span kept. */
  capacity: number;
  /** Epoch milliseconds of each point. */
  times: number[];
  /** One column per series, as long as `times`; null where the series had no value. */
  series: Record<string, (number | null)[]>;
  /** Series of the latest point left out because `maxSeries` rings were in use. */
  droppedSeries: number;
}

export class HistoryRings {
  private readonly times: Float64Array;
  private readonly rings = new Map<string, Float32Array>();
  /** Epoch ms of each series' latest value: a series whose latest value left the window is idle. */
  private readonly lastValueAt = new Map<string, number>();
  /** Where the next point goes. */
  private next = 0;
  private count = 0;
  private dropped = 0;
  /** The JSON text of the kept points, made at most once per point added. */
  private text: string | undefined;

  constructor(
    readonly capacity: number,
    private readonly maxSeries: number,
    private readonly intervalMs: number,
  ) {
    this.times = new Float64Array(capacity);
  }

  get length(): number {
    return this.count;
  }

  add(point: SeriesPoint): void {
    const at = this.next;
    this.times[at] = point.time;
    // The point about to be overwritten leaves the window: series last seen there or before are idle.
    const oldest = this.count < this.capacity ? -Infinity : this.times[this.next + 1 === this.capacity ? 0 : this.next + 1];
    let dropped = 0;
    const added: string[] = [];
    for (const key in point.values) {
      if (this.rings.has(key)) this.lastValueAt.set(key, point.time);
      else added.push(key);
    }
    for (const key of added) {
      if (this.open(key, oldest)) this.lastValueAt.set(key, point.time);
      else dropped++;
    }
    this.dropped = dropped;
    for (const [key, ring] of this.rings) ring[at] = point.values[key] ?? Number.NaN;
    this.next = at + 1 === this.capacity ? 0 : at + 1;
    if (this.count < this.capacity) this.count++;
    this.text = undefined;
  }

  /** `JSON.stringify(this.toJSON())`, shared by every page that connects within one interval. */
  toText(): string {
    if (this.text === undefined) this.text = JSON.stringify(this.toJSON());
    return this.text;
  }

  /** The kept points, oldest first. Values keep Float32's 7 significant digits, not its binary tail. */
  toJSON(): DashboardHistory {
    const start = this.count < this.capacity ? 0 : this.next;
    const index = (i: number) => (start + i) % this.capacity;
    const times = new Array<number>(this.count);
    for (let i = 0; i < this.count; i++) times[i] = this.times[index(i)];
    const series: Record<string, (number | null)[]> = {};
    for (const key of [...this.rings.keys()].sort()) {
      const ring = this.rings.get(key)!;
      const column = new Array<number | null>(this.count);
      for (let i = 0; i < this.count; i++) {
        const v = ring[index(i)];
        column[i] = Number.isNaN(v) ? null : sevenDigits(v);
      }
      series[key] = column;
    }
    return { intervalMs: this.intervalMs, capacity: this.capacity, times, series, droppedSeries: this.dropped };
  }

  /** A ring for `key`, when there is room or an idle series to take it from. */
  private open(key: string, oldest: number): boolean {
    if (this.rings.size >= this.maxSeries) {
      let idle: string | undefined;
      for (const [name, at] of this.lastValueAt) if (at < oldest) idle = name;
      if (idle === undefined) return false;
      const ring = this.rings.get(idle)!.fill(Number.NaN);
      this.rings.delete(idle);
      this.lastValueAt.delete(idle);
      this.rings.set(key, ring);
      return true;
    }
    this.rings.set(key, new Float32Array(this.capacity).fill(Number.NaN));
    return true;
  }
}

/** A Float32 value to its 7 significant digits (61.2, not 61.20000076293945): shorter JSON, same value. */
function sevenDigits(v: number): number {
  if (v === 0 || !Number.isFinite(v)) return v;
  const decimals = 6 - Math.floor(Math.log10(Math.abs(v)));
  // Powers of ten are exact; their inverses are not: divide by 10^d, or multiply back by 10^-d.
  if (decimals >= 0) return Math.round(v * 10 ** decimals) / 10 ** decimals;
  return Math.round(v / 10 ** -decimals) * 10 ** -decimals;
}
