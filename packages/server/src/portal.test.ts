import { INTEGRITY_FAILED_TEXT, STANDARD_TEMPLATE } from '@alcove/core';
import { clause } from '@alcove/core/testing';
import { listOutbox, setMailSettings } from '@alcove/store';
import { testEngines } from '@alcove/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addStaff,
  bearer,
  startTestApp,
  TEST_PASSWORD,
  type TestApp,
  type TestStaff,
} from './testing/app.ts';
import { type BrowserSession, signInAndEnrol } from './testing/browser-session.ts';
import { contractText } from './testing/contracts.ts';
import { type SmtpCatcher, startSmtpCatcher } from './testing/smtp.ts';

const WREN = { name: 'Wren Example (fictional)', email: 'wren@example.test', phone: '07700 900001' };
const ILEX = { name: 'Ilex Sample (fictional)', email: 'ilex@example.test', phone: '07700 900002' };
const CONTRACT = contractText(
  'Couple contract (fictional): weekly sessions, confidentiality and its limits, and how therapy ends.',
);

describe.each(testEngines)('the client portal and the outbox on $name', (engine) => {
  let t: TestApp;
  let me: TestStaff;
  let smtp: SmtpCatcher;
  let wrenId: string;
  let ilexId: string;
  let caseId: string;
  let wren: BrowserSession;

  const staff = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) =>
    t.app.inject({
      method,
      url: `/api/v1${url}`,
      headers: bearer(me),
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });
  const as = (who: BrowserSession, method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) =>
    t.app.inject({
      method,
      url: `/api/v1${url}`,
      headers: { cookie: who.cookie, 'x-csrf-token': who.csrfToken },
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });
  const tokenIn = (text: string) => text.match(/\/portal\/join#([A-Za-z0-9_-]+)/)?.[1] ?? '';

  beforeAll(async () => {
    t = await startTestApp(engine);
    smtp = await startSmtpCatcher();
    me = await addStaff(t.vault, {
      email: 'me@example.test',
      name: 'Me (fictional)',
      roles: ['practitioner'],
    });
    await t.vault.db.transaction().execute((trx) =>
      setMailSettings(trx, t.vault.keyring, {
        practiceId: t.vault.practice.id,
        settings: {
          mode: 'smtp',
          from: 'practice@example.test',
          siteUrl: 'https://alcove.example.test/',
          host: '127.0.0.1',
          port: smtp.port,
          secure: false,
        },
        userId: me.userId,
        now: new Date().toISOString(),
      }),
    );
    wrenId = (await staff('POST', '/clients', { identity: WREN })).json().id;
    ilexId = (await staff('POST', '/clients', { identity: ILEX })).json().id;
    caseId = (await staff('POST', '/cases', { kind: 'couple', clientIds: [wrenId, ilexId] })).json().id;
    await staff('POST', `/cases/${caseId}/contracts`, { text: CONTRACT });
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
  });

  it('invites each partner by e-mail, through a real SMTP server, and no message to one names the other', async () => {
    const sent = await staff('POST', `/cases/${caseId}/send-contract`, {});
    expect(sent.statusCode).toBe(200);
    expect(sent.json().sent.map((s: { outcome: string }) => s.outcome)).toEqual(['invited', 'invited']);
    expect(await t.app.alcove.mailer.drain()).toBe(2);
    expect(smtp.received).toHaveLength(2);
    const toWren = smtp.received.find((m) => m.to.includes(WREN.email));
    const toIlex = smtp.received.find((m) => m.to.includes(ILEX.email));
    expect(toWren?.text).toContain('Dear Wren Example (fictional)');
    for (const [message, other] of [
      [toWren, ILEX],
      [toIlex, WREN],
    ] as const) {
      expect(message?.text).toContain('https://alcove.example.test/portal/join#');
      expect(message?.text).not.toContain(other.name);
      expect(message?.text).not.toContain(other.email);
      // Words, not letters inside the random sign-in token.
      expect(message?.text.replace(/https?:\/\/\S+/g, '')).not.toMatch(/\b(couple|therap\w*|sex\w*)\b/i);
    }
    const statuses = (await listOutbox(t.vault.db, t.vault.practice.id)).map((m) => m.status);
    expect(statuses).toEqual(['sent', 'sent']);
  });

  it('refuses an unknown invitation, a weak password, and a second use of the same link', async () => {
    const token = tokenIn(smtp.received.find((m) => m.to.includes(WREN.email))?.text ?? '');
    const unknown = await t.app.inject({
      method: 'POST',
      url: '/api/v1/portal/join',
      payload: { token: 'x'.repeat(43), password: TEST_PASSWORD },
    });
    expect(unknown.statusCode).toBe(404);
    const weak = await t.app.inject({
      method: 'POST',
      url: '/api/v1/portal/join',
      payload: { token, password: 'short' },
    });
    expect(weak.statusCode).toBe(400);
    const join = await t.app.inject({
      method: 'POST',
      url: '/api/v1/portal/join',
      payload: { token, password: TEST_PASSWORD },
    });
    expect(join.statusCode).toBe(201);
    const again = await t.app.inject({
      method: 'POST',
      url: '/api/v1/portal/join',
      payload: { token, password: TEST_PASSWORD },
    });
    expect(again.statusCode).toBe(404);
    wren = await signInAndEnrol(t.app, WREN.email, () => Date.now());
  });

  it('needs a signed-in client: 401 without a session, 404 for staff', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/portal' })).statusCode).toBe(401);
    expect((await staff('GET', '/portal')).statusCode).toBe(404);
    expect((await staff('GET', '/portal/consents')).statusCode).toBe(404);
  });

  it('shows partner A their own details and never partner B’s, by page data or by API', async () => {
    const portal = await as(wren, 'GET', '/portal');
    expect(portal.statusCode).toBe(200);
    expect(portal.json().me).toMatchObject({ name: WREN.name, email: WREN.email });
    expect(portal.json().cases[0]).toMatchObject({ id: caseId, myLabel: 'Partner A' });
    expect(portal.body).not.toContain(ILEX.email);
    expect(portal.body).not.toContain(ILEX.phone);
    expect(portal.body).not.toContain(ilexId);
    // The staff routes name a client: partner B's are "not found" to partner A.
    expect((await as(wren, 'GET', `/clients/${ilexId}`)).statusCode).toBe(404);
    expect((await as(wren, 'GET', `/clients/${ilexId}/consents`)).statusCode).toBe(404);
    expect((await as(wren, 'GET', `/cases/${caseId}`)).statusCode).toBe(404);
    expect((await as(wren, 'GET', `/clients/${wrenId}`)).statusCode).toBe(200);
  });

  it('partner A’s consents are their own: given and withdrawn once, invisible to partner B', async () => {
    expect((await as(wren, 'POST', '/portal/consents', { type: 'research', extra: 1 })).statusCode).toBe(400);
    expect((await as(wren, 'POST', '/portal/consents', { type: 'appropriate-adult' })).statusCode).toBe(400);
    expect((await as(wren, 'POST', '/portal/consents', { type: 'third-party-release' })).statusCode).toBe(
      400,
    );
    const given = await as(wren, 'POST', '/portal/consents', { type: 'research', caseId });
    expect(given.statusCode).toBe(201);
    const id = given.json().id as string;
    const mine = (await as(wren, 'GET', '/portal/consents')).json().consents;
    expect(mine).toMatchObject([
      { id, type: 'research', givenBy: 'client', mode: 'portal', withdrawnOn: null },
    ]);
    // Partner B's consents (recorded by the practitioner) are never in partner A's list.
    await staff('POST', `/clients/${ilexId}/consents`, {
      type: 'publication',
      givenOn: '2026-11-01',
      givenBy: 'client',
      mode: 'written-in-person',
    });
    expect((await as(wren, 'GET', '/portal/consents')).json().consents).toHaveLength(1);
    expect((await as(wren, 'POST', `/portal/consents/${id}/withdraw`, {})).statusCode).toBe(204);
    const twice = await as(wren, 'POST', `/portal/consents/${id}/withdraw`, {});
    expect(twice.statusCode).toBe(409);
    expect(twice.headers['content-type']).toContain('application/problem+json');
  });

  it('partner A signs in the portal: once, on the current text only', async () => {
    const contract = (await as(wren, 'GET', '/portal')).json().cases[0].contract;
    const sign = (body: unknown) => as(wren, 'POST', `/portal/cases/${caseId}/signatures`, body);
    expect(
      (await sign({ contractId: contract.id, textHash: 'nope', acknowledgedConditions: false })).statusCode,
    ).toBe(400);
    const wrongText = await sign({
      contractId: contract.id,
      textHash: '0'.repeat(64),
      acknowledgedConditions: false,
    });
    expect(wrongText.statusCode).toBe(400);
    const signed = await sign({
      contractId: contract.id,
      textHash: contract.textHash,
      acknowledgedConditions: false,
    });
    expect(signed.statusCode).toBe(201);
    expect(signed.json()).toEqual({ signedByAll: false });
    expect(
      (await sign({ contractId: contract.id, textHash: contract.textHash, acknowledgedConditions: false }))
        .statusCode,
    ).toBe(409);
    const after = (await as(wren, 'GET', '/portal')).json().cases[0].contract;
    expect(after.mySignature).toMatchObject({ mode: 'portal' });
    const pdf = await as(wren, 'GET', `/portal/cases/${caseId}/contract.pdf`);
    expect(pdf.statusCode).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    expect(pdf.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
  });

  it('a contract that failed its integrity check: the portal answers with it shown as such; signing it and its PDF are refused', async () => {
    const contract = (await as(wren, 'GET', '/portal')).json().cases[0].contract;
    const db = t.vault.db;
    const original = (
      await db
        .selectFrom('contract')
        .select('text_sealed')
        .where('id', '=', contract.id)
        .executeTakeFirstOrThrow()
    ).text_sealed;
    const bytes = Buffer.from(original, 'base64');
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0x01;
    await db
      .updateTable('contract')
      .set({ text_sealed: bytes.toString('base64') })
      .where('id', '=', contract.id)
      .execute();
    try {
      const portal = await as(wren, 'GET', '/portal');
      expect(portal.statusCode, portal.body).toBe(200);
      expect(portal.json().me).toMatchObject({ name: WREN.name });
      expect(portal.json().cases[0].contract).toMatchObject({
        id: contract.id,
        text: INTEGRITY_FAILED_TEXT,
        unreadable: 'tampered',
      });
      expect(portal.body).not.toContain(CONTRACT);
      const sign = await as(wren, 'POST', `/portal/cases/${caseId}/signatures`, {
        contractId: contract.id,
        textHash: contract.textHash,
        acknowledgedConditions: false,
      });
      expect(sign.statusCode).toBe(500);
      expect(sign.json()).toMatchObject({ code: 'integrity-failed' });
      const pdf = await as(wren, 'GET', `/portal/cases/${caseId}/contract.pdf`);
      expect(pdf.statusCode).toBe(500);
      expect(pdf.json()).toMatchObject({ code: 'integrity-failed' });
      const failed = await db
        .selectFrom('audit_event')
        .select(['record_type'])
        .where('action', '=', 'integrity.failed')
        .where('record_id', '=', contract.id)
        .execute();
      expect(failed.length).toBeGreaterThan(0);
      expect(failed.every((e) => e.record_type === 'contract')).toBe(true);
      const compliance = await staff('GET', '/compliance');
      expect(compliance.json().integrity).toContainEqual(
        expect.objectContaining({ recordType: 'contract', recordId: contract.id }),
      );
    } finally {
      await db.updateTable('contract').set({ text_sealed: original }).where('id', '=', contract.id).execute();
    }
    expect((await staff('GET', '/compliance')).json().integrity).toEqual([]);
    expect((await as(wren, 'GET', '/portal')).json().cases[0].contract).toMatchObject({
      text: CONTRACT,
      unreadable: null,
    });
  });

  clause(
    'GT-36d',
    'refuses a client signature without acknowledging the organisation’s conditions (GT-36d), and a superseded version',
    async () => {
      const old = (await as(wren, 'GET', '/portal')).json().cases[0].contract;
      const admin = await addStaff(t.vault, {
        email: 'admin@example.test',
        name: 'Admin (fictional)',
        roles: ['administrator'],
      });
      const conditions = 'Sessions are delivered under the conditions of Juniper Lane Service (fictional).';
      const put = await t.app.inject({
        method: 'PUT',
        url: '/api/v1/settings/organisation-conditions',
        headers: bearer(admin),
        payload: { conditions },
      });
      expect(put.statusCode).toBe(204);
      await staff('POST', `/cases/${caseId}/contracts`, { text: `${CONTRACT} Version two.` });
      const current = (await as(wren, 'GET', '/portal')).json().cases[0].contract;
      expect(current.conditions).toBe(conditions);
      const superseded = await as(wren, 'POST', `/portal/cases/${caseId}/signatures`, {
        contractId: old.id,
        textHash: old.textHash,
        acknowledgedConditions: true,
      });
      expect(superseded.statusCode).toBe(409);
      const refused = await as(wren, 'POST', `/portal/cases/${caseId}/signatures`, {
        contractId: current.id,
        textHash: current.textHash,
        acknowledgedConditions: false,
      });
      expect(refused.statusCode).toBe(422);
      expect(refused.json()).toMatchObject({ clause: 'GT-36d', overridable: false });
      const signed = await as(wren, 'POST', `/portal/cases/${caseId}/signatures`, {
        contractId: current.id,
        textHash: current.textHash,
        acknowledgedConditions: true,
      });
      expect(signed.statusCode).toBe(201);
    },
  );

  it('lets partner A mark e-mail unsafe, and then writes to them no more', async () => {
    expect(
      (
        await as(wren, 'PUT', '/portal/contact-channels', {
          contactChannels: [{ channel: 'fax', safe: true }],
        })
      ).statusCode,
    ).toBe(400);
    expect(
      (
        await as(wren, 'PUT', '/portal/contact-channels', {
          contactChannels: [{ channel: 'email', safe: false }],
        })
      ).statusCode,
    ).toBe(204);
    const sent = await staff('POST', `/cases/${caseId}/send-contract`, {});
    const outcomes = sent.json().sent as { clientId: string; outcome: string; withheldReason: string }[];
    // Partner A signed version 2 already; partner B is told a document waits.
    expect(outcomes.map((o) => [o.clientId, o.outcome])).toEqual([[ilexId, 'invited']]);
    await staff('POST', `/cases/${caseId}/contracts`, { text: `${CONTRACT} Version three.` });
    const third = (await staff('POST', `/cases/${caseId}/send-contract`, {})).json().sent;
    expect(third.find((o: { clientId: string }) => o.clientId === wrenId)).toMatchObject({
      outcome: 'withheld',
      withheldReason: 'channel-unsafe',
    });
  });

  it('withholds every message through a shared inbox once a safety flag is raised', async () => {
    const sharedA = (
      await staff('POST', '/clients', {
        identity: { name: 'Rowan Shared (fictional)', email: 'home@example.test' },
      })
    ).json().id;
    const sharedB = (
      await staff('POST', '/clients', {
        identity: { name: 'Alder Shared (fictional)', email: 'home@example.test' },
      })
    ).json().id;
    const shared = (await staff('POST', '/cases', { kind: 'couple', clientIds: [sharedA, sharedB] })).json()
      .id;
    await staff('POST', `/cases/${shared}/contracts`, { text: CONTRACT });
    expect(
      (await staff('PUT', `/clients/${sharedA}/contact-safety`, { contactChannels: [], safetyFlag: 'yes' }))
        .statusCode,
    ).toBe(400);
    expect(
      (
        await staff('PUT', `/clients/${sharedA}/contact-safety`, {
          contactChannels: [{ channel: 'email', safe: true }],
          safetyFlag: true,
        })
      ).statusCode,
    ).toBe(204);
    const sent = (await staff('POST', `/cases/${shared}/send-contract`, {})).json().sent;
    expect(
      sent.map((s: { outcome: string; withheldReason: string }) => [s.outcome, s.withheldReason]),
    ).toEqual([
      ['withheld', 'safety-flag-shared'],
      ['withheld', 'safety-flag-shared'],
    ]);
    const before = smtp.received.length;
    await t.app.alcove.mailer.drain();
    expect(smtp.received.slice(before).some((m) => m.to.includes('home@example.test'))).toBe(false);
    const outbox = (await staff('GET', '/outbox')).json().messages;
    expect(outbox.filter((m: { status: string }) => m.status === 'withheld').length).toBeGreaterThanOrEqual(
      2,
    );
  });

  it('retries a failed send, shows it as failed after the last try, and sends it again on request', async () => {
    await staff('POST', `/cases/${caseId}/contracts`, { text: `${CONTRACT} Version four.` });
    expect((await staff('POST', `/cases/${caseId}/send-contract`, {})).statusCode).toBe(200);
    smtp.refuse(true);
    await t.app.alcove.mailer.drain();
    const queued = (await staff('GET', '/outbox'))
      .json()
      .messages.filter((m: { status: string; attempts: number }) => m.status === 'queued' && m.attempts > 0);
    expect(queued.length).toBeGreaterThan(0);
    expect(queued[0].lastError).toBe('The mail server refused the message (SMTP 451)');
    expect(queued[0].lastError).not.toContain('@');
    // Later, after every retry has failed:
    let now = Date.now();
    const mailer = (await import('./mail.ts')).createMailer(t.vault.store, t.vault.keyring, {
      now: () => new Date(now),
    });
    for (let i = 0; i < 8; i += 1) {
      now += 13 * 60 * 60 * 1000;
      await mailer.drain();
    }
    const failed = (await staff('GET', '/outbox'))
      .json()
      .messages.filter((m: { status: string }) => m.status === 'failed');
    expect(failed.length).toBeGreaterThan(0);
    smtp.refuse(false);
    expect((await staff('POST', '/outbox/6f1c2a4e-0000-4000-8000-000000000000/retry', {})).statusCode).toBe(
      404,
    );
    expect((await staff('POST', `/outbox/${failed[0].id}/retry`, {})).statusCode).toBe(204);
    expect((await staff('POST', `/outbox/${failed[0].id}/retry`, {})).statusCode).toBe(409);
    expect(await t.app.alcove.mailer.drain()).toBeGreaterThan(0);
    const after = (await staff('GET', '/outbox'))
      .json()
      .messages.find((m: { id: string }) => m.id === failed[0].id);
    expect(after.status).toBe('sent');
  });

  it('drafts a contract from the standard template with the clients’ names, and refuses a template without its sections', async () => {
    const draft = await staff('GET', `/cases/${caseId}/contract-draft?templateId=standard`);
    expect(draft.statusCode).toBe(200);
    expect(draft.json().text).toContain(`${WREN.name} and ${ILEX.name}`);
    expect((await staff('GET', `/cases/${caseId}/contract-draft`)).statusCode).toBe(400);
    const missing = await staff('POST', '/settings/contract-templates', {
      name: 'Short (fictional)',
      body: STANDARD_TEMPLATE.replace('Aims of therapy\n', ''),
    });
    expect(missing.statusCode).toBe(422);
    expect(missing.json()).toMatchObject({ clause: 'GT-36c', overridable: true });
    const saved = await staff('POST', '/settings/contract-templates', {
      name: 'Ours (fictional)',
      body: STANDARD_TEMPLATE,
    });
    expect(saved.json()).toMatchObject({ version: 1 });
    const again = await staff('POST', '/settings/contract-templates', {
      name: 'Ours (fictional)',
      body: STANDARD_TEMPLATE,
    });
    expect(again.json()).toMatchObject({ version: 2 });
    const templates = (await staff('GET', '/settings/contract-templates')).json().templates;
    expect(templates).toMatchObject([{ name: 'Ours (fictional)', version: 2 }]);
  });

  it('moves a case forward only, and records no session on a closed case', async () => {
    const own = (await staff('GET', `/cases/${caseId}`)).json();
    expect(own.status).toBe('enquiry');
    expect((await staff('POST', `/cases/${caseId}/status`, { status: 'done' })).statusCode).toBe(400);
    expect((await staff('POST', `/cases/${caseId}/status`, { status: 'ending' })).json()).toEqual({
      from: 'enquiry',
      to: 'ending',
    });
    expect((await staff('POST', `/cases/${caseId}/status`, { status: 'active' })).statusCode).toBe(409);
    expect((await staff('POST', `/cases/${caseId}/status`, { status: 'closed' })).statusCode).toBe(200);
    const session = await staff('POST', `/cases/${caseId}/sessions`, {
      kind: 'assessment',
      format: 'in-person',
      startsAt: '2026-11-20T10:00:00Z',
      minutes: 50,
      attendance: 'attended',
    });
    expect(session.statusCode).toBe(409);
  });

  it('lets an appropriate adult see a young person’s portal only until they are found competent, unless the young person agrees (GT-27)', async () => {
    const young = (
      await staff('POST', '/clients', {
        identity: {
          name: 'Young Sorrel (fictional)',
          dateOfBirth: '2010-06-01',
          email: 'sorrel@example.test',
        },
      })
    ).json().id as string;
    const theCase = (await staff('POST', '/cases', { kind: 'individual', clientIds: [young] })).json()
      .id as string;
    await staff('POST', `/cases/${theCase}/contracts`, { text: CONTRACT });
    const adultClient = (
      await staff('POST', '/clients', { identity: { name: 'Grown Adult (fictional)' } })
    ).json().id;
    const notYoung = await staff('POST', `/clients/${adultClient}/appropriate-adult-invitations`, {
      name: 'Parent (fictional)',
      email: 'parent@example.test',
    });
    expect(notYoung.statusCode).toBe(409);
    expect(
      (
        await staff('POST', `/clients/${young}/appropriate-adult-invitations`, {
          name: 'P',
          email: 'not an address',
        })
      ).statusCode,
    ).toBe(400);
    const invited = await staff('POST', `/clients/${young}/appropriate-adult-invitations`, {
      name: 'Parent Yarrow (fictional)',
      email: 'parent@example.test',
    });
    expect(invited.statusCode).toBe(201);
    // Sent through SMTP: the link goes by e-mail only, never in the answer (issue 16).
    expect(invited.json()).toEqual({
      outcome: 'invited',
      withheldReason: null,
      delivery: 'sent',
      link: null,
    });
    await t.app.alcove.mailer.drain();
    const toParent = smtp.received.find((m) => m.to.includes('parent@example.test'));
    expect(toParent?.text).toContain('Dear Parent Yarrow (fictional)');
    expect(toParent?.text).not.toContain('Sorrel');
    const join = await t.app.inject({
      method: 'POST',
      url: '/api/v1/portal/join',
      payload: { token: tokenIn(toParent?.text ?? ''), password: TEST_PASSWORD },
    });
    expect(join.statusCode).toBe(201);
    const parent = await signInAndEnrol(t.app, 'parent@example.test', () => Date.now());

    // Not assessed as competent: the appropriate adult sees the portal and gives their consent.
    const view = await as(parent, 'GET', '/portal');
    expect(view.statusCode).toBe(200);
    expect(view.json()).toMatchObject({
      viewer: 'appropriate-adult',
      me: { name: 'Young Sorrel (fictional)' },
    });
    expect((await as(parent, 'POST', '/portal/consents', { type: 'research' })).statusCode).toBe(400);
    const consent = await as(parent, 'POST', '/portal/consents', {
      type: 'appropriate-adult',
      caseId: theCase,
    });
    expect(consent.statusCode).toBe(201);
    expect((await as(parent, 'GET', '/portal/consents')).json().consents).toMatchObject([
      { type: 'appropriate-adult', givenBy: 'appropriate-adult', mode: 'portal' },
    ]);
    const contract = view.json().cases[0].contract;
    const signAsParent = await as(parent, 'POST', `/portal/cases/${theCase}/signatures`, {
      contractId: contract.id,
      textHash: contract.textHash,
      acknowledgedConditions: true,
    });
    expect(signAsParent.statusCode).toBe(404);
    expect(
      (
        await as(parent, 'PUT', '/portal/contact-channels', {
          contactChannels: [{ channel: 'email', safe: false }],
        })
      ).statusCode,
    ).toBe(404);

    // Found competent: the appropriate adult sees nothing of the record.
    await staff('POST', `/clients/${young}/gillick-assessments`, {
      caseId: theCase,
      assessedOn: '2026-11-20',
      competent: true,
      notes: 'Understands what therapy involves (fictional).',
    });
    expect((await as(parent, 'GET', '/portal')).statusCode).toBe(404);
    expect((await as(parent, 'GET', '/portal/consents')).statusCode).toBe(404);

    // Unless the young person agrees, for as long as they agree.
    const agreement = await staff('POST', `/clients/${young}/consents`, {
      type: 'share-with-appropriate-adult',
      givenOn: '2026-11-21',
      givenBy: 'client',
      mode: 'written-in-person',
    });
    expect((await as(parent, 'GET', '/portal')).statusCode).toBe(200);
    await staff('POST', `/clients/${young}/consents/${agreement.json().id}/withdraw`, {
      withdrawnOn: '2026-11-21',
    });
    expect((await as(parent, 'GET', '/portal')).statusCode).toBe(404);
  });
});
