/**
 * Token estimation never stalls the process, and counts what the providers count. No timings here
 * (speed lives in bench/tokenizer-stall.mjs): each test pins a structural fact that would be false if
 * the mechanism were wrong — the size of what one tokenizer call receives, where text is cut, that
 * other callbacks run between pieces, the counts against gpt-tokenizer on the whole text, and tool
 * definitions counted as OpenAI's cookbook counts them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { countTokens as o200kCount } from 'gpt-tokenizer/encoding/o200k_base';
import { countTokens as cl100kCount } from 'gpt-tokenizer/encoding/cl100k_base';
import { Estimator, type EstimatorOptions } from '../../src/tokens/estimator.js';
import { countText, isExactCut, MAX_COUNTED_CHARS, MAX_PIECE_BYTES, pieceEnd, promptOf, type CountTokens } from '../../src/tokens/tokenizer.js';
import type { CallRecord } from '../../src/record.js';
import type { Call } from '../../src/call.js';
import { createMonitor, type Monitor } from '../../src/index.js';
import { chatCompletion, startOpenAIServer, type OpenAITestServer } from '../support/openai-server.js';
import { recorder } from '../support/records.js';

const asText = { disallowedSpecial: new Set<string>() };
const o200k: CountTokens = (text) => o200kCount(text, asText);
const cl100k: CountTokens = (text) => cl100kCount(text, asText);
const neverPause = () => undefined;

/** mulberry32: the same texts every run. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = 'the of and to in is that for it as with request response latency model token stream server client budget metric monitor Throughput error retry timeout'.split(' ');

/** English sentences, code, pretty and minified JSON, and other scripts, in turn. */
function ordinaryText(length: number, seed = 1): string {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const out: string[] = [];
  let n = 0;
  while (n < length) {
    const k = r();
    let piece: string;
    if (k < 0.4) piece = `${Array.from({ length: 6 + Math.floor(r() * 12) }, () => pick(WORDS)).join(' ')}${pick(['.', ',', '!', '?', "'s", ':'])} `;
    else if (k < 0.55) piece = `\n\`\`\`ts\nexport async function ${pick(WORDS)}Count(items: Item[], limit = ${Math.floor(r() * 1000)}): Promise<number> {\n\treturn items.filter((x) => x.${pick(WORDS)} >= limit).length; // ${pick(WORDS)}\n}\n\`\`\`\n`;
    else if (k < 0.7) piece = `${JSON.stringify({ id: Math.floor(r() * 1e9), name: pick(WORDS), ok: r() < 0.5, score: r(), tags: [pick(WORDS), pick(WORDS)] }, null, 2)}\n`;
    else if (k < 0.85) piece = JSON.stringify({ k: pick(WORDS), v: [Math.floor(r() * 1e4), pick(WORDS), null], url: `https://example.org/${pick(WORDS)}?q=${Math.floor(r() * 99)}` });
    else piece = pick(['Grüße aus München — café, naïve façade. ', '日本語のテキストをトークン化します。', 'Привет, как дела? ', 'Emoji: 😀🚀✨👍🏽 👩‍💻 ', 'مرحبا بالعالم، ', '中文文本：今天天气很好。', 'Math: ∑ ∫ √x ≠ ≤ π ≈ 3.14159 ', "  don't   won't\r\n\r\n\t "]);
    out.push(piece);
    n += piece.length;
  }
  return out.join('').slice(0, length);
}

function piecesOf(text: string): string[] {
  const pieces: string[] = [];
  for (let start = 0; start < text.length; ) {
    const end = pieceEnd(text, start);
    pieces.push(text.slice(start, end));
    start = end;
  }
  return pieces;
}

/** The least of a call the estimator reads: a record without counts and the text kept for it. */
function fakeCall(request: unknown, output = '', model = 'gpt-4o-mini'): Call {
  const record = { operation: 'chat', requestModel: model, responseModel: undefined, inputTokens: undefined, outputTokens: undefined, notes: [] as string[] };
  return { record, pending: { request, outputParts: output === '' ? [] : [output] } } as unknown as Call;
}

