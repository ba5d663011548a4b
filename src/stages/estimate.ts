/**
 * Stage: token estimate. A call the provider answered but whose record lacks the provider's token
 * counts is held while the tokenizer counts its prompt and output off the app's path (tokens/
 * estimator.ts), then handed on with the counts marked `estimated`. Never for a call aborted before
 * it was answered, refused, or whose raw body the app read itself: unknown stays unknown.
 */
import type { Call } from '../call.js';
import type { Stage } from '../pipeline.js';
import { Estimator } from '../tokens/estimator.js';
import { needsEstimate } from '../tokens/usage.js';

export class EstimateStage implements Stage {
  readonly name = 'tokenizer';
  private estimator: Estimator | undefined;

  constructor(
    /** Option `tokens.estimate`: false leaves missing counts unknown. */
    private readonly enabled: boolean,
    private readonly fault: (component: string, error: unknown) => void,
  ) {}

  connect(next: (call: Call) => void): void {
    this.estimator = new Estimator(next, this.fault);
  }

  take(call: Call): boolean {
    const record = call.record;
    // Answered: a completed call, a stream that streamed, an abort after the response headers.
    const status = record.httpStatus;
    const answered = record.outcome === 'completed' || record.chunks > 0 || (record.outcome !== 'failed' && status !== undefined && status < 400);
    if (!this.enabled || !answered || call.raw || call.pending === undefined || !needsEstimate(record)) return false;
    this.estimator!.enqueue(call);
    return true;
  }
}
