/**
 * Token estimation, off the app's path: records that lack the provider's counts queue here; a batch
 * is counted on the next turn of the event loop (after the first batch has loaded the tokenizer) and
 * each record then goes on to the sinks with its counts marked `estimated`. The queue is bounded: past
 * it, records go on uncounted with the note `estimate_skipped`.
 */
import type { Call } from '../record.js';
import { estimated } from './usage.js';
import { countPrompt, encodingFor, loadCounter } from './tokenizer.js';

const MAX_QUEUE = 10_000;

export class Estimator {
  private queue: Call[] = [];
  private draining: Promise<void> | undefined;

  constructor(
    private readonly publish: (call: Call) => void,
    private readonly fault: (component: string, error: unknown) => void,
  ) {}

  enqueue(call: Call): void {
    if (this.queue.length >= MAX_QUEUE) {
      call.record.notes.push('estimate_skipped');
      this.publish(call);
      return;
    }
    this.queue.push(call);
    if (this.draining === undefined) this.draining = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.drain());
  }

  /** Wait until every queued record has been counted and published. */
  async flush(): Promise<void> {
    while (this.draining !== undefined) await this.draining;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        for (const call of batch) {
          try {
            await this.estimate(call);
          } catch (error) {
            call.record.notes.push('estimate_failed');
            this.fault('tokenizer', error);
          }
          this.publish(call);
        }
      }
    } finally {
      this.draining = undefined;
    }
  }

  private async estimate(call: Call): Promise<void> {
    const record = call.record;
    const pending = call.pending;
    if (pending === undefined) return;
    const count = await loadCounter(encodingFor(record.responseModel ?? record.requestModel));
    if (record.inputTokens === undefined) record.inputTokens = estimated(countPrompt(count, pending.request));
    if (record.outputTokens === undefined && record.operation !== 'embeddings') {
      const text = pending.outputParts.join('');
      record.outputTokens = estimated(text === '' ? 0 : count(text));
    }
  }
}