/** A counter that remembers what it was given. */
function spyCounter(count: CountTokens = o200k) {
  const spy = {
    calls: 0,
    chars: 0,
    largestBytes: 0,
    count: (text: string) => {
      spy.calls++;
      spy.chars += text.length;
      spy.largestBytes = Math.max(spy.largestBytes, Buffer.byteLength(text));
      return count(text);
    },
  };
  return spy;
}

async function estimate(calls: Call[], options: EstimatorOptions = {}): Promise<Call[]> {
  const published: Call[] = [];
  const estimator = new Estimator((call) => published.push(call), (_, error) => { throw error; }, { loadCounter: async (encoding) => (encoding === 'cl100k_base' ? cl100k : o200k), ...options });
  for (const call of calls) estimator.enqueue(call);
  await estimator.flush();
  return published;
}

const inputOf = (call: Call) => (call.record as CallRecord).inputTokens!.count;

describe('counting text in pieces', () => {
  it('cuts ordinary text only where the tokenizer would, so English, code, JSON and other scripts count exactly as whole', () => {
    for (const seed of [1, 2, 3]) {
      const text = ordinaryText(60_000, seed);
      const pieces = piecesOf(text);
      expect(pieces.join('')).toBe(text);
      expect(pieces.length).toBeGreaterThan(150);
      for (const count of [o200k, cl100k]) expect(pieces.reduce((sum, p) => sum + count(p), 0)).toBe(count(text));
    }
  });

  it('cuts only where both encodings start a new pre-token (3,000 random strings of awkward characters)', () => {
    const alphabet = [' ', '  ', '\t', '\n', '\r\n', "'", "'s", "'LL", 'a', 'B', 'cd', 'Ef', 'GH', '1', '23', '4567', '.', ',', '!?', '/', '"', '{', '}', 'é', 'É', '\u0301', '\u00a0', '\u3000', '中', '😀', '𝐀', '٣', 'ß', 'ǅ', 'ʰ', '<|endoftext|>', '\u200b', '-', '_'];
    const r = rng(9);
    const wrong: string[] = [];
    let cuts = 0;
    for (let n = 0; n < 3000; n++) {
      let text = '';
      for (let k = 2 + Math.floor(r() * 10); k > 0; k--) text += alphabet[Math.floor(r() * alphabet.length)];
      for (let i = 1; i < text.length; i++) {
        if (!isExactCut(text, i)) continue;
        cuts++;
        for (const count of [o200k, cl100k]) if (count(text.slice(0, i)) + count(text.slice(i)) !== count(text)) wrong.push(JSON.stringify([text.slice(0, i), text.slice(i)]));
      }
    }
    expect(cuts).toBeGreaterThan(3000);
    expect(wrong).toEqual([]);
  });

  it(`hands the tokenizer no piece over ${MAX_PIECE_BYTES} bytes of UTF-8, and never half a surrogate pair, whatever the text`, async () => {
    const r = rng(4);
    const randomBytes = Buffer.from(Array.from({ length: 60_000 }, () => Math.floor(r() * 256))).toString('utf8');
    const emoji = Array.from({ length: 30_000 }, () => String.fromCodePoint(0x1f300 + Math.floor(r() * 0x300))).join('');
    const loneSurrogates = Array.from({ length: 20_000 }, () => String.fromCharCode(0xd800 + Math.floor(r() * 0x800))).join('');
    for (const text of ['a'.repeat(200_000), ' '.repeat(50_000), '中'.repeat(50_000), '😀'.repeat(25_000), randomBytes, emoji, loneSurrogates, ordinaryText(50_000)]) {
      const pieces = piecesOf(text);
      expect(pieces.join('')).toBe(text);
      for (const piece of pieces) {
        expect(Buffer.byteLength(piece)).toBeLessThanOrEqual(MAX_PIECE_BYTES);
        const first = piece.charCodeAt(0);
        if (first >= 0xdc00 && first <= 0xdfff) expect(text === loneSurrogates).toBe(true);
      }
      const spy = spyCounter();
      await countText(spy.count, text, neverPause);
      expect(spy.largestBytes).toBeLessThanOrEqual(MAX_PIECE_BYTES);
      expect(spy.calls).toBe(pieces.length);
    }
  });

  it('counts a run of one character within 1% of its true count', async () => {
    for (const unit of ['a', ' ', '\n', '0', '=', '-', 'é', '中', '😀', 'ab']) {
      const text = unit.repeat(Math.floor(6000 / unit.length));
      const { tokens } = await countText(o200k, text, neverPause);
      expect(Math.abs(tokens - o200k(text))).toBeLessThanOrEqual(Math.max(1, o200k(text) * 0.01));
    }
    // Too slow to count whole (tens of seconds), but its true count is known: a run of `a` is one token per 8.
    for (const n of [8_000, 16_000, 24_000]) expect(o200k('a'.repeat(n))).toBe(n / 8);
    const { tokens } = await countText(o200k, 'a'.repeat(200_000), neverPause);
    expect(Math.abs(tokens - 25_000)).toBeLessThanOrEqual(250);
  });

  it('counts a text past MAX_COUNTED_CHARS by its prefix and scales it, within 1%, noted on the record', async () => {
    const text = ordinaryText(Math.floor(MAX_COUNTED_CHARS * 1.5), 5);
    const spy = spyCounter();
    const counted = await countText(spy.count, text, neverPause);
    expect(counted.extrapolated).toBe(true);
    expect(spy.chars).toBeLessThanOrEqual(MAX_COUNTED_CHARS + MAX_PIECE_BYTES);
    expect(Math.abs(counted.tokens - o200k(text)) / o200k(text)).toBeLessThan(0.01);

    const [call] = await estimate([fakeCall({ messages: [{ role: 'user', content: 'hi' }] }, text)]);
    expect(call.record.outputTokens).toEqual({ count: counted.tokens, source: 'estimated' });
    expect(call.record.notes).toEqual(['estimate_extrapolated']);
    const [small] = await estimate([fakeCall({ messages: [{ role: 'user', content: 'hi' }] }, 'Hello.')]);
    expect(small.record.notes).toEqual([]);
  }, 60_000);
});

