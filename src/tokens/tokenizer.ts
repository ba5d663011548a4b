/**
 * The fallback token counter: a real BPE tokenizer (gpt-tokenizer), loaded on first need only, so an
 * app whose provider always reports usage never pays its import cost or memory. Why gpt-tokenizer
 * over js-tiktoken: see BENCHMARKS.md ("Tokenizer").
 *
 * Counts are estimates for any model that does not use the OpenAI encodings (Llama, Claude, ...), and
 * are always marked `estimated` on the record.
 *
 * A text is never handed to the tokenizer whole: BPE merging is quadratic in the length of one
 * pre-token, and a run of one character is one pre-token (50,000 `a` take seconds). Text is counted in
 * pieces of at most MAX_PIECE_BYTES, cut where the tokenizer's own pre-tokenizer would cut, so ordinary
 * text counts exactly as it would whole; only a stretch of MAX_PIECE_BYTES with no such place (a run of
 * one character, a blob without spaces) is cut anywhere, off by about a token per cut. The caller is
 * given a turn between pieces (`pause`), so it can let the event loop run.
 */

export type CountTokens = (text: string) => number;

/**
 * The most UTF-8 bytes one tokenizer call receives (so at most as many UTF-16 units). BPE merging in
 * gpt-tokenizer 4 is quadratic in the bytes of one pre-token: 384 bytes take well under 1 ms once V8
 * has compiled the merge loop, and about 5 ms the first time, while it is still interpreted (1,152
 * bytes took 50 ms then). 384 is a multiple of 3 and of 128: the tokens of a run of `a`, digits,
 * spaces, newlines or `=` are 3, 8, 16, 32, 64 or 128 characters long in both encodings, so such a run
 * that begins a piece is cut between two of its tokens and loses nothing.
 */
export const MAX_PIECE_BYTES = 384;

/**
 * Past this many UTF-16 units (about 250,000 tokens of English) a text is not counted in full: its
 * first MAX_COUNTED_CHARS are, and the count is scaled by the text's length (the record is noted
 * `estimate_extrapolated`). Bounds the work one call can cost, whatever its size.
 */
export const MAX_COUNTED_CHARS = 1_048_576;

/** The encoding a model family uses: o200k_base for gpt-4o and later, cl100k_base for gpt-4 / 3.5. */
export function encodingFor(model: string | undefined): 'o200k_base' | 'cl100k_base' {
  if (model !== undefined && /^(gpt-4(?!o|\.1|\.5)|gpt-3\.5|text-embedding-(ada|3))/.test(model)) return 'cl100k_base';
  return 'o200k_base';
}

const loaded = new Map<string, Promise<CountTokens>>();

