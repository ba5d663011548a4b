/**
 * Instructions per call of the detector sink alone (`DetectorSink.callEnded`: every call signal's
 * detector and drift monitor, the rate detectors, the finish-reason mix), fed call records shaped as
 * the peers benchmark's non-streamed calls: completed, a `stop` finish, fixed token counts and cost,
 * and a latency that varies per call (`--vary latency`: lognormal around 800 ms, as the jittered
 * clock makes it; `--vary all`: the token counts vary too, as an app's do; `--vary none`: constants).
 * What the per-call figures of "Peers on the real SDK" spend in the detectors, counted in a minute
 * instead of twenty:
 *
 *   npx esbuild bench/detect-sink/entry.ts --bundle --platform=node --format=esm --packages=external --outfile=bench/detect-sink/sink.js
 *   ../shared/tools/instructions-per-op 20000 40000 node --single-threaded --random-seed=1 bench/detect-sink-instructions.mjs bench/detect-sink/sink.js {N} [--vary latency|all|none]
 *
 * 20,000 calls come first (every detector warmed up, its history full), then N more; the records are
 * made before the count. `--registry` gives the sink a prom-client registry (its anomaly counters).
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { normal, uniform } from './random.mjs';

const [path, nArg] = process.argv.slice(2);
const vary = process.argv.includes('--vary') ? process.argv[process.argv.indexOf('--vary') + 1] : 'latency';
const { DetectorSink, resolveDetectOptions } = await import(pathToFileURL(resolve(path)).href);
const sink = new DetectorSink({ options: resolveDetectOptions(undefined), registry: undefined, emit() {}, fault(c, e) { throw e; } });
const N = Number(nArg) + 20000;
const SIZE = 1 << 14;
const u = uniform(11);
const g = normal(12);
const records = Array.from({ length: SIZE }, (_, i) => {
  const duration = vary === 'none' ? 800 : 800 * Math.exp(0.35 * g());
  const input = vary === 'all' ? 20 + Math.floor(10 * u()) : 25;
  const output = vary === 'all' ? 5 + Math.floor(20 * u()) : 12;
  return {
    id: `r${i}`,
    provider: 'openai',
    requestModel: 'gpt-4o-mini',
    outcome: 'completed',
    startTime: 1_700_000_000_000 + i * 1000,
    duration,
    inputTokens: { count: input, source: 'reported' },
    outputTokens: { count: output, source: 'reported' },
    outputTokensPerSecond: (output * 1000) / duration,
    cost: { usd: input * 1.5e-7 + output * 6e-7, tokens: {} },
    finishReasons: ['stop'],
    notes: [],
    context: undefined,
  };
});
for (let i = 0; i < N; i++) sink.callEnded(records[i & (SIZE - 1)], undefined);
