import { emptyProfile, problemDocumentSchema } from '@alcove/core';
import { testEngines } from '@alcove/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addStaff, bearer, startTestApp, type TestApp, type TestStaff } from './testing/app.ts';

describe.each(testEngines)('the practitioner’s record and the compliance dashboard on $name', (engine) => {
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

  const call = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) =>
    t.app.inject({
      method,
      url: `/api/v1${url}`,
      headers: bearer(me),
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });
  const versions = async () =>
    Number(
      (
        await t.vault.db
          .selectFrom('profile_version')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const clauses = async () =>
    ((await call('GET', '/compliance')).json().findings as { clause: string }[]).map((f) => f.clause);

  it('starts with the findings of an empty record, each citing its clause with its text', async () => {
    const response = await call('GET', '/compliance');
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.findings.map((f: { clause: string }) => f.clause)).toEqual(
      expect.arrayContaining(['GT-45', 'GT-41', 'GT-64', 'GT-15']),
    );
    const insurance = body.findings.find((f: { clause: string }) => f.clause === 'GT-45');
    expect(insurance.clauseText).toContain('adequate insurance or indemnity cover');
    expect(insurance.duty).toBe('must');
    expect(body.cpd.requirement.totalHours).toBe(30);
    expect(body.cpd.requirement.source).toContain('COSRT CPD policy');
  });

  it('refuses bad input with a problem document, and writes nothing', async () => {
    const before = await versions();
    const bad: [string, 'POST' | 'PUT', string, unknown][] = [
      [
        'negative hours',
        'POST',
        '/profile/items',
        {
          section: 'cpd',
          item: { date: '2026-11-01', title: 'X', hours: -2, sexAndRelationship: true, faceToFace: true },
        },
      ],
      [
        'an end date before the start',
        'POST',
        '/profile/items',
        { section: 'insurance', item: { insurer: 'X', startsOn: '2026-06-01', endsOn: '2026-05-31' } },
      ],
      [
        'text where a date belongs',
        'POST',
        '/profile/items',
        { section: 'insurance', item: { insurer: 'X', startsOn: 'next spring', endsOn: '2027-05-31' } },
      ],
      [
        'an unknown clause id',
        'PUT',
        '/profile/details',
        { details: emptyProfile.details, override: { clause: 'GT-999', reason: 'because' } },
      ],
      [
        'a malformed clause id',
        'PUT',
        '/profile/details',
        { details: emptyProfile.details, override: { clause: 'section nine', reason: 'because' } },
      ],
      ['an unknown section', 'POST', '/profile/items', { section: 'hobbies', item: {} }],
      [
        'CPD not yet done',
        'POST',
        '/profile/items',
        {
          section: 'cpd',
          item: { date: '2099-01-01', title: 'X', hours: 2, sexAndRelationship: true, faceToFace: true },
        },
      ],
    ];
    for (const [label, method, url, payload] of bad) {
      const response = await call(method, url, payload);
      expect(response.statusCode, label).toBe(400);
      expect(problemDocumentSchema.parse(response.json()).code, label).toBe('validation-failed');
    }
    expect(await versions()).toBe(before);
  });

  it('records new cover, and the insurance finding closes', async () => {
    const added = await call('POST', '/profile/items', {
      section: 'insurance',
      item: {
        insurer: 'Insurer (fictional)',
        startsOn: '2026-01-01',
        endsOn: '2099-12-31',
        retentionYears: 10,
      },
    });
    expect(added.statusCode).toBe(201);
    expect(await clauses()).not.toContain('GT-45');
    const profile = (await call('GET', '/profile')).json().profile;
    expect(profile.insurance).toHaveLength(1);
  });

  it('refuses advertising a pending accreditation under GT-88, and no override opens it', async () => {
    const details = {
      ...emptyProfile.details,
      membership: { category: 'Member', accreditation: 'pending', advertisesAccreditation: true },
    };
    for (const override of [undefined, { clause: 'GT-88', reason: 'It will come through soon' }]) {
      const response = await call('PUT', '/profile/details', {
        details,
        ...(override === undefined ? {} : { override }),
      });
      expect(response.statusCode).toBe(422);
      expect(response.json()).toMatchObject({
        code: 'refused-by-code',
        clause: 'GT-88',
        duty: 'must',
        overridable: false,
      });
      expect(response.json().clauseText).toContain('refrain from advertising any pending accreditation');
    }
  });

  it('refuses online work without training under GT-92, until overridden with a reason, which is kept and audited', async () => {
    const details = {
      ...emptyProfile.details,
      worksWith: { under18s: false, vulnerableAdults: false, online: true },
    };
    const refused = await call('PUT', '/profile/details', { details });
    expect(refused.statusCode).toBe(422);
    expect(refused.json()).toMatchObject({ clause: 'GT-92', duty: 'should', overridable: true });

    const overridden = await call('PUT', '/profile/details', {
      details,
      override: { clause: 'GT-92', reason: 'Training booked for next month; my supervisor agrees' },
    });
    expect(overridden.statusCode).toBe(200);
    const { overrides } = (await call('GET', '/profile')).json();
    expect(overrides).toEqual([
      expect.objectContaining({
        clause: 'GT-92',
        reason: 'Training booked for next month; my supervisor agrees',
      }),
    ]);
    const audited = await t.vault.db
      .selectFrom('audit_event')
      .select('action')
      .where('action', 'like', 'code.%')
      .execute();
    expect(audited.map((a) => a.action)).toEqual(
      expect.arrayContaining(['code.refused:GT-92', 'code.override:GT-92', 'code.refused:GT-88']),
    );
    expect(await clauses()).not.toContain('GT-92');
  });

  it('appoints an executor and a supervisor, and those findings close', async () => {
    const details = {
      ...emptyProfile.details,
      worksWith: { under18s: false, vulnerableAdults: false, online: true },
      supervisor: {
        name: 'Supervisor (fictional)',
        since: '2024-01-01',
        experiencedWithYoungOrVulnerable: false,
      },
      executor: { name: 'Executor (fictional)', appointedOn: '2026-11-01' },
    };
    expect((await call('PUT', '/profile/details', { details })).statusCode).toBe(200);
    const open = await clauses();
    expect(open).not.toContain('GT-41');
    expect(open).not.toContain('GT-64');
  });

  it('lets only an administrator change the CPD requirement, and rejects a bad one', async () => {
    const admin = await addStaff(t.vault, {
      email: 'admin@example.test',
      name: 'Admin (fictional)',
      roles: ['administrator'],
    });
    const setting = {
      totalHours: 25,
      sexAndRelationshipHours: 12,
      faceToFaceHours: 5,
      yearStartsOn: '04-01',
      source: 'Practice policy (fictional)',
    };
    const asAdmin = (payload: unknown) =>
      t.app.inject({
        method: 'PUT',
        url: '/api/v1/settings/cpd',
        headers: bearer(admin),
        payload: payload as Record<string, unknown>,
      });
    expect((await asAdmin({ ...setting, totalHours: -1 })).statusCode).toBe(400);
    expect((await asAdmin({ ...setting, yearStartsOn: '13-40' })).statusCode).toBe(400);
    expect((await asAdmin({ ...setting, source: undefined })).statusCode).toBe(400);
    expect((await asAdmin(setting)).statusCode).toBe(204);
    expect((await call('GET', '/compliance')).json().cpd.requirement).toEqual(setting);
    expect((await call('PUT', '/settings/cpd', setting)).statusCode).toBe(404);
  });
});
