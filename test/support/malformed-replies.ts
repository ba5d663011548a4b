/**
 * Seeded malformed provider replies for the fuzz test (test/faults/fuzz.test.ts): each case is a real
 * answer of one API (built with the local servers' canned data) damaged by a few random mutations, on
 * the object tree (a field deleted, a wrong type, NaN and negative usage, a huge or exotic string), on
 * the event stream (an event dropped, duplicated, unknown, an error event, a missing `[DONE]`) and on the
 * wire (garbage lines, CRLF, a data line split in two, half an event, the socket destroyed midway).
 *
 * Every case is serialized here, to the exact text the server writes, so the plain and the wrapped
 * client receive the same bytes; `mutations` says in words what was done, which is the reproduction.
 * The same seed gives the same cases on every run (bench/random.mjs).
 */
import { uniform } from '../../bench/random.mjs';
import { chatChunks, chatCompletion, completion, completionChunks, errorBody, responseEvents, responseObject } from './openai-server.js';
import { anthropicError, errorEvent, message, messageEvents } from './anthropic-server.js';

export const KINDS = [
  'chat.stream',
  'chat.json',
  'completions.stream',
  'completions.json',
  'responses.stream',
  'responses.json',
  'messages.stream',
  'messages.json',
] as const;
export type Kind = (typeof KINDS)[number];

/**
 * Who asks a chat / completions stream for usage (`stream_options.include_usage`): the app itself, nobody,
 * or only the monitor (`tokens.includeStreamUsage`), which must then hide what the app did not ask for.
 */
export type UsageAsker = 'app' | 'none' | 'monitor';

/** What the server writes for one request: a JSON (or raw) body, or SSE frames, each already text. */
export interface Wire {
  status?: number;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  frames?: string[];
  /** Destroy the socket after writing this many frames. */
  dropAfter?: number;
}

export interface MalformedCase {
  id: number;
  kind: Kind;
  /** For chat and completions streams. */
  usage?: UsageAsker;
  /** What was done to the real answer, in order, in words. */
  mutations: string[];
  /** The reply to a request; `askedForUsage` matters only when the monitor alone asks for usage. */
  reply(askedForUsage: boolean): Wire;
}

// ---- random numbers ------------------------------------------------------------------------------

export class Random {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = uniform(seed);
  }
  float(): number {
    return this.next();
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
  /** A copy of a value from a pool: a case must never change the pool the next case draws from. */
  value(pool: readonly unknown[]): unknown {
    const v = this.pick(pool);
    return v !== null && typeof v === 'object' && !(v instanceof RawNumber) ? structuredClone(v) : v;
  }
}

// ---- values JSON.stringify cannot write -------------------------------------------------------------

/** A number written verbatim into the JSON text: `1e999` (parsed as Infinity), `-0`, `NaN` (not JSON). */
export class RawNumber {
  constructor(readonly text: string) {}
}

/** JSON text with RawNumbers written verbatim. */
export function toJson(value: unknown): string {
  const raws: string[] = [];
  const json = JSON.stringify(value, (_key, v) => (v instanceof RawNumber ? `\u0001${raws.push(v.text) - 1}\u0001` : v));
  if (json === undefined) return 'null';
  return raws.length ? json.replace(/"\\u0001(\d+)\\u0001"/g, (_, i: string) => raws[Number(i)]) : json;
}

function show(value: unknown): string {
  const text = value instanceof RawNumber ? value.text : value === undefined ? 'undefined' : toJson(value);
  return text.length > 60 ? `${text.slice(0, 40)}…(${text.length} chars)` : text;
}

// ---- pools of bad values ---------------------------------------------------------------------------

const NAN = new RawNumber('NaN');
const INFINITY = new RawNumber('1e999');
const NEGATIVE_ZERO = new RawNumber('-0');
const BIG = new RawNumber('123456789012345678901234567890');

