/**
 * The one-line result of a test run, from vitest's JSON report: `N passed, N failed`, where a failed
 * file counts too. A file that failed to load, or whose `beforeAll`/`afterAll` threw, has no failed
 * test in the report (its tests are skipped or missing), so it is counted as one failure of its own and
 * named, with its error, above the line.
 *
 *   node scripts/test-summary.mjs .vitest-results.json [exit status of the run]
 *
 * Given the run's exit status, a run that failed with nothing failed in the report (an unhandled
 * error, a crashed worker) counts one failure. Exit status: 1 when anything failed, else 0.
 */
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';

const [reportPath, runStatus] = process.argv.slice(2);
if (reportPath === undefined || !existsSync(reportPath)) {
  console.log(`no test report${reportPath ? ` at ${reportPath}` : ''}: the tests did not run to the end`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}

const report = JSON.parse(readFileSync(reportPath, 'utf8'));
const passed = report.numPassedTests;
let failed = report.numFailedTests;
for (const file of report.testResults) {
  const failedTests = file.assertionResults.filter((test) => test.status === 'failed');
  const name = relative(process.cwd(), file.name);
  if (file.status === 'failed' && failedTests.length === 0) {
    failed += 1;
    console.log(`FAILED FILE ${name}: ${file.message || 'failed with no failed test'}`);
  }
  for (const test of failedTests) console.log(`FAILED ${name} > ${test.fullName}`);
}
if (failed === 0 && runStatus !== undefined && Number(runStatus) !== 0) {
  failed = 1;
  console.log(`the run exited with status ${runStatus} with no failed test or file in its report (an unhandled error?)`);
}
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
