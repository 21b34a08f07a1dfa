import fs from 'node:fs';
import path from 'node:path';
import { AlcoveError, Confidential } from '@alcove/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addMembership, createUser } from './accounts.ts';
import { SQLITE_FILE } from './config.ts';
import { TamperedError } from './crypto/aead.ts';
import {
  addEntry,
  type CaseFacts,
  createClient,
  destroyCaseKeys,
  destroyParticipantKey,
  openCase,
  readClientCases,
  readClientIdentities,
} from './records.ts';
import { testEngines } from './testing/engines.ts';
import { createTestVault, type TestVault } from './testing/vault.ts';

const c = <T>(value: T) => new Confidential(value);

describe.each(testEngines)('records and their keys on $name', (engine) => {
  let v: TestVault;
  let practitionerId: string;
  let clientA: string;
  let clientB: string;
  let couple: CaseFacts;
  let solo: CaseFacts;

  beforeEach(async () => {
    v = await createTestVault(engine);
    const { db } = v.store;
    const practiceId = v.practice.id;
    await db.transaction().execute(async (trx) => {
      practitionerId = (
        await createUser(trx, v.keyring, {
          email: 'therapist@example.test',
          name: 'Dr Test (fictional)',
          passwordHash: 'x',
        })
      ).id;
      await addMembership(trx, { userId: practitionerId, practiceId, role: 'practitioner' });
      clientA = (
        await createClient(trx, v.keyring, {
          practiceId,
          createdBy: practitionerId,
          identity: c({ name: 'Avery Fictional' }),
        })
      ).id;
      clientB = (
        await createClient(trx, v.keyring, {
          practiceId,
          createdBy: practitionerId,
          identity: c({ name: 'Blair Fictional' }),
        })
      ).id;
      couple = await openCase(trx, v.keyring, {
        practiceId,
        practitionerId,
        kind: 'couple',
        clientIds: [clientA, clientB],
        now: '2026-11-01T09:00:00.000Z',
      });
      solo = await openCase(trx, v.keyring, {
        practiceId,
        practitionerId,
        kind: 'individual',
        clientIds: [clientA],
        now: '2026-11-02T09:00:00.000Z',
      });
    });
    const [a, b] = couple.participants;
    if (a === undefined || b === undefined) throw new Error('participants');
    await db.transaction().execute(async (trx) => {
      await addEntry(trx, v.keyring, {
        practiceId,
        theCase: couple,
        authorId: practitionerId,
        kind: 'session-note',
        occurredAt: '2026-11-20T10:00:00Z',
        passages: [
          { text: c('A says their own thing'), attribution: [a.id] },
          { text: c('B says their own thing'), attribution: [b.id] },
          { text: c('Both agree on a joint thing'), attribution: [a.id, b.id] },
          { text: c('My formulation'), attribution: [] },
        ],
      });
      await addEntry(trx, v.keyring, {
        practiceId,
        theCase: solo,
        authorId: practitionerId,
        kind: 'session-note',
        occurredAt: '2026-11-21T10:00:00Z',
        passages: [{ text: c('A in individual work'), attribution: [solo.participants[0]?.id ?? ''] }],
      });
    });
  });
  afterEach(async () => {
    await v.close();
  });

  const texts = async (clientId: string) =>
    (await readClientCases(v, v.practice.id, clientId)).map((k) =>
      k.entries.flatMap((e) => e.passages.map((p) => p.text?.reveal() ?? null)),
    );

  it('reads back every passage in order, case by case', async () => {
    expect(await texts(clientA)).toEqual([
      ['A says their own thing', 'B says their own thing', 'Both agree on a joint thing', 'My formulation'],
      ['A in individual work'],
    ]);
    expect((await readClientIdentities(v, v.practice.id, [clientA])).get(clientA)?.reveal()).toEqual({
      name: 'Avery Fictional',
    });
  });

  it('destroying one participant’s key removes only that client’s own material in that case', async () => {
    const a = couple.participants[0];
    if (a === undefined) throw new Error('participant');
    await v.store.db
      .transaction()
      .execute((trx) => destroyParticipantKey(trx, v.keyring, v.practice.id, a.id));
    expect(await texts(clientA)).toEqual([
      [null, 'B says their own thing', 'Both agree on a joint thing', 'My formulation'],
      ['A in individual work'],
    ]);
    // The same client's identity and other case, and the other partner, are untouched.
    const identities = await readClientIdentities(v, v.practice.id, [clientA, clientB]);
    expect(identities.get(clientA)?.reveal().name).toBe('Avery Fictional');
    expect(identities.get(clientB)?.reveal().name).toBe('Blair Fictional');
  });

  it('destroying a case’s keys makes that case unreadable and nothing else', async () => {
    await v.store.db
      .transaction()
      .execute((trx) => destroyCaseKeys(trx, v.keyring, v.practice.id, couple.caseId));
    expect(await texts(clientA)).toEqual([[null, null, null, null], ['A in individual work']]);
    expect((await readClientIdentities(v, v.practice.id, [clientB])).get(clientB)?.reveal().name).toBe(
      'Blair Fictional',
    );
  });

  it('detects one changed byte in a stored passage', async () => {
    const row = await v.store.db
      .selectFrom('passage')
      .select(['id', 'body_sealed'])
      .orderBy('id')
      .executeTakeFirstOrThrow();
    const bytes = Buffer.from(row.body_sealed, 'base64');
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0x80;
    await v.store.db
      .updateTable('passage')
      .set({ body_sealed: bytes.toString('base64') })
      .where('id', '=', row.id)
      .execute();
    await expect(readClientCases(v, v.practice.id, clientA)).rejects.toThrow(TamperedError);
  });

  it('detects a ciphertext moved from one record to another under the same key', async () => {
    const joint = await v.store.db
      .selectFrom('passage')
      .selectAll()
      .where('position', 'in', [2, 3])
      .execute();
    const [x, y] = joint;
    if (x === undefined || y === undefined) throw new Error('passages');
    expect(x.key_id).toBe(y.key_id); // joint and formulation share the case key
    await v.store.db
      .updateTable('passage')
      .set({ body_sealed: y.body_sealed })
      .where('id', '=', x.id)
      .execute();
    await expect(readClientCases(v, v.practice.id, clientA)).rejects.toThrow(TamperedError);
  });

  it('refuses a passage attributed to someone not in the case, and writes nothing', async () => {
    const before = await v.store.db
      .selectFrom('entry')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    const outsider = solo.participants[0]?.id ?? '';
    const attempt = v.store.db.transaction().execute((trx) =>
      addEntry(trx, v.keyring, {
        practiceId: v.practice.id,
        theCase: couple,
        authorId: practitionerId,
        kind: 'session-note',
        occurredAt: '2026-11-22T10:00:00Z',
        passages: [{ text: c('x'), attribution: [outsider] }],
      }),
    );
    await expect(attempt).rejects.toThrow(AlcoveError);
    const after = await v.store.db
      .selectFrom('entry')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });

  it.runIf(engine.name === 'sqlite')(
    'keeps no clinical text or name in clear in the database file or its WAL',
    async () => {
      if (v.database.config.engine !== 'sqlite') return;
      const dir = v.database.config.dataDir;
      for (const file of [SQLITE_FILE, `${SQLITE_FILE}-wal`]) {
        const full = path.join(dir, file);
        if (!fs.existsSync(full)) continue;
        const bytes = fs.readFileSync(full);
        for (const canary of [
          'Avery Fictional',
          'own thing',
          'formulation',
          'therapist@example.test',
          'Dr Test',
        ]) {
          expect(bytes.includes(Buffer.from(canary, 'utf8')), `${canary} in ${file}`).toBe(false);
        }
      }
    },
  );
});
