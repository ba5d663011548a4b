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
    /** Resolve once at least `n` records arrived; reject after `ms`. */
    async waitFor(n: number, ms = 3000): Promise<CallRecord[]> {
      const deadline = Date.now() + ms;
      while (records.length < n) {
        if (Date.now() > deadline) throw new Error(`expected ${n} records, got ${records.length}`);
        await new Promise((r) => setTimeout(r, 5));
      }
      return records;
    },
    /** Let pending callbacks run, then return what arrived. */
    async settle(ms = 50): Promise<CallRecord[]> {
      await new Promise((r) => setTimeout(r, ms));
      return records;
    },
  };
}