describe('the estimator', () => {
  it('lets other callbacks run between pieces (setImmediate) and publishes only when everything is counted', async () => {
    // A fake clock: each tokenizer call "takes" 3 ms, so 8 ms of work is 3 calls, then a turn for the rest.
    let clock = 0;
    const spy = spyCounter((text) => {
      clock += 3;
      return o200k(text);
    });
    const published: Call[] = [];
    const estimator = new Estimator((call) => published.push(call), () => {}, { loadCounter: async () => spy.count, now: () => clock });
    const text = 'a'.repeat(MAX_PIECE_BYTES * 40);
    estimator.enqueue(fakeCall({ messages: [{ role: 'user', content: text }] }, text));

    const callsAtEachTurn: number[] = [];
    let turning = true;
    const turn = () => {
      callsAtEachTurn.push(spy.calls);
      if (turning) setImmediate(turn);
    };
    setImmediate(turn);
    await estimator.flush();
    turning = false;

    expect(spy.calls).toBe(80);
    expect(published).toHaveLength(1);
    expect(published[0].record.inputTokens).toEqual({ count: 40 * (MAX_PIECE_BYTES / 8) + 3 + 3, source: 'estimated' });
    // Another callback ran between every few pieces: never more than 3 calls (9 ms) in one turn.
    const steps = callsAtEachTurn.slice(1).map((calls, i) => calls - callsAtEachTurn[i]);
    expect(Math.max(...steps)).toBeLessThanOrEqual(3);
    expect(callsAtEachTurn.filter((calls) => calls > 0 && calls < 80).length).toBeGreaterThanOrEqual(20);
  });

  it('publishes every queued record, in order, after its counts are in, when flush() resolves', async () => {
    const texts = ['x'.repeat(30_000), ordinaryText(30_000), 'Hello.'];
    const calls = texts.map((t) => fakeCall({ messages: [{ role: 'user', content: t }] }, t));
    const published = await estimate(calls);
    expect(published).toEqual(calls);
    for (const [i, call] of published.entries()) {
      expect(call.record.outputTokens!.source).toBe('estimated');
      expect(Math.abs(call.record.outputTokens!.count - o200k(texts[i]))).toBeLessThanOrEqual(Math.max(1, o200k(texts[i]) * 0.01));
    }
  });
});

