import { describe, expect, it } from 'vitest';
import OpenAI, { AzureOpenAI } from 'openai';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { inferProvider, serverOf } from '../../src/instrument/provider.js';
import { chatChunks, chatCompletion, DEFAULT_TEXT, DEFAULT_TEXT_PIECES, streamUsage } from '../support/openai-server.js';
import { openAIFixture } from '../support/fixture.js';

const t = openAIFixture({ serviceName: 'test' });

const messages = [{ role: 'user' as const, content: 'Say hello.' }];

/** A fetch that sends every request to the local server, whatever base URL the client was given. */
function toLocal(): typeof fetch {
  return (input: any, init?: any) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    return fetch(`http://127.0.0.1:${t.server.port}${url.pathname.replace(/^\/openai\/deployments\/[^/]+/, '/v1')}${url.search}`, init);
  };
}

/** The real openai client, configured for `baseURL`, talking to the local server. */
function clientFor(baseURL: string, provider?: string) {
  return t.monitor.wrap(new OpenAI({ apiKey: 'k', baseURL, maxRetries: 0, fetch: toLocal() }), provider === undefined ? undefined : { provider });
}

describe('provider and server from the base URL', () => {
  it('names vLLM, Ollama, llama.cpp and LM Studio by their default ports and records server.address and server.port', async () => {
    t.fresh();
    const bases = ['http://localhost:8000/v1', 'http://localhost:11434/v1', 'http://127.0.0.1:8080/v1', 'http://192.168.1.20:1234/v1'];
    for (const base of bases) await clientFor(base).chat.completions.create({ model: 'llama3', messages });
    const records = await t.rec.waitFor(4);
    expect(records.map((r) => [r.provider, r.serverAddress, r.serverPort])).toEqual([
      ['vllm', 'localhost', 8000],
      ['ollama', 'localhost', 11434],
      ['llama.cpp', '127.0.0.1', 8080],
      ['lm_studio', '192.168.1.20', 1234],
    ]);
    for (const r of records) expect(r.outcome).toBe('completed');
  });

  it('names Azure OpenAI from its endpoint, with the https port', async () => {
    t.fresh();
    const azure = t.monitor.wrap(
      new AzureOpenAI({ endpoint: 'https://my-resource.openai.azure.com', apiKey: 'k', apiVersion: '2024-10-21', maxRetries: 0, fetch: toLocal() }),
    );
    const res = await azure.chat.completions.create({ model: 'my-gpt4o-deployment', messages });
    expect(res.choices[0].message.content).toBe(DEFAULT_TEXT);
    expect(t.server.requests.at(-1)!.path).toBe('/v1/chat/completions');
    const [r] = await t.rec.waitFor(1);
    expect(r).toMatchObject({ provider: 'azure.ai.openai', serverAddress: 'my-resource.openai.azure.com', serverPort: 443, requestModel: 'my-gpt4o-deployment' });
  });

  it('falls back to openai for an unknown host and port, and lets the wrap option override any inference', async () => {
    t.fresh();
    await clientFor(t.server.url).chat.completions.create({ model: 'gpt-4o-mini', messages });
    await clientFor('http://localhost:11434/v1', 'my-gateway').chat.completions.create({ model: 'llama3', messages });
    const records = await t.rec.waitFor(2);
    expect(records.map((r) => [r.provider, r.serverPort])).toEqual([
      ['openai', t.server.port],
      ['my-gateway', 11434],
    ]);
  });

  it('records the provider even when the server cannot be reached', async () => {
    t.fresh();
    // Nothing listens on port 9 (discard) of 127.0.0.1 here: the call fails before any answer.
    const unreachable = t.monitor.wrap(new OpenAI({ apiKey: 'k', baseURL: 'http://127.0.0.1:9/v1', maxRetries: 0 }), { provider: 'vllm' });
    const error = await unreachable.chat.completions.create({ model: 'llama3', messages }).catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.APIConnectionError);
    const [r] = await t.rec.waitFor(1);
    expect(r).toMatchObject({ provider: 'vllm', serverAddress: '127.0.0.1', serverPort: 9, outcome: 'failed', errorType: 'network', inputTokens: undefined });
  });

  it('knows the conventions’ names of hosted providers', () => {
    const cases: [string, string][] = [
      ['https://api.openai.com/v1', 'openai'],
      ['https://eastus.api.cognitive.microsoft.com', 'azure.ai.openai'],
      ['https://my-resource.cognitiveservices.azure.com/', 'azure.ai.openai'],
      ['https://my-resource.openai.azure.com/openai', 'azure.ai.openai'],
      ['https://my-model.eastus2.models.ai.azure.com', 'azure.ai.inference'],
      ['https://api.anthropic.com', 'anthropic'],
      ['https://bedrock-runtime.us-east-1.amazonaws.com', 'aws.bedrock'],
      ['https://generativelanguage.googleapis.com/v1beta/openai/', 'gcp.gemini'],
      ['https://us-east5-aiplatform.googleapis.com/v1', 'gcp.vertex_ai'],
      ['https://api.cohere.ai/compatibility/v1', 'cohere'],
      ['https://api.groq.com/openai/v1', 'groq'],
      ['https://api.deepseek.com', 'deepseek'],
      ['https://us-south.ml.cloud.ibm.com', 'ibm.watsonx.ai'],
      ['https://api.mistral.ai/v1', 'mistral_ai'],
      ['https://api.x.ai/v1', 'x_ai'],
      ['https://api.perplexity.ai', 'perplexity'],
      ['https://openrouter.ai/api/v1', 'openrouter'],
      ['https://api.together.xyz/v1', 'together_ai'],
      ['https://api.fireworks.ai/inference/v1', 'fireworks_ai'],
      ['https://ollama.com/v1', 'ollama'],
      ['http://gpu-box:30000/v1', 'sglang'],
      ['http://0.0.0.0:4000', 'litellm'],
      ['http://localhost:9999/v1', 'openai'],
      ['https://API.OPENAI.COM/v1', 'openai'],
      ['https://evil-api.openai.com.example.net', 'openai'],
    ];
    // The fallback is the SDK's own provider; a look-alike host must not pass for the real one.
    expect(cases.map(([url]) => [url, inferProvider(url, 'openai')])).toEqual(cases);
    expect(inferProvider('https://evil-api.openai.com.example.net', 'fallback')).toBe('fallback');
    expect(inferProvider('not a url', 'anthropic')).toBe('anthropic');
    expect(inferProvider(undefined, 'anthropic')).toBe('anthropic');
  });

  it('reads server.address and server.port, defaulting the port to the scheme’s', () => {
    expect(serverOf('https://api.openai.com/v1')).toEqual({ address: 'api.openai.com', port: 443 });
    expect(serverOf('http://localhost/v1')).toEqual({ address: 'localhost', port: 80 });
    expect(serverOf('http://[::1]:8000/v1')).toEqual({ address: '::1', port: 8000 });
    expect(serverOf('')).toEqual({ address: undefined, port: undefined });
    expect(serverOf(42)).toEqual({ address: undefined, port: undefined });
  });
});

