/**
 * Stage: the record's final labels and derived figures. The response model label goes through the
 * cardinality guard (once per call, here), and output tokens per second is derived from the final
 * counts: over the time after the first chunk for streams, over the whole call otherwise.
 */
import type { Call } from '../call.js';
import type { LabelGuard, LabelSlot } from '../lib/label-guard.js';
import type { Stage } from '../pipeline.js';
import { LABEL } from '../semconv.js';

export class LabelsStage implements Stage {
  readonly name = 'labels';
  private readonly responseModel: LabelSlot;

  constructor(guard: LabelGuard) {
    this.responseModel = guard.slot(LABEL.responseModel);
  }

  connect(): void {
    // Never holds a call.
  }

  take(call: Call): boolean {
    const record = call.record;
    const output = record.outputTokens?.count;
    if (output !== undefined && output > 0) {
      const ms = record.timeToFirstChunk !== undefined ? record.duration - record.timeToFirstChunk : record.duration;
      if (ms > 0) record.outputTokensPerSecond = output / (ms / 1000);
    }
    call.labels!.responseModel = this.responseModel.value(record.responseModel, true);
    return false;
  }
}
