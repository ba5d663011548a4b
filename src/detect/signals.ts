/**
 * The one table of which record field feeds which detector. Each row is a signal: its name (the
 * `signal` label and the event's `signal`), its kind, its units, which way is bad, and how to read it
 * from a CallRecord (undefined: this call says nothing about it, e.g. no time to first chunk for a
 * call that did not stream).
 *
 * - numeric: the default (combined) detector on the value, and a drift monitor on its distribution.
 *   Durations and counts are watched on a log scale: their spread grows with their level.
 * - rate: the rate detector on whether the call was an event (an error, a `length` finish), 0 or 1.
 * - categorical: a drift monitor on the mix of values (the finish reasons).
 *
 * To add a signal from a record field, add a row and its line in `readCallSignals`. Signals that do
 * not come from a call record (a quality score the app computes later, its own measurements) go
 * through `monitor.observe(signal, value, labels)`; `RESOURCE_SIGNALS` are fed from the resource
 * sampler's samples, `QUALITY_SIGNALS` from `monitor.feedback`.
 */
import type { CallRecord } from '../record.js';
import type { Direction } from './detector.js';

export type SignalKind = 'numeric' | 'rate' | 'categorical';

export interface SignalSpec {
  name: string;
  kind: SignalKind;
  /** Units of the value (`ms`, `{token}`, `1` for a 0/1 event). */
  unit: string;
  description: string;
  /** numeric: the detector's working scale. */
  scale?: 'linear' | 'log';
  /** numeric: added before the logarithm, in the signal's units, so a 0 stays finite. */
  logOffset?: number;
  /** numeric: which way of change is an incident. */
  direction?: Direction;
  /** numeric and rate: the value this call gives, or undefined (read by `readCallSignals`). */
  read?(record: CallRecord): number | undefined;
  /** categorical: the categories this call gives, or undefined. */
  categories?(record: CallRecord): readonly string[] | undefined;
  /** Whether a drift monitor watches the signal's distribution (numeric and categorical). */
  drift: boolean;
}

/** `length` (OpenAI), `max_tokens` (Anthropic), `MAX_TOKENS` (Gemini): the output was cut off. */
const TRUNCATED = new Set(['length', 'max_tokens', 'MAX_TOKENS']);
/** `content_filter` (OpenAI), `refusal` (Anthropic), `SAFETY` (Gemini): the output was withheld. */
const FILTERED = new Set(['content_filter', 'refusal', 'SAFETY']);

function anyOf(reasons: readonly string[], set: Set<string>): number {
  for (let i = 0; i < reasons.length; i++) if (set.has(reasons[i])) return 1;
  return 0;
}

/** The SDK retried at least one rate-limited attempt of this call (the 429 the app never saw). */
function retriedRateLimit(record: CallRecord): boolean {
  const attempts = record.attempts;
  if (attempts === undefined) return false;
  for (let i = 0; i < attempts.length - 1; i++) if (attempts[i].errorType === 'rate_limit') return true;
  return false;
}

/** Each numeric and rate call signal's place in CALL_SIGNALS (and in `readCallSignals`' values). */
const LATENCY = 0;
const TIME_TO_FIRST_CHUNK = 1;
const TIME_PER_OUTPUT_CHUNK = 2;
const INPUT_TOKENS = 3;
const OUTPUT_TOKENS = 4;
const OUTPUT_TOKENS_PER_SECOND = 5;
const COST = 6;
const QUALITY = 7;
const ERROR_RATE = 8;
const RATE_LIMIT_RATE = 9;
const TRUNCATION_RATE = 10;
const CONTENT_FILTER_RATE = 11;

/**
 * Every numeric and rate call signal's value for one record, into `values` at the signal's place in
 * CALL_SIGNALS; NaN where this call says nothing about it (no time to first chunk for a call that did
 * not stream, no latency for a failed one). One function for all of them, so the detector sink calls one
 * target per call where a closure per row made its call site megamorphic; each row's `read` reads its
 * value through it. A completed call is one that ended by itself; a settled one completed or failed
 * (not stopped by the app): the calls an error rate is a share of.
 */
