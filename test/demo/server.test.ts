import { afterEach, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { lognormal, seededRandom, startDemoLLMServer, type DemoLLMServer } from '../../src/demo/server.js';
import { importDemoPackage, MissingDemoPackage } from '../../src/demo/app.js';

const servers: DemoLLMServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(seed = 7, timeScale = 0.1) {
  const server = await startDemoLLMServer({ seed, timeScale });
  servers.push(server);
  // Its 0.5 % of normal-times errors would make these tests depend on the seed: they set errors themselves.
  server.knobs.errorRate = 0;
  return { server, openai: new OpenAI({ apiKey: 'k', baseURL: server.url, maxRetries: 0 }) };
}

const messages = [{ role: 'user' as const, content: 'Where is my order? It was due on Monday.' }];

describe('demo LLM server', () => {
  it('answers a chat completion with usage that counts the prompt and the words it wrote', async () => {
    const { server, openai } = await start();
    const completion = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages });
    const text = completion.choices[0].message.content!;
    expect(completion.object).toBe('chat.completion');
    expect(completion.model).toBe('gpt-4o-mini-2024-07-18');
    expect(completion.usage!.completion_tokens).toBe(text.split(' ').length);
    // About four characters per token, plus framing per message.
    expect(completion.usage!.prompt_tokens).toBe(Math.ceil((messages[0].content.length + 4) / 4));
    expect(completion.usage!.total_tokens).toBe(completion.usage!.prompt_tokens + completion.usage!.completion_tokens);
    expect(server.stats).toEqual({ requests: 1, streamed: 0, errors: 0 });
  });

  it('streams the same kind of answer in chunks, with usage when asked for', async () => {
    const { server, openai } = await start();
    const stream = await openai.chat.completions.create({ model: 'gpt-4o', messages, stream: true, stream_options: { include_usage: true } });
    let text = '';
    let chunks = 0;
    let usage: OpenAI.CompletionUsage | null | undefined;
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      chunks++;
      text += chunk.choices[0]?.delta?.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(finish).toMatch(/^(stop|length)$/);
    expect(usage!.completion_tokens).toBe(text.split(' ').length);
    // Role chunk, text chunks of one to three tokens, finish chunk, usage chunk.
    expect(chunks).toBeGreaterThanOrEqual(3 + Math.ceil(usage!.completion_tokens / 3));
    expect(server.stats.streamed).toBe(1);
  });

  it('gives the same answers for the same seed, and different ones for another', async () => {
    const answers = async (seed: number) => {
      const { openai } = await start(seed);
      const out: string[] = [];
      for (let i = 0; i < 3; i++) out.push((await openai.chat.completions.create({ model: 'gpt-4o-mini', messages })).choices[0].message.content!);
      return out;
    };
    const a = await answers(11);
    expect(await answers(11)).toEqual(a);
    expect(await answers(12)).not.toEqual(a);
  });

  it('fails with 429 rate limits and a retry-after when the error knobs say so', async () => {
    const { server, openai } = await start();
    server.knobs.errorRate = 1;
    server.knobs.errorStatus = 429;
    const error = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect((error as InstanceType<typeof OpenAI.RateLimitError>).headers.get('retry-after')).toBe('1');
    expect((error as InstanceType<typeof OpenAI.RateLimitError>).code).toBe('rate_limit_exceeded');
    server.knobs.errorRate = 0;
    await expect(openai.chat.completions.create({ model: 'gpt-4o-mini', messages })).resolves.toBeTruthy();
    expect(server.stats.errors).toBe(1);
  });

  it('slows the first chunk down by the latency knob', async () => {
    const { server, openai } = await start(7, 0.5);
    const firstChunkMs = async () => {
      const started = performance.now();
      const stream = await openai.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
      for await (const chunk of stream) {
        if (chunk.choices[0]?.delta?.content !== undefined) break;
      }
      return performance.now() - started;
    };
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const normal = median(await Promise.all(Array.from({ length: 7 }, firstChunkMs)));
    server.knobs.latencyFactor = 4;
    const slow = median(await Promise.all(Array.from({ length: 7 }, firstChunkMs)));
    // Medians of lognormal draws around 130 ms and 4 x 130 ms: far apart whatever the seed gives.
    expect(normal).toBeGreaterThan(50);
    expect(slow).toBeGreaterThan(2 * normal);
  });

  it('answers 404 for paths it does not serve and 400 for a body that is not JSON', async () => {
    const { server } = await start();
    expect((await fetch(`${server.url}/embeddings`, { method: 'POST', body: '{}' })).status).toBe(404);
    const bad = await fetch(`${server.url}/chat/completions`, { method: 'POST', body: '{not json' });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.type).toBe('invalid_request_error');
  });
});

describe('seeded draws', () => {
  it('repeat for a seed and spread around the median', () => {
    const a = seededRandom(5);
    const b = seededRandom(5);
    const xs = Array.from({ length: 2001 }, () => lognormal(a, 100, 0.5));
    expect(Array.from({ length: 2001 }, () => lognormal(b, 100, 0.5))).toEqual(xs);
    const sorted = [...xs].sort((x, y) => x - y);
    expect(sorted[1000]).toBeGreaterThan(90);
    expect(sorted[1000]).toBeLessThan(110);
    // The 84th percentile of a lognormal is the median times e^sigma.
    expect(sorted[Math.round(0.8413 * 2000)] / sorted[1000]).toBeGreaterThan(Math.exp(0.5) * 0.9);
    expect(sorted[Math.round(0.8413 * 2000)] / sorted[1000]).toBeLessThan(Math.exp(0.5) * 1.1);
  });
});

describe('the packages the demo needs', () => {
  it('says which one to install when it is missing, and passes other import errors on', async () => {
    const missing = importDemoPackage('llm-vitals-no-such-package', () => import('llm-vitals-no-such-package' as string));
    await expect(missing).rejects.toBeInstanceOf(MissingDemoPackage);
    await expect(missing).rejects.toThrow('the demo needs the "llm-vitals-no-such-package" package: npm install llm-vitals-no-such-package');
    const broken = new SyntaxError('Unexpected token');
    await expect(importDemoPackage('openai', () => Promise.reject(broken))).rejects.toBe(broken);
    await expect(importDemoPackage('express', () => import('express'))).resolves.toHaveProperty('default');
  });
});
