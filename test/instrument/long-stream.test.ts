/**
 * Streams longer than the room the body queue and the record's list of gaps start with (32), and a
 * body whose queue empties and fills again: the app gets every chunk, in order, unchanged; the record
 * counts them and keeps one gap per chunk after the first, each timed at its arrival.
 */
import { describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import { createMonitor } from '../../src/index.js';
import { recorder } from '../support/records.js';

const encoder = new TextEncoder();
const id = 'chatcmpl-long';

function chunk(content: string | undefined, finish: string | null = null, usage: unknown = null): unknown {
  return {
    id,
    object: 'chat.completion.chunk',
    created: 1,
    model: 'gpt-4o-mini',
    choices: usage === null ? [{ index: 0, delta: content === undefined ? {} : { content }, finish_reason: finish }] : [],
    usage,
  };
}

function chunksOf(words: number): unknown[] {
  const out: unknown[] = [];
  for (let i = 0; i < words; i++) out.push(chunk(` w${i}`));
  out.push(chunk(undefined, 'stop'));
  out.push(chunk(undefined, null, { prompt_tokens: 3, completion_tokens: words, total_tokens: words + 3 }));
  return out;
}

const sse = (data: unknown) => encoder.encode(`data: ${JSON.stringify(data)}\n\n`);

/** A client whose fetch answers with an SSE body the test feeds: all at once, or in bursts. */
function clientWith(bursts: unknown[][]): { openai: OpenAI; rec: ReturnType<typeof recorder> } {
  const monitor = createMonitor({ resources: false, detect: false, evaluationSampleRate: 0 });
  const rec = recorder(monitor);
  const fetch = async () => {
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        for (let b = 0; b < bursts.length; b++) {
          if (b > 0) await new Promise((resolve) => setTimeout(resolve, 5));
          for (const data of bursts[b]) controller.enqueue(sse(data));
        }
        controller.enqueue(encoder.encode('data: [DONE]\n\n'));
        controller.close();
      },
    });
    return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } });
  };
  const openai = monitor.wrap(new OpenAI({ apiKey: 'k', fetch, maxRetries: 0 }));
  return { openai, rec };
}

async function readAll(openai: OpenAI): Promise<unknown[]> {
  const stream = await openai.chat.completions.create({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: 'Count.' }],
    stream: true,
    stream_options: { include_usage: true },
  });
  const seen: unknown[] = [];
  for await (const c of stream) seen.push(c);
  return seen;
}

describe('a stream longer than the room its lists start with', () => {
  it('hands the app every chunk of a 60-word answer that arrived at once, and keeps 59 gaps', async () => {
    const chunks = chunksOf(60);
    const { openai, rec } = clientWith([chunks]);
    expect(await readAll(openai)).toEqual(chunks);
    const [record] = await rec.waitFor(1);
    expect(record.outcome).toBe('completed');
    expect(record.chunks).toBe(60);
    expect(record.chunkIntervals).toHaveLength(59);
    for (const gap of record.chunkIntervals!) expect(Number.isFinite(gap) && gap >= 0).toBe(true);
  });

  it('refills the body queue after it emptied: pieces in bursts reach the app in order, each gap kept', async () => {
    const chunks = chunksOf(40);
    const { openai, rec } = clientWith([chunks.slice(0, 10), chunks.slice(10, 25), chunks.slice(25)]);
    expect(await readAll(openai)).toEqual(chunks);
    const [record] = await rec.waitFor(1);
    expect(record.chunks).toBe(40);
    expect(record.chunkIntervals).toHaveLength(39);
    // The bursts are 5 ms apart: the gaps that span them show it (timed at arrival, not at reading).
    expect(Math.max(...record.chunkIntervals!)).toBeGreaterThanOrEqual(3);
  });

  it('keeps exactly the gaps of a short stream (fewer than the room its list starts with)', async () => {
    const chunks = chunksOf(3);
    const { openai, rec } = clientWith([chunks]);
    expect(await readAll(openai)).toEqual(chunks);
    const [record] = await rec.waitFor(1);
    expect(record.chunks).toBe(3);
    expect(record.chunkIntervals).toHaveLength(2);
  });
});
