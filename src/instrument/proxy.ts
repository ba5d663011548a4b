/**
 * The client proxy: observes the named methods of one client instance and passes everything else
 * through untouched. No prototype is patched, so other instances of the same class are not observed.
 *
 * `wrapped.chat.completions.create` is reached through a proxy per resource on the path; every other
 * property is the client's own. Helpers that call back into the client through the resource's
 * `_client` (openai-node's `.stream()`, `.parse()`, `.runTools()`) are handed the wrapped client, so
 * the calls they make are observed too. Methods of the client itself are bound to the real instance,
 * because the SDKs keep state in private class fields that a Proxy receiver cannot reach.
 */

export const WRAPPED_TARGET = Symbol.for('llm-vitals.target');

/** No value seen yet on an observed property (distinct from every value the target can hold). */
const NOT_SEEN: unique symbol = Symbol('not seen');

/** One method to observe: given the original function and its receiver, return the observing one. */
export type MethodWrapper = (original: (...args: any[]) => any, self: object) => (...args: any[]) => any;

/** Which methods to observe, as a tree of property names: `{ chat: { completions: { create: wrap } } }`. */
export interface MethodTree {
  [property: string]: MethodTree | MethodWrapper;
}

/** The real object behind a wrapped client, or the value itself. */
export function unwrap<T>(value: T): T {
  return (value as any)?.[WRAPPED_TARGET] ?? value;
}

export function isWrapped(value: unknown): boolean {
  return value !== null && typeof value === 'object' && (value as any)[WRAPPED_TARGET] !== undefined;
}

/** Wrap a client instance so the methods named in `tree` are observed. */
export function proxyClient<T extends object>(client: T, tree: MethodTree): T {
  let root: T;
  const make = (target: object, node: MethodTree, isRoot: boolean): object => {
    // One entry per observed property: its branch, the value last seen on the target and what we
    // handed out for it (one map lookup per property read).
    const entries = new Map<PropertyKey, { branch: MethodTree | MethodWrapper; value: unknown; handed: unknown }>();
    for (const [property, branch] of Object.entries(node)) entries.set(property, { branch, value: NOT_SEEN, handed: undefined });
    const bound = isRoot ? new WeakMap<object, unknown>() : undefined;
    return new Proxy(target, {
      get(t, property, receiver) {
        const entry = entries.get(property);
        if (entry !== undefined) {
          // A plain read of the target (the same as Reflect.get(t, property, t), without the builtin's call).
          const value = (t as any)[property];
          if (entry.value === value) return entry.handed;
          const branch = entry.branch;
          let handed: unknown = value;
          if (typeof branch === 'function') {
            if (typeof value === 'function') handed = branch(value as (...args: any[]) => any, t);
          } else if (value !== null && typeof value === 'object') handed = make(value, branch, false);
          entry.value = value;
          entry.handed = handed;
          return handed;
        }
        if (property === WRAPPED_TARGET) return t;
        // Helpers reach the client through their resource: give them the observed one.
        if (property === '_client' && !isRoot) return root;
        if (!isRoot) return Reflect.get(t, property, receiver);
        const value = (t as any)[property];
        if (typeof value !== 'function' || property === 'constructor') return value;
        let fn = bound!.get(value) as unknown;
        if (fn === undefined) {
          fn = value.bind(t);
          bound!.set(value, fn);
        }
        return fn;
      },
    });
  };
  root = make(client, tree, true) as T;
  return root;
}
