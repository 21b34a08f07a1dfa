// The crash harness, on demand:
//   npm run crash -- [--kills 200] [--interrupts 3] [--scale solo] [--engines sqlite,postgres]
// 1. Kills a real `alcove serve` with SIGKILL at random moments (--kills) and at each named
//    point inside a write while it saves and signs notes, restarts it, and checks that nothing
//    acknowledged was lost, the database is whole and the audit chain verifies.
// 2. Kills `alcove init`, `alcove serve` upgrading from the previous schema, and `alcove
//    restore` inside their migrations and rows (--interrupts kills of each), on SQLite and,
//    with ALCOVE_TEST_DATABASE_URL, on PostgreSQL, runs the same command again and checks
//    that it completes. --scale solo upgrades and restores the generated solo caseload (a
//    benchmark run) rather than the plain demo.
// Exits 1 on any loss or any interrupted command that did not complete.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import cliProgress from 'cli-progress';
import { runCrashHarness } from '../packages/cli/src/testing/crash-harness.ts';
import {
  type InterruptionReport,
  runInterruptionHarness,
} from '../packages/cli/src/testing/crash-migrations.ts';

const option = (name: string) => {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? undefined : process.argv[at + 1];
};
const kills = Number(option('kills') ?? '200');
const interrupts = Number(option('interrupts') ?? '3');
const scale = option('scale');
const pgUrl = process.env.ALCOVE_TEST_DATABASE_URL?.trim() || undefined;
const engines = (option('engines') ?? (pgUrl === undefined ? 'sqlite' : 'sqlite,postgres')).split(',');
if (
  !Number.isInteger(kills) ||
  kills < 0 ||
  !Number.isInteger(interrupts) ||
  interrupts < 0 ||
  (scale !== undefined && scale !== 'solo') ||
  engines.some((e) => e !== 'sqlite' && e !== 'postgres') ||
  (engines.includes('postgres') && pgUrl === undefined)
) {
  process.stderr.write(
    'usage: npm run crash -- [--kills N] [--interrupts N] [--scale solo] [--engines sqlite,postgres] (PostgreSQL needs ALCOVE_TEST_DATABASE_URL)\n',
  );
  process.exit(2);
}

const bar = new cliProgress.SingleBar(
  { format: '{task} {bar} {value}/{total}' },
  cliProgress.Presets.shades_classic,
);
let failed = false;

if (kills > 0) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'alcove-crash-'));
  bar.start(kills, 0, { task: 'serve kills' });
  const report = await runCrashHarness({
    dataDir,
    kills,
    progress: (done, total) => {
      bar.setTotal(total);
      bar.update(done);
    },
  });
  bar.stop();
  process.stdout.write(
    `${report.kills} random kills + ${report.pointKills} at named points inside a write, ${report.acknowledged} acknowledged writes, ${report.lost.length} lost, ${report.torn.length} partly written; integrity ${report.integrity}; audit chain ${report.auditVerified ? 'verified' : 'BROKEN'}\n`,
  );
  for (const line of report.lost) process.stdout.write(`lost: ${line}\n`);
  for (const line of report.torn) process.stdout.write(`partly written: ${line}\n`);
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.rmSync(`${dataDir}.key`, { force: true });
  failed ||=
    report.lost.length > 0 || report.torn.length > 0 || report.integrity !== 'ok' || !report.auditVerified;
}

if (interrupts > 0) {
  for (const engine of engines as ('sqlite' | 'postgres')[]) {
    bar.start(1 + 3 * interrupts, 0, { task: `interrupted commands (${engine})` });
    const report: InterruptionReport = await runInterruptionHarness({
      engine,
      ...(pgUrl === undefined ? {} : { databaseUrl: pgUrl }),
      kills: interrupts,
      ...(scale === 'solo' ? { scale: 'solo' as const } : {}),
      progress: (done) => bar.update(done),
    });
    bar.stop();
    const bad = report.runs.filter((run) => run.problems.length > 0);
    process.stdout.write(
      `${engine}: ${report.runs.length} commands killed inside (${report.runs.map((r) => `${r.scenario} at ${r.point}`).join('; ')}), run again: ${bad.length === 0 ? 'every one completed' : `${bad.length} did not complete`}\n`,
    );
    for (const run of bad)
      process.stdout.write(`${run.scenario} at ${run.point}: ${run.problems.join('; ')}\n`);
    failed ||= bad.length > 0;
  }
}

process.exit(failed ? 1 : 0);
