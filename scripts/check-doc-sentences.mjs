/**
 * After the documents are reorganised: lists each sentence, table row, heading and code line of an
 * earlier README that is no longer found, word for word, in README.md + docs/*.md + BENCHMARKS.md.
 * Links count by their text (a link whose target moved still matches), and line wrapping, list
 * markers and heading levels are ignored. What it lists was reworded or dropped: each needs a reason.
 *
 *   node scripts/check-doc-sentences.mjs <git revision>    e.g. HEAD~3 (its README.md is the "before")
 *
 * Exit status 0 always; the count is on the last line.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const revision = process.argv[2];
if (!revision) {
  console.error('usage: node scripts/check-doc-sentences.mjs <git revision whose README.md is the "before">');
  process.exit(2);
}
const before = execFileSync('git', ['show', `${revision}:README.md`], { encoding: 'utf8' });
const afterFiles = ['README.md', 'BENCHMARKS.md', ...readdirSync('docs').filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const after = afterFiles.map((file) => readFileSync(file, 'utf8')).join('\n\n');

/** One line without what a move may change: link targets, list and heading markers, spacing. */
function normaliseLine(line) {
  return line
    .replace(/\[([^\]]*)\]\([^)\s]*\)/g, '$1')
    .replace(/^\s*(#{1,6} |[-*] |\d+\. |> )/, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The units of a document: code lines, table rows, headings, and the sentences of its paragraphs. */
function units(text) {
  const result = [];
  let paragraph = [];
  let fenced = false;
  const endParagraph = () => {
    const joined = paragraph.join(' ').trim();
    if (joined) result.push(...joined.split(/(?<=[.!?;:])\s+(?=[A-Z`("*[])/).map((s) => s.trim()).filter(Boolean));
    paragraph = [];
  };
  for (const raw of text.split('\n')) {
    if (/^\s*```/.test(raw)) {
      endParagraph();
      fenced = !fenced;
      continue;
    }
    const line = normaliseLine(raw);
    if (fenced || raw.trimStart().startsWith('|') || /^#{1,6} /.test(raw)) {
      endParagraph();
      if (line && !/^\|[-:| ]+\|$/.test(line)) result.push(line);
    } else if (line === '') {
      endParagraph();
    } else {
      if (/^\s*([-*] |\d+\. )/.test(raw)) endParagraph();
      paragraph.push(line);
    }
  }
  endParagraph();
  return result;
}

const corpus = units(after).join(' ');
const missing = [...new Set(units(before))].filter((unit) => !corpus.includes(unit));
for (const unit of missing) console.log(`- ${unit}`);
console.log(`${missing.length} of ${new Set(units(before)).size} units of ${revision}:README.md not found word for word`);