export function readCallSignals(r: CallRecord, values: Float64Array): void {
  const completed = r.outcome === 'completed';
  const settled = completed || r.outcome === 'failed';
  const finishes = completed && r.finishReasons.length > 0;
  values[LATENCY] = completed ? r.duration : NaN;
  values[TIME_TO_FIRST_CHUNK] = r.timeToFirstChunk ?? NaN;
  values[TIME_PER_OUTPUT_CHUNK] = r.timePerOutputChunk ?? NaN;
  values[INPUT_TOKENS] = settled ? (r.inputTokens?.count ?? NaN) : NaN;
  values[OUTPUT_TOKENS] = completed ? (r.outputTokens?.count ?? NaN) : NaN;
  values[OUTPUT_TOKENS_PER_SECOND] = completed ? (r.outputTokensPerSecond ?? NaN) : NaN;
  values[COST] = r.cost?.usd ?? NaN;
  values[QUALITY] = r.quality?.score ?? NaN;
  values[ERROR_RATE] = settled ? (r.outcome === 'failed' ? 1 : 0) : NaN;
  values[RATE_LIMIT_RATE] = settled ? (r.errorType === 'rate_limit' || retriedRateLimit(r) ? 1 : 0) : NaN;
  values[TRUNCATION_RATE] = finishes ? anyOf(r.finishReasons, TRUNCATED) : NaN;
  values[CONTENT_FILTER_RATE] = finishes ? anyOf(r.finishReasons, FILTERED) : NaN;
}

const scratch = new Float64Array(CONTENT_FILTER_RATE + 1);

/** One signal's value for a record, read as the sink reads it; undefined where it has none. */
function readOne(record: CallRecord, place: number): number | undefined {
  readCallSignals(record, scratch);
  const value = scratch[place];
  return value === value ? value : undefined;
}

/** The signals read from each call record, in the order they are fed. */
export const CALL_SIGNALS: readonly SignalSpec[] = [
  {
    name: 'latency',
    kind: 'numeric',
    unit: 'ms',
    description: 'Duration of a completed call (record.duration).',
    scale: 'log',
    logOffset: 1,
    direction: 'up',
    read: (r) => readOne(r, LATENCY),
    drift: true,
  },
  {
    name: 'time_to_first_chunk',
    kind: 'numeric',
    unit: 'ms',
    description: 'Time to the first chunk of a stream (record.timeToFirstChunk).',
    scale: 'log',
    logOffset: 1,
    direction: 'up',
    read: (r) => readOne(r, TIME_TO_FIRST_CHUNK),
    drift: true,
  },
  {
    name: 'time_per_output_chunk',
    kind: 'numeric',
    unit: 'ms',
    description: 'Mean time between chunks after the first (record.timePerOutputChunk).',
    scale: 'log',
    logOffset: 0.1,
    direction: 'up',
    read: (r) => readOne(r, TIME_PER_OUTPUT_CHUNK),
    drift: true,
  },
  {
    name: 'input_tokens',
    kind: 'numeric',
    unit: '{token}',
    description: 'Input tokens of a call (record.inputTokens.count): prompts growing or drifting.',
    scale: 'log',
    logOffset: 1,
    direction: 'both',
    read: (r) => readOne(r, INPUT_TOKENS),
    drift: true,
  },
  {
    name: 'output_tokens',
    kind: 'numeric',
    unit: '{token}',
    description: 'Output tokens of a completed call (record.outputTokens.count): outputs getting longer or shorter.',
    scale: 'log',
    logOffset: 1,
    direction: 'both',
    read: (r) => readOne(r, OUTPUT_TOKENS),
    drift: true,
  },
  {
    name: 'output_tokens_per_second',
    kind: 'numeric',
    unit: '{token}/s',
    description: 'Output tokens per second of a completed call (record.outputTokensPerSecond).',
    scale: 'log',
    logOffset: 1,
    direction: 'down',
    read: (r) => readOne(r, OUTPUT_TOKENS_PER_SECOND),
    drift: true,
  },
  {
    name: 'cost',
    kind: 'numeric',
    unit: 'USD',
    description: 'What a call cost, when its model has a price (record.cost.usd).',
    scale: 'log',
    // A millionth of a dollar: below that, cost differences are noise.
    logOffset: 1e-6,
    direction: 'up',
    read: (r) => readOne(r, COST),
    drift: false,
  },
  {
    name: 'quality',
    kind: 'numeric',
    unit: '1',
    description: 'Mean evaluation score of a call sampled for evaluation (record.quality.score).',
    scale: 'linear',
    direction: 'down',
    read: (r) => readOne(r, QUALITY),
    drift: false,
  },
  {
    name: 'error_rate',
    kind: 'rate',
    unit: '1',
    description: 'Whether a call failed (outcome `failed`), among calls that completed or failed.',
    read: (r) => readOne(r, ERROR_RATE),
    drift: false,
  },
  {
    name: 'rate_limit_rate',
    kind: 'rate',
    unit: '1',
    description:
      'Whether a call met rate limiting: refused (error type `rate_limit`), or answered only after the SDK retried a rate-limited attempt.',
    read: (r) => readOne(r, RATE_LIMIT_RATE),
    drift: false,
  },
  {
    name: 'truncation_rate',
    kind: 'rate',
    unit: '1',
    description: 'Whether a completed call stopped at its token limit (finish reason `length` / `max_tokens`).',
    read: (r) => readOne(r, TRUNCATION_RATE),
    drift: false,
  },
  {
    name: 'content_filter_rate',
    kind: 'rate',
    unit: '1',
    description: 'Whether a completed call was filtered or refused (finish reason `content_filter` / `refusal`).',
    read: (r) => readOne(r, CONTENT_FILTER_RATE),
    drift: false,
  },
  {
    name: 'finish_reason',
    kind: 'categorical',
    unit: '1',
    description: 'The mix of finish reasons of completed calls (record.finishReasons, one per choice).',
    categories: (r) => (r.outcome === 'completed' && r.finishReasons.length > 0 ? r.finishReasons : undefined),
    drift: true,
  },
];

