/**
 * The record's one way out: a finished call passes once through an ordered list of stages (token
 * estimate, labels and throughput, segment and cost, hashing, capture and evaluation), each of which
 * may hold it off the app's path and hand it on later, then through the sinks, each isolated (a sink
 * that throws is reported and never keeps the others from the record). Like the OTel SDK's span
 * processor chain: small objects with the same hooks, composed once by the monitor; nothing here
 * calls the monitor back.
 *
 * `flush()` waits for the calls held in a stage when it was called, then each sink's own flush;
 * `openCallsEnded()` is what `shutdown()` waits for before the sinks stop.
 */
import type { Call } from './call.js';
import type { CallRecord } from './record.js';
import type { MetricLabels, Sink } from './sinks/sink.js';

/** One step between a finished call and the sinks. */
export interface Stage {
  readonly name: string;
  /** Called once, by the pipeline: where this stage hands on a call it held. */
  connect(next: (call: Call) => void): void;
  /** Do this stage's work on the call's record; true when it holds the call, to hand it on later. */
  take(call: Call): boolean;
}

type Fault = (component: string, error: unknown) => void;

export class Pipeline {
  /** Runs after every sink has the record (the Express request that made the call). */
  afterSinks: ((call: Call) => void) | undefined = undefined;
  private readonly stages: readonly Stage[];
  private readonly sinks: readonly Sink[];
  /** Each hook's sinks, in order, with the hook bound: read once here, so no call looks a method up per sink. */
  private readonly onStarted: Hook;
  private readonly onFinished: Hook;
  private readonly onEnded: Hook;
  private readonly fault: Fault;
  /** Calls held in a stage now. */
  private readonly held = new Set<Call>();
  private flushes: { calls: Set<Call>; resolve: () => void }[] = [];
  private openCalls = 0;
  private noCallOpen: (() => void) | undefined;

  constructor(stages: readonly Stage[], sinks: readonly Sink[], fault: Fault) {
    this.stages = stages;
    this.sinks = sinks;
    this.fault = fault;
    this.onStarted = hookOf(sinks, 'callStarted');
    this.onFinished = hookOf(sinks, 'callFinished');
    this.onEnded = hookOf(sinks, 'callEnded');
    for (let i = 0; i < stages.length; i++) {
      const from = i + 1;
      stages[i].connect((call) => this.run(call, from));
    }
  }

  /** A call was issued: the sinks that count calls in flight hear of it. */
  started(call: Call): void {
    this.openCalls++;
    this.fanOut(this.onStarted, call);
  }

  /** The call ended for the app: in-flight counts drop now; its record goes through the stages. */
  ended(call: Call): void {
    if (--this.openCalls === 0 && this.noCallOpen !== undefined) this.noCallOpen();
    this.fanOut(this.onFinished, call);
    this.run(call, 0);
  }

  /** Resolve once every call held now has reached the sinks, then once each sink has flushed. */
  async flush(): Promise<void> {
    await this.heldPublished();
    for (const sink of this.sinks) {
      if (sink.flush === undefined) continue;
      try {
        await sink.flush();
      } catch (error) {
        this.fault(sink.name, error);
      }
    }
  }

  /** Resolve once every call held now has reached the sinks. */
  heldPublished(): Promise<void> {
    if (this.held.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.flushes.push({ calls: new Set(this.held), resolve }));
  }

  /** Resolve once no call is open, or after `ms` (a timer that keeps the process up until then). */
  openCallsEnded(ms: number): Promise<void> {
    if (this.openCalls === 0 || ms === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.noCallOpen = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.noCallOpen = done;
    });
  }

  /** Shut each sink down, in order. */
  async shutdown(): Promise<void> {
    for (const sink of this.sinks) {
      try {
        await sink.shutdown?.();
      } catch (error) {
        this.fault(sink.name, error);
      }
    }
  }

  /** Stages from `from` on, then the sinks; a stage that holds the call hands it on here later. */
  private run(call: Call, from: number): void {
    const stages = this.stages;
    for (let i = from; i < stages.length; i++) {
      let holds = false;
      try {
        holds = stages[i].take(call);
      } catch (error) {
        this.fault(stages[i].name, error);
      }
      if (holds) {
        this.held.add(call);
        return;
      }
    }
    this.publish(call);
  }

  private publish(call: Call): void {
    // No longer held. A flush() waiting for it resumes on a microtask, so after the sinks below have
    // the record; and whatever happens below, no flush() waits for it forever.
    if (this.held.size > 0 && this.held.delete(call) && this.flushes.length > 0) this.released(call);
    call.pending = undefined;
    this.fanOut(this.onEnded, call);
    if (this.afterSinks !== undefined) this.afterSinks(call);
  }

  /** One hook of every sink that has it, each isolated: one that throws is reported and the rest still run. */
  private fanOut(hook: Hook, call: Call): void {
    const record = call.record;
    const labels = call.labels!;
    const calls = hook.calls;
    for (let i = 0; i < calls.length; i++) {
      try {
        calls[i](record, labels);
      } catch (error) {
        this.fault(hook.names[i], error);
      }
    }
  }

  /** A held call reached the sinks: the flushes that waited for it as their last one resolve. */
  private released(call: Call): void {
    const flushes = this.flushes;
    for (let i = flushes.length - 1; i >= 0; i--) {
      const waiting = flushes[i];
      if (waiting.calls.delete(call) && waiting.calls.size === 0) {
        flushes.splice(i, 1);
        waiting.resolve();
      }
    }
  }
}

/** The sinks that have one hook: the hook bound to each, and each sink's name for its faults. */
interface Hook {
  readonly calls: readonly ((record: CallRecord, labels: MetricLabels) => void)[];
  readonly names: readonly string[];
}

/**
 * A hook's sinks, read once when the monitor is composed. Looking the method up on each sink per call
 * was a megamorphic load at every step (a monitor with all defaults has seven sink classes), and a
 * sink without the hook cost the lookup anyway.
 */
function hookOf(sinks: readonly Sink[], name: 'callStarted' | 'callFinished' | 'callEnded'): Hook {
  const calls: Hook['calls'][number][] = [];
  const names: string[] = [];
  for (const sink of sinks) {
    const method = sink[name];
    if (typeof method !== 'function') continue;
    calls.push(method.bind(sink));
    names.push(sink.name);
  }
  return { calls, names };
}
