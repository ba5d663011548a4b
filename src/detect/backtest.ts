/**
 * Backtest: replay an exported series through a detector, in order, to see what it would have alerted
 * on and tune its settings. Reads NAB's CSV (`timestamp,value`, any other columns ignored; another
 * value column with `--column`) or a Prometheus range-query JSON export (`/api/v1/query_range`), and
 * writes `timestamp,value,anomaly_score` plus a summary of the alerts.
 *
 * `anomaly_score` is the detector's score, except that the rows after an alert that belong to the same
 * incident (its cooldown) are written as 0: a threshold then counts one detection per incident, as
 * NAB's scorer and a pager do. `--raw` writes the scores as they are.
 */
import { createDetector, DETECTOR_NAMES } from './registry.js';
import { DETECTOR_DEFAULTS, type DetectorOptions } from './detector.js';
import type { SeriesOptions } from './series.js';

/** A series to replay: timestamps as written in the input, their epoch ms, and the values. */
export interface Series {
  timestamps: string[];
  times: number[];
  values: number[];
  /** Where it came from, for messages: the column or the series' labels. */
  source: string;
}

/** Bad input: the CLI prints the message and exits with status 1. */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

export interface ParseOptions {
  /** The CSV column holding the values. Default `value`. */
  column?: string;
  /** For a Prometheus export with several series: which one (0-based). */
  series?: number;
  /** The input's name, for messages. */
  name?: string;
}

const TIME_COLUMNS = ['timestamp', 'time', 'ts', 'date', 'datetime'];
/** At most this many bad rows are listed in an error. */
const LISTED = 5;

/** Parse a CSV or a Prometheus range-query JSON export into a series; throws an InputError saying what is wrong. */
export function parseSeries(text: string, options: ParseOptions = {}): Series {
  const name = options.name ?? 'input';
  const trimmed = text.replace(/^\uFEFF/, '').trim();
  if (trimmed === '') throw new InputError(`${name}: the file is empty`);
  if (trimmed[0] === '{' || trimmed[0] === '[') return parsePrometheus(trimmed, name, options.series);
  return parseCsv(trimmed, name, options.column ?? 'value');
}

function splitCsvLine(line: string): string[] {
  if (!line.includes('"')) return line.split(',').map((s) => s.trim());
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(field.trim());
      field = '';
    } else field += ch;
  }
  out.push(field.trim());
  return out;
}

/** Epoch ms of a timestamp: ISO-like date-times (read as UTC without a zone), or epoch seconds / ms. */
export function parseTime(text: string): number {
  if (/^-?\d+(\.\d+)?$/.test(text)) {
    const n = Number(text);
    // Epoch seconds until 2286; beyond, milliseconds.
    return Math.abs(n) < 1e10 ? n * 1000 : n;
  }
  const iso = text.includes('T') ? text : text.replace(' ', 'T');
  const zoned = /([zZ]|[+-]\d\d:?\d\d)$/.test(iso) ? iso : `${iso}Z`;
  return Date.parse(zoned);
}

function parseCsv(text: string, name: string, column: string): Series {
  const lines = text.split(/\r?\n/);
  const header = splitCsvLine(lines[0]).map((h) => h.toLowerCase());
  const valueIndex = header.indexOf(column.toLowerCase());
  if (valueIndex < 0) {
    throw new InputError(`${name}: no column "${column}" in the header (columns: ${header.join(', ')}); choose one with --column`);
  }
  let timeIndex = header.findIndex((h) => TIME_COLUMNS.includes(h));
  if (timeIndex < 0) timeIndex = valueIndex === 0 ? -1 : 0;
  if (timeIndex < 0) throw new InputError(`${name}: no timestamp column (expected one of: ${TIME_COLUMNS.join(', ')})`);
  const series: Series = { timestamps: [], times: [], values: [], source: `column "${column}"` };
  const bad: string[] = [];
  let badCount = 0;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '') continue;
    const fields = splitCsvLine(line);
    const rawTime = fields[timeIndex] ?? '';
    const rawValue = fields[valueIndex] ?? '';
    const time = parseTime(rawTime);
    const value = rawValue === '' ? NaN : Number(rawValue);
    let problem: string | undefined;
    if (fields.length < header.length) problem = `${fields.length} fields where the header has ${header.length}`;
    else if (Number.isNaN(time)) problem = `timestamp ${JSON.stringify(rawTime)} is not a date or an epoch time`;
    else if (!Number.isFinite(value)) problem = `value ${JSON.stringify(rawValue)} is not a number`;
    if (problem !== undefined) {
      if (badCount++ < LISTED) bad.push(`line ${i + 1}: ${problem}`);
      continue;
    }
    series.timestamps.push(rawTime);
    series.times.push(time);
    series.values.push(value);
  }
  if (badCount > 0) {
    throw new InputError(`${name}: ${badCount} unparsable row${badCount === 1 ? '' : 's'}:\n  ${bad.join('\n  ')}${badCount > LISTED ? `\n  ... and ${badCount - LISTED} more` : ''}`);
  }
  if (series.values.length === 0) throw new InputError(`${name}: a header but no rows`);
  return series;
}

