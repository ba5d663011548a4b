/**
 * Checks that the programs the tests drive are installed, where the tests will look for them
 * (test/support/tools.mjs: the Debian paths, or $PROMTOOL_BIN, $PROMETHEUS_BIN, $CHROMIUM_BIN).
 *
 *   node scripts/check-tools.mjs             exit 1 with one line per missing program
 *   node scripts/check-tools.mjs --packages  print the Debian packages that would install the missing
 *                                            ones (nothing when none is missing), exit 0
 */
import { TOOLS, findTool, missingToolMessage } from '../test/support/tools.mjs';

const missing = Object.keys(TOOLS).filter((name) => findTool(name) === undefined);

if (process.argv.includes('--packages')) {
  const packages = [...new Set(missing.map((name) => TOOLS[name].debian))];
  if (packages.length > 0) console.log(packages.join(' '));
} else if (missing.length > 0) {
  for (const name of missing) console.error(`check-tools: ${missingToolMessage(name)}`);
  process.exitCode = 1;
} else {
  for (const name of Object.keys(TOOLS)) console.log(`check-tools: ${name} ${findTool(name)}`);
}
