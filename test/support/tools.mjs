/**
 * The programs the tests drive, found in one place: the tests import their paths from here, and
 * `.ci/run` checks them with `node scripts/check-tools.mjs` before it runs the tests, so a missing one
 * is one clear message up front instead of a failure in each test that needs it.
 *
 * Each is looked for where Debian installs it, or at the path its environment variable names. Plain
 * JavaScript (typed by tools.d.mts) so that scripts/check-tools.mjs runs it with node, before any build.
 */
import { accessSync, constants } from 'node:fs';

/** Where each program is looked for, what needs it, and the Debian package that installs it. */
export const TOOLS = {
  promtool: {
    env: 'PROMTOOL_BIN',
    paths: ['/usr/bin/promtool', '/usr/local/bin/promtool'],
    debian: 'prometheus',
    usedBy: '`promtool check metrics` and `check rules` / `test rules` (exposition, rules and examples tests)',
  },
  prometheus: {
    env: 'PROMETHEUS_BIN',
    paths: ['/usr/bin/prometheus', '/usr/local/bin/prometheus'],
    debian: 'prometheus',
    usedBy: 'the scrape test (test/integration/prometheus.test.ts)',
  },
  chromium: {
    env: 'CHROMIUM_BIN',
    paths: ['/usr/bin/chromium', '/usr/bin/chromium-browser'],
    debian: 'chromium',
    usedBy: 'the dashboard tests in a headless browser (test/dashboard/browser.test.ts, late-open.test.ts)',
  },
};

function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The path of a tool, or undefined when it is not there. A path set in its environment variable is
 * the only one tried, so a wrong one is reported rather than passed over for another copy.
 */
export function findTool(name) {
  const tool = TOOLS[name];
  const fromEnv = process.env[tool.env];
  if (fromEnv) return isExecutable(fromEnv) ? fromEnv : undefined;
  return tool.paths.find(isExecutable);
}

/** What is missing, where it was looked for, and how to get it. */
export function missingToolMessage(name) {
  const tool = TOOLS[name];
  const fromEnv = process.env[tool.env];
  const where = fromEnv ? `at ${fromEnv} (from $${tool.env})` : `at ${tool.paths.join(' or ')}`;
  return (
    `${name} not found ${where}: needed by ${tool.usedBy}. ` +
    `Install the Debian package \`${tool.debian}\` (.ci/run does) or set ${tool.env} to its path.`
  );
}

/** The path of a tool; throws an error that says how to get it when it is not there. */
export function requireTool(name) {
  const path = findTool(name);
  if (path === undefined) throw new Error(missingToolMessage(name));
  return path;
}

/** Each tool's path, or undefined when it is missing. */
export const tools = {
  promtool: findTool('promtool'),
  prometheus: findTool('prometheus'),
  chromium: findTool('chromium'),
};
