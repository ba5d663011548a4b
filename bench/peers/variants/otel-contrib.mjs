/**
 * `@opentelemetry/instrumentation-openai` (opentelemetry-js-contrib) with its defaults (content off),
 * registered before the SDK is required. 0.21.0 is its newest release for Node 20 (0.22 needs Node
 * 22.15); it declares openai `>=4.19.0 <7`, so it runs on the newest openai 6. Its GenAI metrics and
 * log events go to the global meter and logger providers, none registered here (no-ops).
 */
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { OpenAIInstrumentation } from '@opentelemetry/instrumentation-openai';
import { otelSdk } from './otel-sdk.mjs';
import { loadOpenAI } from '../sdk.mjs';

export const packages = ['@opentelemetry/instrumentation-openai'];
export const openaiMajors = [6];

export async function setup({ fetch, major }) {
  const sdk = otelSdk();
  registerInstrumentations({ instrumentations: [new OpenAIInstrumentation()], tracerProvider: sdk.provider });
  const { OpenAI, version } = loadOpenAI(major);
  return { client: new OpenAI({ apiKey: 'sk-bench', fetch }), version: `openai ${version}`, records: sdk.spans, settle: sdk.settle, close: sdk.close, describe: sdk.describe };
}
