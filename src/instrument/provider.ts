/**
 * `gen_ai.provider.name` and `server.address` / `server.port` from a client's base URL.
 *
 * Names are the conventions' well-known values where one exists (`openai`, `azure.ai.openai`,
 * `azure.ai.inference`, `anthropic`, `aws.bedrock`, `gcp.gemini`, `gcp.vertex_ai`, `cohere`, `groq`,
 * `deepseek`, `ibm.watsonx.ai`, `mistral_ai`, `x_ai`, `perplexity`; see
 * https://opentelemetry.io/docs/specs/semconv/registry/attributes/gen-ai/), and the service's own
 * lower-case name for the others. Self-hosted servers are told apart by their default ports (vLLM
 * 8000, Ollama 11434, llama.cpp 8080, LM Studio 1234, SGLang 30000, LiteLLM proxy 4000). Anything else
 * is `fallback`: the provider of the SDK's own API. The `provider` option of `wrap` overrides all this.
 */

/** Where a client sends its requests. */
export interface Server {
  address: string | undefined;
  port: number | undefined;
}

const HOSTS: [RegExp, string][] = [
  [/(^|\.)openai\.azure\.com$/, 'azure.ai.openai'],
  [/(^|\.)services\.ai\.azure\.com$/, 'azure.ai.openai'],
  [/(^|\.)cognitiveservices\.azure\.com$/, 'azure.ai.openai'],
  [/(^|\.)api\.cognitive\.microsoft\.com$/, 'azure.ai.openai'],
  [/(^|\.)(models|inference)\.ai\.azure\.com$/, 'azure.ai.inference'],
  [/(^|\.)api\.openai\.com$/, 'openai'],
  [/(^|\.)api\.anthropic\.com$/, 'anthropic'],
  [/(^|\.)bedrock(-runtime|-mantle)?(-fips)?\.[a-z0-9-]+\.amazonaws\.com$/, 'aws.bedrock'],
  [/(^|\.)generativelanguage\.googleapis\.com$/, 'gcp.gemini'],
  // Vertex AI hosts are regional: `us-east5-aiplatform.googleapis.com`.
  [/(^|[.-])aiplatform\.googleapis\.com$/, 'gcp.vertex_ai'],
  [/(^|\.)api\.cohere\.(ai|com)$/, 'cohere'],
  [/(^|\.)api\.groq\.com$/, 'groq'],
  [/(^|\.)api\.deepseek\.com$/, 'deepseek'],
  [/(^|\.)ml\.cloud\.ibm\.com$/, 'ibm.watsonx.ai'],
  [/(^|\.)api\.mistral\.ai$/, 'mistral_ai'],
  [/(^|\.)api\.x\.ai$/, 'x_ai'],
  [/(^|\.)api\.perplexity\.ai$/, 'perplexity'],
  [/(^|\.)openrouter\.ai$/, 'openrouter'],
  [/(^|\.)api\.together\.(xyz|ai)$/, 'together_ai'],
  [/(^|\.)api\.fireworks\.ai$/, 'fireworks_ai'],
  [/(^|\.)ollama\.com$/, 'ollama'],
];

const PORTS: Record<string, string> = {
  '8000': 'vllm',
  '11434': 'ollama',
  '8080': 'llama.cpp',
  '1234': 'lm_studio',
  '30000': 'sglang',
  '4000': 'litellm',
};

/** The provider a base URL points at: a known host, else a known self-hosted port, else `fallback`. */
export function inferProvider(baseURL: unknown, fallback: string): string {
  const url = parse(baseURL);
  if (url === undefined) return fallback;
  const host = url.hostname.toLowerCase();
  for (const [pattern, name] of HOSTS) if (pattern.test(host)) return name;
  const port = PORTS[url.port];
  return port ?? fallback;
}

/** `server.address` and `server.port` of a base URL; the port defaults to the scheme's. */
export function serverOf(baseURL: unknown): Server {
  const url = parse(baseURL);
  if (url === undefined) return { address: undefined, port: undefined };
  const port = url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 443 : url.protocol === 'http:' ? 80 : undefined;
  return { address: url.hostname.replace(/^\[|\]$/g, ''), port };
}

function parse(baseURL: unknown): URL | undefined {
  if (typeof baseURL !== 'string' || baseURL === '') return undefined;
  try {
    return new URL(baseURL);
  } catch {
    return undefined;
  }
}
