import { tempDir, testDatabaseUrl } from '@alcove/store/testing';
import { describe, expect, it } from 'vitest';
import { runCrashHarness } from './testing/crash-harness.ts';
import { runInterruptionHarness } from './testing/crash-migrations.ts';

describe('the crash harness', () => {
  it('loses no acknowledged write across SIGKILLs, and the database and the audit chain stay whole', async () => {
    const report = await runCrashHarness({ dataDir: tempDir(), kills: 3 });
    expect(report.acknowledged).toBeGreaterThan(0);
    expect(report.pointKills).toBeGreaterThan(0);
    expect(report.lost).toEqual([]);
    expect(report.torn).toEqual([]);
    expect(report.integrity).toBe('ok');
    expect(report.auditVerified).toBe(true);
  }, 180_000);

  // Issue 15: before, a kill inside a migration left a SQLite database that never started
  // again ("Migration 00NN failed", then "… already exists"), a killed `init` a key file
  // that the next init refused, and a killed PostgreSQL restore 41 empty tables that the
  // next restore refused ("the target database is not empty").
  it('on SQLite: a fresh init, an upgrade from the previous schema and a restore, each killed inside (a migration, its rows), run again and complete', async () => {
    const report = await runInterruptionHarness({ engine: 'sqlite', kills: 1 });
    expect(report.runs.map((r) => r.scenario)).toEqual(['backup', 'init', 'upgrade', 'restore']);
    expect(report.runs.filter((r) => r.problems.length > 0)).toEqual([]);
  }, 180_000);

  it.runIf(testDatabaseUrl !== undefined)(
    'on PostgreSQL: the same, at the next point of each scenario (the key file left by init, a migration about to commit, a restore inside its migrations)',
    async () => {
      const report = await runInterruptionHarness({
        engine: 'postgres',
        databaseUrl: testDatabaseUrl ?? '',
        kills: 1,
        firstPoint: 1,
      });
      expect(report.runs.map((r) => r.scenario)).toEqual(['backup', 'init', 'upgrade', 'restore']);
      expect(report.runs.filter((r) => r.problems.length > 0)).toEqual([]);
    },
    240_000,
  );
});
