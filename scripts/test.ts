// `npm test`: builds the web app, runs every group of tests once (UTC, and PostgreSQL too
// where ALCOVE_TEST_DATABASE_URL is set), then the core and HTTP groups again on SQLite in
// two more time zones: Europe/London with the clock in British Summer Time, and
// Pacific/Auckland. Ends with one line, `N passed, N failed`, summing every pass, and writes
// the same counts to test-results/summary.json for .ci/run.
//
// A full run also proves the catalogue's claims: every pass merges its tests tagged with a
// clause into test-results/clauses.json (test/support/clause-reporter.ts), and at the end
// every enforced, checked or recorded clause needs a passing tagged test that ran one of
// its registered rules; each one without is printed and counts as one failure.
//
// `npm test -- --zones-only` runs just the two extra zone passes (no build, no clause check).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { clauseResultsFile, readClauseResults } from '../packages/cli/src/clause-results.ts';
import { proveClauses, scanTaggedTests } from '../packages/cli/src/commands/clauses-proof.ts';

const root = path.resolve(import.meta.dirname, '..');
const results = path.join(root, 'test-results');
const vitest = path.join(root, 'node_modules', 'vitest', 'vitest.mjs');

/** 00:30 BST on 16 July 2027: still 15 July in UTC, so a day taken in UTC is a day out. */
export const SUMMER_NOW = '2027-07-16T00:30:00+01:00';

interface Pass {
  readonly name: string;
  readonly env: Readonly<Record<string, string>>;
  readonly args: readonly string[];
}

const zoneArgs = ['--project', 'core', '--project', 'server'];
const passes: Pass[] = [
  { name: 'every group, UTC', env: { TZ: 'UTC' }, args: [] },
  {
    name: 'core and HTTP on SQLite, Europe/London, the clock in summer',
    env: { TZ: 'Europe/London', ALCOVE_TEST_NOW: SUMMER_NOW, ALCOVE_TEST_DATABASE_URL: '' },
    args: zoneArgs,
  },
  {
    name: 'core and HTTP on SQLite, Pacific/Auckland',
    env: { TZ: 'Pacific/Auckland', ALCOVE_TEST_DATABASE_URL: '' },
    args: zoneArgs,
  },
];

const zonesOnly = process.argv.includes('--zones-only');
const clauseResults = clauseResultsFile();
let failedToRun = 0;
if (!zonesOnly) {
  fs.rmSync(clauseResults, { force: true });
  const built = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (built.status !== 0) failedToRun += 1;
}

const totals = { passed: 0, failed: 0, skipped: 0 };
const timings: string[] = [];
fs.mkdirSync(results, { recursive: true });
for (const pass of zonesOnly ? passes.slice(1) : passes) {
  if (failedToRun > 0) break;
  process.stdout.write(`\n=== ${pass.name}\n`);
  const summary = path.join(results, `summary-${pass.env.TZ?.replace('/', '-') ?? 'pass'}.json`);
  fs.rmSync(summary, { force: true });
  const started = Date.now();
  const run = spawnSync(process.execPath, [vitest, 'run', ...pass.args], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, ...pass.env, ALCOVE_TEST_SUMMARY: summary },
  });
  timings.push(`${pass.name}: ${Math.round((Date.now() - started) / 1000)} s`);
  if (!fs.existsSync(summary)) {
    failedToRun += 1; // the runner itself failed before it could count
    continue;
  }
  const counts = JSON.parse(fs.readFileSync(summary, 'utf8')) as typeof totals;
  totals.passed += counts.passed;
  totals.failed += counts.failed;
  totals.skipped += counts.skipped;
  if (run.status !== 0 && counts.failed === 0) failedToRun += 1;
}

totals.failed += failedToRun;
if (!zonesOnly && failedToRun > 0) {
  process.stdout.write('\nThe clause check did not run: a pass could not run to the end.\n');
} else if (!zonesOnly) {
  const unproven = proveClauses(
    readClauseResults(clauseResults) ?? { version: 1, clauses: {} },
    scanTaggedTests(root),
  ).filter((proof) => proof.proven !== true);
  if (unproven.length > 0) {
    totals.failed += 1;
    process.stdout.write(
      `\n${unproven.length} claimed clauses not proven by a passing test (alcove clauses):\n`,
    );
    for (const proof of unproven)
      process.stdout.write(`  ${proof.clause.id} (${proof.clause.status}): ${proof.why}\n`);
  }
}
fs.writeFileSync(path.join(results, 'summary.json'), `${JSON.stringify(totals)}\n`);
process.stdout.write(`\n${timings.join('\n')}\n\n${totals.passed} passed, ${totals.failed} failed\n`);
process.exitCode = totals.failed === 0 ? 0 : 1;