/** Any field. NaN is rare: it makes the whole body invalid JSON. */
const WRONG: unknown[] = [0, 1, -1, -5, 1.5, null, '', 'x', '12', true, false, [], [null], [0], {}, { x: 1 }, 1e308, INFINITY, NEGATIVE_ZERO, BIG];
/** Token counts. */
const COUNTS: unknown[] = [NAN, -5, '12', 1e308, INFINITY, -1e308, null, 0, NEGATIVE_ZERO, 1.5, BIG, 2 ** 53 + 1, {}, [], 'x', true];
/** `choices`: `0` collides with the monitor's own marker for a hidden chunk. */
const CHOICES: unknown[] = [0, 0, [null], [null], 'x', '', null, [], {}, [0], ['x'], [[]], 1, { length: 0 }, [{}], [{ index: 'x', delta: 5 }]];
/** An object the SDK or the monitor reads into: a delta, a message, a content block, an output item. */
const NOT_OBJECT: unknown[] = [null, 0, 'x', [], [null], {}, true, 1];
const COUNT_KEY = /tokens$|^cache_(read|creation)_input_tokens$/;
const OBJECT_KEYS = new Set(['delta', 'message', 'content_block', 'item', 'part', 'response', 'error', 'function', 'logprobs', 'usage', 'input_tokens_details', 'output_tokens_details']);
/** Fields the SDK and the monitor read: mutated more often than the rest. */
const INTERESTING = new Set([
  'choices', 'delta', 'message', 'content', 'usage', 'type', 'model', 'id', 'output', 'text', 'finish_reason', 'stop_reason',
  'index', 'error', 'response', 'tool_calls', 'function', 'arguments', 'role', 'content_block', 'partial_json', 'item',
  'part', 'object', 'status', 'refusal', 'thinking', 'incomplete_details', 'code',
]);

export const UNICODE = [
  '😀', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢', '👩‍👩‍👧‍👦', 'مرحبا بالعالم', 'שלום עולם', '\u202Eevil\u202C', 'e\u0301', '\u200B\u200D\uFEFF', '\uD800', '\uDFFF',
  'a\uD83Db', '\u0000', '\u2028\u2029', '"\\\n\t\r', '中文字符', '🏳️‍🌈', 'Ω≈ç√∫', '\u{10FFFF}', '\uFFFD', '</script>', '\uDBFF\uDFFF',
];
const WORDS = ['Hello', ' from', ' the', ' local', ' server', ' and', ' token', ' stream', '.', ',', ' 42', '\n', ' naïve', ' café', ' {', '}', ' "q"'];

function unicodeText(rng: Random): string {
  let s = '';
  const n = 1 + rng.int(4);
  for (let i = 0; i < n; i++) s += rng.chance(0.6) ? rng.pick(UNICODE) : rng.pick(WORDS);
  return s;
}

/** 100-260 kB of mixed words and unicode: no long run of one character (that stalls the tokenizer, issue 12 item 4). */
function hugeText(rng: Random): string {
  const target = 100_000 + rng.int(160_000);
  const parts: string[] = [];
  let length = 0;
  while (length < target) {
    const part = rng.chance(0.15) ? rng.pick(UNICODE) : rng.pick(WORDS);
    parts.push(part);
    length += part.length;
  }
  return parts.join('');
}

function pieces(rng: Random): string[] {
  const n = 1 + rng.int(6);
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(rng.chance(0.25) ? unicodeText(rng) : rng.pick(WORDS));
  return out;
}

// ---- the object tree ----------------------------------------------------------------------------------

type Path = (string | number)[];

function isContainer(v: unknown): v is Record<string | number, unknown> {
  return v !== null && typeof v === 'object' && !(v instanceof RawNumber);
}

function pathsOf(node: unknown, prefix: Path = [], out: Path[] = []): Path[] {
  if (!isContainer(node) || prefix.length > 7) return out;
  for (const key of Object.keys(node)) {
    const path = [...prefix, Array.isArray(node) ? Number(key) : key];
    out.push(path);
    pathsOf((node as any)[key], path, out);
  }
  return out;
}

function lastName(path: Path): string {
  for (let i = path.length - 1; i >= 0; i--) if (typeof path[i] === 'string') return path[i] as string;
  return '';
}

function parentOf(root: unknown, path: Path): any {
  let node: any = root;
  for (let i = 0; i < path.length - 1; i++) node = node[path[i]];
  return node;
}

function valueFor(rng: Random, key: string, parseable: boolean): unknown {
  if (key === 'choices') return rng.value(CHOICES);
  if (COUNT_KEY.test(key)) {
    const value = rng.value(COUNTS);
    return parseable && value === NAN ? -5 : value;
  }
  if (OBJECT_KEYS.has(key) && rng.chance(0.7)) return rng.value(NOT_OBJECT);
  return rng.value(WRONG);
}

/**
 * One mutation somewhere in `root` (never the root itself); returns what it did, or undefined.
 * `parseable`: no NaN, so the JSON text stays JSON.
 */
