import type { CallRecord, Monitor } from '../../src/index.js';

/** Collects the records a monitor publishes, and waits for them. */
export function recorder(monitor: Monitor) {
  const records: CallRecord[] = [];
  const errors: Error[] = [];
  monitor.on('call', (r) => records.push(r));
  monitor.on('error', (e) => errors.push(e));
  return {
    records,
    errors,
    /**
     * Resolve once at least `n` records arrived; reject after `ms`. Calls that have ended are
     * published by `monitor.flush()`; the bounded wait is for calls still ending (a stream's end that
     * arrives after the app's await).
     */
    async waitFor(n: number, ms = 3000): Promise<CallRecord[]> {
      await monitor.flush();
      const deadline = Date.now() + ms;
      while (records.length < n) {
        if (Date.now() > deadline) throw new Error(`expected ${n} records, got ${records.length}`);
        await new Promise((r) => setTimeout(r, 5));
        await monitor.flush();
      }
      return records;
    },
    /**
     * Every call that has ended has reached the listeners: return what arrived. (`ms` is kept for the
     * callers that pass it; nothing waits on a clock.)
     */
    async settle(_ms?: number): Promise<CallRecord[]> {
      await monitor.flush();
      await new Promise((r) => setImmediate(r));
      await monitor.flush();
      return records;
    },
  };
}
