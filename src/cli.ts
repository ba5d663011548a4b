#!/usr/bin/env node
/**
 * The `llm-vitals` command: `llm-vitals demo` (the embedded LLM, an app and the dashboard, with
 * incidents; src/demo/) and `llm-vitals backtest` (replay an exported series through a detector;
 * src/detect/backtest.ts). `main` returns the exit code, so tests run it in-process: 0 done, 1 bad
 * input or a failure, 2 a bad command line.
 */
import { readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BACKTEST_USAGE, InputError, parseBacktestArgs, parseSeries, replay, summarize, toCsv } from './detect/backtest.js';

export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
}

const processIO: CliIO = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

export const USAGE = `Usage: llm-vitals <command> [options]

Commands:
  demo       run an embedded LLM, an app calling it and the dashboard, with incidents to detect
  backtest   replay a CSV or Prometheus export through a detector: llm-vitals backtest <in.csv> [--out out.csv]

Run llm-vitals <command> --help for a command's options.
`;

/** Run the command line `argv` (without node and the script); resolves to the exit code. */
export async function main(argv: string[], io: CliIO = processIO): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'backtest':
      return backtest(rest, io);
    case 'demo':
      return demo(rest, io);
    case '-h':
    case '--help':
    case 'help':
      io.stdout(USAGE);
      return 0;
    case undefined:
      io.stderr(USAGE);
      return 2;
    default:
      io.stderr(`llm-vitals: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

async function backtest(argv: string[], io: CliIO): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout(BACKTEST_USAGE);
    return 0;
  }
  let args;
  try {
    args = parseBacktestArgs(argv);
  } catch (error) {
    io.stderr(`llm-vitals backtest: ${(error as Error).message}\n\n${BACKTEST_USAGE}`);
    return 2;
  }
  try {
    let text: string;
    try {
      text = readFileSync(args.input, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new InputError(code === 'ENOENT' ? `${args.input}: no such file` : `${args.input}: cannot be read (${(error as Error).message})`);
    }
    const series = parseSeries(text, args.parse);
    const result = replay(series, args.detector, args.options, args.raw);
    const csv = toCsv(series, result.scores);
    if (args.out !== undefined) writeFileSync(args.out, csv);
    else io.stdout(csv);
    io.stderr(`${summarize(series, result)}\n${args.out !== undefined ? `wrote ${args.out}\n` : ''}`);
    return 0;
  } catch (error) {
    // Bad detector options are the command line's fault; everything else is the input's.
    if (error instanceof TypeError) {
      io.stderr(`llm-vitals backtest: ${error.message.replace(/^detector: /, '')}\n`);
      return 2;
    }
    io.stderr(`llm-vitals backtest: ${(error as Error).message}\n`);
    return 1;
  }
}

async function demo(argv: string[], io: CliIO): Promise<number> {
  // Loaded only for this command: the demo pulls in Express and the embedded server.
  let runDemo: (argv: string[], io: { print(line: string): void }) => Promise<number>;
  try {
    ({ runDemo } = await import('./demo/run.js'));
  } catch (error) {
    io.stderr(`llm-vitals demo: the demo could not be loaded (${(error as Error).message}); is the package fully installed?\n`);
    return 1;
  }
  return runDemo(argv, { print: (line) => io.stdout(`${line}\n`) });
}

/** True when this file is the program node was started with (the `llm-vitals` bin), not an import. */
function invokedDirectly(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    const self = typeof __filename === 'string' ? __filename : fileURLToPath(import.meta.url);
    return realpathSync(entry) === realpathSync(self);
  } catch {
    return false;
  }
}

if (invokedDirectly()) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      process.stderr.write(`llm-vitals: ${(error as Error)?.stack ?? String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
