/**
 * Langfuse's `observeOpenAI(new OpenAI({ fetch }))` from the `langfuse` package (v3), with its
 * defaults: a trace and a generation per call, queued and sent in batches of 15 (or every 10 s). Its
 * ingestion requests go to a stand-in `fetch` (the Langfuse client's own `fetch` method, replaced) that
 * answers like the ingestion API and does nothing else; the generations in each sent batch are counted.
 * Not OpenTelemetry: no provider is involved.
 */
import { Langfuse, observeOpenAI } from 'langfuse';
import { loadOpenAI } from '../sdk.mjs';

export const packages = ['langfuse'];
export const openaiMajors = [7, 6];

export async function setup({ fetch, major }) {
  let generations = 0;
  let langfuse; // the client observeOpenAI creates on the first call
  Langfuse.prototype.fetch = function ingest() {
    if (langfuse !== this) {
      langfuse = this;
      this.on('flush', (items) => {
        for (const item of items) if (item.type === 'generation-create') generations++;
      });
    }
    return Promise.resolve(new Response('{"successes":[],"errors":[]}', { status: 200, headers: { 'content-type': 'application/json' } }));
  };
  const { OpenAI, version } = loadOpenAI(major);
  const client = observeOpenAI(new OpenAI({ apiKey: 'sk-bench', fetch }), {
    clientInitParams: { publicKey: 'pk-lf-bench', secretKey: 'sk-lf-bench', baseUrl: 'http://langfuse.bench.invalid' },
  });
  return {
    client,
    version: `openai ${version}`,
    records: () => generations,
    // One flush sends one batch of at most 15 events, and a batch is counted once its request is
    // answered: flush until the queue is empty, then wait for the requests still pending.
    settle: async () => {
      while ((await client.flushAsync())?.length);
      if (langfuse) await Promise.all(Object.values(langfuse.pendingIngestionPromises));
    },
    close: () => client.shutdownAsync(),
    describe: () => `${generations} generations ingested`,
  };
}
