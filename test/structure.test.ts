/**
 * The source's shape (issue 14): no two files under src/ import each other in a circle, however long the
 * circle, and no source file is over 400 lines (a file that long holds more than one thing).
 *
 * What counts as an import: every reference from one src file to another that TypeScript resolves,
 * `import` and `export ... from` of values and of types alike (`import type` included), lazy
 * `import('./x.js')` and type references `import('./x.js').T`. Type-only imports are erased and make no
 * circle when the code runs, and a lazy import runs after both files are loaded; they are counted all
 * the same, because what the rule protects is the layout, where data flows one way (instrument ▸
 * stages ▸ sinks): two files that each need the other to be read are one concern in two files, whether
 * the need is a value, a type or a lazy load. Imports of packages (not starting with '.') are not src
 * files and are left out.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(new URL('..', import.meta.url).pathname);
const SRC = join(ROOT, 'src');
const MAX_LINES = 400;

/** Every .ts file under src/, as absolute paths, sorted. */
function sourceFiles(dir = SRC): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...sourceFiles(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) files.push(path);
  }
  return files.sort();
}

/** The src file a relative specifier names ('./x.js' is x.ts; './dir' is dir/index.ts), if any. */
function resolveSpecifier(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const base = resolve(dirname(from), specifier);
  for (const candidate of [base.replace(/\.js$/, '.ts'), `${base}.ts`, join(base, 'index.ts')]) {
    if (candidate.endsWith('.ts') && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** The module specifiers a file names: imports, re-exports, lazy imports and `import('x').T` types. */
function specifiersOf(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const specifiers: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      specifiers.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [argument] = node.arguments;
      if (argument !== undefined && ts.isStringLiteralLike(argument)) specifiers.push(argument.text);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      specifiers.push(node.argument.literal.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return specifiers;
}

/** Each src file and the src files it imports. */
function importGraph(files: string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const targets = new Set<string>();
    for (const specifier of specifiersOf(file)) {
      const target = resolveSpecifier(file, specifier);
      if (target !== undefined) targets.add(target);
    }
    graph.set(file, [...targets].sort());
  }
  return graph;
}

/**
 * The circles of the graph, each as the path that closes it (a -> b -> a): a depth-first search, one
 * circle per edge back to a file still on the search's path. Every graph with a circle has such an
 * edge, so none is missed; a file in several circles may show in several.
 */
function findCircles(graph: Map<string, string[]>): string[][] {
  const onPath = new Set<string>();
  const done = new Set<string>();
  const path: string[] = [];
  const circles: string[][] = [];
  const visit = (file: string): void => {
    onPath.add(file);
    path.push(file);
    for (const target of graph.get(file) ?? []) {
      if (onPath.has(target)) circles.push([...path.slice(path.indexOf(target)), target]);
      else if (!done.has(target)) visit(target);
    }
    path.pop();
    onPath.delete(file);
    done.add(file);
  };
  for (const file of graph.keys()) if (!done.has(file)) visit(file);
  return circles;
}

const name = (file: string): string => relative(ROOT, file);

/** Lines as `wc -l` counts them: a last line without its newline still counts. */
function lineCount(text: string): number {
  if (text === '') return 0;
  const lines = text.split('\n').length;
  return text.endsWith('\n') ? lines - 1 : lines;
}

describe('the source layout', () => {
  const files = sourceFiles();
  const graph = importGraph(files);

  it('reads the imports it checks (a file that imports others is seen to)', () => {
    // Guards the check below against passing on a graph it failed to read.
    expect(files.length).toBeGreaterThan(50);
    expect(graph.get(join(SRC, 'index.ts'))?.length ?? 0).toBeGreaterThan(5);
  });

  it('has no import circle among src/ files (type-only and lazy imports included)', () => {
    const circles = findCircles(graph).map((circle) => circle.map(name).join(' -> '));
    expect(circles, `import circles:\n  ${circles.join('\n  ')}`).toEqual([]);
  });

  it(`has no source file over ${MAX_LINES} lines`, () => {
    const over = files.map((file) => ({ file, lines: lineCount(readFileSync(file, 'utf8')) })).filter(({ lines }) => lines > MAX_LINES);
    const named = over.map(({ file, lines }) => `${name(file)}: ${lines} lines`);
    expect(named, `over ${MAX_LINES} lines:\n  ${named.join('\n  ')}`).toEqual([]);
  });
});