function mutateTree(rng: Random, root: unknown, where: string, allow: (path: Path) => boolean = () => true, parseable = false): string | undefined {
  const all = pathsOf(root).filter(allow);
  if (all.length === 0) return undefined;
  const interesting = all.filter((p) => INTERESTING.has(lastName(p)) || COUNT_KEY.test(lastName(p)));
  const path = interesting.length && rng.chance(0.6) ? rng.pick(interesting) : rng.pick(all);
  const parent = parentOf(root, path);
  const key = path[path.length - 1];
  const name = `${where}.${path.join('.')}`;
  const current = parent[key];
  const op = rng.float();
  if (op < 0.25) {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete parent[key];
    return `delete ${name}`;
  }
  if (op < 0.35 && typeof current === 'string') {
    parent[key] = unicodeText(rng);
    return `${name} = ${show(parent[key])} (unicode)`;
  }
  if (op < 0.4 && isContainer(current) && !Array.isArray(current)) {
    const field = rng.pick(['x_unknown', 'type', 'usage', 'choices', '__proto__', 'constructor', 'then']);
    const value = field === '__proto__' ? { polluted: true } : field === 'then' ? 'not a function' : rng.value(WRONG);
    // Own property, even for __proto__, as JSON.parse makes it.
    Object.defineProperty(current, field, { value, enumerable: true, writable: true, configurable: true });
    return `${name}.${field} = ${show(value)} (added)`;
  }
  parent[key] = valueFor(rng, lastName(path), parseable);
  return `${name} = ${show(parent[key])}`;
}

/** A string leaf somewhere in `root` becomes 100 kB+. */
function hugeLeaf(rng: Random, root: unknown, where: string): string | undefined {
  const strings = pathsOf(root).filter((p) => typeof parentOf(root, p)[p[p.length - 1]] === 'string');
  if (strings.length === 0) return undefined;
  const path = rng.pick(strings);
  const text = hugeText(rng);
  parentOf(root, path)[path[path.length - 1]] = text;
  return `${where}.${path.join('.')} = <${text.length} chars>`;
}

// ---- streams ---------------------------------------------------------------------------------------

interface WireEvent {
  /** SSE `event:` name. */
  name?: string;
  /** JSON payload, written with toJson. */
  data?: unknown;
  /** Raw SSE text instead of name + data. */
  raw?: string;
  /** The final usage chunk: only in the stream of a request that asked for usage. */
  usageOnly?: boolean;
  /** Lines end in CRLF. */
  crlf?: boolean;
  /** Text before the event (a comment, a stray field). */
  prefix?: string;
  /** The data line split in two `data:` lines between two JSON tokens (SSE joins them with a newline). */
  splitAt?: number;
  /** Only the first `half` characters are written, and the socket is destroyed (or, with `halfThenEnd`, the stream ends). */
  half?: number;
  halfThenEnd?: boolean;
  /** Destroy the socket after this event. */
  cutAfter?: boolean;
}

/**
 * One of the first four places in JSON text between two tokens: after the opening bracket, or after a
 * comma before a key (`,"` never occurs inside a JSON string, where a quote is escaped). The same place
 * with or without a trailing `"usage": null`.
 */
function tokenBoundary(json: string, k: number): number | undefined {
  const boundaries: number[] = json[0] === '{' || json[0] === '[' ? [1] : [];
  for (let i = json.indexOf(',"'); i >= 0 && boundaries.length < 4; i = json.indexOf(',"', i + 1)) boundaries.push(i + 1);
  return boundaries.length ? boundaries[k % boundaries.length] : undefined;
}

function frameText(e: WireEvent, stripUsage: boolean): string {
  let data = e.data;
  if (stripUsage && isContainer(data) && !Array.isArray(data) && data.usage === null) {
    // What the API sends when nobody asked for usage: no `usage` field at all.
    const { usage: _, ...rest } = data as Record<string, unknown>;
    data = rest;
  }
  const json = toJson(data);
  let text: string;
  const at = e.splitAt === undefined ? undefined : tokenBoundary(json, e.splitAt);
  if (e.raw !== undefined) text = e.raw;
  else if (at !== undefined) text = `${e.name ? `event: ${e.name}\n` : ''}data: ${json.slice(0, at)}\ndata: ${json.slice(at)}\n\n`;
  else text = `${e.name ? `event: ${e.name}\n` : ''}data: ${json}\n\n`;
  if (e.crlf) text = text.replace(/\n/g, '\r\n');
  if (e.prefix) text = e.prefix + text;
  if (e.half !== undefined) text = text.slice(0, Math.max(1, e.half % text.length));
  return text;
}

