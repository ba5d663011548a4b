/**
 * The one OpenTelemetry SDK set-up every OTel variant shares: a BasicTracerProvider with a
 * SimpleSpanProcessor (each span exported as it ends) into a no-op exporter that only counts, and the
 * AsyncLocalStorage context manager, both registered globally as an app's tracing set-up would.
 * No MeterProvider or LoggerProvider is registered, for any variant.
 */
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';

export function otelSdk() {
  let spans = 0;
  let first;
  const exporter = {
    export(batch, done) {
      spans += batch.length;
      first ??= batch[0];
      done({ code: 0 });
    },
    shutdown: async () => {},
    forceFlush: async () => {},
  };
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
  return {
    provider,
    spans: () => spans,
    settle: () => provider.forceFlush(),
    close: () => provider.shutdown(),
    describe: () => (first ? `first span "${first.name}", ${Object.keys(first.attributes).length} attributes (${Object.keys(first.attributes).slice(0, 4).join(', ')}, …)` : 'no span'),
  };
}
