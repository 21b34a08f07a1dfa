import fs from 'node:fs';
import path from 'node:path';
import { Confidential } from '@alcove/core';
import { clause } from '@alcove/core/testing';
import {
  createClient,
  enqueuePracticeMessage,
  openStore,
  openText,
  readEnvelope,
  setMailSettings,
  unlockKeyring,
  writeCheckpoint,
} from '@alcove/store';
import { tempDir, testEngines } from '@alcove/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AlcoveApp, buildApp } from './app.ts';
import { addStaff, bearer, startTestApp, type TestApp, type TestStaff } from './testing/app.ts';
import { type SmtpCatcher, startSmtpCatcher } from './testing/smtp.ts';

const CLIENT = { name: 'Rowan Ash (fictional)', email: 'rowan@example.test' };

/**
 * The audit witness's two missing parts (issue 15): the check of the log against the witness
 * and its finding on the obligations page, and the daily digest through the outbox, which
 * now writes to staff and to the practice too.
 */
describe.each(testEngines)('the audit log checked against its witness on $name', (engine) => {
  let t: TestApp;
  let admin: TestStaff;
  let practitioner: TestStaff;
  let witness: string;

  const compliance = async (who: TestStaff) => {
    const answer = await t.app.inject({ method: 'GET', url: '/api/v1/compliance', headers: bearer(who) });
    expect(answer.statusCode, answer.body).toBe(200);
    return (
      answer.json() as { findings: { rule: string; severity: string; title: string; action: string }[] }
    ).findings;
  };
  const auditFindings = async (who: TestStaff) =>
    (await compliance(who)).filter((f) => f.rule === 'audit-witness');
  /** Some audited reads, then a checkpoint, witnessed. */
  const work = async () => {
    for (let i = 0; i < 3; i += 1) {
      await t.app.inject({ method: 'GET', url: '/api/v1/clients', headers: bearer(practitioner) });
    }
    await t.vault.store.settled();
    return writeCheckpoint(t.vault.db, t.vault.keyring, undefined, witness);
  };

  beforeAll(async () => {
    witness = path.join(tempDir('alcove-witness-'), 'witness');
    t = await startTestApp(engine, { witness });
    // The obligations page is a practitioner's: the owner of a small practice is both.
    admin = await addStaff(t.vault, {
      email: 'owner@example.test',
      name: 'Morgan Owner (fictional)',
      roles: ['administrator', 'practitioner'],
    });
    practitioner = await addStaff(t.vault, {
      email: 'therapist@example.test',
      name: 'Dr Test (fictional)',
      roles: ['practitioner'],
    });
    await t.vault.db.transaction().execute((trx) =>
      createClient(trx, t.vault.keyring, {
        practiceId: t.vault.practice.id,
        createdBy: practitioner.userId,
        identity: new Confidential(CLIENT),
      }),
    );
  });
  afterAll(async () => {
    await t.close();
  });

  it('finds nothing when the log reaches and agrees with its witness', async () => {
    await work();
    expect((await t.app.alcove.auditWatch.check())?.result).toBe('ok');
    expect((await t.app.alcove.auditWatch.check('quick'))?.result).toBe('ok');
    expect(await auditFindings(admin)).toEqual([]);
    expect(await auditFindings(practitioner)).toEqual([]);
  });

  clause('GT-39', 'finds a log cut behind its witness, and shows the high finding (GT-39)', async () => {
    const kept = await work();
    expect(kept).toBeGreaterThan(0);
    const cutAt = kept ?? 0;
    const later = await work();
    expect(later).toBeGreaterThan(cutAt);
    // Someone with the database cuts the log back to the earlier checkpoint, rewrites its
    // head and deletes the newer checkpoints: the log alone is perfectly intact.
    const db = t.vault.db;
    const head = await db
      .selectFrom('audit_event')
      .select('hash')
      .where('seq', '=', cutAt)
      .executeTakeFirstOrThrow();
    // Whoever cuts the log takes the events' addresses with them (they reference the events).
    await db.deleteFrom('audit_event_context').where('event_seq', '>', cutAt).execute();
    await db.deleteFrom('audit_event').where('seq', '>', cutAt).execute();
    await db.deleteFrom('audit_checkpoint').where('seq', '>', cutAt).execute();
    await db.updateTable('audit_head').set({ seq: cutAt, hash: head.hash }).where('id', '=', 1).execute();

    expect((await t.app.alcove.auditWatch.check('quick'))?.result).toBe('tampered');
    const check = await t.app.alcove.auditWatch.check();
    expect(check?.result).toBe('tampered');
    for (const who of [admin, practitioner]) {
      const findings = await auditFindings(who);
      expect(findings).toHaveLength(1);
      expect(findings[0]).toMatchObject({
        severity: 'high',
        title: 'The audit log has been cut or changed since it was witnessed',
      });
      expect(findings[0]?.action).toContain('alcove audit verify');
      expect(findings[0]?.action).toContain('backup');
      expect(JSON.stringify(findings)).not.toContain(CLIENT.name);
    }
    // Audited, ids and verbs only.
    const event = await db
      .selectFrom('audit_event')
      .selectAll()
      .where('action', '=', 'audit.witness-check')
      .orderBy('seq', 'desc')
      .executeTakeFirstOrThrow();
    expect(event).toMatchObject({ outcome: 'failed', record_type: 'audit-witness', record_id: check?.id });
  });

  it('finds a missing witness, a medium finding', async () => {
    fs.rmSync(witness);
    // The log was cut above, but without a witness nothing outside says so: the witness is missing.
    expect((await t.app.alcove.auditWatch.check('quick'))?.result).toBe('witness-missing');
    expect((await t.app.alcove.auditWatch.check())?.result).toBe('witness-missing');
    const findings = await auditFindings(admin);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ severity: 'medium', title: 'The audit log’s witness is missing' });
    expect(findings[0]?.action).toContain('key file');
  });

  it('finds a witness older than the log, a medium finding, and clears once it is whole again', async () => {
    await work();
    const older = fs.readFileSync(witness);
    await work();
    fs.writeFileSync(witness, older);
    expect((await t.app.alcove.auditWatch.check())?.result).toBe('witness-behind');
    expect(await auditFindings(practitioner)).toMatchObject([
      { severity: 'medium', title: 'The audit log’s witness is older than the log' },
    ]);
    await work();
    expect((await t.app.alcove.auditWatch.check())?.result).toBe('ok');
    expect(await auditFindings(admin)).toEqual([]);
  });
});

