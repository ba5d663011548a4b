/**
 * llm-vitals as built in the root package (`dist/`, or the folder LLM_VITALS_DIST names): one monitor,
 * `monitor.wrap(new OpenAI({ fetch }))`, and a `call` listener that counts the records (listeners run
 * after every sink, so a counted record has been through all of them).
 */
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { loadOpenAI } from '../sdk.mjs';

const dist = resolve(process.env.LLM_VITALS_DIST ?? new URL('../../../dist', import.meta.url).pathname);

export async function setupMonitor({ fetch, major }, options) {
  const { createMonitor } = await import(pathToFileURL(`${dist}/index.js`).href);
  const { OpenAI, version } = loadOpenAI(major);
  const monitor = createMonitor(options);
  let records = 0;
  let notCompleted = 0;
  let first;
  monitor.on('call', (record) => {
    records++;
    if (record.outcome !== 'completed') notCompleted++;
    first ??= record;
  });
  monitor.on('error', (err) => {
    console.error(`llm-vitals error: ${err?.component}: ${err?.cause?.stack ?? err}`);
    process.exitCode = 1;
  });
  const client = monitor.wrap(new OpenAI({ apiKey: 'sk-bench', fetch }));
  let pkgVersion = '?';
  try {
    pkgVersion = JSON.parse(readFileSync(resolve(dist, '../package.json'), 'utf8')).version;
  } catch {}
  return {
    client,
    version: `openai ${version}, llm-vitals ${pkgVersion} from ${dist}`,
    records: () => records - notCompleted,
    settle: () => monitor.flush(),
    close: () => monitor.shutdown(),
    describe: () =>
      first
        ? `first record: ${first.outcome}, streaming ${first.streaming}, chunks ${first.chunks ?? '-'}, output tokens ${first.outputTokens?.count} (${first.outputTokens?.source})${notCompleted ? `; ${notCompleted} not completed` : ''}`
        : 'no record',
  };
}
