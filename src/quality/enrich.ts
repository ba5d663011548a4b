/**
 * The last step before the sinks: fills a finished record's segment, cost, content and quality, while
 * the call's kept text (`call.pending`) is still there and its token counts are final (after token
 * estimation).
 *
 * Segment, user-identifier hashing and cost are a few map lookups, done in place. Content capture and
 * evaluation read whole texts, so a call sampled for either is held: queued, and handled on a later
 * turn of the event loop (`setImmediate`), in batches that yield after BATCH_BUDGET_MS; the record then
 * goes on to the sinks. Async evaluators are time-boxed (`evaluationTimeoutMs`). The queue is bounded:
 * past MAX_HELD calls, a record goes on without capture or evaluation and says so in its notes.
 */
import type { CallRecord, EvaluationResult } from '../record.js';
import type { Call } from '../call.js';
import type { LabelGuard } from '../lib/label-guard.js';
import { PriceBook } from '../cost/cost.js';
import { captureContent } from '../privacy/capture.js';
import { IdentifierHasher } from '../privacy/hash.js';
import { Redactor } from '../privacy/redact.js';
import type { EvaluationInput, Evaluator, Verdict } from './evaluators.js';
import type { ResolvedPrivacyCostQuality } from './options.js';
import { outputOf } from './output.js';
import { monotonic } from '../lib/clock.js';

/** The label of segment values in the cardinality guard. */
export const SEGMENT_LABEL = 'segment';
/** Calls held at once (queued or awaiting an async evaluator). */
export const MAX_HELD = 10_000;
/** A batch yields the event loop after this many milliseconds of work. */
const BATCH_BUDGET_MS = 5;

interface Held {
  call: Call;
  capture: boolean;
  evaluate: boolean;
}

type Fault = (component: string, error: unknown) => void;

export class Enricher {
  private readonly prices: PriceBook;
  private readonly hasher: IdentifierHasher;
  private readonly redactor: Redactor | undefined;
  private readonly evaluators: Evaluator[];
  private queue: Held[] = [];
  private scheduled = false;
  private held = 0;
  private idle: (() => void)[] = [];

  constructor(
    private readonly options: ResolvedPrivacyCostQuality,
    private readonly guard: LabelGuard,
    private readonly publish: (call: Call) => void,
    private readonly fault: Fault,
  ) {
    this.prices = new PriceBook(options.prices);
    this.hasher = new IdentifierHasher(options.hashKey, options.hashAttributes);
    this.redactor = options.capture === undefined ? undefined : new Redactor(options.capture.redact);
    this.evaluators = options.evaluationSampleRate > 0 ? options.evaluators : [];
  }

  /** Before any sink sees the record: user identifiers in its context become keyed hashes. */
  started(record: CallRecord): void {
    if (record.context !== undefined) this.hashContext(record);
  }

