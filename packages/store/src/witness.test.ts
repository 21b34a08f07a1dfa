import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendAuditEvent } from './audit.ts';
import { writeCheckpoint } from './audit-checkpoints.ts';
import { verifyAuditLog } from './audit-verify.ts';
import { writeBackup } from './backup.ts';
import { restoreBackup } from './restore.ts';
import { openStore } from './store.ts';
import { tempDir, testEngines } from './testing/engines.ts';
import { createTestVault, type TestVault } from './testing/vault.ts';
import { readWitness, witnessKey, witnessRestore } from './witness.ts';

describe.each(testEngines)('the audit witness on $name', (engine) => {
  let v: TestVault;
  let witness: string;
  let second = 0;

  async function append(n: number): Promise<void> {
    for (let i = 0; i < n; i += 1) {
      second += 1;
      await v.db.transaction().execute((trx) =>
        appendAuditEvent(
          trx,
          {
            actorId: 'user-1',
            practiceId: v.practice.id,
            action: 'client.read',
            outcome: 'ok',
            purpose: 'care',
          },
          new Date(Date.UTC(2026, 11, 1, 9, 0, second)).toISOString(),
        ),
      );
    }
  }

  beforeEach(async () => {
    v = await createTestVault(engine);
    witness = path.join(tempDir('alcove-witness-'), 'witness');
    second = 0;
    // 40 events: checkpoints at 20 and 30, both witnessed, and 10 not yet signed.
    await append(20);
    await writeCheckpoint(v.db, v.keyring, undefined, witness);
    await append(10);
    await writeCheckpoint(v.db, v.keyring, undefined, witness);
    await append(10);
  });
  afterEach(async () => {
    await v.close();
  });

  const verify = () => verifyAuditLog(v.db, v.keyring, undefined, { witness });
  const witnessLines = () => fs.readFileSync(witness, 'utf8').trimEnd().split('\n');

  /** Someone who can write the database: cut the log back to event 20, rewrite its head, drop checkpoint 30. */
  async function cutTo(seq: number): Promise<void> {
    const event = await v.db
      .selectFrom('audit_event')
      .select(['seq', 'hash'])
      .where('seq', '=', seq)
      .executeTakeFirstOrThrow();
    await v.db.deleteFrom('audit_event').where('seq', '>', seq).execute();
    await v.db.deleteFrom('audit_checkpoint').where('seq', '>', seq).execute();
    await v.db.updateTable('audit_head').set({ seq, hash: event.hash }).where('id', '=', 1).execute();
  }

  it('writes one signed, chained line per checkpoint, and never the same checkpoint twice', async () => {
    expect(witnessLines()).toHaveLength(2);
    await writeCheckpoint(v.db, v.keyring, undefined, witness);
    await writeCheckpoint(v.db, v.keyring, undefined, witness);
    const reading = readWitness(witness, await witnessKey(v.db, v.keyring));
    expect(reading.problems).toEqual([]);
    expect(reading.entries.map((e) => [e.kind, e.seq])).toEqual([
      ['checkpoint', 20],
      ['checkpoint', 30],
      ['checkpoint', 40],
    ]);
    expect((fs.statSync(witness).mode & 0o777).toString(8)).toBe('600');
    const result = await verify();
    expect(result).toMatchObject({ ok: true, problems: [], warnings: [] });
    expect(result.witness).toMatchObject({
      file: witness,
      exists: true,
      newest: { kind: 'checkpoint', seq: 40 },
    });
  });

  it('detects a log cut short with its head rewritten and the newer checkpoints deleted, naming the witness', async () => {
    await cutTo(20);
    // The database alone cannot tell: this is what verify said before the witness.
    expect((await verifyAuditLog(v.db, v.keyring)).ok).toBe(true);
    const result = await verify();
    expect(result.ok).toBe(false);
    expect(result.problems).toContain(
      `the log ends at event 20, before the checkpoint witnessed at event 30 in the witness ${witness}: it has been cut short or rolled back`,
    );
  });

  it('detects a log whose head was rewritten after a witnessed checkpoint (cut, then grown again)', async () => {
    await cutTo(20);
    await append(15);
    const result = await verify();
    expect(result.ok).toBe(false);
    expect(result.problems).toContain(
      `event 30 does not match the checkpoint witnessed for it in the witness ${witness}`,
    );
  });

  it('detects an edited witness line by its signature, and a removed one by the chain', async () => {
    const lines = witnessLines();
    const edited = [lines[0]?.replace('"seq":20', '"seq":19'), lines[1]];
    fs.writeFileSync(witness, `${edited.join('\n')}\n`);
    expect((await verify()).problems).toContain(
      `line 1 of the witness is not signed by this Alcove's audit key: it has been changed (${witness})`,
    );
    fs.writeFileSync(witness, `${lines[1]}\n`);
    expect((await verify()).problems).toContain(
      `line 1 of the witness follows a line that is no longer there: a line was removed (${witness})`,
    );
  });

  it('warns of a witness cut short or deleted', async () => {
    fs.writeFileSync(witness, `${witnessLines()[0]}\n`);
    const behind = await verify();
    expect(behind.ok).toBe(true);
    expect(behind.warnings).toEqual([
      `the witness ${witness} ends at event 20, older than the database's newest checkpoint (event 30): it was cut short, or checkpoints were witnessed elsewhere`,
    ]);
    fs.rmSync(witness);
    const missing = await verify();
    expect(missing.ok).toBe(true);
    expect(missing.warnings[0]).toContain(`there is no witness at ${witness}`);
    // The next checkpoint witnesses the newest again.
    await writeCheckpoint(v.db, v.keyring, undefined, witness);
    expect((await verify()).warnings).toEqual([]);
  });

  it('detects a copy of an older "restored" line appended to the witness, and an older database put back', async () => {
    await witnessRestore(v.db, v.keyring, witness);
    await append(10);
    await writeCheckpoint(v.db, v.keyring, undefined, witness);
    const restored = witnessLines().find((l) => l.includes('"restored"'));
    expect(restored).toBeDefined();
    // No key needed: copy the old line to the end, then put back the log as it was at event 40.
    fs.appendFileSync(witness, `${restored}\n`);
    await cutTo(40);
    const result = await verify();
    expect(result.ok).toBe(false);
    expect(result.problems).toContain(
      `line 5 of the witness repeats an earlier line: a line was copied into it (${witness})`,
    );
    expect(result.problems.some((p) => p.includes('before the checkpoint witnessed at event 50'))).toBe(true);
  });

  it('warns of a witness emptied to zero bytes, even with every checkpoint deleted', async () => {
    fs.writeFileSync(witness, '');
    await v.db.deleteFrom('audit_checkpoint').execute();
    const result = await verify();
    expect(result.ok).toBe(true);
    expect(result.warnings).toEqual([
      `the witness ${witness} is empty: it was emptied, so the log could not be compared with one kept outside it`,
    ]);
  });

  it('a legitimate restore of an older backup passes once the witness is told; the same database put back silently does not', async () => {
    const backup = path.join(tempDir('alcove-witness-backup-'), 'b.alcove');
    await cutTo(30);
    // A backup taken at event 30 carries the witnessed checkpoint at 30.
    await writeBackup(v.db, v.keyring, backup, undefined, { witness });
    // Alcove carries on: more events, witnessed.
    await append(25);
    await writeCheckpoint(v.db, v.keyring, undefined, witness);

    const target = await engine.create();
    const store = await openStore(target.config);
    try {
      await restoreBackup(backup, { method: 'key-file', key: v.keyFile }, store);
      const silent = await verifyAuditLog(store.db, v.keyring, undefined, { witness });
      expect(silent.ok).toBe(false);
      expect(silent.problems.some((p) => p.includes('before the checkpoint witnessed at event 55'))).toBe(
        true,
      );

      await witnessRestore(store.db, v.keyring, witness);
      const told = await verifyAuditLog(store.db, v.keyring, undefined, { witness });
      expect(told).toMatchObject({ ok: true, problems: [], warnings: [] });
      expect(told.witness?.newest).toEqual({ kind: 'restored', seq: 30 });
      // The restored log carries on, and its new checkpoints are witnessed after the restore.
      await store.db
        .transaction()
        .execute((trx) => appendAuditEvent(trx, { action: 'session.sign-in', outcome: 'ok' }));
      await writeCheckpoint(store.db, v.keyring, undefined, witness);
      const after = await verifyAuditLog(store.db, v.keyring, undefined, { witness });
      expect(after).toMatchObject({ ok: true, warnings: [] });
      expect(after.witness?.newest).toEqual({ kind: 'checkpoint', seq: 31 });
      // …and the database it replaced, put back silently in its place, disagrees at event 31.
      expect((await verify()).problems).toContain(
        `event 31 does not match the checkpoint witnessed for it in the witness ${witness}`,
      );
    } finally {
      await store.close();
      await target.dispose();
    }
  });

  it('a backup carries the newest witnessed checkpoint, and a restore refuses a log that ends before it', async () => {
    const backup = path.join(tempDir('alcove-witness-backup-'), 'b.alcove');
    // The database was cut back before the backup was taken: the witness knows better.
    await cutTo(20);
    await writeBackup(v.db, v.keyring, backup, undefined, { witness });
    const target = await engine.create();
    const store = await openStore(target.config);
    try {
      await expect(
        restoreBackup(backup, { method: 'key-file', key: v.keyFile }, store),
      ).rejects.toMatchObject({
        verified: {
          problems: expect.arrayContaining([
            "audit log: the log ends at event 20, before the checkpoint witnessed at event 30 in the backup's witnessed checkpoint: it has been cut short or rolled back",
          ]),
        },
      });
    } finally {
      await store.close();
      await target.dispose();
    }
  });
});
