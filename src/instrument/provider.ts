/**
 * `gen_ai.provider.name` and `server.address` / `server.port` from a client's base URL.
 *
 * Names are the conventions' well-known values where one exists (`openai`, `azure.ai.openai`,
 * `anthropic`, `gcp.gemini`, `groq`, `deepseek`, `mistral_ai`, `x_ai`, `perplexity`); local servers are
 * told apart by their default ports (vLLM 8000, Ollama 11434, llama.cpp 8080, LM Studio 1234). Anything
 * else is `fallback` (the SDK's own provider name).
 */

const HOSTS: [RegExp, string][] = [
  [/(^|\.)openai\.azure\.com$/, 'azure.ai.openai'],
  [/(^|\.)services\.ai\.azure\.com$/, 'azure.ai.openai'],
  [/(^|\.)api\.openai\.com$/, 'openai'],
  [/(^|\.)api\.anthropic\.com$/, 'anthropic'],
  [/(^|\.)generativelanguage\.googleapis\.com$/, 'gcp.gemini'],
  [/(^|\.)api\.groq\.com$/, 'groq'],
  [/(^|\.)api\.deepseek\.com$/, 'deepseek'],
  [/(^|\.)api\.mistral\.ai$/, 'mistral_ai'],
  [/(^|\.)api\.x\.ai$/, 'x_ai'],
  [/(^|\.)api\.perplexity\.ai$/, 'perplexity'],
  [/(^|\.)openrouter\.ai$/, 'openrouter'],
  [/(^|\.)api\.together\.xyz$/, 'together_ai'],
  [/(^|\.)api\.fireworks\.ai$/, 'fireworks_ai'],
];

const PORTS: Record<string, string> = { '8000': 'vllm', '11434': 'ollama', '8080': 'llama.cpp', '1234': 'lm_studio' };

export function inferProvider(baseURL: unknown, fallback: string): string {
  const url = parse(baseURL);
  if (url === undefined) return fallback;
  const host = url.hostname.toLowerCase();
  for (const [pattern, name] of HOSTS) if (pattern.test(host)) return name;
  const port = PORTS[url.port];
  return port ?? fallback;
}

export function serverOf(baseURL: unknown): { address: string | undefined; port: number | undefined } {
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