// The cookbook's example ("How to count tokens with tiktoken", section 7), for which it reports the
// API's prompt_tokens: 101 for gpt-4o and gpt-4o-mini, 105 for gpt-3.5-turbo and gpt-4.
const weather = {
  name: 'get_current_weather',
  description: 'Get the current weather in a given location',
  parameters: {
    type: 'object',
    properties: {
      location: { type: 'string', description: 'The city and state, e.g. San Francisco, CA' },
      unit: { type: 'string', description: 'The unit of temperature to return', enum: ['celsius', 'fahrenheit'] },
    },
    required: ['location'],
  },
};
const weatherMessages = [
  { role: 'system', content: 'You are a helpful assistant that can answer to questions about the weather.' },
  { role: 'user', content: "What's the weather like in San Francisco?" },
];

/** The tool's tokens by the cookbook's rule, counted here string by string. */
function weatherToolTokens(count: CountTokens, functionStart: number): number {
  return (
    functionStart +
    count('get_current_weather:Get the current weather in a given location') +
    3 + // properties
    (3 + count('location:string:The city and state, e.g. San Francisco, CA')) +
    (3 - 3 + (3 + count('celsius')) + (3 + count('fahrenheit')) + count('unit:string:The unit of temperature to return')) +
    12 // end of the list
  );
}

/** The two messages' text, joined as the estimator joins it, with 3 tokens a message and 3 for the reply. */
const messagesTokens = (count: CountTokens) => count(weatherMessages.map((m) => m.content).join('\n')) + 2 * 3 + 3;

