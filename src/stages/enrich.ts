/**
 * Stage: segment, cost, identifier hashing, content capture and evaluation (quality/enrich.ts). The
 * first three are done in place; a call sampled for capture or evaluation is held while they run off
 * the app's path, then handed on.
 */
import type { Call } from '../call.js';
import type { Stage } from '../pipeline.js';
import { Enricher } from '../quality/enrich.js';

export class EnrichStage implements Stage {
  readonly name = 'enrich';
  readonly enricher: Enricher;
  private next: ((call: Call) => void) | undefined;

  constructor(create: (publish: (call: Call) => void) => Enricher) {
    this.enricher = create((call) => this.next!(call));
  }

  connect(next: (call: Call) => void): void {
    this.next = next;
  }

  take(call: Call): boolean {
    return this.enricher.hold(call);
  }
}
