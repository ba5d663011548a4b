/**
 * Fuzz: a result is never changed (issue 12, item 3).
 *
 * Seeded malformed provider replies (test/support/malformed-replies.ts: deleted fields, wrong types, NaN
 * and negative usage, huge strings, unicode, unknown and error events, garbage lines, cut events) are
 * sent by the local servers over HTTP to the real SDKs: `openai` (chat completions, legacy completions,
 * Responses; streamed and not) and `@anthropic-ai/sdk` (messages; streamed and not). Each case is called
 * twice, with a plain client and with a wrapped one, and what the app sees must be the same: the resolved
 * value (deep-equal, same class), or the error (same class, message, status, body); for a stream, every
 * chunk in order and the error at the end. Every wrapped call makes exactly one record, with an outcome,
 * and no promise is left rejected unhandled.
 *
 * The cases run in a few lanes, each with its own servers and keep-alive connections. `FUZZ_SEED` and
 * `FUZZ_CASES` change the seed and the count; the cases are the same for the same pair.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDeepStrictEqual } from 'node:util';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { createMonitor, type CallRecord, type Monitor } from '../../src/index.js';
import { startOpenAIServer, type OpenAITestServer, type ScriptedReply } from '../support/openai-server.js';
import { startAnthropicServer, type AnthropicScriptedReply, type AnthropicTestServer } from '../support/anthropic-server.js';
import { DAMAGE, KINDS, malformedCases, pinnedCases, type Kind, type MalformedCase, type Wire } from '../support/malformed-replies.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20260412);
const CASES = Number(process.env.FUZZ_CASES ?? 2400);
const LANES = 4;
const OUTCOMES = ['completed', 'cancelled', 'aborted', 'failed'];

// ---- what the app sees -----------------------------------------------------------------------------

interface SeenError {
  cls: unknown;
  name: unknown;
  message: unknown;
  status: unknown;
  body: unknown;
}

interface Seen {
  /** The class of the resolved value (a Stream, a plain object), or its typeof. */
  cls?: unknown;
  value?: unknown;
  /** A stream's chunks, in the order the app got them. */
  items?: unknown[];
  /** Rejected at the call, or thrown while iterating the stream. */
  error?: SeenError;
  errorWhileIterating?: boolean;
}

function errorSeen(error: any): SeenError {
  if (error === null || typeof error !== 'object') return { cls: typeof error, name: undefined, message: String(error), status: undefined, body: undefined };
  return { cls: Object.getPrototypeOf(error), name: error.name, message: error.message, status: error.status, body: error.error };
}

function classOf(value: unknown): unknown {
  return value !== null && typeof value === 'object' ? Object.getPrototypeOf(value) : typeof value;
}

async function see(call: () => Promise<unknown>): Promise<Seen> {
  let value: any;
  try {
    value = await call();
  } catch (error) {
    return { error: errorSeen(error) };
  }
  if (value !== null && typeof value === 'object' && typeof value[Symbol.asyncIterator] === 'function') {
    const items: unknown[] = [];
    try {
      for await (const item of value) items.push(item);
    } catch (error) {
      return { cls: classOf(value), items, error: errorSeen(error), errorWhileIterating: true };
    }
    return { cls: classOf(value), items };
  }
  return { cls: classOf(value), value };
}

/** How the wrapped call's result differs from the plain one's, in words; undefined when it does not. */
function difference(plain: Seen, wrapped: Seen): string | undefined {
  const out: string[] = [];
  if (plain.cls !== wrapped.cls) out.push('class of the value');
  if (!isDeepStrictEqual(plain.value, wrapped.value)) out.push(`value: ${firstDifference(plain.value, wrapped.value, '')}`);
  if ((plain.items === undefined) !== (wrapped.items === undefined)) out.push('stream or not');
  else if (plain.items && wrapped.items) {
    if (plain.items.length !== wrapped.items.length) out.push(`chunk count ${plain.items.length} → ${wrapped.items.length}`);
    const longer = plain.items.length >= wrapped.items.length ? plain.items : wrapped.items;
    const first = longer.findIndex((_, i) => !isDeepStrictEqual(plain.items![i], wrapped.items![i]));
    if (first >= 0) out.push(`chunk ${first}: ${firstDifference(plain.items[first], wrapped.items[first], '')}`);
  }
  if ((plain.error === undefined) !== (wrapped.error === undefined)) out.push(`error ${describeError(plain.error)} → ${describeError(wrapped.error)}`);
  else if (plain.error && wrapped.error) {
    for (const field of ['cls', 'name', 'message', 'status', 'body'] as const) {
      if (!isDeepStrictEqual(plain.error[field], wrapped.error[field])) out.push(`error ${field}: ${describeError(plain.error)} → ${describeError(wrapped.error)}`);
    }
  }
  return out.length ? out.join('; ') : undefined;
}