describe('the prompt estimate', () => {
  it("adds an OpenAI chat tool definition as OpenAI's cookbook counts it, close to the API's own count", async () => {
    const [withTools, withoutTools] = await estimate([
      fakeCall({ model: 'gpt-4o', messages: weatherMessages, tools: [{ type: 'function', function: weather }] }, '', 'gpt-4o'),
      fakeCall({ model: 'gpt-4o', messages: weatherMessages }, '', 'gpt-4o'),
    ]);
    expect(inputOf(withoutTools)).toBe(messagesTokens(o200k));
    expect(inputOf(withTools)).toBe(messagesTokens(o200k) + weatherToolTokens(o200k, 7));
    // The API said 101. The cookbook also counts each message's role ("system", "user": a token each),
    // which the estimate leaves out; with them it is the API's figure exactly.
    expect(inputOf(withTools) + o200k('system') + o200k('user')).toBe(101);

    const [gpt4] = await estimate([fakeCall({ model: 'gpt-4', messages: weatherMessages, tools: [{ type: 'function', function: weather }] }, '', 'gpt-4')]);
    expect(inputOf(gpt4)).toBe(messagesTokens(cl100k) + weatherToolTokens(cl100k, 10));
    expect(inputOf(gpt4) + cl100k('system') + cl100k('user')).toBe(105);
  });

  it('counts legacy functions and Responses API function tools the same way', async () => {
    const [functions, responses] = await estimate([
      fakeCall({ messages: weatherMessages, functions: [weather] }),
      fakeCall({ input: "What's the weather like in San Francisco?", tools: [{ type: 'function', strict: true, ...weather }] }),
    ]);
    expect(inputOf(functions)).toBe(messagesTokens(o200k) + weatherToolTokens(o200k, 7));
    expect(inputOf(responses)).toBe(o200k("What's the weather like in San Francisco?") + weatherToolTokens(o200k, 7));
  });

  it('adds a large schema (nested objects, arrays of objects) by the same rule, property by property', async () => {
    const properties: Record<string, unknown> = {};
    for (let i = 0; i < 24; i++) {
      properties[`field_${i}`] =
        i % 3 === 0
          ? { type: 'string', description: `The ${WORDS[i % WORDS.length]} of the request, as the customer wrote it.`, enum: ['low', 'medium', 'high'] }
          : i % 3 === 1
            ? { type: 'array', description: `Items for ${WORDS[i % WORDS.length]}`, items: { type: 'object', properties: { id: { type: 'integer', description: 'Identifier' }, label: { type: 'string' } } } }
            : { type: 'object', description: `Settings of ${WORDS[i % WORDS.length]}`, properties: { enabled: { type: 'boolean', description: 'On or off.' } } };
    }
    const tool = { type: 'function', function: { name: 'file_report', description: 'File a report.', parameters: { type: 'object', properties } } };
    const [withTool, without] = await estimate([fakeCall({ messages: weatherMessages, tools: [tool] }), fakeCall({ messages: weatherMessages })]);

    let expected = 7 + o200k('file_report:File a report') + 3 + 12;
    for (let i = 0; i < 24; i++) {
      const word = WORDS[i % WORDS.length];
      if (i % 3 === 0) expected += 3 + o200k(`field_${i}:string:The ${word} of the request, as the customer wrote it`) - 3 + 3 * 3 + o200k('low') + o200k('medium') + o200k('high');
      else if (i % 3 === 1) expected += 3 + o200k(`field_${i}:array:Items for ${word}`) + 3 + (3 + o200k('id:integer:Identifier')) + (3 + o200k('label:string:'));
      else expected += 3 + o200k(`field_${i}:object:Settings of ${word}`) + 3 + (3 + o200k('enabled:boolean:On or off'));
    }
    expect(inputOf(withTool) - inputOf(without)).toBe(expected);
    expect(expected).toBeGreaterThan(500);
  });

  it("counts Anthropic tools (name, description, input schema) as JSON, and system blocks as a message", async () => {
    const anthropicTool = { name: weather.name, description: weather.description, input_schema: weather.parameters, cache_control: { type: 'ephemeral' } };
    const [withTools, withoutTools] = await estimate([
      fakeCall({ system: [{ type: 'text', text: 'Be kind.' }], messages: [{ role: 'user', content: 'Hi' }], tools: [anthropicTool, { type: 'web_search_20250305', name: 'web_search' }] }, '', 'claude-sonnet-4-5'),
      fakeCall({ system: [{ type: 'text', text: 'Be kind.' }], messages: [{ role: 'user', content: 'Hi' }] }, '', 'claude-sonnet-4-5'),
    ]);
    expect(inputOf(withoutTools)).toBe(o200k('Hi\nBe kind.') + 2 * 3 + 3);
    expect(inputOf(withTools) - inputOf(withoutTools)).toBe(
      o200k(JSON.stringify({ name: weather.name, description: weather.description, input_schema: weather.parameters })) + o200k('{"type":"web_search_20250305","name":"web_search"}'),
    );
  });

  it("counts a message's name (its tokens plus 1), tool calls and tool results", () => {
    const prompt = promptOf({
      messages: [
        { role: 'user', name: 'ada', content: 'Find bob' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'find', input: { who: 'bob' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: [{ type: 'text', text: 'gone' }] }] },
      ],
    });
    expect(prompt).toEqual({ texts: ['Find bob\nada\n{"who":"bob"}\ngone'], overhead: 1 + 3 * 3 + 3 });
  });
});

describe('through the real OpenAI SDK over HTTP', () => {
  let server: OpenAITestServer;
  let monitor: Monitor | undefined;
  beforeAll(async () => {
    server = await startOpenAIServer();
  });
  afterAll(async () => {
    await monitor?.shutdown();
    await server.close();
  });

  it('includes the tool definitions in the estimated input of a call without usage', async () => {
    monitor = createMonitor();
    const rec = recorder(monitor);
    const openai = monitor.wrap(new OpenAI({ apiKey: 'k', baseURL: server.url, maxRetries: 0 }));
    server.enqueue({ body: chatCompletion({ model: 'gpt-4o', usage: null }) });
    await openai.chat.completions.create({ model: 'gpt-4o', messages: weatherMessages as any, tools: [{ type: 'function', function: weather }] });
    const [r] = await rec.waitFor(1);
    expect(r.inputTokens).toEqual({ count: messagesTokens(o200k) + weatherToolTokens(o200k, 7), source: 'estimated' });
  });
});
