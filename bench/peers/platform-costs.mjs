/**
 * What a few platform objects cost to make in this Node, counted in instructions: why the transport
 * observer reads a body in place instead of handing the SDK a new stream in a new Response.
 *
 *   F="--single-threaded --random-seed=1 --no-memory-reducer --min-semi-space-size=16 --max-semi-space-size=16 --initial-old-space-size=512"
 *   ../shared/tools/instructions-per-op 2000 4000 node $F bench/peers/platform-costs.mjs {N} KIND
 *
 * KIND: `object` (a plain object, the floor), `stream` (a ReadableStream), `response` (a Response around
 * a ReadableStream, with two headers), `abort-listener` (an AbortController whose signal gets a
 * `{ once: true }` listener). Each iteration makes one and keeps only the last.
 */
const n = Number(process.argv[2]);
const kind = process.argv[3];
const kinds = {
  object: (i) => ({ i }),
  stream: () => new ReadableStream({ pull() {} }, { highWaterMark: 0 }),
  response: () =>
    new Response(new ReadableStream({ pull() {} }, { highWaterMark: 0 }), {
      status: 200,
      headers: { 'content-type': 'text/event-stream', 'x-request-id': 'r' },
    }),
  'abort-listener': () => {
    const controller = new AbortController();
    controller.signal.addEventListener('abort', () => {}, { once: true });
    return controller;
  },
};
const make = kinds[kind];
if (!(n >= 0) || make === undefined) {
  console.error(`usage: node platform-costs.mjs N <${Object.keys(kinds).join('|')}>`);
  process.exit(2);
}
let kept;
for (let i = 0; i < n; i++) kept = make(i);
if (kept === undefined && n > 0) process.exit(1);