/** Where two values first differ: `path: plain → wrapped`. */
function firstDifference(a: unknown, b: unknown, path: string): string {
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && Object.getPrototypeOf(a) === Object.getPrototypeOf(b)) {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const x = (a as any)[key];
      const y = (b as any)[key];
      if (!(key in a) || !(key in b)) return `${path}.${key}: ${key in a ? preview(x) : 'absent'} → ${key in b ? preview(y) : 'absent'}`;
      if (!isDeepStrictEqual(x, y)) return firstDifference(x, y, `${path}.${key}`);
    }
  }
  return `${path || 'the whole'}: ${preview(a)} → ${preview(b)}`;
}

function preview(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 160 ? `${text.slice(0, 160)}…` : text;
}

function describeError(error: SeenError | undefined): string {
  if (error === undefined) return 'none';
  const cls = (error.cls as { constructor?: { name?: string } })?.constructor?.name ?? String(error.cls);
  return `${cls}(${error.status ?? '-'}: ${String(error.message).slice(0, 80)})`;
}

// ---- what the record should say -----------------------------------------------------------------------

/** A socket error from undici (`terminated`) or the SDK's connection error: the network failed. */
function isNetworkError(error: SeenError): boolean {
  const name = (error.cls as { constructor?: { name?: string } })?.constructor?.name ?? '';
  return error.message === 'terminated' || /Connection/.test(name) || /other side closed|socket/i.test(String(error.message));
}

/** The SDK itself threw on data it could not read: JSON that is not JSON, a chunk of the wrong shape. */
function isUnreadableData(error: SeenError): boolean {
  return (error.name === 'SyntaxError' || error.name === 'TypeError') && error.status === undefined && !isNetworkError(error);
}

/** The outcome and error types the record should have, from what the app saw. */
function expectedEnd(c: MalformedCase, seen: Seen): { outcome: string; errorTypes: (string | undefined)[]; why: string } {
  const error = seen.error;
  if (error) {
    const status = typeof error.status === 'number' ? error.status : undefined;
    if (status !== undefined) {
      const type = status === 408 ? 'timeout' : status === 429 ? 'rate_limit' : status === 529 ? 'overloaded' : status >= 500 ? 'http_5xx' : 'http_4xx';
      return { outcome: 'failed', errorTypes: [type], why: `HTTP ${status}` };
    }
    if (isNetworkError(error)) return { outcome: 'failed', errorTypes: ['network'], why: 'socket cut' };
    if (isUnreadableData(error)) return { outcome: 'failed', errorTypes: ['invalid_response'], why: `SDK threw ${String(error.name)}` };
    // An error event inside the stream: classified by its code or type (issue 12, item 2).
    const body = error.body as any;
    const code = `${body?.code ?? ''} ${body?.type ?? ''} ${body?.error?.type ?? ''}`;
    if (/rate_limit/.test(code)) return { outcome: 'failed', errorTypes: ['rate_limit'], why: 'error event, rate limit' };
    if (/overloaded/.test(code)) return { outcome: 'failed', errorTypes: ['overloaded'], why: 'error event, overloaded' };
    return { outcome: 'failed', errorTypes: ['unknown', 'http_5xx', 'invalid_response', 'http_4xx'], why: 'error event' };
  }
  // A Responses stream that said `response.failed` failed (issue 12, item 2), whatever else it said.
  if (c.kind === 'responses.stream' && seen.items?.some((e: any) => e?.type === 'response.failed')) {
    return { outcome: 'failed', errorTypes: ['unknown', 'http_5xx', 'rate_limit', 'overloaded', 'invalid_response'], why: 'response.failed event' };
  }
  return { outcome: 'completed', errorTypes: [undefined], why: 'value' };
}

// ---- the run ---------------------------------------------------------------------------------------------

