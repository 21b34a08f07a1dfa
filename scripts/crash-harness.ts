// The crash harness, on demand: npm run crash -- --kills 200
// Kills a real `alcove serve` with SIGKILL at random moments while it saves and signs notes,
// restarts it, and checks that nothing acknowledged was lost, the database is whole and the
// audit chain verifies. Exits 1 on any loss.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import cliProgress from 'cli-progress';
import { runCrashHarness } from '../packages/cli/src/testing/crash-harness.ts';

const at = process.argv.indexOf('--kills');
const kills = at === -1 ? 200 : Number(process.argv[at + 1]);
if (!Number.isInteger(kills) || kills < 1) {
  process.stderr.write('usage: npm run crash -- --kills N\n');
  process.exit(2);
}
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'alcove-crash-'));
const bar = new cliProgress.SingleBar(
  { format: 'kills {bar} {value}/{total}' },
  cliProgress.Presets.shades_classic,
);
bar.start(kills, 0);
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
process.exit(
  report.lost.length === 0 && report.torn.length === 0 && report.integrity === 'ok' && report.auditVerified
    ? 0
    : 1,
);