/**
 * Signals fed from the resource sampler's samples (`monitor.on('resources')`), one observation per
 * sample, labelled by process (and GPU index).
 */
export const RESOURCE_SIGNALS: readonly SignalSpec[] = [
  {
    name: 'event_loop_delay',
    kind: 'numeric',
    unit: 'ms',
    description: 'p99 event-loop delay over a sample interval (sample.eventLoop.delayP99Ms).',
    scale: 'log',
    logOffset: 1,
    direction: 'up',
    drift: false,
  },
  {
    name: 'gpu_memory',
    kind: 'numeric',
    unit: 'By',
    description: 'GPU memory in use, per GPU (sample.gpus[i].memoryUsedBytes).',
    scale: 'linear',
    direction: 'up',
    drift: false,
  },
];

/**
 * Signals fed from quality figures that arrive after the call was published (`monitor.feedback`), one
 * observation per figure, in the label sets of the call it is about (provider and request model, and
 * its route). Watched as rates: feedback is mostly thumbs up or down (1 or 0), on which a numeric
 * detector sees every thumbs-down as an outlier. The evaluators' scores are on the record already
 * (`quality` above).
 */
export const QUALITY_SIGNALS: readonly SignalSpec[] = [
  {
    name: 'negative_feedback_rate',
    kind: 'rate',
    unit: '1',
    description: 'Whether a feedback score (monitor.feedback(id, { score })) was below 0.5 (a thumbs-down).',
    drift: false,
  },
  {
    name: 'incorrect_rate',
    kind: 'rate',
    unit: '1',
    description: 'Whether ground truth (monitor.feedback(id, { expected, actual })) found the answer wrong.',
    drift: false,
  },
];

/** The spec of a signal observed with `monitor.observe` that no table names: numeric, linear, both ways. */
export function customSignal(name: string): SignalSpec {
  return {
    name,
    kind: 'numeric',
    unit: '1',
    description: 'Observed by the app with monitor.observe().',
    scale: 'linear',
    direction: 'both',
    drift: true,
  };
}

