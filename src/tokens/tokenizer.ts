/**
 * The fallback token counter: a real BPE tokenizer (gpt-tokenizer), loaded on first need only, so an
 * app whose provider always reports usage never pays its import cost or memory. Why gpt-tokenizer
 * over js-tiktoken: see BENCHMARKS.md ("Tokenizer").
 *
 * Counts are estimates for any model that does not use the OpenAI encodings (Llama, Claude, ...), and
 * are always marked `estimated` on the record.
 */

type CountTokens = (text: string) => number;

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
    ).then((m: any) => {
      const countTokens = m.countTokens ?? m.default?.countTokens;
      // App text may contain special-token spellings such as `<|endoftext|>`: count them as text, never throw.
      const asText = { disallowedSpecial: new Set<string>() };
      return (text: string) => countTokens(text, asText) as number;
    });
    // A failed load may be retried later.
    counter.catch(() => loaded.delete(encoding));
    loaded.set(encoding, counter);
  }
  return counter;
}

/** Per-message overhead of the chat format: OpenAI's documented 3 tokens a message plus 3 to prime the reply. */
const TOKENS_PER_MESSAGE = 3;
const TOKENS_PER_REPLY = 3;

/** The text parts of a request body (chat messages, prompt, input), for counting prompt tokens. */
export function promptTextOf(request: any): { text: string; messages: number } {
  if (request === null || typeof request !== 'object') return { text: '', messages: 0 };
  const parts: string[] = [];
  let messages = 0;
  const addContent = (content: unknown): void => {
    if (typeof content === 'string') parts.push(content);
    else if (Array.isArray(content)) {
      for (const part of content) {
        if (typeof part === 'string') parts.push(part);
        else if (typeof part?.text === 'string') parts.push(part.text);
      }
    }
  };
  if (Array.isArray(request.messages)) {
    for (const m of request.messages) {
      messages++;
      addContent(m?.content);
      if (Array.isArray(m?.tool_calls)) for (const t of m.tool_calls) addContent(t?.function?.arguments);
    }
  }
  if (typeof request.system === 'string') {
    messages++;
    parts.push(request.system);
  } else if (Array.isArray(request.system)) addContent(request.system);
  if (typeof request.instructions === 'string') parts.push(request.instructions);
  const input = request.input ?? request.prompt;
  if (typeof input === 'string') parts.push(input);
  else if (Array.isArray(input)) {
    for (const item of input) {
      if (typeof item === 'string') parts.push(item);
      else if (item && typeof item === 'object') {
        messages++;
        addContent(item.content);
      }
    }
  }
  return { text: parts.join('\n'), messages };
}

/** Count prompt tokens of a request body, with the chat format's per-message overhead. */
export function countPrompt(count: CountTokens, request: unknown): number {
  const { text, messages } = promptTextOf(request);
  const overhead = messages > 0 ? messages * TOKENS_PER_MESSAGE + TOKENS_PER_REPLY : 0;
  return (text === '' ? 0 : count(text)) + overhead;
}
