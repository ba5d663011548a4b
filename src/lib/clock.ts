/**
 * The monotonic clock every timing reads (milliseconds, `performance.now()`'s origin).
 *
 * In Node `globalThis.performance` is an accessor (made on first use), so each `performance.now()`
 * written in place is a global load through a getter on every call; the object is taken once here and
 * its `now` looked up per call (a test's fake timers that replace `performance.now` on it still apply).
 */
const perf = performance;

export function monotonic(): number {
  return perf.now();
}
