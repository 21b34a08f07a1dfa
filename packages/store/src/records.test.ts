import fs from 'node:fs';
import path from 'node:path';
import { AlcoveError, Confidential } from '@alcove/core';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addMembership, createUser } from './accounts.ts';
import { type CaseFacts, openCase } from './cases.ts';
import { readClientCases } from './client-record.ts';
import { createClient, openClientIdentities, readClientIdentities } from './clients.ts';
import { SQLITE_FILE } from './config.ts';
import { TamperedError } from './crypto/aead.ts';
import { addEntry } from './entries.ts';
import { integrityFindings, recordIntegrityFailures, resolveIntegrityFinding } from './integrity.ts';
import { recheckSealed } from './sealed-places.ts';
import { destroyCaseKeys, destroyParticipantKey } from './shredding.ts';
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

  /** Each passage's text, or why it cannot be read ('shredded', 'tampered'). */
  const texts = async (clientId: string) =>
    (await readClientCases(v, v.practice.id, clientId)).map((k) =>
      k.entries.flatMap((e) => e.passages.map((p) => (p.text.ok ? p.text.value.reveal() : p.text.reason))),
    );
  /** Flips one bit of a stored ciphertext, as someone with the database file could. */
  const flipByte = (sealed: string) => {
    const bytes = Buffer.from(sealed, 'base64');
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0x80;
    return bytes.toString('base64');
  };

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
      ['shredded', 'B says their own thing', 'Both agree on a joint thing', 'My formulation'],
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
    expect(await texts(clientA)).toEqual([
      ['shredded', 'shredded', 'shredded', 'shredded'],
      ['A in individual work'],
    ]);
    expect((await readClientIdentities(v, v.practice.id, [clientB])).get(clientB)?.reveal().name).toBe(
      'Blair Fictional',
    );
  });

  it('detects one changed byte in a stored passage, and reads every other one', async () => {
    const row = await v.store.db
      .selectFrom('passage')
      .select(['id', 'body_sealed'])
      .where('position', '=', 1)
      .executeTakeFirstOrThrow();
    await v.store.db
      .updateTable('passage')
      .set({ body_sealed: flipByte(row.body_sealed) })
      .where('id', '=', row.id)
      .execute();
    expect(await texts(clientA)).toEqual([
      ['A says their own thing', 'tampered', 'Both agree on a joint thing', 'My formulation'],
      ['A in individual work'],
    ]);
    const passage = (await readClientCases(v, v.practice.id, clientA))[0]?.entries[0]?.passages[1];
    // Where it is, by ids only: never its bytes.
    expect(passage?.text).toEqual({
      ok: false,
      reason: 'tampered',
      place: { recordType: 'passage', recordId: row.id, field: 'body' },
    });
  });

  it('reads a tampered identity as tampered, the others as they are, a destroyed one as shredded', async () => {
    const row = await v.store.db
      .selectFrom('client')
      .select('identity_sealed')
      .where('id', '=', clientA)
      .executeTakeFirstOrThrow();
    await v.store.db
      .updateTable('client')
      .set({ identity_sealed: flipByte(row.identity_sealed) })
      .where('id', '=', clientA)
      .execute();
    const opened = await openClientIdentities(v, v.practice.id, [clientA, clientB]);
    expect(opened.get(clientA)).toEqual({
      ok: false,
      reason: 'tampered',
      place: { recordType: 'client', recordId: clientA, field: 'identity' },
    });
    const b = opened.get(clientB);
    expect(b?.ok === true && b.value.reveal().name).toBe('Blair Fictional');
    // A caller that cannot go on without it is refused; never told it was destroyed.
    await expect(readClientIdentities(v, v.practice.id, [clientA])).rejects.toThrow(TamperedError);

    const keyId = (
      await v.store.db
        .selectFrom('client')
        .select('key_id')
        .where('id', '=', clientB)
        .executeTakeFirstOrThrow()
    ).key_id;
    await v.store.db.transaction().execute((trx) => v.keyring.destroyDataKey(trx, v.practice.id, keyId));
    expect((await openClientIdentities(v, v.practice.id, [clientB])).get(clientB)).toEqual({
      ok: false,
      reason: 'shredded',
    });
  });

  it('throws when the database fails while keys are read: never shredded, never tampered', async () => {
    await sql`alter table data_key rename to data_key_elsewhere`.execute(v.store.db);
    try {
      await expect(readClientCases(v, v.practice.id, clientA)).rejects.toThrow();
      await expect(openClientIdentities(v, v.practice.id, [clientA])).rejects.toThrow();
    } finally {
      await sql`alter table data_key_elsewhere rename to data_key`.execute(v.store.db);
    }
    expect((await texts(clientA))[1]).toEqual(['A in individual work']);
  });

  it('keeps a finding for a tampered field until it reads again', async () => {
    const row = await v.store.db
      .selectFrom('passage')
      .innerJoin('entry', 'entry.id', 'passage.entry_id')
      .select(['passage.id', 'passage.body_sealed'])
      .where('entry.case_id', '=', couple.caseId)
      .where('passage.position', '=', 0)
      .executeTakeFirstOrThrow();
    await v.store.db
      .updateTable('passage')
      .set({ body_sealed: flipByte(row.body_sealed) })
      .where('id', '=', row.id)
      .execute();
    const place = { recordType: 'passage', recordId: row.id, field: 'body' };
    const reader = { actorId: practitionerId, purpose: 'care', at: '2026-11-25T09:00:00.000Z' };
    for (const at of [reader.at, '2026-11-26T09:00:00.000Z']) {
      await v.store.db.transaction().execute((trx) =>
        recordIntegrityFailures(trx, {
          practiceId: v.practice.id,
          places: [place],
          reader: { ...reader, at },
        }),
      );
    }
    const [finding, ...more] = await integrityFindings(v.store.db, v.practice.id);
    expect(more).toEqual([]);
    // First found on the 25th; whose record it is in, for who may be shown it.
    expect(finding).toMatchObject({ ...place, foundAt: reader.at });
    expect([...(finding?.clientIds ?? [])].sort()).toEqual([clientA, clientB].sort());
    const events = await v.store.db
      .selectFrom('audit_event')
      .select(['action', 'outcome', 'record_type', 'record_id'])
      .where('action', 'like', 'integrity.%')
      .orderBy('seq')
      .execute();
    expect(events).toEqual([
      { action: 'integrity.failed', outcome: 'failed', record_type: 'passage', record_id: row.id },
      { action: 'integrity.failed', outcome: 'failed', record_type: 'passage', record_id: row.id },
    ]);
    expect(await recheckSealed(v.store.db, v.keyring, v.practice.id, place)).toBe('tampered');

    // Put back as it was (as a restore would): it reads again, and the finding is resolved.
    await v.store.db
      .updateTable('passage')
      .set({ body_sealed: row.body_sealed })
      .where('id', '=', row.id)
      .execute();
    expect(await recheckSealed(v.store.db, v.keyring, v.practice.id, place)).toBe('readable');
    if (finding === undefined) throw new Error('finding');
    await v.store.db
      .transaction()
      .execute((trx) => resolveIntegrityFinding(trx, { practiceId: v.practice.id, finding, reader }));
    expect(await integrityFindings(v.store.db, v.practice.id)).toEqual([]);
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
    expect((await texts(clientA))[0]?.[2]).toBe('tampered');
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