function framesOf(events: WireEvent[], asked: boolean, usageMode: UsageAsker | undefined): Pick<Wire, 'frames' | 'dropAfter'> {
  const frames: string[] = [];
  let dropAfter: number | undefined;
  // Only when the monitor alone asks: the plain client's request did not ask, so its stream has no usage.
  const withoutUsage = usageMode === 'monitor' && !asked;
  for (const e of events) {
    const cut = e.cutAfter || (e.half !== undefined && !e.halfThenEnd);
    if (e.usageOnly && withoutUsage) {
      if (cut && dropAfter === undefined) dropAfter = frames.length;
      if (e.halfThenEnd) break;
      continue;
    }
    frames.push(frameText(e, withoutUsage));
    if (cut && dropAfter === undefined) dropAfter = frames.length;
    if (e.halfThenEnd) break;
  }
  if (dropAfter !== undefined) frames.length = dropAfter;
  // The server cannot destroy the socket before the first frame without racing its own headers.
  if (dropAfter === 0) return { frames: [': cut\n\n'], dropAfter: 1 };
  return { frames, dropAfter };
}

const CREATED = 1_700_000_000;
const DONE = 'data: [DONE]\n\n';

function baseEvents(rng: Random, kind: Kind, usage: UsageAsker | undefined): WireEvent[] {
  const text = pieces(rng);
  switch (kind) {
    case 'chat.stream': {
      const toolCalls = rng.chance(0.15) ? [{ id: 'call_1', name: 'lookup', arguments: '{"q":"x"}' }] : undefined;
      const chunks = chatChunks(text, { created: CREATED, usage: usage === 'none' ? null : { prompt_tokens: 11, completion_tokens: 5, total_tokens: 16 }, toolCalls });
      const events: WireEvent[] = chunks.map((data) => ({ data: structuredClone(data) }));
      if (usage !== 'none') events[events.length - 1].usageOnly = true;
      return [...events, { raw: DONE }];
    }
    case 'completions.stream': {
      const chunks = completionChunks(text, { created: CREATED, usage: usage === 'none' ? null : { prompt_tokens: 11, completion_tokens: 5, total_tokens: 16 } });
      const events: WireEvent[] = chunks.map((data) => ({ data: structuredClone(data) }));
      if (usage !== 'none') events[events.length - 1].usageOnly = true;
      return [...events, { raw: DONE }];
    }
    case 'responses.stream':
      // Each event its own objects (response.created and response.in_progress share one response).
      return responseEvents(text, { createdAt: CREATED }).map((data) => ({ name: data.type, data: structuredClone(data) }));
    case 'messages.stream': {
      const thinking = rng.chance(0.2) ? ['Let me', ' think'] : undefined;
      const toolUse = rng.chance(0.15) ? { id: 'toolu_1', name: 'lookup', input: { q: 'x' } } : undefined;
      return messageEvents(text, { thinking, toolUse }).map((data) => ({ name: data.type, data: structuredClone(data) }));
    }
    default:
      throw new Error(`not a stream: ${kind}`);
  }
}

function unknownEvent(rng: Random, kind: Kind): WireEvent {
  if (kind === 'responses.stream') return { name: 'response.brand_new_event', data: { type: 'response.brand_new_event', payload: { x: 1 }, sequence_number: 99 } };
  if (kind === 'messages.stream') return { name: 'content_block_magic', data: { type: 'content_block_magic', index: 9, sparkle: true } };
  return rng.chance(0.5)
    ? { data: { id: 'chatcmpl-test', object: 'chat.completion.chunk.v2', created: CREATED, model: 'gpt-4o-mini', hologram: true } }
    : { name: 'brand_new', data: { something: 'else' } };
}

function errorEventOf(rng: Random, kind: Kind): WireEvent {
  const code = rng.pick(['rate_limit_exceeded', 'server_error', 'overloaded', null, 'context_length_exceeded']);
  if (kind === 'messages.stream') {
    const type = rng.pick(['overloaded_error', 'rate_limit_error', 'api_error', 'invalid_request_error']);
    return { name: 'error', data: errorEvent(type, rng.chance(0.2) ? unicodeText(rng) : 'Overloaded') };
  }
  if (kind === 'responses.stream') {
    if (rng.chance(0.5)) return { name: 'error', data: { type: 'error', code, message: 'Something went wrong', param: null, sequence_number: 50 } };
    const failed = responseObject({ createdAt: CREATED, status: 'failed', output: [], usage: null, error: { code: code ?? 'server_error', message: 'boom' } });
    return { name: 'response.failed', data: { type: 'response.failed', response: failed, sequence_number: 50 } };
  }
  const error = { message: 'The server had an error while processing your request.', type: 'server_error', param: null, code };
  return rng.chance(0.7) ? { data: { error } } : { name: 'error', data: { error } };
}

