/**
 * Shared pieces of the OpenTelemetry tests: an SDK tracer provider exporting to memory, and waits
 * that poll (spans end on the turn after a record is published) with a deadline, never a fixed sleep.
 */
import { hrTimeToMilliseconds } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan, type Sampler } from '@opentelemetry/sdk-trace-base';

export function memoryTracing(sampler?: Sampler) {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)], ...(sampler ? { sampler } : {}) });
  return { exporter, provider };
}

/** The spans the monitor made (its instrumentation scope), once at least `n` have ended. */
export async function waitForSpans(exporter: InMemorySpanExporter, n: number, ms = 3000): Promise<ReadableSpan[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const spans = exporter.getFinishedSpans().filter((s) => s.instrumentationScope.name === 'llm-vitals');
    if (spans.length >= n) return spans;
    if (Date.now() > deadline) throw new Error(`expected ${n} llm-vitals spans, got ${spans.length}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Let the deferred span and metric work run (two turns of the event loop, then a little more). */
export async function settle(ms = 30): Promise<void> {
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setTimeout(r, ms));
}

export const durationMs = (span: ReadableSpan) => hrTimeToMilliseconds(span.duration);
export const startMs = (span: ReadableSpan) => hrTimeToMilliseconds(span.startTime);
