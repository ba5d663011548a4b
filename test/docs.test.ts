/**
 * The documents hold together: README.md is the newcomer's page, docs/ one page per area, BENCHMARKS.md
 * every measured figure. Every relative link in them reaches a file that exists, and every `#anchor`
 * a heading of that file (GitHub's anchors); the README keeps its two set-up commands; the metrics the
 * README shows are the ones docs/metrics.md documents.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(new URL('..', import.meta.url).pathname);
const DOCUMENTS = ['README.md', 'BENCHMARKS.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** The lines of a Markdown file that are not inside a fenced code block. */
function proseLines(file: string): string[] {
  let fenced = false;
  return readFileSync(join(ROOT, file), 'utf8')
    .split('\n')
    .filter((line) => {
      if (/^\s*```/.test(line)) {
        fenced = !fenced;
        return false;
      }
      return !fenced;
    });
}

/** GitHub's anchor for a heading: rendered text, lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  const text = heading.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/`/g, '');
  return text
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '')
    .replace(/ /g, '-');
}

/** The anchors of a file's headings, with GitHub's -1, -2 suffixes for repeated ones. */
function anchors(file: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const line of proseLines(file)) {
    const heading = /^#{1,6} (.*)$/.exec(line);
    if (!heading) continue;
    const base = slug(heading[1]);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    result.add(count === 0 ? base : `${base}-${count}`);
  }
  return result;
}

/** Relative links of a file: `[text](target)` outside code, web and mail links left out. */
function links(file: string): string[] {
  const found: string[] = [];
  for (const line of proseLines(file)) {
    const prose = line.replace(/`[^`]*`/g, '``');
    for (const match of prose.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (!/^(https?:|mailto:)/.test(match[1])) found.push(match[1]);
    }
  }
  return found;
}

describe('the documents', () => {
  it.each(DOCUMENTS)('%s: every relative link and anchor resolves', (file) => {
    const broken: string[] = [];
    for (const link of links(file)) {
      const [path, anchor] = link.split('#') as [string, string | undefined];
      const target = path === '' ? file : relative(ROOT, resolve(ROOT, dirname(file), path));
      if (!existsSync(join(ROOT, target))) broken.push(`${link} (no file ${target})`);
      else if (anchor !== undefined && target.endsWith('.md') && !anchors(target).has(anchor)) broken.push(`${link} (no heading #${anchor} in ${target})`);
    }
    expect(broken).toEqual([]);
  });

  it('README keeps the two set-up commands, each in its exact form', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(readme).toMatch(/^npm ci && npm run demo\b/m);
    expect(readme).toMatch(/^npm ci && npm test\b/m);
  });

  it('documents in docs/metrics.md every metric the README shows', () => {
    const readme = proseLines('README.md').join('\n');
    const section = readme.slice(readme.indexOf('## The ten metrics most people chart'));
    const shown = [...section.slice(0, section.indexOf('\n## ', 1)).matchAll(/^\| [^|]+ \| `([a-z_]+)/gm)].map((m) => m[1]);
    expect(shown).toHaveLength(10);
    const metrics = readFileSync(join(ROOT, 'docs/metrics.md'), 'utf8');
    expect(shown.filter((name) => !metrics.includes(`\`${name}\``))).toEqual([]);
  });
});