interface PromSeries {
  metric?: Record<string, string>;
  values?: unknown;
  value?: unknown;
}

function parsePrometheus(text: string, name: string, index: number | undefined): Series {
  let json: any;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InputError(`${name}: not valid JSON (${(error as Error).message})`);
  }
  if (json && json.status === 'error') throw new InputError(`${name}: a Prometheus error response (${json.errorType ?? 'error'}: ${json.error ?? ''})`);
  const data = json?.data ?? json;
  const resultType = data?.resultType;
  const result: PromSeries[] | undefined = Array.isArray(data) ? data : data?.result;
  if (resultType !== undefined && resultType !== 'matrix') {
    throw new InputError(`${name}: a Prometheus "${resultType}" result; export a range query (/api/v1/query_range), which gives a "matrix"`);
  }
  if (!Array.isArray(result)) throw new InputError(`${name}: not a Prometheus range-query export (expected data.result to be an array of series)`);
  if (result.length === 0) throw new InputError(`${name}: the export holds no series`);
  if (result.length > 1 && index === undefined) {
    const list = result.slice(0, 10).map((s, i) => `  ${i}: ${describeMetric(s.metric)}`);
    throw new InputError(`${name}: ${result.length} series; choose one with --series <index>:\n${list.join('\n')}${result.length > 10 ? '\n  ...' : ''}`);
  }
  const chosen = result[index ?? 0];
  if (chosen === undefined) throw new InputError(`${name}: --series ${index} is out of range (0 to ${result.length - 1})`);
  if (!Array.isArray(chosen.values)) throw new InputError(`${name}: series ${index ?? 0} has no "values" array`);
  const series: Series = { timestamps: [], times: [], values: [], source: describeMetric(chosen.metric) };
  const bad: string[] = [];
  let badCount = 0;
  chosen.values.forEach((pair: unknown, i: number) => {
    const ok = Array.isArray(pair) && pair.length === 2 && typeof pair[0] === 'number' && typeof pair[1] === 'string';
    // Prometheus writes sample values as strings; NaN and ±Inf are legitimate values (the detector skips them).
    const value = ok ? Number((pair as [number, string])[1].replace(/^\+?Inf$/, 'Infinity')) : NaN;
    if (!ok || (Number.isNaN(value) && (pair as [number, string])[1] !== 'NaN')) {
      if (badCount++ < LISTED) bad.push(`values[${i}]: expected [<unix seconds>, "<number>"], got ${JSON.stringify(pair)?.slice(0, 60)}`);
      return;
    }
    const [seconds, raw] = pair as [number, string];
    series.timestamps.push(String(seconds));
    series.times.push(seconds * 1000);
    series.values.push(raw === 'NaN' ? NaN : value);
  });
  if (badCount > 0) {
    throw new InputError(`${name}: ${badCount} unparsable sample${badCount === 1 ? '' : 's'}:\n  ${bad.join('\n  ')}${badCount > LISTED ? `\n  ... and ${badCount - LISTED} more` : ''}`);
  }
  if (series.values.length === 0) throw new InputError(`${name}: the series holds no samples`);
  return series;
}

function describeMetric(metric: Record<string, string> | undefined): string {
  if (metric === undefined) return '{}';
  const { __name__: metricName, ...labels } = metric;
  const inner = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',');
  return `${metricName ?? ''}{${inner}}`;
}

/** One alert of a replay. */
export interface ReplayAlert {
  index: number;
  timestamp: string;
  value: number;
  score: number;
  reason: string;
}

export interface Replay {
  /** One score per row: the detector's, 0 after an alert within the same incident unless `raw`. */
  scores: number[];
  alerts: ReplayAlert[];
  detector: string;
}

/** Run a detector over a series in order. */
export function replay(series: Series, detectorName = 'series', options?: SeriesOptions, raw = false): Replay {
  const detector = createDetector(detectorName, options);
  const scores = new Array<number>(series.values.length);
  const alerts: ReplayAlert[] = [];
  let quietUntil = -1;
  for (let i = 0; i < series.values.length; i++) {
    const result = detector.update(series.values[i], series.times[i]);
    let score = result.score;
    if (result.anomaly) {
      const state = detector.state();
      alerts.push({ index: i, timestamp: series.timestamps[i], value: series.values[i], score, reason: state.lastAlertReason });
      quietUntil = i + (options?.cooldown ?? DETECTOR_DEFAULTS.cooldown);
    } else if (!raw && i <= quietUntil) score = 0;
    scores[i] = score;
  }
  return { scores, alerts, detector: detector.name };
}

