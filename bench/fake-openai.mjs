/**
 * The in-memory fake `openai` client the benchmarks wrap: the same shape as the SDK's (a promise of a
 * completion, or of a Stream-like async iterable with an `iterator` field, which `tee()` and
 * `toReadableStream()` use in the real one), no network and no parsing, so what a benchmark measures
 * is the monitor's own cost on top of the cheapest possible client.
 */

/** A chat completion with usage, as the API answers a non-streamed call. */
export const COMPLETION = {
  id: 'chatcmpl-bench',
  object: 'chat.completion',
  created: 1,
  model: 'gpt-4o-mini-2024-07-18',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Hello there' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 },
};

/** `n` stream chunks of one token each; the last has the finish reason and usage (as with `include_usage`). */
export function streamChunks(n) {
  return Array.from({ length: n }, (_, i) => {
    const last = i === n - 1;
    return {
      id: 'chatcmpl-bench',
      object: 'chat.completion.chunk',
      created: 1,
      model: 'gpt-4o-mini-2024-07-18',
      choices: [{ index: 0, delta: { content: last ? '' : 'tok' }, finish_reason: last ? 'stop' : null }],
      ...(last ? { usage: { prompt_tokens: 12, completion_tokens: i, total_tokens: 12 + i } } : {}),
    };
  });
}

/** A Stream-like async iterable with an `iterator` field and a controller, as `openai` has. */
class FakeStream {
  constructor(chunks) {
    this.controller = new AbortController();
    this.iterator = async function* () {
      for (const c of chunks) yield c;
    };
  }
  [Symbol.asyncIterator]() {
    return this.iterator();
  }
}

/** A client with `chat.completions.create`: `completion` for a plain call, a stream of `chunks` for `stream: true`. */
export function fakeClient({ completion = COMPLETION, chunks = [] } = {}) {
  return {
    baseURL: 'https://api.openai.com/v1',
    chat: { completions: { create: (body) => Promise.resolve(body.stream ? new FakeStream(chunks) : completion) } },
  };
}
