import { STANDARD_TEMPLATE } from '@alcove/core';
import { clause } from '@alcove/core/testing';
import { testEngines } from '@alcove/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addStaff, bearer, startTestApp, type TestApp, type TestStaff } from './testing/app.ts';
import { type BrowserSession, signInAndEnrol } from './testing/browser-session.ts';
import { contractText } from './testing/contracts.ts';

/**
 * Issue 17, GT-36 to GT-36c: every contract version is checked as it is offered for
 * signature (saving it offers it): blanks left unfilled are refused with no way round (a
 * "must"); a missing section of the Code is refused unless the practitioner gives a reason
 * (a "should"), kept with the version and audited. A template is checked the same way for
 * the Code's sections (it may keep its blanks). An unsigned version can be withdrawn.
 */
describe.each(testEngines)('contracts offered, checked and withdrawn on $name', (engine) => {
  let t: TestApp;
  let me: TestStaff;
  let colleague: TestStaff;
  let portalClient: TestStaff;
  let browser: BrowserSession;
  let clientId: string;

  const as = (who: TestStaff | undefined, method: 'GET' | 'POST', url: string, payload?: unknown) =>
    t.app.inject({
      method,
      url: `/api/v1${url}`,
      headers: who === undefined ? {} : bearer(who),
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });
  const call = (method: 'GET' | 'POST', url: string, payload?: unknown) => as(me, method, url, payload);
  const asBrowser = (method: 'GET' | 'POST', url: string, payload?: unknown) =>
    t.app.inject({
      method,
      url: `/api/v1${url}`,
      headers: {
        cookie: browser.cookie,
        ...(method === 'POST' ? { 'x-csrf-token': browser.csrfToken } : {}),
      },
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });
  const events = (action: string, recordId?: string) => {
    let query = t.vault.db
      .selectFrom('audit_event')
      .select(['outcome', 'record_type', 'record_id'])
      .where('action', '=', action);
    if (recordId !== undefined) query = query.where('record_id', '=', recordId);
    return query.execute();
  };
  const versionsOf = async (caseId: string) =>
    t.vault.db.selectFrom('contract').selectAll().where('case_id', '=', caseId).orderBy('version').execute();
  const newCase = async (who: TestStaff = me, client = clientId) => {
    const opened = await as(who, 'POST', '/cases', { kind: 'individual', clientIds: [client] });
    expect(opened.statusCode).toBe(201);
    return opened.json().id as string;
  };

  beforeAll(async () => {
    t = await startTestApp(engine);
    me = await addStaff(t.vault, {
      email: 'offers@example.test',
      name: 'Me (fictional)',
      roles: ['practitioner'],
    });
    colleague = await addStaff(t.vault, {
      email: 'offers-colleague@example.test',
      name: 'Colleague (fictional)',
      roles: ['practitioner'],
    });
    clientId = (await call('POST', '/clients', { identity: { name: 'Client Juniper (fictional)' } })).json()
      .id;
    portalClient = await addStaff(t.vault, {
      email: 'juniper@example.test',
      name: 'Client Juniper (fictional)',
      roles: ['client'],
      clientId,
    });
    browser = await signInAndEnrol(t.app, me.email, () => Date.now());
  });
  afterAll(async () => {
    await t.close();
  });

  clause(
    'GT-36',
    'refuses a version drafted from the template with its blanks unfilled, with no way round, and audits it',
    async () => {
      const caseId = await newCase();
      const draft = (await call('GET', `/cases/${caseId}/contract-draft?templateId=standard`)).json()
        .text as string;
      expect(draft).toContain('£___');
      const refused = await call('POST', `/cases/${caseId}/contracts`, { text: draft });
      expect(refused.statusCode).toBe(422);
      expect(refused.json()).toMatchObject({
        code: 'refused-by-code',
        clause: 'GT-36',
        duty: 'must',
        overridable: false,
      });
      expect(refused.json().detail).toContain('blanks');
      // A reason does not answer a "must".
      const overridden = await call('POST', `/cases/${caseId}/contracts`, {
        text: draft,
        overrides: [{ clause: 'GT-36', reason: 'The client agreed the fee by phone (fictional).' }],
      });
      expect(overridden.statusCode).toBe(422);
      expect(overridden.json().clause).toBe('GT-36');
      expect(await versionsOf(caseId)).toEqual([]);
      expect(await events('code.refused:GT-36', caseId)).toEqual([
        { outcome: 'denied', record_type: 'case', record_id: caseId },
        { outcome: 'denied', record_type: 'case', record_id: caseId },
      ]);
      expect(await events('code.override:GT-36', caseId)).toEqual([]);

      const filled = draft.replace('___ minutes', '50 minutes').replace('£___', '£80');
      const offered = await call('POST', `/cases/${caseId}/contracts`, { text: filled });
      expect(offered.statusCode).toBe(201);
      expect(offered.json()).toMatchObject({ version: 1 });
      expect((await call('GET', `/cases/${caseId}`)).json().contract).toMatchObject({
        version: 1,
        overrides: [],
      });
    },
  );

  clause(
    ['GT-36b', 'GT-36c'],
    'refuses a free-text version without the Code’s sections, then offers it with a reason for each clause, kept sealed and audited',
    async () => {
      const caseId = await newCase();
      const text = 'We meet weekly. Fees are £80.';
      const refused = await call('POST', `/cases/${caseId}/contracts`, { text });
      expect(refused.statusCode).toBe(422);
      expect(refused.json()).toMatchObject({ clause: 'GT-36b', duty: 'should', overridable: true });
      expect(await events('code.refused:GT-36b', caseId)).toEqual([
        { outcome: 'denied', record_type: 'case', record_id: caseId },
      ]);

      const rights = {
        clause: 'GT-36b',
        reason: 'Agreed aloud at the assessment and noted there (fictional).',
      };
      const ends = {
        clause: 'GT-36c',
        reason: 'A brief piece of work of six sessions, agreed aloud (fictional).',
      };
      // One reason answers its own clause only.
      const half = await call('POST', `/cases/${caseId}/contracts`, { text, overrides: [rights] });
      expect(half.statusCode).toBe(422);
      expect(half.json()).toMatchObject({ clause: 'GT-36c', overridable: true });
      expect(await versionsOf(caseId)).toEqual([]);
      // Not a clause of the Code: a validation problem, nothing audited as an override.
      const unknown = await call('POST', `/cases/${caseId}/contracts`, {
        text,
        overrides: [rights, { clause: 'GT-999', reason: 'No such clause (fictional).' }],
      });
      expect(unknown.statusCode).toBe(400);

      const offered = await call('POST', `/cases/${caseId}/contracts`, { text, overrides: [rights, ends] });
      expect(offered.statusCode).toBe(201);
      expect(await events('code.override:GT-36b', caseId)).toHaveLength(1);
      expect(await events('code.override:GT-36c', caseId)).toHaveLength(1);
      const contract = (await call('GET', `/cases/${caseId}`)).json().contract;
      expect(contract).toMatchObject({
        version: 1,
        text,
        overrides: [rights, ends],
        overridesUnreadable: null,
      });
      // The reasons are kept with the version, sealed under the case key.
      const [row] = await versionsOf(caseId);
      expect(row?.overrides_sealed).toEqual(expect.any(String));
      expect(row?.overrides_sealed).not.toContain('assessment');
      // A reason given where nothing was refused is not kept.
      const whole = await call('POST', `/cases/${caseId}/contracts`, {
        text: contractText('Version two (fictional).'),
        overrides: [rights],
      });
      expect(whole.statusCode).toBe(201);
      expect((await call('GET', `/cases/${caseId}`)).json().contract).toMatchObject({
        version: 2,
        overrides: [],
      });
      expect(await events('code.override:GT-36b', caseId)).toHaveLength(1);
    },
  );

  clause(
    'GT-36c',
    'refuses a template without a section of the Code, then saves it with the reason kept in the practitioner’s overrides; Alcove’s own headings and the blanks are not refused',
    async () => {
      const practiceId = t.vault.practice.id;
      const body = STANDARD_TEMPLATE.replace('How and when therapy ends\n', '');
      const refused = await call('POST', '/settings/contract-templates', {
        name: 'No ending (fictional)',
        body,
      });
      expect(refused.statusCode).toBe(422);
      expect(refused.json()).toMatchObject({ clause: 'GT-36c', duty: 'should', overridable: true });
      expect(await events('code.refused:GT-36c', practiceId)).toEqual([
        { outcome: 'denied', record_type: 'practice', record_id: practiceId },
      ]);
      const reason = 'Our endings are agreed in a separate leaflet (fictional).';
      const saved = await call('POST', '/settings/contract-templates', {
        name: 'No ending (fictional)',
        body,
        overrides: [{ clause: 'GT-36c', reason }],
      });
      expect(saved.statusCode).toBe(201);
      expect(await events('code.override:GT-36c', practiceId)).toHaveLength(1);
      const kept = await t.vault.db
        .selectFrom('clause_override')
        .select(['clause', 'reason', 'command', 'user_id'])
        .where('practice_id', '=', practiceId)
        .execute();
      expect(kept).toEqual([{ clause: 'GT-36c', reason, command: 'template.save', user_id: me.userId }]);
      expect((await call('GET', '/profile')).json().overrides).toEqual([
        expect.objectContaining({ clause: 'GT-36c', reason }),
      ]);
      // Strict: nothing else in the body.
      const extra = await call('POST', '/settings/contract-templates', {
        name: 'X (fictional)',
        body,
        note: 'x',
      });
      expect(extra.statusCode).toBe(400);

      // The standard template's other headings are Alcove's suggestion, and a template keeps its blanks.
      const lean = STANDARD_TEMPLATE.replace('Sharing within a team\n', '')
        .replace('Working online\n', '')
        .replace('Confidentiality and its limits\n', '')
        .replace('Fees and cancellations\n', '');
      expect(STANDARD_TEMPLATE).toContain('£___');
      const leaner = await call('POST', '/settings/contract-templates', {
        name: 'Lean (fictional)',
        body: lean,
      });
      expect(leaner.statusCode).toBe(201);
    },
  );

  it('withdraws an unsigned version: no longer signable in person, in the portal or on the signing screen; nothing else becomes current', async () => {
    const caseId = await newCase();
    const first = (
      await call('POST', `/cases/${caseId}/contracts`, { text: contractText('Version one (fictional).') })
    ).json();
    // The practitioner has signed; the client has not: not yet the agreement.
    expect(
      (
        await call('POST', `/cases/${caseId}/contracts/${first.id}/signatures`, {
          signer: { kind: 'practitioner' },
          textHash: first.textHash,
        })
      ).statusCode,
    ).toBe(201);
    // The client has the signing screen in their hands, and the portal open.
    const handed = await asBrowser('POST', '/session/kiosk', { caseId, clientId, contractId: first.id });
    expect(handed.statusCode).toBe(204);
    expect((await asBrowser('GET', '/session/kiosk')).statusCode).toBe(200);
    const portalCase = () =>
      as(portalClient, 'GET', '/portal').then((r) =>
        r.json().cases.find((c: { id: string }) => c.id === caseId),
      );
    expect((await portalCase()).contract).toMatchObject({ id: first.id });

    const withdrawn = await call('POST', `/cases/${caseId}/contracts/${first.id}/withdrawal`, {});
    expect(withdrawn.statusCode).toBe(200);
    expect(withdrawn.json()).toEqual({ version: 1 });
    expect(await events('contract.withdraw', caseId)).toEqual([
      { outcome: 'ok', record_type: 'case', record_id: caseId },
    ]);
    const read = (await call('GET', `/cases/${caseId}`)).json();
    expect(read.contract).toBeNull();
    expect(read.withdrawnContract).toMatchObject({ version: 1 });

    // Not signable anywhere.
    const inPerson = await call('POST', `/cases/${caseId}/contracts/${first.id}/signatures`, {
      signer: { kind: 'client', clientId },
      textHash: first.textHash,
    });
    expect(inPerson.statusCode).toBe(409);
    expect((await portalCase()).contract).toBeNull();
    const inPortal = await as(portalClient, 'POST', `/portal/cases/${caseId}/signatures`, {
      contractId: first.id,
      textHash: first.textHash,
      acknowledgedConditions: false,
    });
    expect(inPortal.statusCode).toBe(409);
    expect((await asBrowser('GET', '/session/kiosk')).statusCode).toBe(409);
    expect(
      (await asBrowser('POST', '/session/kiosk/signature', { textHash: first.textHash })).statusCode,
    ).toBe(409);
    // Its text and the practitioner's signature are kept.
    const [kept] = await versionsOf(caseId);
    expect(kept).toMatchObject({ version: 1, text_hash: first.textHash, withdrawn_by: me.userId });
    expect(kept?.withdrawn_at).toEqual(kept?.superseded_at);
    const signatures = await t.vault.db
      .selectFrom('contract_signature')
      .select('signer_kind')
      .where('contract_id', '=', first.id)
      .execute();
    expect(signatures).toEqual([{ signer_kind: 'practitioner' }]);
    // With its only version withdrawn, the case has no contract: therapy is refused under GT-36.
    const therapy = await call('POST', `/cases/${caseId}/sessions`, {
      kind: 'therapy',
      format: 'in-person',
      startsAt: '2026-11-20T10:00:00Z',
      minutes: 50,
      attendance: 'attended',
    });
    expect(therapy.json()).toMatchObject({ clause: 'GT-36' });
    // Withdrawn once only.
    expect((await call('POST', `/cases/${caseId}/contracts/${first.id}/withdrawal`, {})).statusCode).toBe(
      409,
    );

    // The next version is numbered after it, and once everyone has signed it, it is kept.
    const second = (
      await call('POST', `/cases/${caseId}/contracts`, { text: contractText('Version two (fictional).') })
    ).json();
    expect(second.version).toBe(2);
    expect(
      (
        await call('POST', `/cases/${caseId}/contracts/${second.id}/signatures`, {
          signer: { kind: 'practitioner' },
          textHash: second.textHash,
        })
      ).statusCode,
    ).toBe(201);
    const signed = await as(portalClient, 'POST', `/portal/cases/${caseId}/signatures`, {
      contractId: second.id,
      textHash: second.textHash,
      acknowledgedConditions: false,
    });
    expect(signed.json()).toEqual({ signedByAll: true });
    const refused = await call('POST', `/cases/${caseId}/contracts/${second.id}/withdrawal`, {});
    expect(refused.statusCode).toBe(409);
    expect((await call('GET', `/cases/${caseId}`)).json().contract).toMatchObject({
      id: second.id,
      signedByAll: true,
    });
    expect(await events('contract.withdraw', caseId)).toHaveLength(1);
  });

  it('after a withdrawal, counts only an agreement everyone signed, never a replaced version nobody finished signing (GT-36)', async () => {
    const therapy = (caseId: string) =>
      call('POST', `/cases/${caseId}/sessions`, {
        kind: 'therapy',
        format: 'in-person',
        startsAt: '2026-11-20T10:00:00Z',
        minutes: 50,
        attendance: 'attended',
        override: { clause: 'GT-36a', reason: 'Going ahead (fictional).' },
      });
    const offer = async (caseId: string, opening: string) =>
      (await call('POST', `/cases/${caseId}/contracts`, { text: contractText(opening) })).json() as {
        id: string;
        textHash: string;
      };
    // Version 1 never signed, replaced by version 2, which is withdrawn: no contract stands.
    const unsigned = await newCase();
    await offer(unsigned, 'Version one, never signed (fictional).');
    const replacing = await offer(unsigned, 'Version two, withdrawn (fictional).');
    expect(
      (await call('POST', `/cases/${unsigned}/contracts/${replacing.id}/withdrawal`, {})).statusCode,
    ).toBe(200);
    const refused = await therapy(unsigned);
    expect(refused.statusCode).toBe(422);
    expect(refused.json()).toMatchObject({ clause: 'GT-36' });

    // Version 1 signed by everyone, a version 2 offered and withdrawn: the agreement stands.
    const agreed = await newCase();
    const first = await offer(agreed, 'Version one, signed by all (fictional).');
    for (const signer of [{ kind: 'practitioner' }, { kind: 'client', clientId }])
      expect(
        (
          await call('POST', `/cases/${agreed}/contracts/${first.id}/signatures`, {
            signer,
            textHash: first.textHash,
            ...(signer.kind === 'client' ? { acknowledgedConditions: false } : {}),
          })
        ).statusCode,
      ).toBe(201);
    const typo = await offer(agreed, 'Version two, a typo (fictional).');
    expect((await call('POST', `/cases/${agreed}/contracts/${typo.id}/withdrawal`, {})).statusCode).toBe(200);
    const held = await call('POST', `/cases/${agreed}/sessions`, {
      kind: 'therapy',
      format: 'in-person',
      startsAt: '2026-11-20T10:00:00Z',
      minutes: 50,
      attendance: 'attended',
    });
    expect(held.statusCode).toBe(201);
  });

  it('answers the withdrawal route with 400, 401 and 404 as every route does', async () => {
    const caseId = await newCase();
    const offered = (
      await call('POST', `/cases/${caseId}/contracts`, { text: contractText('To keep (fictional).') })
    ).json();
    const url = `/cases/${caseId}/contracts/${offered.id}/withdrawal`;
    expect((await as(undefined, 'POST', url, {})).statusCode).toBe(401);
    expect((await call('POST', `/cases/${caseId}/contracts/not-an-id/withdrawal`, {})).statusCode).toBe(400);
    expect((await call('POST', url, { reason: 'x' })).statusCode).toBe(400);
    // Another practitioner's case, and a version that is not on this case: not found.
    expect((await as(colleague, 'POST', url, {})).statusCode).toBe(404);
    const elsewhere = await newCase();
    expect(
      (await call('POST', `/cases/${elsewhere}/contracts/${offered.id}/withdrawal`, {})).statusCode,
    ).toBe(404);
    expect((await call('GET', `/cases/${caseId}`)).json().contract).toMatchObject({ id: offered.id });
  });
});
