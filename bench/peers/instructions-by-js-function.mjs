#!/usr/bin/env node
/**
 * Instructions per op of each function, V8's compiled JavaScript by name: what `instructions-by-part.mjs
 * --functions` cannot tell apart (cachegrind sees all JIT code as one `???`).
 *
 *   node bench/peers/instructions-by-js-function.mjs N1 N2 [--top K] [--match TEXT] [--native-by-caller] -- node $F --perf-basic-prof SCRIPT ... {N}
 *
 * Runs the command under callgrind (`--dump-instr=yes`) at N1 and at N2, with every `{N}` replaced,
 * and maps each executed instruction's address to the function that holds it: native code by
 * callgrind's own symbols, JIT code by the map Node writes with `--perf-basic-prof`
 * (/tmp/perf-PID.map: start, size, name per compiled function; `*` before a name is TurboFan code,
 * `^` Sparkplug, `~` the interpreter's). Prints `(I(N2) − I(N1)) / (N2 − N1)` per function, self
 * instructions (a callee's are its own), largest first; `--match` keeps the lines whose name holds
 * TEXT and sums them (e.g. `--match .bench-dist` for llm-vitals' own JavaScript). `--native-by-caller`
 * adds lines `JSFUNCTION -> [native] NATIVE`: the native function's inclusive instructions (runtime,
 * inline-cache misses, builtins, GC a store set off) under the compiled JS function that called it;
 * they are not added to the total (the callee's own lines count them already).
 *
 * Slower than cachegrind (about 2×) and for finding where the instructions go, not for the headline
 * figure: the totals agree with `instructions-per-op` within a few per cent (callgrind counts the same
 * instructions, but the JIT's code moves between runs, and code that was collected before the map
 * was read is counted as `[jit, unmapped]`). Needs valgrind.
 */
import { createReadStream, readFileSync, rmSync, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { underValgrind } from './valgrind.mjs';

const argv = process.argv.slice(2);
const dash = argv.indexOf('--');
if (dash < 2) {
  console.error('usage: node bench/peers/instructions-by-js-function.mjs N1 N2 [--top K] [--match TEXT] -- COMMAND... {N}');
  process.exit(2);
}
const [n1, n2] = argv.slice(0, 2).map(Number);
const opts = argv.slice(2, dash);
const top = opts.includes('--top') ? Number(opts[opts.indexOf('--top') + 1]) : 40;
/** Also count each native function's inclusive cost under the JIT function that called it (`A -> [native] B` lines). */
const byCaller = opts.includes('--native-by-caller');
const match = opts.includes('--match') ? opts[opts.indexOf('--match') + 1] : undefined;
const command = argv.slice(dash + 1);
if (!(n2 > n1) || !command.includes('--perf-basic-prof')) {
  console.error('N2 must be above N1, and the command must run node with --perf-basic-prof');
  process.exit(2);
}

const count = (n) => underValgrind('callgrind', ['--dump-instr=yes', '--compress-pos=no', '--compress-strings=no'], command, n, byFunction);

/** Each function's self instructions in one callgrind output, JIT code named through the process's perf map. */
async function byFunction(out, _stderr, pid) {
  const mapFile = `/tmp/perf-${pid}.map`;
  if (!existsSync(mapFile)) throw new Error(`no ${mapFile}: was node given --perf-basic-prof?`);
  const ranges = readFileSync(mapFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [start, size, ...name] = line.split(' ');
      return [parseInt(start, 16), parseInt(size, 16), name.join(' ')];
    })
    .sort((a, b) => a[0] - b[0]);
  const starts = ranges.map((r) => r[0]);
  const find = (addr) => {
    let lo = 0;
    let hi = starts.length - 1;
    let at = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (starts[mid] <= addr) (at = mid), (lo = mid + 1);
      else hi = mid - 1;
    }
    return at >= 0 && addr < ranges[at][0] + ranges[at][1] ? ranges[at][2] : undefined;
  };
  const counts = new Map();
  let object = '';
  let fn = '';
  let calleeObject = '';
  let callee = '';
  let callLine = false;
  for await (const line of createInterface({ input: createReadStream(out) })) {
    if (line.startsWith('ob=')) object = line.slice(3);
    else if (line.startsWith('fn=')) fn = line.slice(3);
    else if (line.startsWith('cob=')) calleeObject = line.slice(4);
    else if (line.startsWith('cfn=')) callee = line.slice(4);
    else if (line.startsWith('calls=')) callLine = true;
    else if (line.startsWith('0x')) {
      // The line after `calls=` is the call's inclusive cost: counted where the callee is (and, with
      // --native-by-caller, a native callee's inclusive cost under the JIT function that called it).
      if (callLine) {
        callLine = false;
        // No `cob=` line: the callee is in the caller's object.
        const cob = calleeObject !== '' ? calleeObject : object;
        const native = cob !== '' && !cob.startsWith('???');
        if (byCaller && native && (object === '' || object.startsWith('???'))) {
          const [addr, , ir] = line.split(' ');
          const caller = find(parseInt(addr, 16)) ?? '[jit, unmapped]';
          const key = `${caller} -> [native] ${callee}`;
          counts.set(key, (counts.get(key) ?? 0) + Number(ir ?? 0));
        }
        calleeObject = callee = '';
        continue;
      }
      const [addr, , ir] = line.split(' ');
      const name = object !== '' && !object.startsWith('???') ? `[native] ${fn}` : find(parseInt(addr, 16)) ?? '[jit, unmapped]';
      counts.set(name, (counts.get(name) ?? 0) + Number(ir ?? 0));
    }
  }
  rmSync(mapFile, { force: true });
  return counts;
}

const a = await count(n1);
const b = await count(n2);
const rows = [];
for (const name of new Set([...a.keys(), ...b.keys()])) rows.push([((b.get(name) ?? 0) - (a.get(name) ?? 0)) / (n2 - n1), name]);
const total = rows.reduce((s, [v, name]) => (name.includes(' -> ') ? s : s + v), 0);
const shown = rows.filter(([, name]) => match === undefined || name.includes(match)).sort((x, y) => Math.abs(y[0]) - Math.abs(x[0]));
console.log(`N ${n1}→${n2}: ${total.toFixed(0)} instructions per op in all${match === undefined ? '' : `; in functions matching "${match}": ${shown.reduce((s, [v]) => s + v, 0).toFixed(0)}`}`);
// Printed with the file's name only (matched on the whole path).
for (const [v, name] of shown.slice(0, top)) console.log(`${v.toFixed(1).padStart(10)}  ${name.replace(/ (?:file:\/\/)?\S*\/([^/ ]+:\d+:\d+)$/, ' $1').slice(0, 160)}`);
