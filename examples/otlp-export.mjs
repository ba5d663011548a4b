/**
 * Export a span per LLM call over OTLP/HTTP (OpenTelemetry GenAI semantic conventions), to a
 * Collector, Jaeger, Tempo, Honeycomb, ... For an app without an OpenTelemetry SDK: `setupOtel`
 * registers a tracer provider; `createMonitor()` finds it.
 *
 *   npm install @opentelemetry/api @opentelemetry/sdk-trace-base @opentelemetry/resources \
 *     @opentelemetry/context-async-hooks @opentelemetry/exporter-trace-otlp-http
 *   OPENAI_API_KEY=sk-... OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318 node examples/otlp-export.mjs
 *
 * The exporter reads the standard OTEL_EXPORTER_OTLP_* variables (endpoint, headers). An app that
 * already runs the OpenTelemetry NodeSDK needs no setupOtel: the monitor uses its global providers.
 * No prompt or completion text is put on the spans unless you opt in.
 */
import OpenAI from 'openai';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { createMonitor } from 'llm-vitals';
import { setupOtel } from 'llm-vitals/otel';

const otel = setupOtel({ exporter: new OTLPTraceExporter(), serviceName: 'otlp-example' });
const monitor = createMonitor({ serviceName: 'otlp-example' });
const openai = monitor.wrap(new OpenAI());
const model = process.env.OPENAI_MODEL ?? 'gpt-4o-mini';

const completion = await openai.chat.completions.create({
  model,
  messages: [{ role: 'user', content: 'Name three colours.' }],
  temperature: 0.2,
});
console.log(completion.choices[0].message.content);

const stream = await openai.chat.completions.create({
  model,
  messages: [{ role: 'user', content: 'And three more, slowly.' }],
  stream: true,
});
for await (const chunk of stream) process.stdout.write(chunk.choices[0]?.delta?.content ?? '');
process.stdout.write('\n');

// The monitor first (the last spans end), then the exporter (queued spans are sent).
await monitor.shutdown();
await otel.shutdown();
console.log('spans exported');