  /**
   * Fill the record; true when the call is held for capture or evaluation: it is handed on later,
   * through `publish`, which goes on from after this stage (it never comes back here).
   */
  hold(call: Call): boolean {
    const record = call.record;
    if (record.context !== undefined) this.hashContext(record);
    const segment = this.options.segment;
    if (segment !== undefined) {
      try {
        const value = segment.of(record);
        record.segment = this.guard.value(SEGMENT_LABEL, typeof value === 'string' ? value : value == null ? undefined : String(value), true);
      } catch (error) {
        this.fault('segment', error);
      }
    }
    try {
      record.cost = this.prices.cost(record);
    } catch (error) {
      this.fault('cost', error);
    }
    if (call.pending === undefined) return false;
    const capture = this.options.capture;
    const captured = capture !== undefined && sampled(capture.sampleRate);
    const evaluated =
      this.evaluators.length > 0 && record.outcome === 'completed' && record.operation !== 'embeddings' && sampled(this.options.evaluationSampleRate);
    if (!captured && !evaluated) return false;
    if (this.held >= MAX_HELD) {
      record.notes.push(captured ? 'capture_skipped' : 'evaluation_skipped');
      return false;
    }
    this.held++;
    this.queue.push({ call, capture: captured, evaluate: evaluated });
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.drain);
    }
    return true;
  }

  /** Resolve once every held call has gone on to the sinks. */
  flush(): Promise<void> {
    if (this.held === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private hashContext(record: CallRecord): void {
    try {
      record.context = this.hasher.context(record.context!);
    } catch (error) {
      // Fail closed: a context that could not be hashed is not exported.
      record.context = undefined;
      this.fault('hash', error);
    }
  }

  private readonly drain = (): void => {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    const deadline = monotonic() + BATCH_BUDGET_MS;
    for (let i = 0; i < batch.length; i++) {
      this.handle(batch[i]);
      if (i + 1 < batch.length && monotonic() > deadline) {
        // Out of time: the rest waits for the next turn, ahead of what arrived meanwhile.
        this.queue = batch.slice(i + 1).concat(this.queue);
        break;
      }
    }
    if (this.queue.length > 0 && !this.scheduled) {
      this.scheduled = true;
      setImmediate(this.drain);
    }
  };

  private handle(item: Held): void {
    const { call } = item;
    const record = call.record;
    const pending = call.pending;
    if (pending === undefined) return this.release(call);
    if (item.capture) {
      try {
        record.content = captureContent(record, pending, this.redactor!, this.options.capture!.maxLength);
      } catch (error) {
        record.content = undefined;
        record.notes.push('capture_failed');
        this.fault('capture', error);
      }
    }
    if (!item.evaluate) return this.release(call);
    let input: EvaluationInput;
    try {
      const output = outputOf(record, pending.outputParts);
      input = { record, output: output.text, toolArguments: output.toolArguments, request: pending.request };
    } catch (error) {
      this.fault('evaluator', error);
      return this.release(call);
    }
    new Evaluation(call, input, this.evaluators, this.options.evaluationTimeoutMs, this.fault, (c) => this.release(c)).run();
  }

  private release(call: Call): void {
    try {
      this.publish(call);
    } finally {
      this.held--;
      if (this.held === 0 && this.idle.length > 0) {
        const idle = this.idle;
        this.idle = [];
        for (const resolve of idle) resolve();
      }
    }
  }
}

function sampled(rate: number): boolean {
  return rate >= 1 || (rate > 0 && Math.random() < rate);
}

/** The evaluators of one output: sync ones at once, async ones raced against the timeout. */
class Evaluation {
  private readonly results: Record<string, EvaluationResult> = {};
  private scoreSum = 0;
  private scored = 0;
  private waiting = 0;
  private done = false;

  constructor(
    private readonly call: Call,
    private readonly input: EvaluationInput,
    private readonly evaluators: Evaluator[],
    private readonly timeoutMs: number,
    private readonly fault: Fault,
    private readonly finished: (call: Call) => void,
  ) {}

  run(): void {
    for (const evaluator of this.evaluators) {
      let verdict: Verdict | Promise<Verdict>;
      try {
        verdict = evaluator.evaluate(this.input);
      } catch (error) {
        this.results[evaluator.name] = 'error';
        this.fault('evaluator', error);
        continue;
      }
      if (verdict !== null && typeof verdict === 'object' && typeof (verdict as any).then === 'function') this.await(evaluator.name, verdict as Promise<Verdict>);
      else this.judge(evaluator.name, verdict as Verdict);
    }
    if (this.waiting === 0) this.finish();
  }

  private await(name: string, promise: Promise<Verdict>): void {
    this.waiting++;
    let settled = false;
    const settle = (apply: () => void) => {
      if (settled || this.done) return;
      settled = true;
      clearTimeout(timer);
      apply();
      if (--this.waiting === 0) this.finish();
    };
    const timer = setTimeout(() => settle(() => (this.results[name] = 'timeout')), this.timeoutMs);
    // A pending evaluation never keeps the process alive.
    timer.unref?.();
    Promise.resolve(promise).then(
      (verdict) => settle(() => this.judge(name, verdict)),
      (error) =>
        settle(() => {
          this.results[name] = 'error';
          this.fault('evaluator', error);
        }),
    );
  }

  /** A verdict as a result and, when it judged, a score. */
  private judge(name: string, verdict: Verdict): void {
    if (verdict === undefined || verdict === null) return;
    let score: number | undefined;
    let pass: boolean | undefined;
    if (typeof verdict === 'boolean') pass = verdict;
    else if (typeof verdict === 'number') score = verdict;
    else if (typeof verdict === 'object') {
      if (typeof verdict.pass === 'boolean') pass = verdict.pass;
      if (verdict.score !== undefined) score = verdict.score;
    }
    if (score !== undefined && !(typeof score === 'number' && score >= 0 && score <= 1)) {
      this.results[name] = 'error';
      this.fault('evaluator', new RangeError(`evaluator "${name}" gave a score outside [0, 1]`));
      return;
    }
    if (pass === undefined && score === undefined) {
      this.results[name] = 'error';
      this.fault('evaluator', new TypeError(`evaluator "${name}" gave neither a boolean, a score nor { pass, score }`));
      return;
    }
    if (score === undefined) score = pass ? 1 : 0;
    if (pass === undefined) pass = score >= 0.5;
    this.results[name] = pass ? 'pass' : 'fail';
    this.scoreSum += score;
    this.scored++;
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.call.record.quality = { score: this.scored > 0 ? this.scoreSum / this.scored : undefined, evaluations: this.results };
    this.finished(this.call);
  }
}
