import { emptyProfile } from '@alcove/core';
import { clause } from '@alcove/core/testing';
import { saveProfile } from '@alcove/store';
import { testEngines } from '@alcove/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addStaff, bearer, startTestApp, type TestApp, type TestStaff } from './testing/app.ts';
import { contractText } from './testing/contracts.ts';

const CONTRACT = contractText(
  'Contract (fictional): weekly sessions, confidentiality and its limits, and how therapy ends.',
);

describe.each(testEngines)('consents and young people on $name', (engine) => {
  let t: TestApp;
  let me: TestStaff;

  beforeAll(async () => {
    t = await startTestApp(engine);
    me = await addStaff(t.vault, {
      email: 'me@example.test',
      name: 'Me (fictional)',
      roles: ['practitioner'],
    });
    // Ready for young people: DBS, training, an experienced supervisor.
    await t.vault.db.transaction().execute((trx) =>
      saveProfile(
        trx,
        t.vault.practice.id,
        me.userId,
        {
          ...emptyProfile,
          details: {
            ...emptyProfile.details,
            supervisor: {
              name: 'S (fictional)',
              since: '2020-01-01',
              experiencedWithYoungOrVulnerable: true,
            },
          },
          dbs: [{ id: '00000000-0000-4000-8000-000000000001', issuedOn: '2025-06-01', fullDisclosure: true }],
          training: [
            {
              id: '00000000-0000-4000-8000-000000000002',
              kind: 'under-18s',
              title: 'T (fictional)',
              completedOn: '2024-01-01',
            },
          ],
        },
        new Date().toISOString(),
      ),
    );
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

  async function contractedCase(
    identity: Record<string, unknown>,
  ): Promise<{ clientId: string; caseId: string }> {
    const clientId = (await call('POST', '/clients', { identity })).json().id as string;
    const caseId = (await call('POST', '/cases', { kind: 'individual', clientIds: [clientId] })).json()
      .id as string;
    const contract = (await call('POST', `/cases/${caseId}/contracts`, { text: CONTRACT })).json();
    for (const signer of [{ kind: 'practitioner' }, { kind: 'client', clientId }]) {
      await call('POST', `/cases/${caseId}/contracts/${contract.id}/signatures`, {
        signer,
        textHash: contract.textHash,
      });
    }
    return { clientId, caseId };
  }
  const therapyOn = (caseId: string, startsAt: string) =>
    call('POST', `/cases/${caseId}/sessions`, {
      kind: 'therapy',
      format: 'in-person',
      startsAt,
      minutes: 50,
      attendance: 'attended',
    });

  it('refuses therapy with a 16-year-old without the appropriate adult’s consent or a Gillick assessment (GT-27)', async () => {
    const { clientId, caseId } = await contractedCase({
      name: 'Young Person (fictional)',
      dateOfBirth: '2010-06-01',
    });
    const refused = await therapyOn(caseId, '2026-11-20T16:00:00Z');
    expect(refused.statusCode).toBe(422);
    expect(refused.json()).toMatchObject({
      code: 'refused-by-code',
      clause: 'GT-27',
      duty: 'must',
      overridable: false,
    });
    expect(refused.json().detail).toContain('is 16 on the day of the session');

    expect(
      (
        await call('POST', `/clients/${clientId}/consents`, {
          type: 'appropriate-adult',
          caseId,
          givenOn: '2026-11-18',
          givenBy: 'appropriate-adult',
          mode: 'written-in-person',
        })
      ).statusCode,
    ).toBe(201);
    expect((await therapyOn(caseId, '2026-11-20T16:00:00Z')).statusCode).toBe(201);
    // The consent was not yet given on the 17th.
    expect((await therapyOn(caseId, '2026-11-17T16:00:00Z')).statusCode).toBe(422);
  });

  clause(
    ['GT-27', 'GT-26'],
    'refuses therapy with a vulnerable adult without consent (GT-27) or training for that work (GT-26)',
    async () => {
      const { clientId, caseId } = await contractedCase({
        name: 'Vulnerable Adult (fictional)',
        dateOfBirth: '1970-01-01',
        vulnerableAdult: true,
      });
      const refused = await therapyOn(caseId, '2026-11-20T16:00:00Z');
      expect(refused.json()).toMatchObject({ clause: 'GT-27', overridable: false });
      expect(refused.json().detail).toContain('vulnerable adult');
      await call('POST', `/clients/${clientId}/consents`, {
        type: 'appropriate-adult',
        caseId,
        givenOn: '2026-11-18',
        givenBy: 'appropriate-adult',
        mode: 'written-in-person',
      });
      // The practitioner is trained for under-18s, not for vulnerable adults.
      const untrained = await therapyOn(caseId, '2026-11-20T16:00:00Z');
      expect(untrained.json()).toMatchObject({ clause: 'GT-26', overridable: false });
      expect(untrained.json().detail).toContain('vulnerable adults');
    },
  );

  it('lets a young person found Gillick competent start without the appropriate adult', async () => {
    const { clientId, caseId } = await contractedCase({
      name: 'Competent Young Person (fictional)',
      dateOfBirth: '2009-09-09',
    });
    const assessed = await call('POST', `/clients/${clientId}/gillick-assessments`, {
      caseId,
      assessedOn: '2026-11-19',
      competent: true,
      notes: 'Understands what therapy involves (fictional).',
    });
    expect(assessed.statusCode).toBe(201);
    expect((await therapyOn(caseId, '2026-11-20T16:00:00Z')).statusCode).toBe(201);
  });

  it('answers which consents were in force on a day, and refuses withdrawing one twice', async () => {
    const clientId = (
      await call('POST', '/clients', { identity: { name: 'Consenting Adult (fictional)' } })
    ).json().id as string;
    const research = (
      await call('POST', `/clients/${clientId}/consents`, {
        type: 'research',
        givenOn: '2026-10-01',
        givenBy: 'client',
        mode: 'written-in-person',
      })
    ).json().id as string;
    await call('POST', `/clients/${clientId}/consents`, {
      type: 'third-party-release',
      recipient: 'Dr Fictional GP',
      givenOn: '2026-10-05',
      givenBy: 'client',
      mode: 'written-by-post',
    });
    expect(
      (
        await call('POST', `/clients/${clientId}/consents/${research}/withdraw`, {
          withdrawnOn: '2026-11-01',
        })
      ).statusCode,
    ).toBe(204);
    const twice = await call('POST', `/clients/${clientId}/consents/${research}/withdraw`, {
      withdrawnOn: '2026-11-02',
    });
    expect(twice.statusCode).toBe(409);
    const types = async (day: string) =>
      (
        (await call('GET', `/clients/${clientId}/consents?on=${day}`)).json().consents as { type: string }[]
      ).map((c) => c.type);
    expect(await types('2026-09-30')).toEqual([]);
    expect(await types('2026-10-20')).toEqual(['research', 'third-party-release']);
    expect(await types('2026-11-01')).toEqual(['third-party-release']);
    const all = (await call('GET', `/clients/${clientId}/consents`)).json().consents;
    expect(all.find((c: { type: string }) => c.type === 'third-party-release').recipient).toBe(
      'Dr Fictional GP',
    );
  });

  it('keeps each partner’s consent their own: one partner’s never covers the other', async () => {
    const a = (await call('POST', '/clients', { identity: { name: 'Partner Quince (fictional)' } })).json()
      .id as string;
    const b = (await call('POST', '/clients', { identity: { name: 'Partner Rowan (fictional)' } })).json()
      .id as string;
    await call('POST', `/clients/${a}/consents`, {
      type: 'joint-material-release',
      givenOn: '2026-11-01',
      givenBy: 'client',
      mode: 'written-in-person',
    });
    expect((await call('GET', `/clients/${a}/consents`)).json().consents).toHaveLength(1);
    expect((await call('GET', `/clients/${b}/consents`)).json().consents).toEqual([]);
  });

  it('refuses bad consents with a problem document and writes nothing', async () => {
    const clientId = (
      await call('POST', '/clients', { identity: { name: 'Bad Consent (fictional)' } })
    ).json().id as string;
    const otherCase = (
      await call('POST', '/cases', {
        kind: 'individual',
        clientIds: [
          (await call('POST', '/clients', { identity: { name: 'Someone Else (fictional)' } })).json().id,
        ],
      })
    ).json().id as string;
    const before = (await call('GET', `/clients/${clientId}/consents`)).json().consents.length;
    const bad: [string, unknown, number][] = [
      [
        'an unknown type',
        { type: 'everything', givenOn: '2026-11-01', givenBy: 'client', mode: 'portal' },
        400,
      ],
      [
        'a day not yet come',
        { type: 'research', givenOn: '2099-01-01', givenBy: 'client', mode: 'portal' },
        400,
      ],
      [
        'a third-party release naming nobody',
        { type: 'third-party-release', givenOn: '2026-11-01', givenBy: 'client', mode: 'portal' },
        400,
      ],
      [
        'a case the client is not in',
        { type: 'research', caseId: otherCase, givenOn: '2026-11-01', givenBy: 'client', mode: 'portal' },
        400,
      ],
      [
        'text where a date belongs',
        { type: 'research', givenOn: 'yesterday', givenBy: 'client', mode: 'portal' },
        400,
      ],
    ];
    for (const [label, payload, status] of bad) {
      const response = await call('POST', `/clients/${clientId}/consents`, payload);
      expect(response.statusCode, label).toBe(status);
    }
    expect((await call('GET', `/clients/${clientId}/consents`)).json().consents).toHaveLength(before);
  });
});