function garbageEvent(rng: Random, kind: Kind): WireEvent {
  const named = kind === 'messages.stream' || kind === 'responses.stream';
  const pick = rng.int(9);
  if (pick === 0) return { raw: rng.pick(['garbage line\n\n', ': keep-alive\n\n', 'event:\n\n', 'data:\n\n', 'id: 7\n\n', 'retry: 5\n\n', '\n\n\n', 'no colon at all\n', '::::\n\n']) };
  if (pick === 1) return { raw: `${named ? 'event: content_block_delta\n' : ''}data: {not json\n\n` };
  if (pick === 2) return { name: named ? rng.pick(['ping', 'message_delta', 'response.output_text.delta']) : undefined, data: rng.value([null, 42, 'text', [], [1, 2], true, {}]) };
  if (pick === 3) return { raw: `data: ${unicodeText(rng).replace(/\n/g, ' ')}\n\n` };
  if (pick === 4) return { raw: 'event: ping\ndata: {}\n\n' };
  if (pick === 5) return { raw: '\uFEFFdata: {"bom": true}\n\n' };
  if (pick === 6) return { raw: `${named ? 'event: message_start\n' : ''}data: {"a": 1}\ndata: {"b": 2}\n\n` };
  if (pick === 7) return { raw: 'data: [DONE]\n\n' };
  return { raw: 'event: error\n\n' };
}

