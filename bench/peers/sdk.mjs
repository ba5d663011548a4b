/**
 * Loads the real `openai` SDK through `require`, after a variant has set up its instrumentation, so
 * the OpenTelemetry instrumentations patch it through their own require hooks as they would in an
 * app. Major 7 is this folder's `openai` (the root package's devDependency major); major 6 is the
 * newest 6.x, in the `openai6` workspace, for instrumentations that refuse 7.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const roots = { 7: new URL('.', import.meta.url).pathname, 6: new URL('./openai6/', import.meta.url).pathname };

export function loadOpenAI(major) {
  const paths = [roots[major]];
  if (!paths[0]) throw new Error(`no openai ${major} in bench/peers (6 or 7)`);
  const sdk = require(require.resolve('openai', { paths }));
  const { VERSION } = require(require.resolve('openai/version', { paths }));
  if (!VERSION.startsWith(`${major}.`)) throw new Error(`asked for openai ${major}, loaded ${VERSION}`);
  return { OpenAI: sdk.OpenAI ?? sdk.default, version: VERSION, sdk };
}
