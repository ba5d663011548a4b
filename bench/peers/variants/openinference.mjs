/**
 * Arize's `@arizeai/openinference-instrumentation-openai` with its defaults (inputs and outputs on
 * spans), given the shared provider, registered before the SDK is required (it accepts openai 5 to 7).
 */
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { OpenAIInstrumentation } from '@arizeai/openinference-instrumentation-openai';
import { otelSdk } from './otel-sdk.mjs';
import { loadOpenAI } from '../sdk.mjs';

export const packages = ['@arizeai/openinference-instrumentation-openai'];
export const openaiMajors = [7, 6];

export async function setup({ fetch, major }) {
  const sdk = otelSdk();
  registerInstrumentations({ instrumentations: [new OpenAIInstrumentation({ tracerProvider: sdk.provider })], tracerProvider: sdk.provider });
  const { OpenAI, version } = loadOpenAI(major);
  return { client: new OpenAI({ apiKey: 'sk-bench', fetch }), version: `openai ${version}`, records: sdk.spans, settle: sdk.settle, close: sdk.close, describe: sdk.describe };
}