function streamCase(rng: Random, id: number, kind: Kind): MalformedCase {
  const usage: UsageAsker | undefined =
    kind === 'chat.stream' || kind === 'completions.stream' ? (rng.chance(0.4) ? 'none' : rng.chance(0.5) ? 'app' : 'monitor') : undefined;
  const events = baseEvents(rng, kind, usage);
  const mutations: string[] = [];
  const wire: Wire = {};
  const where = (i: number) => `event[${i}]`;

  // When the monitor alone asks for usage, the usage it asked for may be malformed, but the rest of the
  // stream carries `usage: null` as the API sends it: a chunk with usage the app never asked for is the
  // server's own doing, not the monitor's to hide.
  // Nor is a usage chunk that loses its usage, or one the SDK cannot parse, the monitor's to undo.
  const allowFor = (e: WireEvent) => (path: Path) =>
    usage !== 'monitor' || (e.usageOnly ? path[0] === 'usage' && path.length > 1 : path[0] !== 'usage');

  if (rng.chance(0.06)) {
    // A control: the real answer, untouched.
  } else if (rng.chance(0.06)) {
    const status = rng.pick([400, 401, 404, 408, 409, 422, 429, 500, 502, 503, 529]);
    const body: any = kind === 'messages.stream' ? anthropicError(status) : errorBody(status);
    const detail = rng.chance(0.3) ? mutateTree(rng, body, 'body') : undefined;
    const raw = rng.chance(0.15);
    wire.status = status;
    wire.headers = { 'content-type': raw ? 'text/html' : 'application/json' };
    wire.body = raw ? '<html>502 Bad Gateway</html>' : toJson(body);
    mutations.push(`HTTP ${status}${raw ? ' with an HTML body' : ''}${detail ? `; ${detail}` : ''}`);
    return { id, kind, usage, mutations, reply: () => wire };
  } else if (rng.chance(0.03)) {
    // A JSON body where a stream was asked for.
    const body = kind === 'messages.stream' ? message() : kind === 'responses.stream' ? responseObject({ createdAt: CREATED }) : chatCompletion({ created: CREATED });
    mutations.push('a JSON body instead of a stream');
    const json = toJson(body);
    return { id, kind, usage, mutations, reply: () => ({ headers: { 'content-type': 'application/json' }, body: json }) };
  } else {
    // The object trees of some events.
    const treeMutations = rng.chance(0.75) ? 1 + rng.int(3) : 0;
    for (let m = 0; m < treeMutations; m++) {
      const candidates = events.map((e, i) => i).filter((i) => events[i].raw === undefined);
      const i = rng.pick(candidates);
      const e = events[i];
      const monitorsOwn = usage === 'monitor' && e.usageOnly;
      if (monitorsOwn && rng.chance(0.3)) {
        // The usage chunk the monitor asked for, without choices in another way.
        const choices = rng.pick([0, null, undefined]);
        if (choices === undefined) delete (e.data as any).choices;
        else (e.data as any).choices = choices;
        mutations.push(choices === undefined ? `delete ${where(i)}.choices` : `${where(i)}.choices = ${show(choices)}`);
      } else if (rng.chance(0.08) && !monitorsOwn) {
        e.data = rng.value(NOT_OBJECT);
        mutations.push(`${where(i)} = ${show(e.data)}`);
      } else {
        const done = mutateTree(rng, e.data, where(i), allowFor(e), monitorsOwn);
        if (done) mutations.push(done);
      }
    }
    if (rng.chance(0.015)) {
      const i = rng.pick(events.map((e, j) => j).filter((j) => events[j].raw === undefined && !events[j].usageOnly));
      const done = hugeLeaf(rng, events[i].data, where(i));
      if (done) mutations.push(done);
    }
    // The event stream.
    const streamOps = rng.chance(0.5) ? 1 + rng.int(2) : 0;
    for (let m = 0; m < streamOps; m++) {
      const i = rng.int(events.length);
      const op = rng.int(8);
      if (op === 0 && events.length > 1) {
        events.splice(i, 1);
        mutations.push(`drop ${where(i)}`);
      } else if (op === 1) {
        events.splice(i, 0, { ...events[i] });
        mutations.push(`duplicate ${where(i)}`);
      } else if (op === 2 && i + 1 < events.length) {
        [events[i], events[i + 1]] = [events[i + 1], events[i]];
        mutations.push(`swap ${where(i)} and ${where(i + 1)}`);
      } else if (op === 3) {
        events.splice(i, 0, unknownEvent(rng, kind));
        mutations.push(`unknown event at ${i}`);
      } else if (op === 4) {
        const e = errorEventOf(rng, kind);
        events.splice(i, 0, e);
        mutations.push(`error event at ${i}: ${e.name ? `event: ${e.name} ` : ''}${show(e.data)}`);
      } else if (op === 5) {
        const e = garbageEvent(rng, kind);
        events.splice(i, 0, e);
        mutations.push(`garbage at ${i}: ${show(e.raw ?? e.data)}`);
      } else if (op === 6 && events[events.length - 1].raw === DONE) {
        events.pop();
        mutations.push('no [DONE]');
      } else {
        events.push({ raw: DONE }, { data: { after: 'done' } });
        mutations.push('[DONE] and an event after it');
      }
    }
    // The wire.
    const lineOps = rng.chance(0.25) ? 1 + rng.int(2) : 0;
    for (let m = 0; m < lineOps; m++) {
      const i = rng.int(events.length);
      const op = rng.int(4);
      if (op === 0) events[i].crlf = true;
      else if (op === 1) events[i].prefix = rng.pick([': comment\n', 'id: 3\nretry: 100\n', 'unknownfield: x\n', ':\n']);
      else if (op === 2) events[i].splitAt = rng.int(1000);
      else events[i] = { ...events[i], prefix: '\r' };
      mutations.push(`${where(i)} ${['CRLF', 'with a prefix line', 'data split over two lines', 'CR before'][op]}`);
    }
    if (rng.chance(0.15)) {
      const i = 1 + rng.int(events.length - 1);
      if (rng.chance(0.5)) {
        events[i] = { ...events[i], cutAfter: true };
        mutations.push(`socket destroyed after ${where(i)}`);
      } else {
        events[i] = { ...events[i], half: 3 + rng.int(200) };
        mutations.push(`half of ${where(i)}, then the socket destroyed`);
      }
    } else if (rng.chance(0.03) && usage !== 'monitor') {
      // Half an event at the end of a stream that ends normally (where the SDK may parse what it got). Not
      // where the plain stream differs from the wrapped one by its usage: the halves would differ too.
      const last = events.length - 1;
      events[last] = { ...events[last], half: 3 + rng.int(200), halfThenEnd: true };
      mutations.push(`half of ${where(last)} at the end`);
    }
    if (rng.chance(0.02)) {
      wire.headers = { 'content-type': 'text/plain' };
      mutations.push('content-type text/plain');
    }
  }
  return {
    id,
    kind,
    usage,
    mutations,
    reply: (asked) => ({ ...wire, ...framesOf(events, asked, usage) }),
  };
}

// ---- non-streamed bodies ----------------------------------------------------------------------------

function baseBody(rng: Random, kind: Kind): any {
  const text = pieces(rng).join('');
  switch (kind) {
    case 'chat.json':
      return chatCompletion({ created: CREATED, content: text, toolCalls: rng.chance(0.15) ? [{ id: 'call_1', name: 'lookup', arguments: '{"q":"x"}' }] : undefined });
    case 'completions.json':
      return completion({ created: CREATED, text });
    case 'responses.json':
      return responseObject({ createdAt: CREATED, text });
    case 'messages.json':
      return message({ text, thinking: rng.chance(0.2) ? 'Let me think' : undefined, toolUse: rng.chance(0.15) ? { id: 'toolu_1', name: 'lookup', input: { q: 'x' } } : undefined });
    default:
      throw new Error(`not a JSON kind: ${kind}`);
  }
}

