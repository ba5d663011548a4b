/** The SDK alone: `new OpenAI({ fetch })`, nothing observing it. Its records are its calls. */
import { loadOpenAI } from '../sdk.mjs';

export const openaiMajors = [7, 6];

export async function setup({ fetch, major }) {
  const { OpenAI, version } = loadOpenAI(major);
  const client = new OpenAI({ apiKey: 'sk-bench', fetch });
  return { client, version: `openai ${version}`, records: null, settle: async () => {}, close: async () => {}, describe: () => 'no instrumentation' };
}
