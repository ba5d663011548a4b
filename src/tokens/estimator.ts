/**
 * Token estimation, off the app's path: records that lack the provider's counts queue here; a batch
 * is counted on a later turn of the event loop (after the first batch has loaded the tokenizer) and
 * each record then goes on to the sinks with its counts marked `estimated`. The queue is bounded: past
 * it, records go on uncounted with the note `estimate_skipped`.
 *
 * Counting never holds the event loop for long, whatever the text: the tokenizer sees one bounded
 * piece at a time (tokenizer.ts), and once SLICE_MS of counting and publishing have passed the
 * estimator waits for the next turn (setImmediate), so timers, I/O and the app's own callbacks run in
 * between. A text past MAX_COUNTED_CHARS is counted by its prefix and scaled (`estimate_extrapolated`).
 */
import type { Call } from '../call.js';
import { estimated } from './usage.js';
import { countText, encodingFor, loadCounter, promptOf, type CountTokens, type Pause } from './tokenizer.js';
import { monotonic } from '../lib/clock.js';

const MAX_QUEUE = 10_000;

/**
 * Work done in one turn of the event loop before the estimator lets it run: with pieces that take
 * about 2 ms at worst, the longest block stays near 10 ms (BENCHMARKS.md "Tokenizer: worst-case stall").
 */
const SLICE_MS = 8;

export interface EstimatorOptions {
  /** Loads the counter of an encoding (tests inject one). Default: gpt-tokenizer's, loaded lazily. */
  loadCounter?: (encoding: 'o200k_base' | 'cl100k_base') => Promise<CountTokens>;
  /** The clock the time slice is measured with (tests inject one). Default: performance.now. */
  now?: () => number;
}

export class Estimator {
  private queue: Call[] = [];
  private draining: Promise<void> | undefined;
  private readonly load: (encoding: 'o200k_base' | 'cl100k_base') => Promise<CountTokens>;
  private readonly now: () => number;
  /** When the current slice of work began. */
  private sliceStart = 0;
  private readonly pause: Pause = () => {
    if (this.now() - this.sliceStart < SLICE_MS) return undefined;
    return new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      this.sliceStart = this.now();
    });
  };

  constructor(
    private readonly publish: (call: Call) => void,
    private readonly fault: (component: string, error: unknown) => void,
    options: EstimatorOptions = {},
  ) {
    this.load = options.loadCounter ?? loadCounter;
    this.now = options.now ?? monotonic;
  }

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
      this.sliceStart = this.now();
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
          const wait = this.pause();
          if (wait !== undefined) await wait;
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
    const encoding = encodingFor(record.responseModel ?? record.requestModel);
    const count = await this.load(encoding);
    let extrapolated = false;
    if (record.inputTokens === undefined) {
      const prompt = promptOf(pending.request, encoding);
      let tokens = prompt.overhead;
      for (const text of prompt.texts) {
        const counted = await countText(count, text, this.pause);
        tokens += counted.tokens;
        extrapolated ||= counted.extrapolated;
      }
      record.inputTokens = estimated(Math.max(0, tokens));
    }
    if (record.outputTokens === undefined && record.operation !== 'embeddings') {
      const counted = await countText(count, pending.outputParts.join(''), this.pause);
      record.outputTokens = estimated(counted.tokens);
      extrapolated ||= counted.extrapolated;
    }
    if (extrapolated) record.notes.push('estimate_extrapolated');
  }
}
