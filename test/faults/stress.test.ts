/**
 * Fault injection at volume: 10,000 calls through a monitor whose sink fails at random. An in-process
 * client shaped like `openai` (the wrapper reads shapes only, so it runs the same code as the real SDK's
 * calls) and tracked functions answer at once, so the run takes seconds; the HTTP cases with the real
 * SDKs are in the other files of this folder. Every call must return its own value (or its own error),
 * and the counters must add up exactly: `llm_vitals_calls_total` by outcome, the sink's faults in
 * `llm_vitals_internal_errors_total{component}`, and the records the sink after the failing one saw.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createMonitor, type CallRecord, type Monitor, type Sink } from '../../src/index.js';
import { seededRandom } from '../../src/demo/server.js';
import { samplesOf, valueOf } from '../support/exposition.js';

const CALLS = 10_000;
/** How many calls run at once. */
const CONCURRENCY = 200;

class RateLimited extends Error {
  readonly status = 429;
}

const usage = { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 };

/** An in-process client shaped like `openai`: `chat.completions.create`, streaming and not. */
function fakeOpenAI() {
  return {
    baseURL: 'http://127.0.0.1:1/v1',
    chat: {
      completions: {
        async create(body: any) {
          if (body.fail) throw new RateLimited(`rate limited ${body.n}`);
          if (!body.stream) {
            return { id: `c${body.n}`, model: 'fake', choices: [{ index: 0, message: { content: `answer ${body.n}` }, finish_reason: 'stop' }], usage };
          }
          return (async function* () {
            for (let i = 0; i < 3; i++) yield { id: `c${body.n}`, model: 'fake', choices: [{ index: 0, delta: { content: `${body.n}:${i}` }, finish_reason: null }] };
            yield { id: `c${body.n}`, model: 'fake', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], usage };
          })();
        },
      },
    },
  };
}

let monitor: Monitor;
afterEach(async () => {
  await monitor?.shutdown();
});

describe('10,000 calls with a randomly failing sink', () => {
  it('returns every call its own value and adds every counter up exactly', async () => {
    // Seeded (mulberry32, the demo's generator), so a failure can be replayed.
    const rand = seededRandom(20_260_101);
    let sinkThrows = 0;
    const flaky: Sink = {
      name: 'flaky',
      callStarted() {
        if (rand() < 0.1) {
          sinkThrows++;
          throw new Error('flaky start');
        }
      },
      callEnded() {
        if (rand() < 0.3) {
          sinkThrows++;
          throw new Error('flaky end');
        }
      },
    };
    const seen: CallRecord[] = [];
    const after: Sink = { name: 'after', callEnded: (r) => void seen.push(r) };
    monitor = createMonitor({ sinks: [flaky, after] });
    let errorsEmitted = 0;
    monitor.on('error', () => errorsEmitted++);

    const client = monitor.wrap(fakeOpenAI());
    const tracked = monitor.track(
      async (n: number, fail: boolean) => {
        if (fail) throw new RateLimited(`tracked ${n}`);
        return { n, usage };
      },
      { provider: 'tracked', operation: 'chat', model: 'fake', readUsage: (v) => ({ inputTokens: v.usage?.prompt_tokens, outputTokens: v.usage?.completion_tokens }) },
    );

    const expected = { completed: 0, cancelled: 0, failed: 0 };
    let wrong = 0;
    const one = async (n: number): Promise<void> => {
      const kind = rand();
      const fail = rand() < 0.1;
      if (fail) expected.failed++;
      try {
        if (kind < 0.4) {
          const res: any = await client.chat.completions.create({ model: 'fake', messages: [], n, fail });
          if (res.choices[0].message.content !== `answer ${n}`) wrong++;
        } else if (kind < 0.8) {
          const stream: any = await client.chat.completions.create({ model: 'fake', messages: [], n, fail, stream: true });
          // A quarter of the streams are left early.
          const leaveAfter = rand() < 0.25 ? 2 : Infinity;
          let text = '';
          let read = 0;
          for await (const chunk of stream) {
            text += chunk.choices[0].delta.content ?? '';
            if (++read === leaveAfter) break;
          }
          if (leaveAfter === 2) {
            expected.cancelled++;
            if (text !== `${n}:0${n}:1`) wrong++;
          } else if (text !== `${n}:0${n}:1${n}:2`) wrong++;
        } else {
          const res = await tracked(n, fail);
          if (res.n !== n) wrong++;
        }
        if (fail) wrong++;
      } catch (error) {
        if (!fail || !(error instanceof RateLimited) || !error.message.endsWith(` ${n}`)) wrong++;
      }
    };

    for (let start = 0; start < CALLS; start += CONCURRENCY) {
      await Promise.all(Array.from({ length: Math.min(CONCURRENCY, CALLS - start) }, (_, i) => one(start + i)));
    }
    expected.completed = CALLS - expected.failed - expected.cancelled;
    expect(wrong).toBe(0);

    // Streams left early never saw their usage: their records wait for the tokenizer, off the app's path.
    for (const deadline = Date.now() + 15_000; seen.length < CALLS && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 10));
    expect(seen).toHaveLength(CALLS);
    expect(new Set(seen.map((r) => r.id)).size).toBe(CALLS);
    const byOutcome = (o: string) => seen.filter((r) => r.outcome === o).length;
    expect({ completed: byOutcome('completed'), cancelled: byOutcome('cancelled'), failed: byOutcome('failed') }).toEqual(expected);

    const text = await monitor.metrics();
    const calls = samplesOf(text, 'llm_vitals_calls_total');
    const total = (outcome: string) => calls.filter((s) => s.labels.outcome === outcome).reduce((sum, s) => sum + s.value, 0);
    expect({ completed: total('completed'), cancelled: total('cancelled'), failed: total('failed') }).toEqual(expected);
    expect(calls.reduce((sum, s) => sum + s.value, 0)).toBe(CALLS);
    expect(samplesOf(text, 'llm_vitals_errors_total', { error_type: 'rate_limit' }).reduce((sum, s) => sum + s.value, 0)).toBe(expected.failed);

    expect(sinkThrows).toBeGreaterThan(CALLS * 0.3);
    expect(valueOf(text, 'llm_vitals_internal_errors_total', { component: 'flaky' })).toBe(sinkThrows);
    // Nothing else in the monitor faulted.
    expect(samplesOf(text, 'llm_vitals_internal_errors_total').reduce((sum, s) => sum + s.value, 0)).toBe(sinkThrows);
    expect(errorsEmitted).toBe(sinkThrows);
    expect(samplesOf(text, 'llm_vitals_in_flight_calls').reduce((sum, s) => sum + s.value, 0)).toBe(0);
  });
});
