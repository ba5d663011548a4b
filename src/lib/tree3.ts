/**
 * Nested maps a → b → c → value: a lookup by three strings without building a key string (or a
 * closure) per call.
 */
export class Tree3<V> {
  private readonly root = new Map<string, Map<string, Map<string, V>>>();

  get(a: string, b: string, c: string): V | undefined {
    return this.root.get(a)?.get(b)?.get(c);
  }

  set(a: string, b: string, c: string, value: V): V {
    let l1 = this.root.get(a);
    if (l1 === undefined) this.root.set(a, (l1 = new Map()));
    let l2 = l1.get(b);
    if (l2 === undefined) l1.set(b, (l2 = new Map()));
    l2.set(c, value);
    return value;
  }
}
