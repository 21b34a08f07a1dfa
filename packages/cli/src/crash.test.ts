import { tempDir } from '@alcove/store/testing';
import { describe, expect, it } from 'vitest';
import { runCrashHarness } from './testing/crash-harness.ts';

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
});
