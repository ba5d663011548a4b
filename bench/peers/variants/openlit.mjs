/**
 * OpenLIT (`openlit`) through `openlit.init()` with its defaults (message content captured), on the
 * shared SDK: its metrics and log events are turned off (`disableMetrics`, `disableEvents`: they need
 * an OTLP endpoint, and no other variant gets a meter or logger provider) and it is given an empty
 * price table (`pricingJson: {}`; by default it downloads one).
 *
 * openlit 1.15 reuses an app's SDK provider only when the global one has `addSpanProcessor`, a method
 * of the 1.x SDK that neither the 2.x BasicTracerProvider nor the API's global proxy has; otherwise it
 * builds its own NodeTracerProvider with a console exporter. So the proxy is given a stand-in
 * `addSpanProcessor` (never called), and openlit's instrumentations then use the shared provider
 * through the proxy. They patch openai through their require hook (it accepts openai >= 3.1).
 */
import { trace } from '@opentelemetry/api';
import { otelSdk } from './otel-sdk.mjs';
import { loadOpenAI } from '../sdk.mjs';

export const packages = ['openlit'];
export const openaiMajors = [7, 6];

export async function setup({ fetch, major }) {
  const sdk = otelSdk();
  Object.defineProperty(trace.getTracerProvider(), 'addSpanProcessor', {
    value() {
      throw new Error('bench: openlit was not expected to add a span processor');
    },
  });
  const imported = await import('openlit');
  const openlit = imported.default.default ?? imported.default; // CommonJS: module.exports.default
  openlit.init({ applicationName: 'bench', disableMetrics: true, disableEvents: true, pricingJson: {} });
  const { OpenAI, version } = loadOpenAI(major);
  return { client: new OpenAI({ apiKey: 'sk-bench', fetch }), version: `openai ${version}`, records: sdk.spans, settle: sdk.settle, close: sdk.close, describe: sdk.describe };
}
