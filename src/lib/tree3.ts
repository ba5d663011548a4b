/**
 * Nested maps a → b → c → value: a lookup by three strings without building a key string (or a
 * closure) per call. The last key found is remembered: an app's calls mostly repeat one label set, and
 * the guard hands out the same string objects for the same values, so that lookup is three compares.
 */
export class Tree3<V> {
  private readonly root = new Map<string, Map<string, Map<string, V>>>();
  private lastA: string | undefined = undefined;
  private lastB: string | undefined = undefined;
  private lastC: string | undefined = undefined;
  private lastValue: V | undefined = undefined;

  get(a: string, b: string, c: string): V | undefined {
    if (a === this.lastA && b === this.lastB && c === this.lastC) return this.lastValue;
    const value = this.root.get(a)?.get(b)?.get(c);
    if (value !== undefined) this.remember(a, b, c, value);
    return value;
  }

  set(a: string, b: string, c: string, value: V): V {
    let l1 = this.root.get(a);
    if (l1 === undefined) this.root.set(a, (l1 = new Map()));
    let l2 = l1.get(b);
    if (l2 === undefined) l1.set(b, (l2 = new Map()));
    l2.set(c, value);
    this.remember(a, b, c, value);
    return value;
  }

  private remember(a: string, b: string, c: string, value: V): void {
    this.lastA = a;
    this.lastB = b;
    this.lastC = c;
    this.lastValue = value;
  }
}
