/**
 * Wrap the official OpenAI client in a script: every call is measured, and the client behaves
 * exactly as before.
 *
 *   OPENAI_API_KEY=sk-... node examples/openai-script.mjs
 *
 * OPENAI_BASE_URL points it at any OpenAI-compatible server (vLLM, Ollama, a proxy); OPENAI_MODEL
 * picks the model (default gpt-4o-mini).
 */
import OpenAI from 'openai';
import { createMonitor } from 'llm-vitals';

const monitor = createMonitor({ serviceName: 'openai-script' });
const openai = monitor.wrap(new OpenAI());
const model = process.env.OPENAI_MODEL ?? 'gpt-4o-mini';

// One record per call, whatever the provider: timings in ms, token counts with their source.
monitor.on('call', (call) => {
  const tokens = (t) => (t === undefined ? '?' : `${t.count} ${t.source}`);
  const firstChunk = call.timeToFirstChunk === undefined ? '' : `, first chunk after ${call.timeToFirstChunk.toFixed(0)} ms`;
  console.log(
    `[llm-vitals] ${call.operation} ${call.requestModel}${call.streaming ? ' (stream)' : ''}: ${call.outcome} in ` +
      `${call.duration.toFixed(0)} ms${firstChunk}; tokens in: ${tokens(call.inputTokens)}, out: ${tokens(call.outputTokens)}`,
  );
});

const completion = await openai.chat.completions.create({
  model,
  messages: [{ role: 'user', content: 'Say hello in five words.' }],
});
console.log(completion.choices[0].message.content);

// Streams are observed as they are read; the app still gets every chunk.
const stream = await openai.chat.completions.create({
  model,
  messages: [{ role: 'user', content: 'Count to five.' }],
  stream: true,
});
for await (const chunk of stream) process.stdout.write(chunk.choices[0]?.delta?.content ?? '');
process.stdout.write('\n');

// flush() waits until every call that has ended has reached the listeners, the snapshot and the
// metrics (here, the token counting for the stream, which reported no usage).
await monitor.flush();

const { calls, groups } = monitor.snapshot();
for (const g of groups) {
  console.log(
    `${g.provider} ${g.operation} ${g.model}: ${g.calls} calls, p50 ${g.latencyMs.p50?.toFixed(0)} ms, ` +
      `${g.tokens.input} input and ${g.tokens.output} output tokens (${g.tokens.estimated} estimated)`,
  );
}
console.log(`${calls} calls in total. The same figures in Prometheus form:`);
for (const line of (await monitor.metrics()).split('\n')) {
  if (line.startsWith('llm_vitals_calls_total') || line.startsWith('llm_vitals_tokens_total')) console.log(line);
}

await monitor.shutdown();
