import { emptyProfile } from '@alcove/core';
import { saveProfile } from '@alcove/store';
import { testEngines } from '@alcove/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addStaff, bearer, startTestApp, type TestApp, type TestStaff } from './testing/app.ts';

const ROWAN = { name: 'Rowan Ash (fictional)', email: 'rowan@example.test', dateOfBirth: '1984-03-02' };
const SKY = { name: 'Sky Birch (fictional)', phone: '07700 900456' };

describe.each(testEngines)('supervision under pseudonyms on $name', (engine) => {
  let t: TestApp;
  let me: TestStaff;
  let supervisor: TestStaff;
  let caseId: string;
  let clientId: string;

  const as = (who: TestStaff) => (method: 'GET' | 'POST', url: string, payload?: unknown) =>
    t.app.inject({
      method,
      url: `/api/v1${url}`,
      headers: bearer(who),
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });
  const rows = async () =>
    Number(
      (
        await t.vault.db
          .selectFrom('supervision_presentation')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  beforeAll(async () => {
    t = await startTestApp(engine);
    me = await addStaff(t.vault, {
      email: 'me@example.test',
      name: 'Me (fictional)',
      roles: ['practitioner'],
    });
    supervisor = await addStaff(t.vault, {
      email: 'sup@example.test',
      name: 'Supervisor Vale (fictional)',
      roles: ['supervisor'],
    });
    clientId = (await as(me)('POST', '/clients', { identity: ROWAN })).json().id;
    const sky = (await as(me)('POST', '/clients', { identity: SKY })).json().id;
    caseId = (await as(me)('POST', '/cases', { kind: 'couple', clientIds: [clientId, sky] })).json().id;
  });
  afterAll(async () => {
    await t.close();
  });

  it('refuses presentations without a session, to someone not a supervisor, or with bad material, writing nothing', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/supervision/presentations' })).statusCode).toBe(
      401,
    );
    const good = {
      supervisorId: supervisor.userId,
      presentedOn: '2026-11-20',
      material: '<p>Partner A withdraws.</p>',
    };
    const before = await rows();
    const bad: [string, unknown, number][] = [
      ['not a supervisor', { ...good, supervisorId: me.userId }, 400],
      ['a day to come', { ...good, presentedOn: '2099-01-01' }, 400],
      ['a script', { ...good, material: '<p>x</p><script>alert(1)</script>' }, 400],
      ['an unknown field', { ...good, clientName: 'x' }, 400],
      ['a client named', { ...good, material: '<p>Rowan withdraws when stressed.</p>' }, 422],
      ['a phone number', { ...good, material: '<p>Partner B rang from 07700 900456.</p>' }, 422],
    ];
    for (const [label, payload, status] of bad) {
      const response = await as(me)('POST', `/cases/${caseId}/presentations`, payload);
      expect(response.statusCode, label).toBe(status);
      if (status === 422)
        expect(response.json(), label).toMatchObject({ clause: 'PG5-5', overridable: false });
    }
    expect((await as(supervisor)('POST', `/cases/${caseId}/presentations`, good)).statusCode).toBe(404);
    expect(await rows()).toBe(before);
  });

  it('shows the supervisor the pseudonymised presentation, and no route reaches the client’s identity', async () => {
    const presented = await as(me)('POST', `/cases/${caseId}/presentations`, {
      supervisorId: supervisor.userId,
      presentedOn: '2026-11-20',
      material: '<p>Partner A withdraws under stress; partner B pursues. I notice I side with B.</p>',
    });
    expect(presented.statusCode).toBe(201);
    const view = await as(supervisor)('GET', '/supervision/presentations');
    expect(view.statusCode).toBe(200);
    const [presentation] = view.json().presentations;
    expect(presentation).toMatchObject({
      caseKind: 'couple',
      presentedBy: 'Me (fictional)',
      material: '<p>Partner A withdraws under stress; partner B pursues. I notice I side with B.</p>',
    });
    expect(presentation.pseudonym).toMatch(/^Case [A-Z0-9]{6}$/);
    for (const secret of [
      'Rowan',
      'Ash',
      'Sky',
      'Birch',
      ROWAN.email,
      ROWAN.dateOfBirth,
      '900456',
      clientId,
      caseId,
    ]) {
      expect(view.body, secret).not.toContain(secret);
    }
    for (const url of [
      `/clients/${clientId}`,
      `/clients/${clientId}/record`,
      `/clients/${clientId}/consents`,
      `/clients/${clientId}/access`,
      `/cases/${caseId}`,
      `/cases/${caseId}/notes`,
      `/cases/${caseId}/presentations`,
      '/clients',
    ]) {
      expect((await as(supervisor)('GET', url)).statusCode, url).toBe(404);
    }
    const mine = (await as(me)('GET', `/cases/${caseId}/presentations`)).json().presentations;
    expect(mine).toHaveLength(1);
  });

  it('logs supervision sessions with the supervisor the record names, and their hours (GT-64)', async () => {
    const refused = await as(me)('POST', '/supervision/sessions', { heldOn: '2026-11-10', minutes: 60 });
    expect(refused.statusCode).toBe(422);
    expect(refused.json()).toMatchObject({ clause: 'GT-64' });
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
              name: 'Supervisor Vale (fictional)',
              since: '2020-01-01',
              experiencedWithYoungOrVulnerable: false,
            },
          },
        },
        new Date().toISOString(),
      ),
    );
    expect(
      (await as(me)('POST', '/supervision/sessions', { heldOn: '2099-01-01', minutes: 60 })).statusCode,
    ).toBe(400);
    expect(
      (await as(me)('POST', '/supervision/sessions', { heldOn: '2026-11-10', minutes: 5 })).statusCode,
    ).toBe(400);
    expect(
      (await as(supervisor)('POST', '/supervision/sessions', { heldOn: '2026-11-10', minutes: 60 }))
        .statusCode,
    ).toBe(404);
    for (const [heldOn, minutes] of [
      ['2026-11-10', 90],
      ['2026-10-10', 60],
      ['2025-12-01', 60],
    ] as const) {
      expect((await as(me)('POST', '/supervision/sessions', { heldOn, minutes })).statusCode).toBe(201);
    }
    const log = (await as(me)('GET', '/supervision/sessions')).json();
    expect(log.hoursByYear).toEqual({ '2026': 2.5, '2025': 1 });
    expect(log.sessions[0]).toMatchObject({
      heldOn: '2026-11-10',
      minutes: 90,
      supervisorName: 'Supervisor Vale (fictional)',
    });
  });
});
