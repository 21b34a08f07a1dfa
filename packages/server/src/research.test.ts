import { clause } from '@alcove/core/testing';
import { testEngines } from '@alcove/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addStaff, bearer, startTestApp, type TestApp, type TestStaff } from './testing/app.ts';

describe.each(testEngines)('de-identified research exports on $name', (engine) => {
  let t: TestApp;
  let me: TestStaff;
  let supervisor: TestStaff;

  const as = (who: TestStaff) => (url: string, payload: unknown) =>
    t.app.inject({
      method: 'POST',
      url: `/api/v1${url}`,
      headers: bearer(who),
      payload: payload as Record<string, unknown>,
    });

  beforeAll(async () => {
    t = await startTestApp(engine);
    me = await addStaff(t.vault, {
      email: 'me@example.test',
      name: 'Me (fictional)',
      roles: ['practitioner'],
    });
    supervisor = await addStaff(t.vault, {
      email: 's@example.test',
      name: 'Sup (fictional)',
      roles: ['supervisor'],
    });
    const post = as(me);
    for (let i = 0; i < 6; i += 1) {
      const clientId = (
        await post('/clients', {
          identity: {
            name: `Research Person ${'ABCDEF'[i]} (fictional)`,
            dateOfBirth: `199${i}-05-0${i + 1}`,
          },
        })
      ).json().id;
      const caseId = (await post('/cases', { kind: 'individual', clientIds: [clientId] })).json().id;
      for (const startsAt of ['2026-10-05T10:00:00Z', '2026-10-12T10:00:00Z']) {
        await post(`/cases/${caseId}/sessions`, {
          kind: 'assessment',
          format: 'in-person',
          startsAt,
          minutes: 50,
          attendance: 'attended',
        });
      }
      // Five of the six give written consent to research; the sixth does not.
      if (i < 5) {
        await post(`/clients/${clientId}/consents`, {
          type: 'research',
          givenOn: '2026-10-05',
          givenBy: 'client',
          mode: 'written-in-person',
        });
      }
    }
  });
  afterAll(async () => {
    await t.close();
  });

  it('refuses bad requests: no session, not a practitioner, k below 5', async () => {
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: '/api/v1/research-exports',
          payload: { purpose: 'research', k: 5 },
        })
      ).statusCode,
    ).toBe(401);
    expect((await as(supervisor)('/research-exports', { purpose: 'research', k: 5 })).statusCode).toBe(404);
    expect((await as(me)('/research-exports', { purpose: 'research', k: 4 })).statusCode).toBe(400);
    expect((await as(me)('/research-exports', { purpose: 'marketing', k: 5 })).statusCode).toBe(400);
  });

  clause(
    ['PG5-4', 'GT-114'],
    'exports only clients with research consent, k-anonymous, with no identifier, date or free text',
    async () => {
      const exported = await as(me)('/research-exports', { purpose: 'research', k: 5 });
      expect(exported.statusCode).toBe(200);
      expect(exported.json()).toMatchObject({ purpose: 'research', k: 5, included: 5, excluded: 1 });
      const rows = exported.json().rows as Record<string, string>[];
      expect(rows).toHaveLength(5);
      expect(Object.keys(rows[0] ?? {}).sort()).toEqual([
        'ageBand',
        'attendance',
        'caseKind',
        'sessions',
        'started',
      ]);
      for (const secret of ['Research Person', 'fictional', '199', '2026-10-05', '2026-10-12']) {
        expect(exported.body, secret).not.toContain(secret);
      }
      const csv = await as(me)('/research-exports/csv', { purpose: 'research', k: 5 });
      expect(csv.headers['content-type']).toContain('text/csv');
      expect(csv.body.split('\n')[0]).toBe('caseKind,ageBand,started,sessions,attendance');
    },
  );

  clause('GT-115', 'fails rather than leaking when k cannot be met (GT-115)', async () => {
    const refused = await as(me)('/research-exports', { purpose: 'research', k: 6 });
    expect(refused.statusCode).toBe(422);
    expect(refused.json()).toMatchObject({ clause: 'GT-115', overridable: false });
    expect(refused.body).not.toContain('rows');
    const noTraining = await as(me)('/research-exports', { purpose: 'training', k: 5 });
    expect(noTraining.statusCode).toBe(422);
  });
});
