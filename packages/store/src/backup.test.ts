import fs from 'node:fs';
import path from 'node:path';
import { Confidential } from '@alcove/core';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addMembership, createUser } from './accounts.ts';
import { appendAuditEvent } from './audit.ts';
import { writeCheckpoint } from './audit-checkpoints.ts';
import { BACKUP_TABLES, BadBackupError, writeBackup } from './backup.ts';
import { openCase } from './cases.ts';
import { readClientCases } from './client-record.ts';
import { createClient, readClientIdentities } from './clients.ts';
import { addEntry } from './entries.ts';
import { restoreBackup } from './restore.ts';
import { openStore, type Store } from './store.ts';
import { type TestDatabase, tempDir, testEngines } from './testing/engines.ts';
import { createTestVault, type TestVault } from './testing/vault.ts';

const CANARY_NAME = 'Ottoline Brisbaneworth';
const CANARY_TEXT = 'marmalade-cathedral-91';

describe.each(testEngines)('backups from $name', (engine) => {
  let v: TestVault;
  let clientId: string;
  const targets: { store: Store; db: TestDatabase }[] = [];

  beforeEach(async () => {
    v = await createTestVault(engine);
    const practiceId = v.practice.id;
    clientId = await v.db.transaction().execute(async (trx) => {
      const { id: userId } = await createUser(trx, v.keyring, {
        email: 'backup@example.test',
        name: 'Backup Tester (fictional)',
        passwordHash: 'x',
      });
      await addMembership(trx, { userId, practiceId, role: 'practitioner' });
      const client = await createClient(trx, v.keyring, {
        practiceId,
        createdBy: userId,
        identity: new Confidential({ name: CANARY_NAME }),
      });
      const opened = await openCase(trx, v.keyring, {
        practiceId,
        practitionerId: userId,
        kind: 'individual',
        clientIds: [client.id],
      });
      await addEntry(trx, v.keyring, {
        practiceId,
        theCase: opened,
        authorId: userId,
        kind: 'session-note',
        occurredAt: '2026-11-20T10:00:00Z',
        passages: [
          { text: new Confidential(`note ${CANARY_TEXT}`), attribution: [opened.participants[0]?.id ?? ''] },
        ],
      });
      await appendAuditEvent(trx, {
        actorId: userId,
        practiceId,
        action: 'client.create',
        outcome: 'ok',
        recordType: 'client',
        recordId: client.id,
      });
      return client.id;
    });
    await writeCheckpoint(v.db, v.keyring);
  });
  afterEach(async () => {
    for (const t of targets.splice(0)) {
      await t.store.close();
      await t.db.dispose();
    }
    await v.close();
  });

  async function freshTarget(): Promise<Store> {
    const db = await engine.create();
    const store = await openStore(db.config);
    targets.push({ store, db });
    return store;
  }

  async function tableCount(store: Store): Promise<number> {
    const query =
      engine.name === 'sqlite'
        ? sql<{ n: number | string }>`select count(*) as n from sqlite_master where type = 'table'`
        : sql<{
            n: number | string;
          }>`select count(*) as n from information_schema.tables where table_schema = current_schema()`;
    return Number((await query.execute(store.db)).rows[0]?.n);
  }

  async function backup(): Promise<string> {
    const file = path.join(tempDir('alcove-backup-'), 'test.alcove');
    const report = await writeBackup(v.db, v.keyring, file);
    expect(report.rows.client).toBe(1);
    return file;
  }

  it('restores into an empty database, verified, with every record readable, and holds no canary in clear', async () => {
    const file = await backup();
    const bytes = fs.readFileSync(file);
    for (const needle of [CANARY_NAME, CANARY_TEXT, 'backup@example.test'])
      expect(bytes.includes(Buffer.from(needle))).toBe(false);

    const target = await freshTarget();
    const progress: number[] = [];
    const report = await restoreBackup(file, { method: 'key-file', key: v.keyFile }, target, (done) =>
      progress.push(done),
    );
    expect(report.verified.problems).toEqual([]);
    expect(report.verified.decrypted).toBeGreaterThan(5);
    expect(report.verified.auditEvents).toBe(1);
    expect(progress.length).toBeGreaterThan(0);

    const keyring = (await import('./keyring.ts')).unlockKeyring;
    const restoredKeys = await keyring(target.db, { method: 'recovery-kit', kit: v.recoveryKit });
    const identity = (
      await readClientIdentities({ db: target.db, keyring: restoredKeys }, v.practice.id, [clientId])
    ).get(clientId);
    expect(identity?.reveal().name).toBe(CANARY_NAME);
    const cases = await readClientCases({ db: target.db, keyring: restoredKeys }, v.practice.id, clientId);
    const text = cases[0]?.entries[0]?.passages[0]?.text;
    expect(text?.ok === true && text.value.reveal()).toBe(`note ${CANARY_TEXT}`);
  });

  it('refuses a backup with one changed byte, leaves the target as it found it (no table), and the good backup then restores into it', async () => {
    const file = await backup();
    const damaged = `${file}.damaged`;
    const text = fs.readFileSync(file, 'utf8').split('\n');
    const chunk = text[1] ?? '';
    text[1] = chunk.slice(0, 40) + (chunk[40] === 'A' ? 'B' : 'A') + chunk.slice(41);
    fs.writeFileSync(damaged, text.join('\n'));
    const target = await freshTarget();
    await expect(restoreBackup(damaged, { method: 'key-file', key: v.keyFile }, target)).rejects.toThrow(
      BadBackupError,
    );
    // Issue 15: the migrations went with the rows (before, 41 empty tables stayed behind and
    // the next restore was refused: "the target database is not empty").
    expect(await tableCount(target)).toBe(0);
    const report = await restoreBackup(file, { method: 'key-file', key: v.keyFile }, target);
    expect(report.verified.problems).toEqual([]);
    expect(report.rows.client).toBe(1);
  });

  it('a restore that is stopped midway (Ctrl+C) rolls back: the target is left empty, and the same restore then fills it', async () => {
    const file = await backup();
    const target = await freshTarget();
    const stop = new AbortController();
    stop.abort(new Error('stopped (test)'));
    await expect(
      restoreBackup(file, { method: 'key-file', key: v.keyFile }, target, undefined, { signal: stop.signal }),
    ).rejects.toThrow(/stopped \(test\)/);
    expect(await tableCount(target)).toBe(0);
    const report = await restoreBackup(file, { method: 'key-file', key: v.keyFile }, target);
    expect(report.verified.problems).toEqual([]);
  });

  it('refuses a backup cut short, a changed header, and the wrong key', async () => {
    const file = await backup();
    const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
    const cut = `${file}.cut`;
    fs.writeFileSync(cut, `${lines.slice(0, -1).join('\n')}\n`);
    await expect(
      restoreBackup(cut, { method: 'key-file', key: v.keyFile }, await freshTarget()),
    ).rejects.toThrow(/cut short/);

    const header = JSON.parse(lines[0] ?? '{}');
    header.createdAt = '2020-01-01T00:00:00.000Z';
    const changed = `${file}.header`;
    fs.writeFileSync(changed, `${[JSON.stringify(header), ...lines.slice(1)].join('\n')}\n`);
    await expect(
      restoreBackup(changed, { method: 'key-file', key: v.keyFile }, await freshTarget()),
    ).rejects.toThrow(BadBackupError);

    const junk = `${file}.junk`;
    fs.writeFileSync(junk, 'not a backup\n');
    await expect(
      restoreBackup(junk, { method: 'key-file', key: v.keyFile }, await freshTarget()),
    ).rejects.toThrow(/not an Alcove backup/);

    await expect(
      restoreBackup(file, { method: 'key-file', key: Buffer.alloc(32, 1) }, await freshTarget()),
    ).rejects.toThrow(/does not unlock/);
  });

  it.runIf(engine.name === 'sqlite')(
    'backs up every table but the sessions and the failure counts, so no new table is silently left out',
    async () => {
      const tables = await sql<{
        name: string;
      }>`select name from sqlite_master where type = 'table' and name not like 'kysely_%' and name not like 'sqlite_%'`.execute(
        v.db,
      );
      const expected = tables.rows
        .map((r) => r.name)
        .filter((name) => name !== 'user_session' && name !== 'auth_failure')
        .sort();
      expect([...BACKUP_TABLES].sort()).toEqual(expected);
    },
  );

  it('refuses to restore over a database that holds anything', async () => {
    const file = await backup();
    await expect(restoreBackup(file, { method: 'key-file', key: v.keyFile }, v.store)).rejects.toThrow(
      /not empty/,
    );
  });
});