/** Load an encoding's counter (once per encoding). */
export function loadCounter(encoding: 'o200k_base' | 'cl100k_base'): Promise<CountTokens> {
  let counter = loaded.get(encoding);
  if (counter === undefined) {
    counter = (
      encoding === 'cl100k_base' ? import('gpt-tokenizer/encoding/cl100k_base') : import('gpt-tokenizer/encoding/o200k_base')
    ).then(async (m: any) => {
      const countTokens = m.countTokens ?? m.default?.countTokens;
      // App text may contain special-token spellings such as `<|endoftext|>`: count them as text, never throw.
      const asText = { disallowedSpecial: new Set<string>() };
      const count = (text: string) => countTokens(text, asText) as number;
      for (const text of warmUpTexts()) {
        count(text);
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      return count;
    });
    // A failed load may be retried later.
    counter.catch(() => loaded.delete(encoding));
    loaded.set(encoding, counter);
  }
  return counter;
}

/**
 * Texts counted once when an encoding loads, one per turn of the event loop. The first pieces a fresh
 * process counts run the tokenizer's code before V8 has compiled it, and a first text past Latin-1
 * compiles the pre-tokenizer's Unicode regex anew: 15–50 ms for one 384-byte piece of emoji or CJK
 * here, against under 1 ms once warm. Long pre-tokens of 1-, 2-, 3- and 4-byte characters, each
 * different (the tokenizer caches what it has merged), take that cost now, in slices of a few ms.
 */
function warmUpTexts(): string[] {
  const texts = ['Warm up: naïve 中文 😀 123'];
  for (let round = 0; round < 8; round++) {
    const of = (length: number, char: (i: number) => string) => Array.from({ length }, (_, i) => char(i)).join('');
    texts.push(
      of(384, (i) => String.fromCharCode(97 + ((i * 7 + round * 13) % 26))),
      of(192, (i) => String.fromCharCode(0xe0 + ((i * 5 + round) % 30))),
      of(128, (i) => String.fromCharCode(0x4e00 + ((i * 31 + round * 101) % 20000))),
      of(96, (i) => String.fromCodePoint(0x1f300 + ((i * 17 + round * 7) % 0x300))),
    );
  }
  return texts;
}

// ---------------------------------------------------------------------------------------------------
// Pieces

/** True for the characters JavaScript's `\s` matches (what the pre-tokenizer's `\s` means). */
function isSpace(c: number): boolean {
  if (c < 128) return c === 32 || (c >= 9 && c <= 13);
  return (
    c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 ||
    c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff
  );
}

const LETTER_OR_NUMBER = /^[\p{L}\p{N}]$/u;
const LETTER_NUMBER_OR_MARK = /^[\p{L}\p{N}\p{M}]$/u;

function isAsciiLetterOrDigit(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/**
 * True when the cl100k_base and o200k_base pre-tokenizers both start a new pre-token at `i`, so
 * counting text[..i) and text[i..) apart gives the count of the whole:
 * - before a space that follows a non-space: no pattern lets a space follow a non-space inside one
 *   pre-token (a space only ever leads one: " word", " !");
 * - after a letter or digit, before a character that is none of letter, digit, mark or apostrophe: a
 *   run of letters ends there (only a mark or a contraction such as 's can extend it), and so does a
 *   run of digits.
 * Never between the two halves of a surrogate pair.
 */
export function isExactCut(text: string, i: number): boolean {
  const next = text.charCodeAt(i);
  const prev = text.charCodeAt(i - 1);
  if (next === 32) return !isSpace(prev);
  if (next === 39 /* ' */ || (next >= 0xdc00 && next <= 0xdfff)) return false;
  const prevIsWord = prev < 128 ? isAsciiLetterOrDigit(prev) : prev < 0xd800 || prev > 0xdfff ? LETTER_OR_NUMBER.test(String.fromCharCode(prev)) : false;
  if (!prevIsWord) return false;
  if (next < 128) return !isAsciiLetterOrDigit(next);
  return !LETTER_NUMBER_OR_MARK.test(String.fromCodePoint(text.codePointAt(i)!));
}

/**
 * Where the piece of `text` that starts at `start` ends: the last exact cut within the first
 * `maxBytes` of UTF-8 (the window), else the window's end (a cut that may split a pre-token), never
 * inside a surrogate pair. Scanning back from the window's end keeps the work linear: when the last
 * exact cut comes early, the next piece reaches past this window.
 */
export function pieceEnd(text: string, start: number, maxBytes = MAX_PIECE_BYTES): number {
  let end = start;
  let bytes = 0;
  while (end < text.length) {
    const c = text.charCodeAt(end);
    let units = 1;
    let size = c < 0x80 ? 1 : c < 0x800 ? 2 : 3; // a lone surrogate is written as U+FFFD, 3 bytes
    if (c >= 0xd800 && c <= 0xdbff) {
      const low = text.charCodeAt(end + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        units = 2;
        size = 4;
      }
    }
    if (bytes + size > maxBytes) break;
    bytes += size;
    end += units;
  }
  if (end >= text.length) return text.length;
  for (let i = end; i > start; i--) if (isExactCut(text, i)) return i;
  return end;
}

/** Called between pieces; a promise to wait on when the caller wants the event loop to run first. */
export type Pause = () => Promise<void> | undefined;

export interface TextCount {
  tokens: number;
  /** Only the first MAX_COUNTED_CHARS were counted and the count scaled to the whole text. */
  extrapolated: boolean;
}

/** Count `text` piece by piece (see the top of this file), pausing when `pause` asks to. */
export async function countText(count: CountTokens, text: string, pause: Pause): Promise<TextCount> {
  let tokens = 0;
  let start = 0;
  const stopAt = Math.min(text.length, MAX_COUNTED_CHARS);
  while (start < stopAt) {
    const end = pieceEnd(text, start);
    tokens += count(start === 0 && end === text.length ? text : text.slice(start, end));
    start = end;
    const wait = pause();
    if (wait !== undefined) await wait;
  }
  if (start >= text.length) return { tokens, extrapolated: false };
  return { tokens: Math.round((tokens * text.length) / start), extrapolated: true };
}

// ---------------------------------------------------------------------------------------------------
// Prompts

/** Per-message overhead of the chat format: OpenAI's documented 3 tokens a message plus 3 to prime the reply. */
const TOKENS_PER_MESSAGE = 3;
const TOKENS_PER_REPLY = 3;
/** A message's `name` costs its own tokens plus 1 (same source). */
const TOKENS_PER_NAME = 1;

/**
 * What function (tool) definitions cost, from OpenAI's cookbook "How to count tokens with tiktoken",
 * section "Counting tokens for chat completions with tool calls" (`num_tokens_for_tools`, checked there
 * against the API's prompt_tokens): per function 7 tokens (10 for gpt-3.5 / gpt-4) plus "name:description";
 * 3 when it has properties; per property 3 plus "name:type:description"; a property with an enum -3,
 * and per enum value 3 plus the value; 12 at the end of the list.
 */
const FUNCTION_START = { o200k_base: 7, cl100k_base: 10 } as const;
const PROPERTIES_START = 3;
const PROPERTY_START = 3;
const ENUM_START = -3;
const ENUM_ITEM = 3;
const FUNCTIONS_END = 12;

/** What a request body's prompt holds: texts to count (each apart) and tokens added without text. */
export interface Prompt {
  texts: string[];
  overhead: number;
}

/**
 * The prompt of a request body: the text of the messages, prompt or input (one text, joined by
 * newlines), each message's documented overhead, and the tool or function definitions.
 */
export function promptOf(request: any, encoding: 'o200k_base' | 'cl100k_base' = 'o200k_base'): Prompt {
  if (request === null || typeof request !== 'object') return { texts: [], overhead: 0 };
  const parts: string[] = [];
  const texts: string[] = [];
  let messages = 0;
  let overhead = 0;
  const addContent = (content: unknown): void => {
    if (typeof content === 'string') parts.push(content);
    else if (Array.isArray(content)) {
      for (const part of content) {
        if (typeof part === 'string') parts.push(part);
        else if (typeof part?.text === 'string') parts.push(part.text);
        // Anthropic tool use and tool results in a conversation.
        else if (part?.type === 'tool_use' && part.input !== undefined) parts.push(jsonOf(part.input));
        else if (part?.type === 'tool_result') addContent(part.content);
      }
    }
  };
  if (Array.isArray(request.messages)) {
    for (const m of request.messages) {
      messages++;
      addContent(m?.content);
      if (typeof m?.name === 'string') {
        parts.push(m.name);
        overhead += TOKENS_PER_NAME;
      }
      if (Array.isArray(m?.tool_calls)) for (const t of m.tool_calls) addContent(t?.function?.arguments);
      addContent(m?.function_call?.arguments);
    }
  }
  if (typeof request.system === 'string') {
    messages++;
    parts.push(request.system);
  } else if (Array.isArray(request.system)) {
    messages++;
    addContent(request.system);
  }
  if (typeof request.instructions === 'string') parts.push(request.instructions);
  const input = request.input ?? request.prompt;
  if (typeof input === 'string') parts.push(input);
  else if (Array.isArray(input)) {
    for (const item of input) {
      if (typeof item === 'string') parts.push(item);
      else if (typeof item === 'number') overhead++; // embeddings input given as token ids
      else if (Array.isArray(item)) overhead += item.length;
      else if (item && typeof item === 'object') {
        messages++;
        addContent(item.content);
        // Responses API function calls and their outputs.
        addContent(item.arguments);
        addContent(item.output);
      }
    }
  }
  if (parts.length > 0) texts.push(parts.join('\n'));
  if (messages > 0) overhead += messages * TOKENS_PER_MESSAGE + TOKENS_PER_REPLY;

  const functions: any[] = [];
  const tools = Array.isArray(request.tools) ? request.tools : [];
  for (const tool of tools) {
    if (tool === null || typeof tool !== 'object') continue;
    if (tool.function !== null && typeof tool.function === 'object') functions.push(tool.function); // chat completions
    else if (tool.type === 'function' && typeof tool.name === 'string') functions.push(tool); // Responses API
    else if (tool.input_schema !== undefined) texts.push(jsonOf({ name: tool.name, description: tool.description, input_schema: tool.input_schema })); // Anthropic
    else texts.push(jsonOf(tool)); // any other kind: its definition as JSON
  }
  if (Array.isArray(request.functions)) for (const f of request.functions) if (f !== null && typeof f === 'object') functions.push(f);
  if (functions.length > 0) {
    overhead += FUNCTIONS_END;
    for (const f of functions) overhead += addFunction(f, texts, FUNCTION_START[encoding]);
  }
  return { texts, overhead };
}

/** One function definition's texts (pushed to `texts`) and the tokens it adds without text (returned). */
function addFunction(f: any, texts: string[], functionStart: number): number {
  texts.push(`${stringOf(f.name)}:${withoutFinalPeriod(stringOf(f.description))}`);
  return functionStart + addProperties(f.parameters, texts);
}

/**
 * The cookbook counts the top-level properties only; a nested object's (or an array's items')
 * properties are counted here by the same rule, as the model reads them too.
 */
function addProperties(schema: any, texts: string[]): number {
  const properties = schema?.properties;
  if (properties === null || typeof properties !== 'object') return 0;
  const names = Object.keys(properties);
  if (names.length === 0) return 0;
  let overhead = PROPERTIES_START;
  for (const name of names) {
    const property = properties[name];
    overhead += PROPERTY_START;
    if (Array.isArray(property?.enum)) {
      overhead += ENUM_START;
      for (const item of property.enum) {
        overhead += ENUM_ITEM;
        texts.push(typeof item === 'string' ? item : jsonOf(item));
      }
    }
    const type = typeof property?.type === 'string' ? property.type : property?.type === undefined ? '' : jsonOf(property.type);
    texts.push(`${name}:${type}:${withoutFinalPeriod(stringOf(property?.description))}`);
    overhead += addProperties(property, texts) + addProperties(property?.items, texts);
  }
  return overhead;
}

function stringOf(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function withoutFinalPeriod(text: string): string {
  return text.endsWith('.') ? text.slice(0, -1) : text;
}

function jsonOf(value: unknown): string {
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return ''; // a cycle or a BigInt: not text the monitor can count
  }
}
