/**
 * A record can end before the app has read its whole stream; the app then reads on through the tap.
 * What the monitor added to the stream (the usage chunk it asked for, `usage: null` on each chunk)
 * stays hidden, and the published record is not written to again.
 */
import { describe, expect, it } from 'vitest';
import { Call, type CallSink } from '../../src/call.js';
import { tapStream } from '../../src/instrument/stream.js';
import { chatReader } from '../../src/instrument/openai.js';

const sink: CallSink = { started() {}, ended() {} };

function stream(chunks: unknown[]): AsyncIterable<unknown> {
  return {
    async *[Symbol.asyncIterator]() {
      for (const chunk of chunks) yield chunk;
    },
  };
}

describe('the tap after its record ended', () => {
  it('keeps hiding the usage chunk the monitor asked for, and leaves the record alone', async () => {
    const call = new Call(sink, 'openai', 'chat', 'gpt-4o-mini', true, {});
    call.hideUsageChunk = true;
    const text = { choices: [{ index: 0, delta: { content: 'hi' }, finish_reason: null }], usage: null };
    const usage = { choices: [], usage: { prompt_tokens: 3, completion_tokens: 1 } };
    const tapped = tapStream(stream([text, usage]), call, chatReader, () => {});
    const iterator = tapped[Symbol.asyncIterator]();
    call.end('cancelled');
    const seen: unknown[] = [];
    for (let r = await iterator.next(); !r.done; r = await iterator.next()) seen.push(r.value);
    expect(seen).toEqual([{ choices: [{ index: 0, delta: { content: 'hi' }, finish_reason: null }] }]);
    expect(call.record.chunks).toBe(0);
    expect(call.record.inputTokens).toBeUndefined();
  });

  it('shows everything when the app asked for usage itself', async () => {
    const call = new Call(sink, 'openai', 'chat', 'gpt-4o-mini', true, {});
    const usage = { choices: [], usage: { prompt_tokens: 3, completion_tokens: 1 } };
    const tapped = tapStream(stream([usage]), call, chatReader, () => {});
    const iterator = tapped[Symbol.asyncIterator]();
    call.end('cancelled');
    expect((await iterator.next()).value).toEqual(usage);
  });
});