interface Lane {
  openaiServer: OpenAITestServer;
  anthropicServer: AnthropicTestServer;
  current: MalformedCase | undefined;
  plain: { openai: OpenAI; anthropic: Anthropic };
  wrapped: { openai: OpenAI; anthropic: Anthropic; openaiAsksUsage: OpenAI };
}

interface Result {
  c: MalformedCase;
  plain: Seen;
  wrapped: Seen;
  difference: string | undefined;
}

const messages = [{ role: 'user' as const, content: 'Say hello.' }];
const modelOf = (c: MalformedCase) => `fuzz-${c.id}`;

function request(c: MalformedCase, openai: OpenAI, anthropic: Anthropic): Promise<unknown> {
  const model = modelOf(c);
  const usage = c.usage === 'app' ? { stream_options: { include_usage: true } } : {};
  const kinds: Record<Kind, () => Promise<unknown>> = {
    'chat.stream': () => openai.chat.completions.create({ model, messages, stream: true, ...usage }),
    'chat.json': () => openai.chat.completions.create({ model, messages }),
    'completions.stream': () => openai.completions.create({ model, prompt: 'Say hello.', stream: true, ...usage }),
    'completions.json': () => openai.completions.create({ model, prompt: 'Say hello.' }),
    'responses.stream': () => openai.responses.create({ model, input: 'Say hello.', stream: true }),
    'responses.json': () => openai.responses.create({ model, input: 'Say hello.' }),
    'messages.stream': () => anthropic.messages.create({ model, max_tokens: 64, messages, stream: true }),
    'messages.json': () => anthropic.messages.create({ model, max_tokens: 64, messages }),
  };
  return kinds[c.kind]();
}

function openAIReply(w: Wire): ScriptedReply {
  return { status: w.status, headers: w.headers, body: w.body, chunks: w.frames, dropAfterChunks: w.dropAfter, sendDone: false };
}

function anthropicReply(w: Wire): AnthropicScriptedReply {
  return { status: w.status, headers: w.headers, body: w.body, events: w.frames, dropAfterEvents: w.dropAfter };
}

const askedForUsage = (body: any) => body?.stream_options?.include_usage === true;

const lanes: Lane[] = [];
const results: Result[] = [];
/** Records by request model (`fuzz-<case id>`). */
const records = new Map<string, CallRecord[]>();
const monitorErrors: string[] = [];
let recordCount = 0;
let unhandled: unknown[] = [];
let monitor: Monitor;
/** The same, asking streams for usage the app did not ask for (`tokens.includeStreamUsage`). */
let monitorAsksUsage: Monitor;
let runtimeMs = 0;
let cases: MalformedCase[] = [];

const onUnhandled = (reason: unknown) => void unhandled.push(reason);

async function startLane(): Promise<Lane> {
  const lane = { current: undefined } as Lane;
  lane.openaiServer = await startOpenAIServer({ defaultHandler: (req) => openAIReply(lane.current!.reply(askedForUsage(req.body))) });
  lane.anthropicServer = await startAnthropicServer({ defaultHandler: () => anthropicReply(lane.current!.reply(false)) });
  const openai = () => new OpenAI({ apiKey: 'k', baseURL: lane.openaiServer.url, maxRetries: 0, timeout: 30_000, logLevel: 'off' });
  const anthropic = () => new Anthropic({ apiKey: 'k', baseURL: lane.anthropicServer.url, maxRetries: 0, timeout: 30_000, logLevel: 'off' });
  lane.plain = { openai: openai(), anthropic: anthropic() };
  lane.wrapped = { openai: monitor.wrap(openai()), anthropic: monitor.wrap(anthropic()), openaiAsksUsage: monitorAsksUsage.wrap(openai()) };
  return lane;
}

async function runLane(lane: Lane, mine: MalformedCase[]): Promise<void> {
  for (const c of mine) {
    lane.current = c;
    const plain = await see(() => request(c, lane.plain.openai, lane.plain.anthropic));
    const wrappedOpenAI = c.usage === 'monitor' ? lane.wrapped.openaiAsksUsage : lane.wrapped.openai;
    const wrapped = await see(() => request(c, wrappedOpenAI, lane.wrapped.anthropic));
    results.push({ c, plain, wrapped, difference: difference(plain, wrapped) });
  }
  lane.current = undefined;
}

