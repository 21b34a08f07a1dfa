import { createHash } from 'node:crypto';
import { testEngines } from '@alcove/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addStaff, bearer, startTestApp, type TestApp, type TestStaff } from './testing/app.ts';
import { contractText } from './testing/contracts.ts';

const CONTRACT = contractText(
  'Our contract (fictional): weekly sessions of 50 minutes; confidentiality and its limits; how therapy ends.',
);
const sha = (text: string) => createHash('sha256').update(text).digest('hex');

describe.each(testEngines)('intake, contracts and sessions on $name', (engine) => {
  let t: TestApp;
  let me: TestStaff;

  beforeAll(async () => {
    t = await startTestApp(engine);
    me = await addStaff(t.vault, {
      email: 'me@example.test',
      name: 'Me (fictional)',
      roles: ['practitioner'],
    });
  });
  afterAll(async () => {
    await t.close();
  });

  const call = (method: 'GET' | 'POST', url: string, payload?: unknown) =>
    t.app.inject({
      method,
      url: `/api/v1${url}`,
      headers: bearer(me),
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });
  const count = async (table: 'client' | 'therapy_session' | 'contract_signature' | 'intake_decision') =>
    Number(
      (
        await t.vault.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('refuses a declared relative at intake under GT-28; only a "different person" decision clears a false match', async () => {
    expect(
      (
        await call('POST', '/profile/connections', {
          relation: 'relative',
          name: 'Rowan Kinsey-Hale',
          dateOfBirth: '1990-05-05',
        })
      ).statusCode,
    ).toBe(201);
    const before = await count('client');
    const refused = await call('POST', '/clients', {
      identity: { name: 'rowan  KINSEY hale', dateOfBirth: '1990-05-05' },
    });
    expect(refused.statusCode).toBe(422);
    expect(refused.json()).toMatchObject({
      code: 'refused-by-code',
      clause: 'GT-28',
      duty: 'must',
      overridable: false,
    });
    const matchId = refused.json().matches[0].matchId as string;
    const proceed = await call('POST', '/clients', {
      identity: { name: 'Rowan Kinsey-Hale', dateOfBirth: '1990-05-05' },
      conflictDecisions: [{ matchId, decision: 'proceed', reason: 'I would like to anyway' }],
    });
    expect(proceed.statusCode).toBe(422);
    expect(await count('client')).toBe(before);

    // Same name, another date of birth: no match at all.
    const namesake = await call('POST', '/clients', {
      identity: { name: 'Rowan Kinsey-Hale', dateOfBirth: '1971-01-01' },
    });
    expect(namesake.statusCode).toBe(201);
    // No date of birth: it could be the relative (GT-28) or that client (GT-32); both need a decision.
    const unsure = { name: 'Rowan Kinsey-Hale' };
    const half = await call('POST', '/clients', {
      identity: unsure,
      conflictDecisions: [
        { matchId, decision: 'different-person', reason: 'Checked: a different person of the same name' },
      ],
    });
    expect(half.statusCode).toBe(422);
    expect(half.json().matches).toEqual([
      expect.objectContaining({ matchId: namesake.json().id, kind: 'client', clause: 'GT-32' }),
    ]);
    const cleared = await call('POST', '/clients', {
      identity: unsure,
      conflictDecisions: [
        { matchId, decision: 'different-person', reason: 'Checked: a different person of the same name' },
        { matchId: namesake.json().id, decision: 'different-person', reason: 'Different address and age' },
      ],
    });
    expect(cleared.statusCode).toBe(201);
    expect(await count('intake_decision')).toBe(2);
  });

  it('asks for a recorded decision when a new client matches one of the practitioner’s clients (GT-32)', async () => {
    const first = await call('POST', '/clients', {
      identity: { name: 'Sable Orrin', dateOfBirth: '1985-03-03' },
    });
    expect(first.statusCode).toBe(201);
    const second = await call('POST', '/clients', { identity: { name: 'Sable Orrin' } });
    expect(second.statusCode).toBe(422);
    expect(second.json()).toMatchObject({ clause: 'GT-32', duty: 'should', overridable: true });
    const decided = await call('POST', '/clients', {
      identity: { name: 'Sable Orrin' },
      conflictDecisions: [
        {
          matchId: second.json().matches[0].matchId,
          decision: 'proceed',
          reason: 'Returning client, new episode agreed in supervision',
        },
      ],
    });
    expect(decided.statusCode).toBe(201);
  });

  it('gates therapy sessions on a couple case: GT-36 without a contract, GT-36a until every party signs', async () => {
    const a = (await call('POST', '/clients', { identity: { name: 'Partner Ash (fictional)' } })).json()
      .id as string;
    const b = (await call('POST', '/clients', { identity: { name: 'Partner Birch (fictional)' } })).json()
      .id as string;
    const caseId = (await call('POST', '/cases', { kind: 'couple', clientIds: [a, b] })).json().id as string;
    const therapy = {
      kind: 'therapy',
      format: 'in-person',
      startsAt: '2026-11-20T10:00:00Z',
      minutes: 50,
      attendance: 'attended',
    };

    const noContract = await call('POST', `/cases/${caseId}/sessions`, {
      ...therapy,
      override: { clause: 'GT-36', reason: 'Agreed by phone' },
    });
    expect(noContract.statusCode).toBe(422);
    expect(noContract.json()).toMatchObject({ clause: 'GT-36', duty: 'must', overridable: false });
    expect(noContract.json().clauseText).toContain(
      'You must agree a contract with the service user before starting therapy',
    );
    expect(
      (await call('POST', `/cases/${caseId}/sessions`, { ...therapy, kind: 'assessment' })).statusCode,
    ).toBe(201);

    const contract = await call('POST', `/cases/${caseId}/contracts`, { text: CONTRACT });
    expect(contract.statusCode).toBe(201);
    const contractId = contract.json().id as string;
    expect(contract.json().textHash).toBe(sha(CONTRACT));
    const sign = (signer: unknown, textHash = sha(CONTRACT), id = contractId) =>
      call('POST', `/cases/${caseId}/contracts/${id}/signatures`, { signer, textHash });
    expect((await sign({ kind: 'practitioner' })).statusCode).toBe(201);
    expect((await sign({ kind: 'client', clientId: a })).statusCode).toBe(201);

    const partly = await call('POST', `/cases/${caseId}/sessions`, therapy);
    expect(partly.statusCode).toBe(422);
    expect(partly.json()).toMatchObject({ clause: 'GT-36a', duty: 'should', overridable: true });

    expect((await sign({ kind: 'client', clientId: b })).statusCode).toBe(201);
    expect((await call('POST', `/cases/${caseId}/sessions`, therapy)).statusCode).toBe(201);
    // Who was there: everyone, unless said otherwise; here partner A came alone.
    const theCase = (await call('GET', `/cases/${caseId}`)).json();
    const partnerA = theCase.participants[0].id as string;
    expect(theCase.sessions.at(-1).present).toHaveLength(2);
    const alone = await call('POST', `/cases/${caseId}/sessions`, { ...therapy, present: [partnerA] });
    expect(alone.statusCode).toBe(201);
    expect((await call('GET', `/cases/${caseId}`)).json().sessions.at(-1).present).toEqual([partnerA]);
    expect((await call('GET', `/cases/${caseId}`)).json().status).toBe('active');
    const view = (await call('GET', `/cases/${caseId}`)).json();
    expect(view.contract).toMatchObject({ version: 1, signedByAll: true });
    expect(view.contract.signatures).toHaveLength(3);
    expect(view.participants.map((p: { name: string }) => p.name)).toEqual([
      'Partner Ash (fictional)',
      'Partner Birch (fictional)',
    ]);
    expect(view.sessions.map((s: { kind: string }) => s.kind)).toEqual(['assessment', 'therapy', 'therapy']);
  });

  it('lets therapy go ahead before every signature with a recorded, audited reason (GT-36a)', async () => {
    const a = (await call('POST', '/clients', { identity: { name: 'Override Client (fictional)' } })).json()
      .id as string;
    const caseId = (await call('POST', '/cases', { kind: 'individual', clientIds: [a] })).json().id as string;
    await call('POST', `/cases/${caseId}/contracts`, { text: CONTRACT });
    const session = await call('POST', `/cases/${caseId}/sessions`, {
      kind: 'therapy',
      format: 'phone',
      startsAt: '2026-11-21T09:00:00Z',
      minutes: 50,
      attendance: 'attended',
      override: { clause: 'GT-36a', reason: 'Contract agreed by phone; signed copy in the post' },
    });
    expect(session.statusCode).toBe(201);
    const view = (await call('GET', `/cases/${caseId}`)).json();
    expect(view.sessions[0].overrideReason).toBe('Contract agreed by phone; signed copy in the post');
    const audited = await t.vault.db
      .selectFrom('audit_event')
      .select('action')
      .where('record_id', '=', caseId)
      .execute();
    expect(audited.map((e) => e.action)).toEqual(
      expect.arrayContaining(['code.override:GT-36a', 'session.record']),
    );
  });

  it('refuses bad signatures and sessions with a problem document, writing nothing', async () => {
    const a = (await call('POST', '/clients', { identity: { name: 'Bad Input Client (fictional)' } })).json()
      .id as string;
    const other = (
      await call('POST', '/clients', { identity: { name: 'Not In The Case (fictional)' } })
    ).json().id as string;
    const caseId = (await call('POST', '/cases', { kind: 'individual', clientIds: [a] })).json().id as string;
    const v1 = (await call('POST', `/cases/${caseId}/contracts`, { text: CONTRACT })).json().id as string;
    const v2text = `${CONTRACT} Version two.`;
    const v2 = (await call('POST', `/cases/${caseId}/contracts`, { text: v2text })).json().id as string;
    const signatures = await count('contract_signature');
    const sessions = await count('therapy_session');
    const cases: [string, string, unknown, number][] = [
      [
        'a signature on a superseded version',
        `/cases/${caseId}/contracts/${v1}/signatures`,
        { signer: { kind: 'practitioner' }, textHash: sha(CONTRACT) },
        409,
      ],
      [
        'a text that is not the one shown',
        `/cases/${caseId}/contracts/${v2}/signatures`,
        { signer: { kind: 'practitioner' }, textHash: sha(CONTRACT) },
        400,
      ],
      [
        'a signer not in the case',
        `/cases/${caseId}/contracts/${v2}/signatures`,
        { signer: { kind: 'client', clientId: other }, textHash: sha(v2text) },
        400,
      ],
      [
        'a signer of an unknown kind',
        `/cases/${caseId}/contracts/${v2}/signatures`,
        { signer: { kind: 'witness' }, textHash: sha(v2text) },
        400,
      ],
      [
        'a session of no length',
        `/cases/${caseId}/sessions`,
        {
          kind: 'assessment',
          format: 'online',
          startsAt: '2026-11-20T10:00:00Z',
          minutes: 0,
          attendance: 'attended',
        },
        400,
      ],
      [
        'text where a time belongs',
        `/cases/${caseId}/sessions`,
        {
          kind: 'assessment',
          format: 'online',
          startsAt: 'after lunch',
          minutes: 50,
          attendance: 'attended',
        },
        400,
      ],
      [
        'someone present who is not in the case',
        `/cases/${caseId}/sessions`,
        {
          kind: 'assessment',
          format: 'in-person',
          startsAt: '2026-11-20T10:00:00Z',
          minutes: 50,
          attendance: 'attended',
          present: [other],
        },
        400,
      ],
      [
        'an attended session with nobody present',
        `/cases/${caseId}/sessions`,
        {
          kind: 'assessment',
          format: 'in-person',
          startsAt: '2026-11-20T10:00:00Z',
          minutes: 50,
          attendance: 'attended',
          present: [],
        },
        400,
      ],
      [
        'an override naming no clause',
        `/cases/${caseId}/sessions`,
        {
          kind: 'therapy',
          format: 'online',
          startsAt: '2026-11-20T10:00:00Z',
          minutes: 50,
          attendance: 'attended',
          override: { clause: 'GT-999', reason: 'x' },
        },
        400,
      ],
    ];
    for (const [label, url, payload, status] of cases) {
      const response = await call('POST', url, payload);
      expect(response.statusCode, label).toBe(status);
      expect(response.headers['content-type'], label).toMatch(/^application\/problem\+json/);
    }
    expect(await count('contract_signature')).toBe(signatures);
    expect(await count('therapy_session')).toBe(sessions);
    // A second signature by the same party is refused too.
    expect(
      (
        await call('POST', `/cases/${caseId}/contracts/${v2}/signatures`, {
          signer: { kind: 'practitioner' },
          textHash: sha(v2text),
        })
      ).statusCode,
    ).toBe(201);
    expect(
      (
        await call('POST', `/cases/${caseId}/contracts/${v2}/signatures`, {
          signer: { kind: 'practitioner' },
          textHash: sha(v2text),
        })
      ).statusCode,
    ).toBe(409);
  });
});
