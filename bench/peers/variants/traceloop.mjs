/**
 * OpenLLMetry-JS: `@traceloop/instrumentation-openai` with its defaults (prompts and completions on
 * spans: `traceContent: true`), registered with `registerInstrumentations` before the SDK is required.
 * It declares openai `>=4 <7`, so it runs on the newest openai 6.
 */
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { OpenAIInstrumentation } from '@traceloop/instrumentation-openai';
import { otelSdk } from './otel-sdk.mjs';
import { loadOpenAI } from '../sdk.mjs';

export const packages = ['@traceloop/instrumentation-openai'];
export const openaiMajors = [6];

export async function setup({ fetch, major }) {
  const sdk = otelSdk();
  registerInstrumentations({ instrumentations: [new OpenAIInstrumentation()], tracerProvider: sdk.provider });
  const { OpenAI, version } = loadOpenAI(major);
  return { client: new OpenAI({ apiKey: 'sk-bench', fetch }), version: `openai ${version}`, records: sdk.spans, settle: sdk.settle, close: sdk.close, describe: sdk.describe };
}
