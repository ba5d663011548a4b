import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { normal } from './random.js';

const dir = mkdtempSync(join(tmpdir(), 'llm-vitals-backtest-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function cli(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

/** 500 rows, 5 minutes apart, in NAB's format, with one spike at row 400. */
function nabCsv(): string {
  const g = normal(17);
  const lines = ['timestamp,value'];
  for (let i = 0; i < 500; i++) {
    const time = new Date(Date.UTC(2014, 3, 1) + i * 300_000).toISOString().replace('T', ' ').slice(0, 19);
    lines.push(`${time},${(i === 400 ? 60 : 20 + g()).toFixed(3)}`);
  }
  return lines.join('\n') + '\n';
}

describe('llm-vitals backtest', () => {
  it('writes timestamp,value,anomaly_score and summarises the alerts', async () => {
    const input = file('series.csv', nabCsv());
    const out = join(dir, 'scores.csv');
    const { code, stdout, stderr } = await cli('backtest', input, '--out', out);
    expect(code).toBe(0);
    expect(stdout).toBe('');
    const rows = readFileSync(out, 'utf8').trim().split('\n');
    expect(rows[0]).toBe('timestamp,value,anomaly_score');
    expect(rows).toHaveLength(501);
    const scores = rows.slice(1).map((r) => Number(r.split(',')[2]));
    expect(scores.every((s) => s >= 0 && s <= 1)).toBe(true);
    expect(scores.slice(0, 59).every((s) => s === 0)).toBe(true);
    expect(rows[401]).toMatch(/^2014-04-02 09:20:00,60,(1|0\.9\d+)$/);
    // The rows of the same incident that follow the alert score 0 (--raw would show them).
    expect(scores.slice(401, 431).every((s) => s === 0)).toBe(true);
    expect(stderr).toMatch(/^500 rows \(column "value"\), detector series: 1 alert\n {2}2014-04-02 09:20:00 {2}value 60 {2}score 1\.000 {2}\(range\)\nwrote /);
  });

  it('writes to stdout without --out, and the raw scores with --raw', async () => {
    const input = file('series2.csv', nabCsv());
    const plain = await cli('backtest', input);
    const raw = await cli('backtest', input, '--raw');
    expect(plain.code).toBe(0);
    expect(plain.stdout.split('\n')[0]).toBe('timestamp,value,anomaly_score');
    const after = (text: string) => text.split('\n').slice(402, 431).map((r) => Number(r.split(',')[2]));
    expect(after(plain.stdout).every((s) => s === 0)).toBe(true);
    expect(after(raw.stdout).some((s) => s > 0)).toBe(true);
  });

  it('reads another column with --column, and picks the detector with --detector', async () => {
    const csv = nabCsv()
      .trim()
      .split('\n')
      .map((line, i) => (i === 0 ? 'timestamp,value,cpu' : `${line.split(',')[0]},0,${line.split(',')[1]}`))
      .join('\n');
    const input = file('cols.csv', csv);
    const { code, stderr } = await cli('backtest', input, '--column', 'cpu', '--detector', 'cusum');
    expect(code).toBe(0);
    expect(stderr).toMatch(/^500 rows \(column "cpu"\), detector cusum: 0 alerts/);
  });

  it('reads a Prometheus range-query export', async () => {
    const values = Array.from({ length: 300 }, (_, i) => [1_700_000_000 + 60 * i, String(i === 250 ? 900 : 100 + (i % 7))]);
    const body = { status: 'success', data: { resultType: 'matrix', result: [{ metric: { __name__: 'p95_ms', route: '/chat' }, values }] } };
    const input = file('export.json', JSON.stringify(body));
    const { code, stdout, stderr } = await cli('backtest', input);
    expect(code).toBe(0);
    const rows = stdout.trim().split('\n');
    expect(rows).toHaveLength(301);
    expect(rows[1]).toBe('1700000000,100,0');
    expect(rows[251]).toMatch(/^1700015000,900,(1|0\.9\d+)$/);
    expect(stderr).toMatch(/^300 rows \(p95_ms\{route="\/chat"\}\), detector series: 1 alert/);
  });

  it('asks which series of an export with several, and takes --series', async () => {
    const series = (route: string) => ({ metric: { __name__: 'p95_ms', route }, values: [[1_700_000_000, '1'], [1_700_000_060, '2']] });
    const input = file('two.json', JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [series('/a'), series('/b')] } }));
    const ask = await cli('backtest', input);
    expect(ask.code).toBe(1);
    expect(ask.stderr).toContain('2 series; choose one with --series <index>:\n  0: p95_ms{route="/a"}\n  1: p95_ms{route="/b"}');
    const chosen = await cli('backtest', input, '--series', '1');
    expect(chosen.code).toBe(0);
    expect(chosen.stderr).toMatch(/\(p95_ms\{route="\/b"\}\)/);
    const vector = file('vector.json', JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [] } }));
    expect((await cli('backtest', vector)).stderr).toMatch(/a Prometheus "vector" result; export a range query/);
  });

  it('says clearly what is wrong with bad input', async () => {
    const missing = await cli('backtest', file('nocol.csv', 'timestamp,cpu\n2014-01-01 00:00:00,1\n'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/nocol\.csv: no column "value" in the header \(columns: timestamp, cpu\); choose one with --column/);

    const rows = ['timestamp,value', '2014-01-01 00:00:00,1', '2014-01-01 00:05:00,abc', 'yesterday,3', '2014-01-01 00:15:00'].join('\n');
    const bad = await cli('backtest', file('bad.csv', rows));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('bad.csv: 3 unparsable rows:\n  line 3: value "abc" is not a number\n  line 4: timestamp "yesterday" is not a date or an epoch time\n  line 5: 1 fields where the header has 2');

    const empty = await cli('backtest', file('empty.csv', ''));
    expect(empty).toMatchObject({ code: 1 });
    expect(empty.stderr).toMatch(/empty\.csv: the file is empty/);
    expect((await cli('backtest', file('header.csv', 'timestamp,value\n'))).stderr).toMatch(/a header but no rows/);
    expect((await cli('backtest', file('broken.json', '{"data": '))).stderr).toMatch(/broken\.json: not valid JSON/);
    expect((await cli('backtest', join(dir, 'absent.csv'))).stderr).toMatch(/absent\.csv: no such file/);
  });

  it('rejects a bad command line with status 2 and the usage', async () => {
    const unknown = await cli('backtest', 'x.csv', '--treshold', '3');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown option --treshold\n\nUsage: llm-vitals backtest/);
    expect((await cli('backtest', 'x.csv', '--detector', 'prophet')).stderr).toMatch(/unknown detector "prophet"/);
    expect((await cli('backtest')).stderr).toMatch(/missing the input file/);
    const input = file('ok.csv', nabCsv());
    const badOption = await cli('backtest', input, '--warmup', '2');
    expect(badOption.code).toBe(2);
    expect(badOption.stderr).toMatch(/option "warmup" must be an integer from 5/);
    expect((await cli('backtest', '--help')).stdout).toMatch(/^Usage: llm-vitals backtest/);
  });
});

describe('llm-vitals', () => {
  it('lists its commands, and rejects an unknown one', async () => {
    expect(await cli('--help')).toMatchObject({ code: 0, stdout: expect.stringMatching(/demo .*\n {2}backtest /) });
    const unknown = await cli('deploy');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command "deploy"/);
    expect((await cli()).code).toBe(2);
  });

  it('loads the demo lazily for `demo`', async () => {
    const { code, stdout } = await cli('demo', '--help');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: llm-vitals demo/);
  });
});