const INVALID_UTF8 = [0xff, 0xc3, 0x28, 0xed, 0xa0, 0x80, 0xf0, 0x28, 0x8c, 0xbc];

function jsonCase(rng: Random, id: number, kind: Kind): MalformedCase {
  let body: any = baseBody(rng, kind);
  const mutations: string[] = [];
  const json = { 'content-type': 'application/json' };
  const done = (wire: Wire): MalformedCase => ({ id, kind, mutations, reply: () => wire });

  if (rng.chance(0.06)) return done({ headers: json, body: toJson(body) });
  if (rng.chance(0.07)) {
    const status = rng.pick([400, 401, 403, 404, 408, 409, 422, 429, 500, 502, 503, 529]);
    const error: any = kind === 'messages.json' ? anthropicError(status) : errorBody(status);
    const detail = rng.chance(0.3) ? mutateTree(rng, error, 'body') : undefined;
    const raw = rng.chance(0.15);
    mutations.push(`HTTP ${status}${raw ? ' with an HTML body' : ''}${detail ? `; ${detail}` : ''}`);
    return done({ status, headers: { 'content-type': raw ? 'text/html' : 'application/json' }, body: raw ? '<html>502 Bad Gateway</html>' : toJson(error) });
  }
  const treeMutations = rng.chance(0.8) ? 1 + rng.int(3) : 0;
  for (let m = 0; m < treeMutations; m++) {
    const d = mutateTree(rng, body, 'body');
    if (d) mutations.push(d);
  }
  if (rng.chance(0.015)) {
    const d = hugeLeaf(rng, body, 'body');
    if (d) mutations.push(d);
  }
  if (rng.chance(0.04)) {
    body = rng.value([null, 0, 'x', [], [null], true, {}]);
    mutations.push(`body = ${show(body)}`);
  }
  const text = toJson(body);
  const op = rng.chance(0.25) ? rng.int(6) : -1;
  if (op === 0) {
    const cut = rng.int(text.length);
    mutations.push(`body cut at ${cut} of ${text.length} characters`);
    return done({ headers: json, body: text.slice(0, cut) });
  }
  if (op === 1) {
    mutations.push('content-type text/plain');
    return done({ headers: { 'content-type': 'text/plain' }, body: text });
  }
  if (op === 2) {
    mutations.push('an empty body');
    return done({ headers: json, body: '' });
  }
  if (op === 3) {
    // Invalid UTF-8 inside a string: the decoder makes U+FFFD of it.
    const bytes = Buffer.from(text, 'utf8');
    const quote = bytes.indexOf(0x22, rng.int(bytes.length));
    const at = quote < 0 ? 1 : quote + 1;
    const n = 1 + rng.int(INVALID_UTF8.length);
    mutations.push(`invalid UTF-8 bytes at ${at}`);
    return done({ headers: json, body: Buffer.concat([bytes.subarray(0, at), Buffer.from(INVALID_UTF8.slice(0, n)), bytes.subarray(at)]) });
  }
  if (op === 4) {
    // An event stream where JSON was asked for, sometimes cut.
    const cut = rng.chance(0.5);
    mutations.push(`the body sent as an event stream${cut ? ', socket destroyed after the first event' : ''}`);
    return done({ frames: [`data: ${text}\n\n`, DONE], dropAfter: cut ? 1 : undefined });
  }
  if (op === 5) {
    mutations.push('a byte-order mark before the body');
    return done({ headers: json, body: `\uFEFF${text}` });
  }
  return done({ headers: json, body: text });
}

/** `count` cases from `seed`, kinds spread evenly. */
export function malformedCases(seed: number, count: number, firstId = 0): MalformedCase[] {
  const rng = new Random(seed);
  const cases: MalformedCase[] = [];
  for (let i = 0; i < count; i++) {
    const id = firstId + i;
    const kind = KINDS[i % KINDS.length];
    cases.push(kind.endsWith('.stream') ? streamCase(rng, id, kind) : jsonCase(rng, id, kind));
  }
  return cases;
}

/**
 * Fixed cases kept whatever the seed: the shapes named in issue 12 and its neighbours, each one
 * mutation of a real answer.
 */
