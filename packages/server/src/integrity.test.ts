import { INTEGRITY_FAILED_TEXT } from '@alcove/core';
import { type Database, destroyParticipantKey } from '@alcove/store';
import { testEngines } from '@alcove/store/testing';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addStaff,
  bearer,
  startTestApp,
  TEST_PASSWORD,
  type TestApp,
  type TestStaff,
} from './testing/app.ts';
import { cookieFrom } from './testing/browser-session.ts';
import { contractText } from './testing/contracts.ts';

const ROWAN = { name: 'Rowan Ash (fictional)', email: 'rowan@example.test', dateOfBirth: '1984-03-02' };
const SKY = { name: 'Sky Birch (fictional)', email: 'sky@example.test', dateOfBirth: '1986-07-09' };
const PASSAGES = [
  'Rowan spoke of the week (fictional).',
  'Sky spoke of the weekend (fictional).',
  'Both agreed a plan (fictional).',
];

/** The tables and columns of the sealed fields these tests change, as someone with the database could. */
type Sealed =
  | { table: 'passage'; column: 'body_sealed' }
  | { table: 'client'; column: 'identity_sealed' }
  | { table: 'disclosure'; column: 'details_sealed' }
  | { table: 'referral'; column: 'letter_sealed' }
  | { table: 'consent'; column: 'recipient_sealed' }
  | { table: 'outbox_message'; column: 'envelope_sealed' }
  | { table: 'release_request'; column: 'requester_sealed' }
  | { table: 'app_user'; column: 'name_sealed' }
  | { table: 'contract'; column: 'text_sealed' }
  | { table: 'therapy_session'; column: 'override_reason_sealed' };

/**
 * One tampered entry does not take the rest down (issue 15): each kind of sealed field,
 * changed by one byte in the database, is refused alone; everything else is served, the
 * failure is audited and listed on the obligations page until it is put right; a destroyed
 * key still reads as destroyed; a database that fails is a problem document.
 */