/** Resolves once `expected` records arrived (or the deadline passed): `flush()` where the monitor has it. */
async function waitForRecords(expected: number, deadlineMs = 30_000): Promise<void> {
  for (const m of [monitor, monitorAsksUsage]) {
    const flush = (m as { flush?: () => Promise<void> }).flush;
    if (typeof flush === 'function') await flush.call(m);
  }
  const deadline = Date.now() + deadlineMs;
  while (recordCount < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  // A record too many would come on the same few turns: give it a moment to show itself.
  const settleUntil = Date.now() + 100;
  while (Date.now() < settleUntil) await new Promise((r) => setTimeout(r, 10));
}

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  const options = { serviceName: 'fuzz', prometheus: true, resources: false, detect: false } as const;
  monitor = createMonitor(options);
  monitorAsksUsage = createMonitor({ ...options, tokens: { includeStreamUsage: true } });
  for (const m of [monitor, monitorAsksUsage]) {
    m.on('call', (r) => {
      recordCount++;
      const key = String(r.requestModel);
      const list = records.get(key);
      if (list) list.push(r);
      else records.set(key, [r]);
    });
    m.on('error', (e) => void monitorErrors.push(`${e.component}: ${e.message}`));
  }
  const pinned = pinnedCases(0);
  cases = [...pinned, ...malformedCases(SEED, CASES, pinned.length)];
  for (let i = 0; i < LANES; i++) lanes.push(await startLane());

  const started = performance.now();
  await Promise.all(lanes.map((lane, i) => runLane(lane, cases.filter((_, j) => j % LANES === i))));
  await waitForRecords(cases.length);
  runtimeMs = performance.now() - started;
  // Anything left unhandled surfaces on the next turns.
  await new Promise((r) => setTimeout(r, 20));
  printSummary();
}, 180_000);

afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  await Promise.all([monitor?.shutdown(), monitorAsksUsage?.shutdown()]);
  await Promise.all(lanes.flatMap((l) => [l.openaiServer.close(), l.anthropicServer.close()]));
});

// ---- the report ------------------------------------------------------------------------------------

function label(c: MalformedCase): string {
  return c.usage ? `${c.kind}+usage:${c.usage}` : c.kind;
}

/** Record outcomes and error types that are not what the app saw, by what they were. */
function wrongEnds(): Map<string, Result[]> {
  const wrong = new Map<string, Result[]>();
  for (const r of results) {
    const list = records.get(modelOf(r.c)) ?? [];
    if (list.length !== 1) continue;
    const record = list[0];
    const expected = expectedEnd(r.c, r.plain);
    if (record.outcome === expected.outcome && expected.errorTypes.includes(record.errorType)) continue;
    // Grouped by the start of the error message (the SDK's TypeErrors quote the body after it).
    const key = `${r.c.kind}: ${expected.why} (${describeError(r.plain.error).slice(0, 70)}) → record ${record.outcome}/${record.errorType ?? '-'}, expected ${expected.outcome}/${expected.errorTypes.join('|') || '-'}`;
    const same = wrong.get(key);
    if (same) same.push(r);
    else wrong.set(key, [r]);
  }
  return wrong;
}