export function pinnedCases(firstId = 0): MalformedCase[] {
  let id = firstId;
  const stream = (kind: Kind, usage: UsageAsker | undefined, label: string, damage: (events: WireEvent[]) => void): MalformedCase => {
    const events = baseEvents(new Random(1), kind, usage);
    damage(events);
    return { id: id++, kind, usage, mutations: [label], reply: (asked) => framesOf(events, asked, usage) };
  };
  const json = (kind: Kind, label: string, damage: (body: any) => any): MalformedCase => {
    const body = damage(baseBody(new Random(1), kind));
    return { id: id++, kind, mutations: [label], reply: () => ({ headers: { 'content-type': 'application/json' }, body: toJson(body) }) };
  };
  const usageChunk = (events: WireEvent[]) => (events.find((e) => e.usageOnly)!.data as any).usage;
  return [
    stream('chat.stream', 'none', 'event[1].choices = 0', (e) => {
      (e[1].data as any).choices = 0;
    }),
    stream('chat.stream', 'app', 'event[2].choices = 0', (e) => {
      (e[2].data as any).choices = 0;
    }),
    stream('chat.stream', 'monitor', 'event[1].choices = 0', (e) => {
      (e[1].data as any).choices = 0;
    }),
    stream('chat.stream', 'monitor', 'the usage chunk the monitor asked for: choices = 0', (e) => {
      e.find((x) => x.usageOnly)!.data = { ...(e.find((x) => x.usageOnly)!.data as any), choices: 0 };
    }),
    stream('completions.stream', 'none', 'event[0].choices = 0', (e) => {
      (e[0].data as any).choices = 0;
    }),
    stream('chat.stream', 'none', 'event[1].choices = [null]', (e) => {
      (e[1].data as any).choices = [null];
    }),
    stream('chat.stream', 'app', 'event[1].choices = "x"', (e) => {
      (e[1].data as any).choices = 'x';
    }),
    stream('chat.stream', 'none', 'event[1].choices.0.delta = null', (e) => {
      (e[1].data as any).choices[0].delta = null;
    }),
    stream('chat.stream', 'app', 'usage chunk: usage.prompt_tokens = NaN', (e) => {
      usageChunk(e).prompt_tokens = NAN;
    }),
    stream('chat.stream', 'app', 'usage chunk: usage.prompt_tokens = "12", completion_tokens = -5', (e) => {
      usageChunk(e).prompt_tokens = '12';
      usageChunk(e).completion_tokens = -5;
    }),
    stream('chat.stream', 'monitor', 'usage chunk: usage.prompt_tokens = 1e308', (e) => {
      usageChunk(e).prompt_tokens = 1e308;
    }),
    stream('chat.stream', 'none', 'socket destroyed after event[2]', (e) => {
      e[2].cutAfter = true;
    }),
    stream('messages.stream', undefined, 'event[3].delta = null', (e) => {
      (e[3].data as any).delta = null;
    }),
    stream('responses.stream', undefined, 'event[4].delta = 0', (e) => {
      (e[4].data as any).delta = 0;
    }),
    json('chat.json', 'body.choices = 0', (b) => ({ ...b, choices: 0 })),
    json('chat.json', 'body.choices = [null]', (b) => ({ ...b, choices: [null] })),
    json('responses.json', 'body.output = 0', (b) => ({ ...b, output: 0 })),
    json('messages.json', 'body.usage.input_tokens = -5', (b) => ({ ...b, usage: { ...b.usage, input_tokens: -5 } })),
  ];
}

/** The kinds of damage, by the words `mutations` uses, for the report. */
export const DAMAGE: [string, RegExp][] = [
  ['field deleted', /^delete /],
  ['wrong type or value', / = (?!<)(?!.*\((unicode|added)\)$)/],
  ['field added', /\(added\)$/],
  ['unicode', /\(unicode\)$/],
  ['huge string', / = <\d+ chars>$/],
  ['event dropped', /^drop event/],
  ['event duplicated', /^duplicate /],
  ['events swapped', /^swap /],
  ['unknown event', /^unknown event/],
  ['error event', /^error event/],
  ['garbage line', /^garbage at/],
  ['no [DONE] / data after [DONE]', /^no \[DONE\]|^\[DONE\] and/],
  ['CRLF, prefix, split data', /CRLF$|with a prefix line$|split over two lines$|CR before$/],
  ['socket destroyed midway', /socket destroyed/],
  ['half an event', /^half of/],
  ['body cut, empty, BOM, bad UTF-8', /^body cut|^an empty body|byte-order mark|invalid UTF-8/],
  ['wrong content type', /content-type|event stream|JSON body instead/],
  ['HTTP error status', /^HTTP \d+/],
];