describe('what OpenAI-compatible servers leave out or say differently', () => {
  it('estimates a response without usage and notes it, and the app gets the body as sent', async () => {
    t.fresh();
    const { usage: _, ...noUsage } = chatCompletion();
    t.server.enqueue({ body: noUsage });
    const res = await clientFor('http://localhost:11434/v1').chat.completions.create({ model: 'llama3', messages });
    expect(res).not.toHaveProperty('usage');
    const [r] = await t.rec.waitFor(1);
    expect(r.inputTokens).toEqual({ count: countTokens('Say hello.') + 3 + 3, source: 'estimated' });
    expect(r.outputTokens).toEqual({ count: countTokens(DEFAULT_TEXT), source: 'estimated' });
    expect(r.notes).toEqual(['usage_missing']);
  });

  it('keeps a reported prompt count and estimates only the missing completion count', async () => {
    t.fresh();
    t.server.enqueue({ body: chatCompletion({ usage: { prompt_tokens: 21 } }) });
    await clientFor('http://localhost:8080/v1').chat.completions.create({ model: 'llama3', messages });
    const [r] = await t.rec.waitFor(1);
    expect(r.inputTokens).toEqual({ count: 21, source: 'reported' });
    expect(r.outputTokens).toEqual({ count: countTokens(DEFAULT_TEXT), source: 'estimated' });
    expect(r.notes).toEqual(['usage_missing']);
  });

  it('notes a missing or empty model name and leaves the response model unknown', async () => {
    t.fresh();
    const { model: _, ...noModel } = chatCompletion();
    t.server.enqueue({ body: noModel }, { body: chatCompletion({ model: '' }) });
    const client = clientFor('http://localhost:8000/v1');
    await client.chat.completions.create({ model: 'meta-llama/Llama-3.1-8B-Instruct', messages });
    await client.chat.completions.create({ model: 'meta-llama/Llama-3.1-8B-Instruct', messages });
    const records = await t.rec.waitFor(2);
    for (const r of records) {
      expect(r.requestModel).toBe('meta-llama/Llama-3.1-8B-Instruct');
      expect(r.responseModel).toBeUndefined();
      expect(r.notes).toEqual(['model_missing']);
    }
  });

  it('keeps a nonstandard finish reason as the server said it, noted, and notes a missing one', async () => {
    t.fresh();
    t.server.enqueue(
      { body: chatCompletion({ finishReason: 'eos' }) },
      { chunks: chatChunks(DEFAULT_TEXT_PIECES, { finishReason: 'abort', usage: streamUsage() }) },
      { body: chatCompletion({ choices: [{ index: 0, message: { role: 'assistant', content: DEFAULT_TEXT }, logprobs: null, finish_reason: null }] }) },
    );
    const client = clientFor('http://localhost:8000/v1');
    const res = await client.chat.completions.create({ model: 'llama3', messages });
    expect(res.choices[0].finish_reason).toBe('eos');
    const chunks: any[] = [];
    for await (const c of await client.chat.completions.create({ model: 'llama3', messages, stream: true, stream_options: { include_usage: true } })) chunks.push(c);
    expect(chunks.at(-2).choices[0].finish_reason).toBe('abort');
    await client.chat.completions.create({ model: 'llama3', messages });
    const records = await t.rec.waitFor(3);
    expect(records.map((r) => [r.finishReasons, r.notes])).toEqual([
      [['eos'], ['finish_reason_nonstandard']],
      [['abort'], ['finish_reason_nonstandard']],
      [[], ['finish_reason_missing']],
    ]);
    expect(records[1].outputTokens).toEqual({ count: 5, source: 'reported' });
  });

  it('takes the last count from a server that reports usage on every chunk', async () => {
    t.fresh();
    // vLLM with continuous usage stats: each chunk carries the running usage.
    const chunks = chatChunks(DEFAULT_TEXT_PIECES).map((c, i) => ({ ...c, usage: { prompt_tokens: 11, completion_tokens: i, total_tokens: 11 + i } }));
    t.server.enqueue({ chunks });
    let text = '';
    for await (const c of await clientFor('http://localhost:8000/v1').chat.completions.create({ model: 'llama3', messages, stream: true })) {
      text += c.choices[0]?.delta?.content ?? '';
    }
    expect(text).toBe(DEFAULT_TEXT);
    const [r] = await t.rec.waitFor(1);
    expect(r.inputTokens).toEqual({ count: 11, source: 'reported' });
    expect(r.outputTokens).toEqual({ count: chunks.length - 1, source: 'reported' });
    expect(r.notes).toEqual([]);
  });

  it('falls back to estimating when a server ignores the usage the monitor asked for, and the app still sees every chunk', async () => {
    t.fresh({ tokens: { includeStreamUsage: true } });
    // An older server that ignores stream_options: no usage chunk comes back.
    t.server.enqueue({ chunks: chatChunks(DEFAULT_TEXT_PIECES) });
    const got: any[] = [];
    for await (const c of await clientFor('http://localhost:8080/v1').chat.completions.create({ model: 'llama3', messages, stream: true })) got.push(c);
    expect(t.server.requests.at(-1)!.body.stream_options).toEqual({ include_usage: true });
    expect(got).toHaveLength(chatChunks(DEFAULT_TEXT_PIECES).length);
    const [r] = await t.rec.waitFor(1);
    expect(r.outputTokens).toEqual({ count: countTokens(DEFAULT_TEXT), source: 'estimated' });
    expect(r.notes).toEqual(['usage_missing']);
  });
});
