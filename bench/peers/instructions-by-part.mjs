/**
 * Instructions per operation, split by what executed them: V8's compilers (parsing, bytecode, Sparkplug,
 * Maglev, TurboFan, deoptimization: the JIT's one-off work), the garbage collector, and the rest (the
 * compiled JavaScript, builtins, the runtime, libuv: what every call keeps costing).
 *
 *   node bench/peers/instructions-by-part.mjs N1 N2 [N3 ...] [--functions FILE] -- COMMAND...     every {N} in COMMAND replaced
 *
 * Runs COMMAND under valgrind exactly as ../shared/tools/instructions-per-op does (cachegrind, no cache
 * simulation; the total is the same figure), once per N, keeping cachegrind's per-function counts, and
 * prints for each pair of consecutive Ns (I(Nb) − I(Na)) / (Nb − Na) in all and per part.
 * Why: after a warm-up of a few thousand real-SDK calls V8 still compiles a few functions every few
 * hundred calls (`--trace-opt`), each TurboFan job costing millions of instructions, so the total per
 * call moves by tens of percent between windows; "all but the compilers" is what a call keeps costing
 * once the app has run for a while. The split reads function names, so node must have its symbols
 * (the distribution's binaries do).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { underValgrind } from './valgrind.mjs';

const sep = process.argv.indexOf('--');
// --functions FILE: also write, for the last pair of Ns, each function's instructions per op (JSON), to
// compare two variants function by function (a knock-out, or where an added figure comes from).
const fnAt = process.argv.indexOf('--functions');
const functionsFile = fnAt > 0 && fnAt < sep ? process.argv[fnAt + 1] : undefined;
const ns = process.argv.slice(2, sep).filter((_, i) => fnAt < 0 || (i !== fnAt - 2 && i !== fnAt - 1)).map(Number);
const command = process.argv.slice(sep + 1);
if (sep < 0 || ns.length < 2 || ns.some((n) => !Number.isInteger(n)) || command.length === 0) {
  console.error('usage: node bench/peers/instructions-by-part.mjs N1 N2 [N3 ...] [--functions FILE] -- COMMAND... ({N} in COMMAND)');
  process.exit(2);
}

// V8's compile pipeline in C++ (function names as cachegrind demangles them).
const jit =
  /v8::internal::(compiler|maglev|baseline|interpreter)::|v8::internal::(Compiler|Parser|PreParser|ParserBase<|Scanner|Deoptimizer|TranslatedState|TranslatedFrame|Zone|AccountingAllocator|Assembler|MacroAssembler|TurboAssembler|RelocIterator|OptimizedCompilationInfo|TieringManager|AstValueFactory|DeclarationScope|Scope|FuncNameInferrer|BytecodeArray|SourceRangeAst)\b/;
const gc =
  /v8::internal::(Heap|Scavenger|ScavengerCollector|ScavengeVisitor|MarkCompactCollector|MinorMarkCompactCollector|Sweeper|IncrementalMarking|\w*MarkingVisitor\w*|ConcurrentMarking|MemoryReducer|PagedSpace\w*|\w*NewSpace|SemiSpace|LargeObjectSpace|MemoryAllocator|\w*Evacuat\w*|RememberedSet\w*|SlotSet|TypedSlotSet|GCTracer|MemoryChunk|Page|ArrayBufferSweeper|ArrayBufferList|GlobalHandles|IterateAndScavengePromotedObjectsVisitor|PretenuringHandler)\b|heap::base::|cppgc::/;

function count(n) {
  return underValgrind('cachegrind', ['--cache-sim=no'], command, n, (out, stderr, pid) => {
    const parts = { all: 0, jit: 0, gc: 0, functions: new Map() };
    let fnPart = null;
    let name = '';
    for (const line of readFileSync(out, 'utf8').split('\n')) {
      if (line.startsWith('fn=')) {
        name = line.slice(3);
        fnPart = jit.test(name) ? 'jit' : gc.test(name) ? 'gc' : null;
      } else if (line.length > 0 && line.charCodeAt(0) >= 48 && line.charCodeAt(0) <= 57) {
        const ir = Number(line.slice(line.indexOf(' ') + 1));
        parts.all += ir;
        if (fnPart) parts[fnPart] += ir;
        if (functionsFile) parts.functions.set(name, (parts.functions.get(name) ?? 0) + ir);
      }
    }
    const summary = new RegExp(`^==${pid}== I\\s+refs:\\s+([\\d,]+)`, 'm').exec(stderr);
    if (!summary || Number(summary[1].replaceAll(',', '')) !== parts.all) {
      throw new Error(`per-function counts add up to ${parts.all}, valgrind's total is ${summary?.[1]}`);
    }
    return parts;
  });
}

const counts = [];
for (const n of ns) {
  const started = Date.now();
  const parts = await count(n);
  counts.push(parts);
  console.log(`I(${n}) = ${parts.all} (compilers ${parts.jit}, GC ${parts.gc}) [${Math.round((Date.now() - started) / 1000)} s]`);
}
if (functionsFile) {
  const [a, b] = counts.slice(-2);
  const d = ns.at(-1) - ns.at(-2);
  const per = {};
  for (const name of new Set([...a.functions.keys(), ...b.functions.keys()])) {
    const x = Math.round(((b.functions.get(name) ?? 0) - (a.functions.get(name) ?? 0)) / d);
    if (x !== 0) per[name] = x;
  }
  writeFileSync(functionsFile, JSON.stringify(per, null, 0));
}
for (let i = 1; i < ns.length; i++) {
  const d = ns[i] - ns[i - 1];
  const per = (k) => Math.round((counts[i][k] - counts[i - 1][k]) / d);
  const all = per('all');
  const jitPer = per('jit');
  console.log(
    `N ${ns[i - 1]}→${ns[i]}: ${all} instructions per op; compilers ${jitPer}, GC ${per('gc')}, all but the compilers ${all - jitPer}`,
  );
}
