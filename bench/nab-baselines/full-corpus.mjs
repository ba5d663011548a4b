/**
 * The rest of the NAB corpus, for scoring on categories no detector here was shaped on.
 *
 *   node bench/nab-baselines/full-corpus.mjs            # assemble .nab-extra/full, check every file
 *   NAB_DIR=.nab-extra/full node bench/nab-baselines/run.mjs
 *
 * ../shared/data/nab holds 34 of NAB's 58 files (artificialNoAnomaly, artificialWithAnomaly,
 * realAWSCloudwatch, realAdExchange): every `series` constant and rule was chosen on them. NAB's other
 * three categories (realKnownCause, realTraffic, realTweets) were copied, byte for byte, from the stored
 * copy of github.com/numenta/NAB (each file's source commit in full-corpus-manifest.json) into
 * .nab-extra/data/<category>/ (git-ignored: the data are NAB's, not ours). This script builds
 * .nab-extra/full/ with the layout bench/detect-nab.mjs reads: data/<category> links to ../shared's
 * four folders and .nab-extra's three, and labels/combined_windows.json is ../shared's windows plus the
 * manifest's (NAB's labels/combined_windows.json at 450b949, the version whose windows for the 34
 * shared files are ../shared's). It refuses a file whose SHA-256 is not the manifest's, and checks that
 * every window's ends are timestamps of its file's rows (NAB builds windows from rows, so a file of
 * another version fails this). A file not fetched is left out and named.
 *
 *   node bench/nab-baselines/full-corpus.mjs --record   # write the fetched files' SHA-256 and rows
 *
 * Fetching them again (a fresh checkout has none; there is no network but the stored index): read each
 * manifest entry's repo, path and commit with the search tool's `read_file`, 16,000 characters at a
 * time, and write the text out exactly. Most files step at a regular interval, so writing only each
 * piece's values and rebuilding the timestamps with a script is far less to type; the SHA-256 check
 * here proves the result. Each entry says how its text ends lines (`lineEnd`: two files are CRLF,
 * which read_file shows as LF while counting two characters per line end in its offsets) and whether
 * it ends with a newline (`finalNewline`: six traffic files do not); nyc_taxi is converted (its
 * `note`). Eight helper sessions in parallel, one file or a few small ones each, took about 40 minutes.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const shared = resolve(root, '../shared/data/nab');
const extra = resolve(root, '.nab-extra');
const out = resolve(extra, 'full');
const manifestPath = new URL('./full-corpus-manifest.json', import.meta.url).pathname;
const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
const record = process.argv.includes('--record');

const sha256 = (text) => createHash('sha256').update(text).digest('hex');
const rowsOf = (text) => text.split(/\r?\n/).slice(1).filter((line) => line !== '');
const problems = [];
const missing = [];

for (const [name, entry] of Object.entries(manifest.files)) {
  const path = join(extra, 'data', name);
  if (!existsSync(path)) {
    missing.push(name);
    continue;
  }
  const text = readFileSync(path, 'utf8');
  const rows = rowsOf(text);
  if (record) {
    entry.sha256 = sha256(text);
    entry.rows = rows.length;
  } else if (entry.sha256 !== sha256(text)) {
    // The usual slip when fetching again: the line ends or the last newline, which read_file's text does not show.
    const lineEnd = text.includes('\r\n') ? 'CRLF' : 'LF';
    const shape = [
      entry.lineEnd !== undefined && lineEnd !== entry.lineEnd ? `line ends should be ${entry.lineEnd}` : '',
      entry.finalNewline !== undefined && text.endsWith('\n') !== entry.finalNewline ? `it should ${entry.finalNewline ? '' : 'not '}end with a newline` : '',
    ].filter((s) => s !== '');
    problems.push(`${name}: SHA-256 is not the manifest's (fetched again, or changed?)${shape.length > 0 ? `: ${shape.join('; ')}` : ''}`);
  }
  const stamps = new Set(rows.map((line) => line.slice(0, line.indexOf(','))));
  for (const [start, end] of manifest.windows[name] ?? []) {
    for (const t of [start, end]) if (!stamps.has(t.replace(/\.0+$/, ''))) problems.push(`${name}: window end ${t} is not a row of the file`);
  }
}
if (record) {
  writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  console.log(`recorded ${Object.keys(manifest.files).length - missing.length} files in ${manifestPath}`);
}
if (problems.length > 0) {
  console.error(problems.join('\n'));
  process.exit(1);
}

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'data'), { recursive: true });
mkdirSync(join(out, 'labels'));
for (const category of readdirSync(join(shared, 'data'))) symlinkSync(join(shared, 'data', category), join(out, 'data', category));
const windows = JSON.parse(readFileSync(join(shared, 'labels', 'combined_windows.json'), 'utf8'));
for (const name of Object.keys(manifest.files)) {
  if (missing.includes(name)) continue;
  const [category, file] = name.split('/');
  mkdirSync(join(out, 'data', category), { recursive: true });
  symlinkSync(join(extra, 'data', category, file), join(out, 'data', category, file));
  windows[name] = manifest.windows[name];
}
writeFileSync(join(out, 'labels', 'combined_windows.json'), `${JSON.stringify(windows, null, 2)}\n`);
const count = Object.keys(windows).length;
console.log(`${out}: ${count} files${missing.length > 0 ? `; not fetched, left out: ${missing.join(', ')}` : ''}`);
