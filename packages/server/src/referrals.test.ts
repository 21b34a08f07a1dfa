import { clause } from '@alcove/core/testing';
import { testEngines } from '@alcove/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addStaff, bearer, startTestApp, type TestApp, type TestStaff } from './testing/app.ts';

const ROWAN = { name: 'Rowan Ash (fictional)', dateOfBirth: '1984-03-02' };
const SKY = { name: 'Sky Birch (fictional)', dateOfBirth: '1986-07-09' };

describe.each(testEngines)('referrals and dual relationships on $name', (engine) => {
  let t: TestApp;
  let me: TestStaff;
  let colleague: TestStaff;
  let supervisor: TestStaff;
  let caseId: string;
  let rowan: string;
  let sky: string;

  const as = (who: TestStaff) => (method: 'GET' | 'POST', url: string, payload?: unknown) =>
    t.app.inject({
      method,
      url: `/api/v1${url}`,
      headers: bearer(who),
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });
  const call = (method: 'GET' | 'POST', url: string, payload?: unknown) => as(me)(method, url, payload);
  const releaseConsent = (clientId: string) =>
    call('POST', `/clients/${clientId}/consents`, {
      type: 'third-party-release',
      recipient: 'Dr Hollis (fictional)',
      givenOn: '2026-11-20',
      givenBy: 'client',
      mode: 'written-in-person',
    });

  beforeAll(async () => {
    t = await startTestApp(engine);
    me = await addStaff(t.vault, {
      email: 'me@example.test',
      name: 'Me (fictional)',
      roles: ['practitioner'],
    });
    colleague = await addStaff(t.vault, {
      email: 'c@example.test',
      name: 'Colleague (fictional)',
      roles: ['practitioner'],
    });
    supervisor = await addStaff(t.vault, {
      email: 's@example.test',
      name: 'Sup (fictional)',
      roles: ['supervisor'],
    });
    rowan = (await call('POST', '/clients', { identity: ROWAN })).json().id;
    sky = (await call('POST', '/clients', { identity: SKY })).json().id;
    caseId = (await call('POST', '/cases', { kind: 'couple', clientIds: [rowan, sky] })).json().id;
    const [a, b] = (await call('GET', `/cases/${caseId}`)).json().participants;
    await call('POST', `/cases/${caseId}/structured-entries`, {
      kind: 'assessment',
      attribution: [a.id],
      fields: {
        presenting: 'Erectile difficulties for a year (fictional).',
        history: 'None before (fictional).',
        'other-treatments': 'Tadalafil from the GP (fictional).',
      },
    });
    await call('POST', `/cases/${caseId}/structured-entries`, {
      kind: 'assessment',
      attribution: [b.id],
      fields: {
        presenting: 'B’s own concern, never in A’s letter (fictional).',
        history: 'B’s history (fictional).',
      },
    });
  });
  afterAll(async () => {
    await t.close();
  });

  clause(
    'PG5-1',
    'refuses a referral letter without the client’s own consent, and a partner’s consent never covers them',
    async () => {
      const body = {
        clientId: rowan,
        to: 'Dr Hollis (fictional)',
        reason: 'Medical review of ED (fictional).',
      };
      expect(
        (await t.app.inject({ method: 'POST', url: `/api/v1/cases/${caseId}/referrals`, payload: body }))
          .statusCode,
      ).toBe(401);
      expect((await as(colleague)('POST', `/cases/${caseId}/referrals`, body)).statusCode).toBe(404);
      expect(
        (
          await call('POST', `/cases/${caseId}/referrals`, {
            ...body,
            clientId: '6f1c2a4e-0000-4000-8000-000000000000',
          })
        ).statusCode,
      ).toBe(400);
      const refused = await call('POST', `/cases/${caseId}/referrals`, body);
      expect(refused.statusCode).toBe(422);
      expect(refused.json()).toMatchObject({ clause: 'PG5-1', overridable: false });
      await releaseConsent(sky);
      expect((await call('POST', `/cases/${caseId}/referrals`, body)).statusCode).toBe(422);
      expect((await call('GET', `/cases/${caseId}/referrals`)).json().referrals).toEqual([]);
    },
  );

  it('writes the letter from the client’s own record only, and downloads it as a PDF', async () => {
    await releaseConsent(rowan);
    const written = await call('POST', `/cases/${caseId}/referrals`, {
      clientId: rowan,
      to: 'Dr Hollis (fictional)',
      reason: 'Medical review of ED (fictional).',
    });
    expect(written.statusCode).toBe(201);
    const [referral] = (await call('GET', `/cases/${caseId}/referrals`)).json().referrals;
    expect(referral.letter).toContain('Dear Dr Hollis (fictional),');
    expect(referral.letter).toContain('I am writing to refer Rowan Ash (fictional), born 2 Mar 1984');
    expect(referral.letter).toContain('Erectile difficulties for a year (fictional).');
    expect(referral.letter).toContain('Tadalafil from the GP (fictional).');
    expect(referral.letter).not.toContain('Sky');
    expect(referral.letter).not.toContain('never in A’s letter');
    const pdf = await call('GET', `/cases/${caseId}/referrals/${referral.id}/pdf`);
    expect(pdf.statusCode).toBe(200);
    expect(pdf.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
  });

  it('declares a dual relationship: the supervisor is told under the pseudonym, fees stop, the case moves to its ending', async () => {
    const good = {
      declaredOn: '2026-11-21',
      description: 'Partner A joined my choir (fictional).',
      supervisorId: supervisor.userId,
    };
    expect(
      (await call('POST', `/cases/${caseId}/dual-relationships`, { ...good, supervisorId: me.userId }))
        .statusCode,
    ).toBe(400);
    expect(
      (await call('POST', `/cases/${caseId}/dual-relationships`, { ...good, declaredOn: '2099-01-01' }))
        .statusCode,
    ).toBe(400);
    const named = await call('POST', `/cases/${caseId}/dual-relationships`, {
      ...good,
      description: 'Rowan joined my choir.',
    });
    expect(named.statusCode).toBe(422);
    expect(named.json()).toMatchObject({ clause: 'PG5-5' });
    expect((await call('POST', `/cases/${caseId}/dual-relationships`, good)).statusCode).toBe(201);
    expect((await call('GET', `/cases/${caseId}`)).json().status).toBe('ending');
    // Rowan's letter is written; Sky's is still to make (GT-35: a referral for each client).
    expect((await call('GET', `/cases/${caseId}/dual-relationships`)).json().dualRelationships).toMatchObject(
      [{ declaredOn: '2026-11-21', feesStopOn: '2026-11-21', referralMade: false }],
    );
    const forSky = await call('POST', `/cases/${caseId}/referrals`, {
      clientId: sky,
      to: 'Dr Hollis (fictional)',
      reason: 'Continuing couple work elsewhere (fictional).',
    });
    expect(forSky.statusCode).toBe(201);
    expect((await call('GET', `/cases/${caseId}/dual-relationships`)).json().dualRelationships).toMatchObject(
      [{ referralMade: true }],
    );
    const told = (await as(supervisor)('GET', '/supervision/presentations')).json().presentations;
    expect(told[0].material).toContain(
      'A relationship other than the clinical one has been declared on this case (GT-34).',
    );
    expect(JSON.stringify(told)).not.toContain('Rowan');
  });
});
