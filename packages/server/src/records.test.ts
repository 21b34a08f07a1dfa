import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { SQLITE_FILE, writeBackup } from '@alcove/store';
import { tempDir, testEngines } from '@alcove/store/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addStaff, bearer, startTestApp, type TestApp, type TestStaff } from './testing/app.ts';

// Distinctive enough that a stray copy anywhere would be found.
const CANARY_NAME = 'Quillon Vantreese-Marchbank';
const CANARY_TEXT = 'zephyr-lantern-47 disclosed in session';

describe.each(testEngines)('records through the API on $name', (engine) => {
  let t: TestApp;
  let me: TestStaff;
  let admin: TestStaff;
  const logs: string[] = [];
  let clientA: string;
  let clientB: string;
  let caseId: string;
  let participants: { id: string; clientId: string; label: string }[];

  beforeAll(async () => {
    const stream = new Writable({
      write(chunk: Buffer, _e, done) {
        logs.push(chunk.toString('utf8'));
        done();
      },
    });
    t = await startTestApp(engine, { logger: { level: 'trace', stream } });
    me = await addStaff(t.vault, {
      email: 'me@example.test',
      name: 'Me (fictional)',
      roles: ['practitioner'],
    });
    admin = await addStaff(t.vault, {
      email: 'admin@example.test',
      name: 'Admin (fictional)',
      roles: ['administrator'],
    });
  });
  afterAll(async () => {
    await t.close();
  });

  const call = (method: 'GET' | 'POST', url: string, who: TestStaff, payload?: unknown) =>
    t.app.inject({
      method,
      url: `/api/v1${url}`,
      headers: bearer(who),
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });
  const count = async (table: 'client' | 'entry' | 'passage' | 'care_case') =>
    Number(
      (
        await t.vault.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('takes on a couple, opens their case and writes an attributed note', async () => {
    const a = await call('POST', '/clients', me, {
      identity: { name: CANARY_NAME, email: 'quillon@example.test', dateOfBirth: '1990-02-03' },
    });
    expect(a.statusCode).toBe(201);
    clientA = a.json().id;
    const b = await call('POST', '/clients', me, { identity: { name: 'Partner Bee (fictional)' } });
    clientB = b.json().id;
    const opened = await call('POST', '/cases', me, { kind: 'couple', clientIds: [clientA, clientB] });
    expect(opened.statusCode).toBe(201);
    caseId = opened.json().id;
    participants = opened.json().participants;
    expect(participants.map((p) => p.label)).toEqual(['Partner A', 'Partner B']);
    const [pa, pb] = participants;
    const note = await call('POST', `/cases/${caseId}/entries`, me, {
      kind: 'session-note',
      occurredAt: '2026-11-20T10:00:00Z',
      passages: [
        { text: `A: ${CANARY_TEXT}`, attribution: [pa?.id] },
        { text: 'B speaks (fictional)', attribution: [pb?.id] },
        { text: 'Joint (fictional)', attribution: [pa?.id, pb?.id] },
        { text: 'Formulation (fictional)', attribution: [] },
      ],
    });
    expect(note.statusCode).toBe(201);
  });

  it('reads the record back for the treating practitioner, with every passage', async () => {
    const record = await call('GET', `/clients/${clientA}/record`, me);
    expect(record.statusCode).toBe(200);
    const passages = record.json().cases[0].entries[0].passages.map((p: { text: string }) => p.text);
    expect(passages).toEqual([
      `A: ${CANARY_TEXT}`,
      'B speaks (fictional)',
      'Joint (fictional)',
      'Formulation (fictional)',
    ]);
  });

  it('finds a client by name through the keyed index, whatever the case or accents', async () => {
    const found = await call('POST', '/clients/search', me, { name: 'QUILLON  vantreese marchbank' });
    expect(found.statusCode).toBe(200);
    expect(found.json().clients.map((c: { id: string }) => c.id)).toEqual([clientA]);
    expect((await call('POST', '/clients/search', me, { name: 'Nobody Here' })).json().clients).toEqual([]);
    expect((await call('GET', '/clients?colour=blue', me)).statusCode).toBe(400);
  });

  it('takes a name to search by in the body only, never in the URL', async () => {
    // The old address is refused outright, not quietly answered with every client.
    const inUrl = await call('GET', `/clients?name=${encodeURIComponent(CANARY_NAME)}`, me);
    expect(inUrl.statusCode).toBe(400);
    expect(inUrl.json().code).toBe('validation-failed');
    for (const payload of [
      {},
      { name: '' },
      { name: CANARY_NAME, email: 'quillon@example.test' },
      { name: 42 },
    ]) {
      const refused = await call('POST', '/clients/search', me, payload);
      expect(refused.statusCode, JSON.stringify(payload)).toBe(400);
      expect(refused.body).not.toContain('Quillon');
    }
  });

  it('shows an administrator the identity but never the record', async () => {
    expect((await call('GET', `/clients/${clientA}`, admin)).json().identity.name).toBe(CANARY_NAME);
    expect((await call('GET', `/clients/${clientA}/record`, admin)).statusCode).toBe(404);
  });

  it('shows the practitioner who accessed the record, including the refused attempt', async () => {
    const history = await call('GET', `/clients/${clientA}/access`, me);
    expect(history.statusCode).toBe(200);
    const events = history.json().events as { actorName: string; action: string; outcome: string }[];
    expect(events).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          actorName: 'Admin (fictional)',
          action: 'client.read-identity',
          outcome: 'ok',
        }),
        expect.objectContaining({
          actorName: 'Admin (fictional)',
          action: 'client.read-clinical',
          outcome: 'denied',
        }),
        expect.objectContaining({ actorName: 'Me (fictional)', action: 'client.read-record', outcome: 'ok' }),
        expect.objectContaining({ actorName: 'Me (fictional)', action: 'client.create', outcome: 'ok' }),
      ]),
    );
  });

  it('refuses bad input with a problem document and writes nothing', async () => {
    const before = {
      client: await count('client'),
      entry: await count('entry'),
      passage: await count('passage'),
      care_case: await count('care_case'),
    };
    const outsider = (
      await call('POST', '/clients', me, { identity: { name: 'Outsider (fictional)' } })
    ).json().id as string;
    before.client += 1;
    const solo = await call('POST', '/cases', me, { kind: 'individual', clientIds: [outsider] });
    before.care_case += 1;
    const outsiderParticipant = solo.json().participants[0].id as string;
    const bad: [string, 'POST', string, unknown, number][] = [
      [
        'future date of birth is fine to parse but a wrong type is not',
        'POST',
        '/clients',
        { identity: { name: 7 } },
        400,
      ],
      [
        'unknown identity field',
        'POST',
        '/clients',
        { identity: { name: 'X (fictional)', shoeSize: 9 } },
        400,
      ],
      [
        'a date of birth in the future',
        'POST',
        '/clients',
        { identity: { name: 'X (fictional)', dateOfBirth: '2099-01-01' } },
        400,
      ],
      ['no clients in a case', 'POST', '/cases', { kind: 'couple', clientIds: [] }, 400],
      ['one client in a couple case', 'POST', '/cases', { kind: 'couple', clientIds: [clientA] }, 400],
      [
        'attribution to someone outside the case',
        'POST',
        `/cases/${caseId}/entries`,
        {
          kind: 'session-note',
          occurredAt: '2026-11-20T10:00:00Z',
          passages: [{ text: 'x', attribution: [outsiderParticipant] }],
        },
        400,
      ],
      [
        'an entry with a script in it',
        'POST',
        `/cases/${caseId}/entries`,
        {
          kind: 'session-note',
          occurredAt: '2026-11-20T10:00:00Z',
          passages: [{ text: '<p>x</p><script>alert(1)</script>', attribution: [] }],
        },
        400,
      ],
      [
        'an entry with no passages',
        'POST',
        `/cases/${caseId}/entries`,
        { kind: 'session-note', occurredAt: '2026-11-20T10:00:00Z', passages: [] },
        400,
      ],
      [
        'text where a date belongs',
        'POST',
        `/cases/${caseId}/entries`,
        { kind: 'session-note', occurredAt: 'last Tuesday', passages: [{ text: 'x', attribution: [] }] },
        400,
      ],
      [
        'a case the caller does not hold',
        'POST',
        '/cases/6f1c2a4e-0000-4000-8000-000000000000/entries',
        {
          kind: 'session-note',
          occurredAt: '2026-11-20T10:00:00Z',
          passages: [{ text: 'x', attribution: [] }],
        },
        404,
      ],
    ];
    for (const [label, method, url, payload, status] of bad) {
      const response = await call(method, url, me, payload);
      expect(response.statusCode, label).toBe(status);
      expect(response.headers['content-type'], label).toMatch(/^application\/problem\+json/);
    }
    expect({
      client: await count('client'),
      entry: await count('entry'),
      passage: await count('passage'),
      care_case: await count('care_case'),
    }).toEqual(before);
  });

  it('keeps the canary name and text out of the database, its WAL, the logs and a backup', async () => {
    const needles = [CANARY_NAME, 'zephyr-lantern-47', 'quillon@example.test'];
    expect(needles.filter((n) => logs.join('').includes(n))).toEqual([]);
    const backupFile = path.join(tempDir('alcove-canary-'), 'canary.alcove');
    await writeBackup(t.vault.db, t.vault.keyring, backupFile);
    const backupBytes = fs.readFileSync(backupFile);
    expect(needles.filter((n) => backupBytes.includes(Buffer.from(n)))).toEqual([]);
    if (t.vault.database.config.engine === 'sqlite') {
      const dir = t.vault.database.config.dataDir;
      for (const file of [SQLITE_FILE, `${SQLITE_FILE}-wal`]) {
        const full = path.join(dir, file);
        if (!fs.existsSync(full)) continue;
        const bytes = fs.readFileSync(full);
        expect(
          needles.filter((n) => bytes.includes(Buffer.from(n))),
          file,
        ).toEqual([]);
      }
    } else {
      // Every row of every table, as text.
      const tables = await sql<{
        table_name: string;
      }>`select table_name from information_schema.tables where table_schema = current_schema()`.execute(
        t.vault.db,
      );
      expect(tables.rows.length).toBeGreaterThan(10);
      for (const { table_name } of tables.rows) {
        const rows = await sql<Record<string, unknown>>`select * from ${sql.table(table_name)}`.execute(
          t.vault.db,
        );
        const text = JSON.stringify(rows.rows);
        expect(
          needles.filter((n) => text.includes(n)),
          table_name,
        ).toEqual([]);
      }
    }
  });
});