/** The CSV the backtest writes. */
export function toCsv(series: Series, scores: number[]): string {
  const lines = ['timestamp,value,anomaly_score'];
  for (let i = 0; i < scores.length; i++) {
    const t = series.timestamps[i];
    const quoted = /[",\n]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t;
    lines.push(`${quoted},${series.values[i]},${Number(scores[i].toFixed(6))}`);
  }
  return lines.join('\n') + '\n';
}

/** What to tell the user: rows, alerts, and the first alerts. */
export function summarize(series: Series, result: Replay, shown = 20): string {
  const lines = [
    `${series.values.length} rows (${series.source}), detector ${result.detector}: ${result.alerts.length} alert${result.alerts.length === 1 ? '' : 's'}`,
  ];
  for (const a of result.alerts.slice(0, shown)) {
    lines.push(`  ${a.timestamp}  value ${a.value}  score ${a.score.toFixed(3)}  (${a.reason})`);
  }
  if (result.alerts.length > shown) lines.push(`  ... and ${result.alerts.length - shown} more`);
  return lines.join('\n');
}

export const BACKTEST_USAGE = `Usage: llm-vitals backtest <in.csv|in.json> [options]

Replays a series through a detector and writes timestamp,value,anomaly_score (score in [0, 1], 0.5 is
the false-alarm budget) to --out or stdout, and a summary of the alerts to stderr.

Input: a CSV with a header (NAB's timestamp,value) or a Prometheus range-query JSON export.

Options:
  --out <file>               write the CSV here instead of stdout
  --detector <name>          ${DETECTOR_NAMES.join(', ')} (default: series,
                             for metrics sampled at regular times; combined is the per-call one)
  --column <name>            the CSV column with the values (default: value)
  --series <index>           which series of a Prometheus export with several
  --warmup <n>               observations before the first alert (default 60)
  --false-alarm-rate <p>     false alarms per observation (default 0.0001)
  --cooldown <n>             observations after an alert that belong to the same incident (default 30)
  --scale <linear|log>       work on the values or their logarithm (default linear)
  --direction <both|up|down> which way of change to alert on (default both)
  --raw                      write the scores of the rows after an alert as they are, not 0
`;

export interface BacktestArgs {
  input: string;
  out: string | undefined;
  detector: string;
  parse: ParseOptions;
  options: DetectorOptions;
  raw: boolean;
}

/** Parse the command line of `backtest`; throws an InputError for a bad one. */
export function parseBacktestArgs(argv: string[]): BacktestArgs {
  const args: BacktestArgs = { input: '', out: undefined, detector: 'series', parse: {}, options: {}, raw: false };
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const next = (): string => {
      if (inline !== undefined) return inline;
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new InputError(`${flag} needs a value`);
      return v;
    };
    const integer = (): number => {
      const v = next();
      if (!/^\d+$/.test(v)) throw new InputError(`${flag} must be a whole number, got ${JSON.stringify(v)}`);
      return Number(v);
    };
    switch (flag) {
      case '--out':
        args.out = next();
        break;
      case '--detector':
        args.detector = next();
        if (!(DETECTOR_NAMES as string[]).includes(args.detector)) {
          throw new InputError(`unknown detector "${args.detector}" (known: ${DETECTOR_NAMES.join(', ')})`);
        }
        break;
      case '--column':
        args.parse.column = next();
        break;
      case '--series':
        args.parse.series = integer();
        break;
      case '--warmup':
        args.options.warmup = integer();
        break;
      case '--cooldown':
        args.options.cooldown = integer();
        break;
      case '--false-alarm-rate': {
        const v = next();
        args.options.falseAlarmRate = Number(v);
        if (!Number.isFinite(args.options.falseAlarmRate)) throw new InputError(`--false-alarm-rate must be a number, got ${JSON.stringify(v)}`);
        break;
      }
      case '--scale':
        args.options.scale = next() as 'linear' | 'log';
        break;
      case '--direction':
        args.options.direction = next() as 'both' | 'up' | 'down';
        break;
      case '--raw':
        args.raw = true;
        break;
      default:
        if (arg.startsWith('-') && arg !== '-') throw new InputError(`unknown option ${arg}`);
        positional.push(arg);
    }
  }
  if (positional.length === 0) throw new InputError('missing the input file');
  if (positional.length > 1) throw new InputError(`one input file at a time, got ${positional.length}: ${positional.join(' ')}`);
  args.input = positional[0];
  args.parse.name = args.input;
  return args;
}
