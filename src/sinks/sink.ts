/**
 * The sink interface: where finished records go. A sink never imports instrument code nor another
 * sink; the monitor calls each one in order and isolates its faults.
 */
import type { CallRecord, MetricLabels } from '../record.js';

export type { MetricLabels } from '../record.js';

export interface Sink {
  /** Component name used when this sink faults (`llm_vitals_internal_errors_total{component}`). */
  readonly name: string;
  /** A call was issued (before any response). Keep it cheap: it is on the app's path. */
  callStarted?(record: CallRecord, labels: MetricLabels): void;
  /**
   * The call ended for the app (same turn of the event loop). Its record may still lack estimated
   * token counts, cost or evaluations: those arrive with `callEnded`. For in-flight bookkeeping.
   */
  callFinished?(record: CallRecord, labels: MetricLabels): void;
  /** A call's record is complete and final. */
  callEnded(record: CallRecord, labels: MetricLabels): void;
  /**
   * Hand on now what this sink holds back from the records it was given (a batch, work deferred to a
   * later turn), without stopping. `monitor.flush()` awaits it, after every ended call has reached
   * `callEnded`.
   */
  flush?(): void | Promise<void>;
  /** Stop timers and flush. */
  shutdown?(): void | Promise<void>;
}