describe.each(testEngines)('a tampered entry on $name', (engine) => {
  let t: TestApp;
  let db: Kysely<Database>;
  let me: TestStaff;
  let colleague: TestStaff;
  let admin: TestStaff;
  let rowan: string;
  let sky: string;
  let caseId: string;

  const as = (who: TestStaff) => (method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) =>
    t.app.inject({
      method,
      url: `/api/v1${url}`,
      headers: bearer(who),
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });
  const call = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) =>
    as(me)(method, url, payload);
  const ok = async (method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) => {
    const answer = await call(method, url, payload);
    expect(answer.statusCode, `${method} ${url}: ${answer.body}`).toBeLessThan(300);
    return answer.json();
  };

  /** Flips one bit of the last byte of a stored ciphertext; gives back what it was, to put back. */
  const tamper = async ({ table, column }: Sealed, id: string): Promise<() => Promise<void>> => {
    const row = (
      await sql<Record<string, string>>`select ${sql.ref(column)} as sealed from ${sql.table(
        table,
      )} where id = ${id}`.execute(db)
    ).rows[0];
    const original = row?.sealed;
    if (original === undefined) throw new Error(`no ${table} ${id}`);
    const bytes = Buffer.from(original, 'base64');
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0x01;
    const changed = bytes.toString('base64');
    await sql`update ${sql.table(table)} set ${sql.ref(column)} = ${changed} where id = ${id}`.execute(db);
    return async () => {
      await sql`update ${sql.table(table)} set ${sql.ref(column)} = ${original} where id = ${id}`.execute(db);
    };
  };
  const integrityEvents = async (recordId: string) =>
    db
      .selectFrom('audit_event')
      .select(['action', 'outcome', 'record_type', 'record_id', 'actor_id'])
      .where('record_id', '=', recordId)
      .where('action', 'like', 'integrity.%')
      .orderBy('seq')
      .execute();
  const findings = async (who: TestStaff = me) => {
    const answer = await as(who)('GET', '/compliance');
    expect(answer.statusCode).toBe(200);
    return answer.json().integrity as { recordType: string; recordId: string; clientId: string | null }[];
  };
  /** An answer never carries the bytes of what failed, nor the words it held. */
  const carriesNothingOf = (body: string, ...held: string[]) => {
    for (const text of held) expect(body).not.toContain(text);
  };

  beforeAll(async () => {
    t = await startTestApp(engine);
    db = t.vault.db;
    me = await addStaff(t.vault, {
      email: 'me@example.test',
      name: 'Me (fictional)',
      roles: ['practitioner'],
    });
    colleague = await addStaff(t.vault, {
      email: 'colleague@example.test',
      name: 'Colleague (fictional)',
      roles: ['practitioner'],
    });
    admin = await addStaff(t.vault, {
      email: 'admin@example.test',
      name: 'Admin (fictional)',
      roles: ['administrator'],
    });
    rowan = (await ok('POST', '/clients', { identity: ROWAN })).id;
    sky = (await ok('POST', '/clients', { identity: SKY })).id;
    caseId = (await ok('POST', '/cases', { kind: 'couple', clientIds: [rowan, sky] })).id;
    const [a, b] = (await ok('GET', `/cases/${caseId}`)).participants;
    await ok('POST', `/cases/${caseId}/entries`, {
      kind: 'session-note',
      occurredAt: '2026-11-20T10:00:00Z',
      passages: [
        { text: PASSAGES[0], attribution: [a.id] },
        { text: PASSAGES[1], attribution: [b.id] },
        { text: PASSAGES[2], attribution: [a.id, b.id] },
      ],
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it('a tampered passage: the record and the notes answer with every other passage, that one marked; audited; a finding until it is restored', async () => {
    const passages = (await ok('GET', `/clients/${rowan}/record`)).cases[0].entries[0].passages;
    const target = passages[1].id as string;
    const restore = await tamper({ table: 'passage', column: 'body_sealed' }, target);

    const answer = await call('GET', `/clients/${rowan}/record`);
    expect(answer.statusCode).toBe(200);
    const after = answer.json().cases[0].entries[0].passages;
    expect(
      after.map((p: { text: string | null; unreadable: string | null }) => [p.text, p.unreadable]),
    ).toEqual([
      [PASSAGES[0], null],
      [null, 'tampered'],
      [PASSAGES[2], null],
    ]);
    carriesNothingOf(answer.body, PASSAGES[1] ?? '');
    const notes = await call('GET', `/cases/${caseId}/notes`);
    expect(notes.statusCode).toBe(200);
    expect(
      notes
        .json()
        .notes[0].passages.map((p: { html: string | null; unreadable: string | null }) => p.unreadable),
    ).toEqual([null, 'tampered', null]);

    // Audited by ids and verbs, with who was reading: nothing it held.
    const events = await integrityEvents(target);
    expect(events.length).toBeGreaterThanOrEqual(2);
    expect(events[0]).toEqual({
      action: 'integrity.failed',
      outcome: 'failed',
      record_type: 'passage',
      record_id: target,
      actor_id: me.userId,
    });

    // On the obligations page, and still there when it is loaded again.
    for (let load = 0; load < 2; load += 1) {
      const [finding, ...more] = await findings();
      expect(more).toEqual([]);
      expect(finding).toMatchObject({
        recordType: 'passage',
        recordId: target,
        field: 'body',
        what: 'A passage of the clinical record',
        foundOn: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
        action: expect.stringContaining('backup'),
      });
      expect([rowan, sky]).toContain(finding?.clientId);
    }
    // Not to a practitioner who does not treat the clients.
    expect(await findings(colleague)).toEqual([]);

    // Put back (as a restore from a backup would): it reads again, and the finding is resolved.
    await restore();
    expect(await findings()).toEqual([]);
    expect((await integrityEvents(target)).at(-1)).toMatchObject({
      action: 'integrity.resolved',
      outcome: 'ok',
    });
    expect((await ok('GET', `/clients/${rowan}/record`)).cases[0].entries[0].passages[1].text).toBe(
      PASSAGES[1],
    );
  });

  it('a tampered identity: the client list, the client page and the case answer, that client marked, every other intact', async () => {
    const restore = await tamper({ table: 'client', column: 'identity_sealed' }, rowan);
    try {
      const list = await call('GET', '/clients');
      expect(list.statusCode).toBe(200);
      const clients = list.json().clients as { id: string; name: string | null; unreadable: string | null }[];
      expect(clients.find((c) => c.id === rowan)).toMatchObject({ name: null, unreadable: 'tampered' });
      expect(clients.find((c) => c.id === sky)).toMatchObject({ name: SKY.name, unreadable: null });
      carriesNothingOf(list.body, ROWAN.name, ROWAN.email);

      const page = await call('GET', `/clients/${rowan}`);
      expect(page.statusCode).toBe(200);
      expect(page.json()).toEqual({ id: rowan, identity: null, unreadable: 'tampered' });
      // The record itself is under other keys, and is all there.
      expect((await ok('GET', `/clients/${rowan}/record`)).cases[0].entries[0].passages[0].text).toBe(
        PASSAGES[0],
      );
      const participants = (await ok('GET', `/cases/${caseId}`)).participants as {
        clientId: string;
        name: string | null;
        unreadable: string | null;
      }[];
      expect(participants.map((p) => [p.clientId, p.name, p.unreadable])).toEqual(
        expect.arrayContaining([
          [rowan, null, 'tampered'],
          [sky, SKY.name, null],
        ]),
      );

      expect((await integrityEvents(rowan)).map((e) => [e.action, e.record_type])).toContainEqual([
        'integrity.failed',
        'client',
      ]);
      expect(await findings()).toEqual([
        expect.objectContaining({
          recordType: 'client',
          recordId: rowan,
          clientId: rowan,
          what: 'A client’s identity and contact details',
        }),
      ]);
      // A request that cannot be done without the identity is refused as such, not as an error of ours.
      const draft = await call('GET', `/cases/${caseId}/contract-draft?templateId=standard`);
      expect(draft.statusCode).toBe(500);
      expect(draft.json()).toMatchObject({
        code: 'integrity-failed',
        title: 'An entry failed its integrity check',
        errorId: expect.any(String),
      });
      carriesNothingOf(draft.body, ROWAN.name, ROWAN.email);
    } finally {
      await restore();
    }
    expect(await findings()).toEqual([]);
  });

  it('a tampered disclosure: the case’s disclosures answer, that one marked, the other intact', async () => {
    const record = (recipient: string) =>
      ok('POST', `/cases/${caseId}/disclosures`, {
        clientId: rowan,
        disclosedOn: '2026-11-21',
        recipient,
        what: 'A risk to a child in the household (fictional).',
        legalBasis: 'children-act-1989-s47',
        whyNoConsent: 'Asking would have put the child at risk (fictional).',
        justification: 'A child’s safety outweighs confidentiality here (fictional).',
        withholdFromClient: false,
      });
    const first = (await record('Duty social worker (fictional)')).id as string;
    await record('Health visitor (fictional)');
    const restore = await tamper({ table: 'disclosure', column: 'details_sealed' }, first);
    try {
      const answer = await call('GET', `/cases/${caseId}/disclosures`);
      expect(answer.statusCode).toBe(200);
      const list = answer.json().disclosures as {
        id: string;
        recipient: string | null;
        unreadable: string | null;
      }[];
      expect(list.map((d) => [d.id === first, d.recipient, d.unreadable])).toEqual([
        [true, null, 'tampered'],
        [false, 'Health visitor (fictional)', null],
      ]);
      carriesNothingOf(answer.body, 'Duty social worker');
      expect((await integrityEvents(first))[0]).toMatchObject({
        action: 'integrity.failed',
        record_type: 'disclosure',
      });
      expect(await findings()).toEqual([
        expect.objectContaining({ recordType: 'disclosure', recordId: first, clientId: rowan }),
      ]);
    } finally {
      await restore();
    }
    expect(await findings()).toEqual([]);
  });

  it('a tampered referral letter and consent: the case’s letters and the client’s consents answer, that one marked', async () => {
    const consent = (
      await ok('POST', `/clients/${rowan}/consents`, {
        type: 'third-party-release',
        recipient: 'Dr Hollis (fictional)',
        givenOn: '2026-11-20',
        givenBy: 'client',
        mode: 'written-in-person',
      })
    ).id as string;
    await ok('POST', `/clients/${sky}/consents`, {
      type: 'third-party-release',
      recipient: 'Dr Quill (fictional)',
      givenOn: '2026-11-20',
      givenBy: 'client',
      mode: 'written-in-person',
    });
    for (const clientId of [rowan, sky]) {
      await ok('POST', `/cases/${caseId}/referrals`, {
        clientId,
        to: 'Dr Hollis (fictional)',
        reason: 'Medical review (fictional).',
      });
    }
    const letters = (await ok('GET', `/cases/${caseId}/referrals`)).referrals as {
      id: string;
      clientId: string;
    }[];
    const target = letters.find((r) => r.clientId === rowan)?.id ?? '';
    const restoreLetter = await tamper({ table: 'referral', column: 'letter_sealed' }, target);
    const restoreConsent = await tamper({ table: 'consent', column: 'recipient_sealed' }, consent);
    try {
      const answer = await call('GET', `/cases/${caseId}/referrals`);
      expect(answer.statusCode).toBe(200);
      const after = answer.json().referrals as {
        id: string;
        letter: string | null;
        unreadable: string | null;
      }[];
      expect(after.find((r) => r.id === target)).toMatchObject({ letter: null, unreadable: 'tampered' });
      expect(after.find((r) => r.id !== target)).toMatchObject({
        letter: expect.stringContaining('Dear Dr Hollis (fictional),'),
        unreadable: null,
      });
      carriesNothingOf(answer.body, ROWAN.name);
      const pdf = await call('GET', `/cases/${caseId}/referrals/${target}/pdf`);
      expect(pdf.statusCode).toBe(409);
      expect(pdf.json().detail).toContain('This entry failed its integrity check');

      const consents = await call('GET', `/clients/${rowan}/consents`);
      expect(consents.statusCode).toBe(200);
      expect(consents.json().consents).toEqual([
        expect.objectContaining({ id: consent, recipient: null, unreadable: 'tampered' }),
      ]);
      carriesNothingOf(consents.body, 'Dr Hollis');
      expect((await ok('GET', `/clients/${sky}/consents`)).consents[0]).toMatchObject({
        recipient: 'Dr Quill (fictional)',
        unreadable: null,
      });

      expect((await integrityEvents(target))[0]).toMatchObject({
        action: 'integrity.failed',
        record_type: 'referral',
      });
      expect((await integrityEvents(consent))[0]).toMatchObject({
        action: 'integrity.failed',
        record_type: 'consent',
      });
      expect((await findings()).map((f) => [f.recordType, f.recordId]).sort()).toEqual(
        [
          ['consent', consent],
          ['referral', target],
        ].sort(),
      );
    } finally {
      await restoreLetter();
      await restoreConsent();
    }
    expect(await findings()).toEqual([]);
  });

  it('a tampered message: the others are sent, that one fails as tampered (never as destroyed), and the outbox answers', async () => {
    expect(
      (
        await as(admin)('PUT', '/settings/mail', {
          mode: 'capture',
          from: 'practice@example.test',
          siteUrl: 'https://alcove.example.test/',
        })
      ).statusCode,
    ).toBe(204);
    await ok('POST', `/cases/${caseId}/contracts`, {
      text: contractText('Couple contract (fictional): weekly sessions.'),
    });
    const sent = await ok('POST', `/cases/${caseId}/send-contract`, {});
    expect(sent.sent.map((s: { outcome: string }) => s.outcome)).toEqual(['invited', 'invited']);
    const queued = await db
      .selectFrom('outbox_message')
      .select(['id', 'client_id'])
      .where('status', '=', 'queued')
      .execute();
    const target = queued.find((m) => m.client_id === rowan)?.id ?? '';
    await tamper({ table: 'outbox_message', column: 'envelope_sealed' }, target);

    expect(await t.app.alcove.mailer.drain()).toBe(1);
    const outbox = await as(admin)('GET', '/outbox');
    expect(outbox.statusCode).toBe(200);
    const messages = outbox.json().messages as {
      id: string;
      clientId: string;
      status: string;
      lastError: string | null;
      unreadable: string | null;
    }[];
    expect(messages.find((m) => m.id === target)).toMatchObject({
      status: 'failed',
      lastError: 'This message failed its integrity check.',
      unreadable: 'tampered',
    });
    expect(messages.find((m) => m.clientId === sky)).toMatchObject({ status: 'captured', unreadable: null });
    carriesNothingOf(outbox.body, ROWAN.email);
    // Found by the sender, not by a person: audited with no actor.
    expect((await integrityEvents(target))[0]).toMatchObject({
      action: 'integrity.failed',
      outcome: 'failed',
      record_type: 'outbox',
      actor_id: null,
    });
    expect(await findings()).toEqual([
      expect.objectContaining({
        recordType: 'outbox',
        recordId: target,
        clientId: rowan,
        what: 'A message in the outbox',
      }),
    ]);
  });

  it('a tampered requester: the register of release requests answers, that one marked', async () => {
    const request = (requester: string, clientId: string) =>
      ok('POST', '/release-requests', {
        clientId,
        basis: 'third-party-consent',
        requester,
        receivedOn: '2026-11-22',
      });
    const target = (await request('Fictional Solicitors LLP', rowan)).id as string;
    await request('Another Firm (fictional)', sky);
    const restore = await tamper({ table: 'release_request', column: 'requester_sealed' }, target);
    try {
      const answer = await call('GET', '/release-requests');
      expect(answer.statusCode).toBe(200);
      const list = answer.json().requests as {
        id: string;
        requester: string | null;
        unreadable: string | null;
      }[];
      expect(list.find((r) => r.id === target)).toMatchObject({ requester: null, unreadable: 'tampered' });
      expect(list.find((r) => r.id !== target)).toMatchObject({
        requester: 'Another Firm (fictional)',
        unreadable: null,
      });
      carriesNothingOf(answer.body, 'Fictional Solicitors');
      expect((await findings()).map((f) => f.recordType)).toContain('release-request');
    } finally {
      await restore();
    }
  });

  it('a tampered contract: the case answers with the text shown as failing its check; signing it and its PDF are refused, audited and found', async () => {
    const text = contractText('Contract to tamper with (fictional): fortnightly sessions.');
    const created = await ok('POST', `/cases/${caseId}/contracts`, { text });
    const contractId = created.id as string;
    const restore = await tamper({ table: 'contract', column: 'text_sealed' }, contractId);
    try {
      const page = await call('GET', `/cases/${caseId}`);
      expect(page.statusCode, page.body).toBe(200);
      expect(page.json().contract).toMatchObject({
        id: contractId,
        text: INTEGRITY_FAILED_TEXT,
        unreadable: 'tampered',
      });
      expect(page.json().participants).toHaveLength(2);
      carriesNothingOf(page.body, text);

      const sign = await call('POST', `/cases/${caseId}/contracts/${contractId}/signatures`, {
        signer: { kind: 'practitioner' },
        textHash: created.textHash,
      });
      expect(sign.statusCode, sign.body).toBe(500);
      expect(sign.json()).toMatchObject({ code: 'integrity-failed', errorId: expect.any(String) });
      expect(
        await db
          .selectFrom('contract_signature')
          .select('id')
          .where('contract_id', '=', contractId)
          .execute(),
      ).toEqual([]);

      const pdf = await call('GET', `/cases/${caseId}/contracts/${contractId}/pdf`);
      expect(pdf.statusCode).toBe(500);
      expect(pdf.json()).toMatchObject({ code: 'integrity-failed' });
      carriesNothingOf(pdf.body, text);

      expect((await integrityEvents(contractId))[0]).toMatchObject({
        action: 'integrity.failed',
        record_type: 'contract',
        actor_id: me.userId,
      });
      expect(await findings()).toContainEqual(
        expect.objectContaining({ recordType: 'contract', recordId: contractId }),
      );
    } finally {
      await restore();
    }
    expect((await findings()).map((f) => f.recordType)).not.toContain('contract');
    expect((await ok('GET', `/cases/${caseId}`)).contract).toMatchObject({ text, unreadable: null });
  });

  it('a tampered key marks what it seals as tampered, refuses what needs it with an integrity-failed problem, audited and found, until restored', async () => {
    const keyId = (
      await db.selectFrom('client').select('key_id').where('id', '=', sky).executeTakeFirstOrThrow()
    ).key_id;
    const row = await db
      .selectFrom('data_key')
      .select('wrapped')
      .where('id', '=', keyId)
      .executeTakeFirstOrThrow();
    const bytes = Buffer.from(row.wrapped ?? '', 'base64');
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0x01;
    await db
      .updateTable('data_key')
      .set({ wrapped: bytes.toString('base64') })
      .where('id', '=', keyId)
      .execute();
    try {
      // What only reads is served, that client marked (the list, their page) ...
      const page = await call('GET', `/clients/${sky}`);
      expect(page.statusCode).toBe(200);
      expect(page.json()).toEqual({ id: sky, identity: null, unreadable: 'tampered' });
      carriesNothingOf(page.body, SKY.name, SKY.email);
      // ... what cannot go on without it is refused as such.
      const answer = await call('GET', `/cases/${caseId}/contract-draft?templateId=standard`);
      expect(answer.statusCode).toBe(500);
      expect(answer.headers['content-type']).toContain('application/problem+json');
      expect(answer.json()).toMatchObject({ code: 'integrity-failed', errorId: expect.any(String) });
      carriesNothingOf(answer.body, SKY.name, SKY.email);
      expect((await integrityEvents(keyId))[0]).toMatchObject({
        action: 'integrity.failed',
        record_type: 'data-key',
        actor_id: me.userId,
      });
      expect(await findings()).toContainEqual(
        expect.objectContaining({ recordType: 'data-key', recordId: keyId, clientId: sky }),
      );
    } finally {
      await db.updateTable('data_key').set({ wrapped: row.wrapped }).where('id', '=', keyId).execute();
    }
    expect((await findings()).map((f) => f.recordType)).not.toContain('data-key');
    expect((await ok('GET', `/clients/${sky}`)).identity.name).toBe(SKY.name);
  });

  /** The data key a client's identity (and their messages) are sealed under. */
  const clientKey = async (clientId: string) =>
    (await db.selectFrom('client').select('key_id').where('id', '=', clientId).executeTakeFirstOrThrow())
      .key_id;

  it('a key erased without a record of its destruction is tampered, never taken for destroyed', async () => {
    const keyId = await clientKey(sky);
    const row = await db
      .selectFrom('data_key')
      .select(['wrapped', 'destroyed_at'])
      .where('id', '=', keyId)
      .executeTakeFirstOrThrow();
    expect(row.destroyed_at).toBe(null);
    await db.updateTable('data_key').set({ wrapped: null }).where('id', '=', keyId).execute();
    try {
      const list = await call('GET', '/clients');
      expect(list.statusCode).toBe(200);
      const clients = list.json().clients as { id: string; name: string | null; unreadable: string | null }[];
      expect(clients.find((c) => c.id === sky)).toMatchObject({ name: null, unreadable: 'tampered' });
      expect(clients.find((c) => c.id === rowan)).toMatchObject({ name: ROWAN.name, unreadable: null });
      expect((await integrityEvents(keyId))[0]).toMatchObject({
        action: 'integrity.failed',
        record_type: 'data-key',
      });
      // Still found when the obligations page checks it again.
      expect(await findings()).toContainEqual(
        expect.objectContaining({ recordType: 'data-key', recordId: keyId, clientId: sky }),
      );
    } finally {
      await db.updateTable('data_key').set({ wrapped: row.wrapped }).where('id', '=', keyId).execute();
    }
    expect((await findings()).map((f) => f.recordType)).not.toContain('data-key');
  });

  it('a tampered key fails only its own messages and its own client: the rest are sent and listed', async () => {
    await ok('POST', `/cases/${caseId}/send-contract`, {});
    const queued = await db
      .selectFrom('outbox_message')
      .select(['id', 'client_id'])
      .where('status', '=', 'queued')
      .execute();
    const target = queued.find((m) => m.client_id === rowan)?.id ?? '';
    const other = queued.find((m) => m.client_id === sky)?.id ?? '';
    expect(target).not.toBe('');
    expect(other).not.toBe('');
    const keyId = await clientKey(rowan);
    const row = await db
      .selectFrom('data_key')
      .select('wrapped')
      .where('id', '=', keyId)
      .executeTakeFirstOrThrow();
    const bytes = Buffer.from(row.wrapped ?? '', 'base64');
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0x01;
    await db
      .updateTable('data_key')
      .set({ wrapped: bytes.toString('base64') })
      .where('id', '=', keyId)
      .execute();
    try {
      await t.app.alcove.mailer.drain();
      const statuses = await db
        .selectFrom('outbox_message')
        .select(['id', 'status', 'last_error'])
        .where('id', 'in', [target, other])
        .execute();
      expect(statuses.find((m) => m.id === target)).toMatchObject({
        status: 'failed',
        last_error: 'This message failed its integrity check.',
      });
      expect(statuses.find((m) => m.id === other)?.status).toBe('captured');

      const list = await call('GET', '/clients');
      expect(list.statusCode).toBe(200);
      const clients = list.json().clients as { id: string; name: string | null; unreadable: string | null }[];
      expect(clients.find((c) => c.id === rowan)).toMatchObject({ name: null, unreadable: 'tampered' });
      expect(clients.find((c) => c.id === sky)).toMatchObject({ name: SKY.name, unreadable: null });
      carriesNothingOf(list.body, ROWAN.name, ROWAN.email);

      const outbox = await as(admin)('GET', '/outbox');
      expect(outbox.statusCode).toBe(200);
      carriesNothingOf(outbox.body, ROWAN.name, ROWAN.email);
      expect(await findings()).toContainEqual(
        expect.objectContaining({ recordType: 'data-key', recordId: keyId, clientId: rowan }),
      );
    } finally {
      await db.updateTable('data_key').set({ wrapped: row.wrapped }).where('id', '=', keyId).execute();
    }
    expect((await findings()).map((f) => f.recordType)).not.toContain('data-key');
  });

  it('a tampered account name: the session answers, the name shown as failing its check; every practitioner is told', async () => {
    const signIn = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/sign-in',
      payload: { email: colleague.email, password: TEST_PASSWORD },
    });
    expect(signIn.statusCode).toBe(200);
    const cookie = cookieFrom(signIn.headers['set-cookie']);
    const restore = await tamper({ table: 'app_user', column: 'name_sealed' }, colleague.userId);
    try {
      const session = await t.app.inject({ method: 'GET', url: '/api/v1/auth/session', headers: { cookie } });
      expect(session.statusCode, session.body).toBe(200);
      expect(session.json().user).toEqual({
        id: colleague.userId,
        name: '(name failed its integrity check)',
      });
      carriesNothingOf(session.body, 'Colleague (fictional)');
      expect((await integrityEvents(colleague.userId))[0]).toMatchObject({
        action: 'integrity.failed',
        record_type: 'user',
      });
      // In no client's record: a practitioner (not only an administrator) is told.
      expect(await findings(me)).toContainEqual(
        expect.objectContaining({ recordType: 'user', recordId: colleague.userId, clientId: null }),
      );
    } finally {
      await restore();
    }
    expect((await findings()).map((f) => f.recordType)).not.toContain('user');
  });

  it('a tampered session reason: the case answers, that reason marked; the finding clears once it is restored', async () => {
    const reason = 'Agreed by phone, signed copy in the post (fictional).';
    // Therapy before every signature: a contract is written, not yet signed.
    await ok('POST', `/cases/${caseId}/contracts`, {
      text: contractText('Couple contract (fictional): weekly sessions.'),
    });
    const session = (
      await ok('POST', `/cases/${caseId}/sessions`, {
        kind: 'therapy',
        format: 'in-person',
        startsAt: '2026-11-25T10:00:00Z',
        minutes: 50,
        attendance: 'attended',
        override: { clause: 'GT-36a', reason },
      })
    ).id as string;
    const restore = await tamper({ table: 'therapy_session', column: 'override_reason_sealed' }, session);
    try {
      const page = await call('GET', `/cases/${caseId}`);
      expect(page.statusCode, page.body).toBe(200);
      expect((page.json().sessions as { id: string }[]).find((s) => s.id === session)).toMatchObject({
        overrideReason: INTEGRITY_FAILED_TEXT,
        unreadable: 'tampered',
      });
      carriesNothingOf(page.body, reason);
      expect((await integrityEvents(session))[0]).toMatchObject({
        action: 'integrity.failed',
        record_type: 'session',
      });
      expect(await findings()).toContainEqual(
        expect.objectContaining({ recordType: 'session', recordId: session }),
      );
    } finally {
      await restore();
    }
    // Put back: it reads again, and the finding is resolved.
    expect((await findings()).map((f) => f.recordType)).not.toContain('session');
    expect(
      ((await ok('GET', `/cases/${caseId}`)).sessions as { id: string }[]).find((s) => s.id === session),
    ).toMatchObject({ overrideReason: reason, unreadable: null });
  });

  it('a tampered participant or case key: the record and the notes answer, what it sealed marked, the rest served', async () => {
    const participants = (await ok('GET', `/cases/${caseId}`)).participants as {
      id: string;
      clientId: string;
    }[];
    const skyParticipant = participants.find((p) => p.clientId === sky)?.id ?? '';
    const participantKey = (
      await db
        .selectFrom('participant')
        .select('key_id')
        .where('id', '=', skyParticipant)
        .executeTakeFirstOrThrow()
    ).key_id;
    const caseKey = (
      await db.selectFrom('care_case').select('key_id').where('id', '=', caseId).executeTakeFirstOrThrow()
    ).key_id;
    const breakKey = async (keyId: string) => {
      const row = await db
        .selectFrom('data_key')
        .select('wrapped')
        .where('id', '=', keyId)
        .executeTakeFirstOrThrow();
      const bytes = Buffer.from(row.wrapped ?? '', 'base64');
      bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0x01;
      await db
        .updateTable('data_key')
        .set({ wrapped: bytes.toString('base64') })
        .where('id', '=', keyId)
        .execute();
      return async () => {
        await db.updateTable('data_key').set({ wrapped: row.wrapped }).where('id', '=', keyId).execute();
      };
    };
    const readable = async () => {
      const record = await call('GET', `/clients/${rowan}/record`);
      expect(record.statusCode, record.body).toBe(200);
      const notes = await call('GET', `/cases/${caseId}/notes`);
      expect(notes.statusCode, notes.body).toBe(200);
      return {
        record: record
          .json()
          .cases[0].entries[0].passages.map((p: { unreadable: string | null }) => p.unreadable),
        notes: notes.json().notes[0].passages.map((p: { unreadable: string | null }) => p.unreadable),
        body: record.body + notes.body,
      };
    };

    const restoreParticipant = await breakKey(participantKey);
    try {
      const after = await readable();
      expect(after.record).toEqual([null, 'tampered', null]);
      expect(after.notes).toEqual([null, 'tampered', null]);
      carriesNothingOf(after.body, PASSAGES[1] ?? '');
      expect((await integrityEvents(participantKey))[0]).toMatchObject({
        action: 'integrity.failed',
        record_type: 'data-key',
        actor_id: me.userId,
      });
      expect(await findings()).toContainEqual(
        expect.objectContaining({ recordType: 'data-key', recordId: participantKey, clientId: sky }),
      );
    } finally {
      await restoreParticipant();
    }
    expect((await findings()).map((f) => f.recordId)).not.toContain(participantKey);

    const restoreCase = await breakKey(caseKey);
    try {
      const after = await readable();
      expect(after.record).toEqual([null, null, 'tampered']);
      expect(after.notes).toEqual([null, null, 'tampered']);
      carriesNothingOf(after.body, PASSAGES[2] ?? '');
      // The case page answers too, its contract shown as failing its check.
      const page = await call('GET', `/cases/${caseId}`);
      expect(page.statusCode, page.body).toBe(200);
      expect(page.json().contract).toMatchObject({ text: INTEGRITY_FAILED_TEXT, unreadable: 'tampered' });
      expect((await findings()).map((f) => f.recordId)).toContain(caseKey);
    } finally {
      await restoreCase();
    }
    expect((await findings()).map((f) => f.recordId)).not.toContain(caseKey);
  });

  it('a destroyed key still reads as destroyed, never as tampered', async () => {
    const before = await db
      .selectFrom('audit_event')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('action', '=', 'integrity.failed')
      .executeTakeFirstOrThrow();
    const participant = (await ok('GET', `/cases/${caseId}`)).participants.find(
      (p: { clientId: string }) => p.clientId === sky,
    );
    await db
      .transaction()
      .execute((trx) => destroyParticipantKey(trx, t.vault.keyring, t.vault.practice.id, participant.id));

    const passages = (await ok('GET', `/clients/${rowan}/record`)).cases[0].entries[0].passages;
    expect(
      passages.map((p: { text: string | null; unreadable: string | null }) => [p.text, p.unreadable]),
    ).toEqual([
      [PASSAGES[0], null],
      [null, 'shredded'],
      [PASSAGES[2], null],
    ]);
    const letters = (await ok('GET', `/cases/${caseId}/referrals`)).referrals as {
      clientId: string;
      unreadable: string | null;
    }[];
    expect(letters.find((r) => r.clientId === sky)?.unreadable).toBe('shredded');
    expect(letters.find((r) => r.clientId === rowan)?.unreadable).toBe(null);
    const after = await db
      .selectFrom('audit_event')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('action', '=', 'integrity.failed')
      .executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });

  it('a database that fails while keys are read answers a problem document, never "destroyed"', async () => {
    await ok('POST', `/cases/${caseId}/send-contract`, {});
    const waiting = await db
      .selectFrom('outbox_message')
      .select('id')
      .where('status', '=', 'queued')
      .execute();
    expect(waiting.length).toBeGreaterThan(0);
    await sql`alter table data_key rename to data_key_elsewhere`.execute(db);
    try {
      for (const url of [
        `/clients/${rowan}/record`,
        `/cases/${caseId}/disclosures`,
        `/cases/${caseId}/referrals`,
        '/clients',
      ]) {
        const answer = await call('GET', url);
        expect(answer.statusCode, url).toBe(500);
        expect(answer.headers['content-type']).toContain('application/problem+json');
        expect(answer.json()).toMatchObject({ code: 'internal', errorId: expect.any(String) });
        carriesNothingOf(answer.body, 'shredded', 'tampered', 'destroyed');
      }
      // The sender stops; nothing it claimed is marked as unreadable.
      await expect(t.app.alcove.mailer.drain()).rejects.toThrow();
    } finally {
      await sql`alter table data_key_elsewhere rename to data_key`.execute(db);
    }
    const messages = await db
      .selectFrom('outbox_message')
      .select(['status', 'last_error'])
      .where(
        'id',
        'in',
        waiting.map((m) => m.id),
      )
      .execute();
    expect(messages.every((m) => m.status === 'queued' && m.last_error === null)).toBe(true);
    expect((await call('GET', `/cases/${caseId}/disclosures`)).statusCode).toBe(200);
  });
});