function printSummary(): void {
  const byKind = new Map<string, { cases: number; values: number; errors: number; differences: number }>();
  for (const r of results) {
    const k = label(r.c);
    const row = byKind.get(k) ?? { cases: 0, values: 0, errors: 0, differences: 0 };
    row.cases++;
    if (r.plain.error) row.errors++;
    else row.values++;
    if (r.difference) row.differences++;
    byKind.set(k, row);
  }
  const lines = [`fuzz: seed ${SEED}, ${results.length} cases (${cases.length - CASES} pinned), ${LANES} lanes, ${(runtimeMs / 1000).toFixed(1)} s`];
  for (const [k, row] of [...byKind].sort()) {
    lines.push(`  ${k.padEnd(32)} ${String(row.cases).padStart(5)} cases: ${String(row.values).padStart(5)} values, ${String(row.errors).padStart(5)} errors, ${row.differences} differences`);
  }
  const damage = DAMAGE.map(([name, pattern]) => `${name} ${results.filter((r) => r.c.mutations.some((m) => pattern.test(m))).length}`);
  lines.push(`  cases with: ${damage.join(', ')}, untouched ${results.filter((r) => r.c.mutations.length === 0).length}`);
  const differences = results.filter((r) => r.difference);
  if (differences.length) {
    lines.push(`differences (${differences.length}):`);
    for (const r of differences.slice(0, 40)) lines.push(`  #${r.c.id} ${label(r.c)} [${r.c.mutations.join(' | ')}]: ${r.difference}`);
    for (const r of differences.slice(0, 3)) {
      // The bytes, for a reproduction: what the wrapped client's request got.
      const wire = r.c.reply(r.c.usage !== 'none');
      const text = wire.frames ? wire.frames.join('') : String(wire.body);
      lines.push(`  #${r.c.id} wire (${wire.status ?? 200}${wire.dropAfter !== undefined ? `, socket destroyed after ${wire.dropAfter} frames` : ''}): ${JSON.stringify(text.length > 1500 ? `${text.slice(0, 1500)}…` : text)}`);
    }
  }
  const wrong = wrongEnds();
  if (wrong.size) {
    lines.push(`records that do not say what the app saw (${[...wrong.values()].reduce((n, l) => n + l.length, 0)}):`);
    for (const [key, list] of [...wrong].sort((a, b) => b[1].length - a[1].length)) {
      lines.push(`  ${String(list.length).padStart(4)} × ${key}`);
      for (const r of list.slice(0, 2)) lines.push(`         e.g. #${r.c.id} [${r.c.mutations.join(' | ')}]`);
    }
  }
  if (monitorErrors.length) {
    const counts = new Map<string, number>();
    for (const e of monitorErrors) counts.set(e, (counts.get(e) ?? 0) + 1);
    lines.push(`monitor faults (${monitorErrors.length}):`);
    for (const [e, n] of counts) lines.push(`  ${n} × ${e.slice(0, 200)}`);
  }
  console.log(lines.join('\n'));
}

// ---- the checks ------------------------------------------------------------------------------------

describe(`${CASES} seeded malformed provider replies through the real SDKs, plain and wrapped`, () => {
  it('covers every kind, streamed and not, with values and errors', () => {
    expect(results).toHaveLength(cases.length);
    expect(results.length).toBeGreaterThanOrEqual(2000);
    for (const kind of KINDS) {
      const mine = results.filter((r) => r.c.kind === kind);
      expect(mine.length, kind).toBeGreaterThan(100);
      expect(mine.some((r) => r.plain.error), `${kind}: some fail`).toBe(true);
      expect(mine.some((r) => !r.plain.error), `${kind}: some resolve`).toBe(true);
    }
  });

  it('draws the same cases from the same seed', () => {
    const wires = () => malformedCases(SEED, 64).map((c) => [c.mutations, c.reply(false), c.reply(true)]);
    expect(wires()).toEqual(wires());
  });

  it('gives the app exactly what the unwrapped SDK gives: values, chunks in order, errors', () => {
    const differences = results.filter((r) => r.difference).map((r) => `#${r.c.id} ${label(r.c)} [${r.c.mutations.join(' | ')}]: ${r.difference}`);
    expect(differences).toEqual([]);
  });

  it('makes exactly one record per wrapped call, each with an outcome', () => {
    const wrongCounts = results
      .map((r) => [r, records.get(modelOf(r.c))?.length ?? 0] as const)
      .filter(([, n]) => n !== 1)
      .map(([r, n]) => `#${r.c.id} ${label(r.c)} [${r.c.mutations.join(' | ')}]: ${n} records`);
    expect(wrongCounts).toEqual([]);
    expect(recordCount).toBe(results.length);
    const badOutcomes = [...records.values()].flat().filter((r) => !OUTCOMES.includes(r.outcome)).map((r) => `${r.requestModel}: ${String(r.outcome)}`);
    expect(badOutcomes).toEqual([]);
  });

  it('records a stream the SDK threw on, for a chunk it could not read, as failed with invalid_response', () => {
    const wrong = results
      .filter((r) => r.c.kind.endsWith('.stream') && r.plain.errorWhileIterating && isUnreadableData(r.plain.error!))
      .map((r) => [r, records.get(modelOf(r.c))?.[0]] as const)
      .filter(([, record]) => record?.outcome !== 'failed' || record.errorType !== 'invalid_response')
      .map(([r, record]) => `#${r.c.id} ${label(r.c)} [${r.c.mutations.join(' | ')}]: ${describeError(r.plain.error)} → ${record?.outcome}/${record?.errorType}`);
    expect(wrong).toEqual([]);
  });

  it('leaves no promise rejected unhandled', () => {
    expect(unhandled.map((e) => String((e as Error)?.stack ?? e))).toEqual([]);
  });
});