describe.each(testEngines)('messages to staff and to the practice on $name', (engine) => {
  let t: TestApp;
  let smtp: SmtpCatcher;
  let admin: TestStaff;
  let practitioner: TestStaff;
  let colleague: TestStaff;
  let clock = new Date('2026-12-01T09:00:00Z');

  const outbox = async (who: TestStaff) => {
    const answer = await t.app.inject({ method: 'GET', url: '/api/v1/outbox', headers: bearer(who) });
    expect(answer.statusCode, answer.body).toBe(200);
    return (answer.json() as { messages: Record<string, unknown>[] }).messages;
  };
  const digests = () =>
    t.vault.db
      .selectFrom('outbox_message')
      .select(['id', 'once_key', 'status', 'recipient_kind'])
      .where('purpose', '=', 'audit-digest')
      .where('recipient_kind', '=', 'practice')
      .orderBy('created_at')
      .execute();
  const setDigest = async (enabled: boolean) => {
    const answer = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/settings/audit-digest',
      headers: bearer(admin),
      payload: { enabled },
    });
    expect(answer.statusCode, answer.body).toBe(204);
  };

  beforeAll(async () => {
    smtp = await startSmtpCatcher();
    t = await startTestApp(engine, { now: () => clock });
    admin = await addStaff(t.vault, {
      email: 'owner@example.test',
      name: 'Morgan Owner (fictional)',
      roles: ['administrator'],
    });
    practitioner = await addStaff(t.vault, {
      email: 'therapist@example.test',
      name: 'Dr Test (fictional)',
      roles: ['practitioner'],
    });
    colleague = await addStaff(t.vault, {
      email: 'colleague@example.test',
      name: 'Dr Colleague (fictional)',
      roles: ['practitioner'],
    });
    await t.vault.db.transaction().execute(async (trx) => {
      // A client with a safety flag sharing the practitioner's address: the contact rules
      // would withhold a client's message to it, and have no say over a staff message.
      await createClient(trx, t.vault.keyring, {
        practiceId: t.vault.practice.id,
        createdBy: practitioner.userId,
        identity: new Confidential({ ...CLIENT, email: practitioner.email, safetyFlag: true }),
      });
      await setMailSettings(trx, t.vault.keyring, {
        practiceId: t.vault.practice.id,
        settings: {
          mode: 'smtp',
          from: 'practice@example.test',
          siteUrl: 'https://alcove.example.test/',
          host: '127.0.0.1',
          port: smtp.port,
          secure: false,
        },
        userId: admin.userId,
        now: clock.toISOString(),
      });
    });
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
  });

  it('seals a staff message under the practice key, lists it, and sends it whatever the client contact rules say', async () => {
    const envelope = { to: practitioner.email, subject: 'A fictional notice', text: 'Fictional.' };
    const queued = await t.vault.db.transaction().execute((trx) =>
      enqueuePracticeMessage(trx, t.vault.keyring, {
        practiceId: t.vault.practice.id,
        recipient: { kind: 'staff', userId: practitioner.userId },
        purpose: 'audit-digest',
        envelope,
        createdBy: null,
        now: clock.toISOString(),
      }),
    );
    expect(queued?.status).toBe('queued');
    const id = queued?.id ?? '';
    const row = await t.vault.db
      .selectFrom('outbox_message')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      recipient_kind: 'staff',
      recipient_user_id: practitioner.userId,
      client_id: null,
    });
    // Sealed under the practice's own key, bound to this message.
    const practiceKey = await t.vault.keyring.practiceKey(t.vault.db, t.vault.practice.id);
    expect(
      JSON.parse(
        openText(practiceKey.key, row.envelope_sealed, {
          practiceId: t.vault.practice.id,
          record: `outbox/${id}`,
          field: 'envelope',
          keyId: `practice/v${practiceKey.version}`,
        }),
      ),
    ).toEqual(envelope);
    // Listed for the administrator and for the staff member it is for, not for a colleague.
    expect(await outbox(admin)).toContainEqual(
      expect.objectContaining({
        id,
        recipientKind: 'staff',
        staffName: 'Dr Test (fictional)',
        status: 'queued',
      }),
    );
    expect((await outbox(practitioner)).map((m) => m.id)).toContain(id);
    expect((await outbox(colleague)).map((m) => m.id)).not.toContain(id);
    // Sent through the same claim and the real SMTP server, not withheld.
    expect(await t.app.alcove.mailer.drain()).toBeGreaterThanOrEqual(1);
    expect(smtp.received.filter((m) => m.to.includes(practitioner.email))).toHaveLength(1);
    expect((await outbox(admin)).find((m) => m.id === id)).toMatchObject({
      status: 'sent',
      withheldReason: null,
    });
    // A rotated practice key seals it again: it still reads.
    await t.vault.db
      .transaction()
      .execute((trx) => t.vault.keyring.rotatePracticeKey(trx, t.vault.practice.id));
    expect(await readEnvelope(t.vault.db, t.vault.keyring, t.vault.practice.id, id)).toEqual(envelope);
  });

  it('queues no digest while the setting is off (the default)', async () => {
    await writeCheckpoint(t.vault.db, t.vault.keyring);
    expect(await t.app.alcove.auditWatch.digest()).toEqual([]);
    expect(await digests()).toEqual([]);
  });

  it('e-mails the digest to the practice once a day, however often it is asked', async () => {
    await setDigest(true);
    await t.vault.store.settled();
    const checkpoint = await writeCheckpoint(t.vault.db, t.vault.keyring);
    const newest = await t.vault.db
      .selectFrom('audit_checkpoint')
      .selectAll()
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirstOrThrow();
    expect(checkpoint ?? newest.seq).toBe(newest.seq);
    await t.app.alcove.auditWatch.turn();
    await t.app.alcove.auditWatch.turn();
    expect(await t.app.alcove.auditWatch.digest()).toEqual([]);
    // Another server on the same database asks too (on SQLite, a second app on the one store).
    const other = await otherServer(t, engine.name, () => clock);
    try {
      const [a, b] = await Promise.all([
        other.app.alcove.auditWatch.digest(),
        t.app.alcove.auditWatch.digest(),
      ]);
      expect([...a, ...b]).toEqual([]);
    } finally {
      await other.close();
    }
    const today = await digests();
    expect(today).toMatchObject([{ once_key: 'audit-digest/2026-12-01', recipient_kind: 'practice' }]);
    await t.app.alcove.mailer.drain();
    const mail = smtp.received.filter((m) => m.to.includes(admin.email));
    expect(mail).toHaveLength(1);
    // The body is UTF-8 (quoted-printable): its ASCII parts are compared.
    expect(mail[0]?.text).toContain('audit log on 1 Dec 2026: event');
    expect(mail[0]?.text).toContain(
      `event ${newest.seq.toLocaleString('en-GB')}, fingerprint ${newest.head_hash.slice(0, 4)} ${newest.head_hash.slice(4, 8)}`,
    );
    expect(mail[0]?.text).not.toContain(CLIENT.name);
    expect(await outbox(admin)).toContainEqual(
      expect.objectContaining({ recipientKind: 'practice', purpose: 'audit-digest', status: 'sent' }),
    );

    // The next London day, the next digest; two servers at once still make one.
    clock = new Date('2026-12-02T00:30:00Z');
    const second = await otherServer(t, engine.name, () => clock);
    try {
      const [a, b] = await Promise.all([
        second.app.alcove.auditWatch.digest(),
        t.app.alcove.auditWatch.digest(),
      ]);
      expect([...a, ...b]).toHaveLength(1);
    } finally {
      await second.close();
    }
    expect((await digests()).map((d) => d.once_key)).toEqual([
      'audit-digest/2026-12-01',
      'audit-digest/2026-12-02',
    ]);

    // Turned off: nothing the day after.
    await setDigest(false);
    clock = new Date('2026-12-03T08:00:00Z');
    expect(await t.app.alcove.auditWatch.digest()).toEqual([]);
    expect(await digests()).toHaveLength(2);
  });
});

/**
 * A second server on the same database: on PostgreSQL its own store and keyring (another
 * process would have them); on SQLite, whose data folder one process holds, a second app on
 * the same store.
 */
async function otherServer(
  t: TestApp,
  engine: string,
  now: () => Date,
): Promise<{ app: AlcoveApp; close(): Promise<void> }> {
  if (engine !== 'postgres') {
    const app = await buildApp({ store: t.vault.store, keyring: t.vault.keyring, now });
    return { app, close: () => app.close() };
  }
  const store = await openStore(t.vault.database.config);
  const keyring = await unlockKeyring(store.db, { method: 'key-file', key: t.vault.keyFile });
  const app = await buildApp({ store, keyring, now });
  return {
    app,
    async close() {
      await app.close();
      await store.close();
    },
  };
}
