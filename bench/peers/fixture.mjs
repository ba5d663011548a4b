/**
 * The one request every variant sends and the replies the in-process `fetch` gives back, shaped like
 * the real Chat Completions API's: a JSON completion, and an SSE stream of 20 content chunks (the
 * first also announcing the role), a finish chunk and a usage chunk (the app asks for it with
 * `stream_options.include_usage`), then `data: [DONE]`: 22 chunks for the app.
 *
 * `fetch` never touches the network: on the event loop's next turn (as a network reply comes in an I/O
 * callback, so deferred work runs between calls) it returns a ready `Response` (the JSON text, or a
 * `ReadableStream` that holds one piece per SSE event, all enqueued at once, as if each event had
 * arrived in its own network read). `expected` is what the SDK must hand the app for each mode: the
 * parsed completion, or the list of parsed chunks; every variant's results are compared with it, and
 * the `bare` variant proves it is what the unwrapped SDK returns.
 */

const created = 1733540000;
const id = 'chatcmpl-bench0000000000000000000001';
const model = 'gpt-4o-mini-2024-07-18';
const fingerprint = 'fp_bench0001';
const words = Array.from({ length: 20 }, (_, i) => (i === 0 ? 'Two' : ` w${i}`));
const usage = {
  prompt_tokens: 24,
  completion_tokens: 20,
  total_tokens: 44,
  prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
  completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
};

const messages = [
  { role: 'system', content: 'You answer in one short sentence.' },
  { role: 'user', content: 'Name the first three prime numbers.' },
];
export const requests = {
  json: { model: 'gpt-4o-mini', messages, temperature: 0.2, max_tokens: 64 },
  stream: { model: 'gpt-4o-mini', messages, temperature: 0.2, max_tokens: 64, stream: true, stream_options: { include_usage: true } },
};

const completion = {
  id,
  object: 'chat.completion',
  created,
  model,
  choices: [
    {
      index: 0,
      message: { role: 'assistant', content: words.join(''), refusal: null, annotations: [] },
      logprobs: null,
      finish_reason: 'stop',
    },
  ],
  usage,
  service_tier: 'default',
  system_fingerprint: fingerprint,
};

const chunk = (choices, chunkUsage = null) => ({
  id,
  object: 'chat.completion.chunk',
  created,
  model,
  service_tier: 'default',
  system_fingerprint: fingerprint,
  choices,
  usage: chunkUsage,
});
const chunks = [
  ...words.map((content, i) =>
    chunk([{ index: 0, delta: i === 0 ? { role: 'assistant', content, refusal: null } : { content }, logprobs: null, finish_reason: null }]),
  ),
  chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }]),
  chunk([], usage),
];

const jsonText = JSON.stringify(completion);
const encoder = new TextEncoder();
const ssePieces = [...chunks.map((c) => `data: ${JSON.stringify(c)}\n\n`), 'data: [DONE]\n\n'].map((s) => encoder.encode(s));

export const expected = { json: JSON.parse(jsonText), stream: chunks.map((c) => JSON.parse(JSON.stringify(c))) };
export const streamedChunks = chunks.length;

const jsonHeaders = { 'content-type': 'application/json', 'x-request-id': 'req_bench0001', 'openai-processing-ms': '312' };
const sseHeaders = { 'content-type': 'text/event-stream; charset=utf-8', 'x-request-id': 'req_bench0001', 'openai-processing-ms': '95' };

/** The client's `fetch` option for one mode: each call gets a fresh, ready `Response`. */
export function fetchFor(mode) {
  let requestsSeen = 0;
  const replies =
    mode === 'json'
      ? () => new Response(jsonText, { status: 200, headers: jsonHeaders })
      : () =>
          new Response(
            new ReadableStream({
              start(controller) {
                for (const piece of ssePieces) controller.enqueue(piece);
                controller.close();
              },
            }),
            { status: 200, headers: sseHeaders },
          );
  const fetch = async (url) => {
    requestsSeen++;
    if (!String(url).endsWith('/chat/completions')) throw new Error(`bench fetch: unexpected URL ${url}`);
    // The reply comes on a later turn of the event loop, as a network reply does (an I/O callback):
    // work an instrumentation defers off the app's path (setImmediate) runs between calls, as in an
    // app, instead of piling up until the window ends. The same turn for every variant.
    await new Promise((resolve) => setImmediate(resolve));
    return replies();
  };
  return { fetch, requestsSeen: () => requestsSeen };
}
