import { clause } from '@alcove/core/testing';
import { testEngines } from '@alcove/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addStaff, bearer, startTestApp, type TestApp, type TestStaff } from './testing/app.ts';
import { contractText } from './testing/contracts.ts';

const CONTRACT = contractText(
  'Couple contract (fictional): weekly sessions, confidentiality and its limits, endings.',
);
const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();

describe.each(testEngines)('session notes on $name', (engine) => {
  let t: TestApp;
  let me: TestStaff;
  let colleague: TestStaff;
  let caseId: string;
  let partnerA: string;
  let partnerB: string;

  const as =
    (who: TestStaff) => (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) =>
      t.app.inject({
        method,
        url: `/api/v1${url}`,
        headers: bearer(who),
        ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
      });
  const call = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) =>
    as(me)(method, url, payload);
  const count = async (table: 'entry' | 'passage') =>
    Number(
      (
        await t.vault.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const session = async (startsAt: string) => {
    const response = await call('POST', `/cases/${caseId}/sessions`, {
      kind: 'assessment',
      format: 'in-person',
      startsAt,
      minutes: 60,
      attendance: 'attended',
    });
    expect(response.statusCode).toBe(201);
    return response.json().id as string;
  };

  beforeAll(async () => {
    t = await startTestApp(engine);
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
    const a = (await call('POST', '/clients', { identity: { name: 'Partner Ash (fictional)' } })).json().id;
    const b = (await call('POST', '/clients', { identity: { name: 'Partner Birch (fictional)' } })).json().id;
    caseId = (await call('POST', '/cases', { kind: 'couple', clientIds: [a, b] })).json().id;
    await call('POST', `/cases/${caseId}/contracts`, { text: CONTRACT });
    const participants = (await call('GET', `/cases/${caseId}`)).json().participants;
    partnerA = participants[0].id;
    partnerB = participants[1].id;
  });
  afterAll(async () => {
    await t.close();
  });

  it('needs a signed-in practitioner who holds the case: 401, then 404', async () => {
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/cases/${caseId}/notes` })).statusCode).toBe(
      401,
    );
    expect((await as(colleague)('GET', `/cases/${caseId}/notes`)).statusCode).toBe(404);
    const sessionId = await session(daysAgo(0.1));
    const theirs = await as(colleague)('POST', `/cases/${caseId}/notes`, {
      sessionId,
      passages: [{ section: 'findings', html: '<p>x</p>', attribution: [] }],
    });
    expect(theirs.statusCode).toBe(404);
  });

  it('writes a joint-session note partner by partner, signs it, and corrects it with an addendum shown beside it', async () => {
    const sessionId = await session(daysAgo(0.1));
    const draft = await call('POST', `/cases/${caseId}/notes`, {
      sessionId,
      passages: [
        {
          section: 'findings',
          html: '<p>Partner A describes withdrawing (fictional).</p>',
          attribution: [partnerA],
        },
        {
          section: 'findings',
          html: '<p>Partner B describes pursuing (fictional).</p>',
          attribution: [partnerB],
        },
        {
          section: 'decisions',
          html: '<p>Both agree a weekly check-in.</p>',
          attribution: [partnerA, partnerB],
        },
        { section: 'information', html: '<p>Gave a <em>cycle map</em>.</p>', attribution: [] },
      ],
    });
    expect(draft.statusCode).toBe(201);
    const noteId = draft.json().id as string;
    // A draft is the author's own: not in the client's record until signed.
    const clientId = (await call('GET', `/cases/${caseId}`)).json().participants[0].clientId;
    const beforeSigning = (await call('GET', `/clients/${clientId}/record`)).json();
    expect(JSON.stringify(beforeSigning)).not.toContain('withdrawing');
    expect(
      (
        await call('PUT', `/notes/${noteId}`, {
          passages: [
            {
              section: 'findings',
              html: '<p>Partner A describes withdrawing when stressed (fictional).</p>',
              attribution: [partnerA],
            },
            {
              section: 'findings',
              html: '<p>Partner B describes pursuing (fictional).</p>',
              attribution: [partnerB],
            },
          ],
        })
      ).statusCode,
    ).toBe(204);
    const signed = await call('POST', `/notes/${noteId}/sign`, {});
    expect(signed.json()).toEqual({ late: false });
    const addendum = await call('POST', `/notes/${noteId}/addenda`, {
      reason: 'Misattributed a remark (fictional).',
      passages: [
        { section: 'findings', html: '<p>The stress remark was Partner B’s.</p>', attribution: [partnerB] },
      ],
    });
    expect(addendum.statusCode).toBe(201);
    const notes = (await call('GET', `/cases/${caseId}/notes`)).json().notes;
    const original = notes.find((n: { id: string }) => n.id === noteId);
    expect(original).toMatchObject({ status: 'signed', late: false, sessionId });
    expect(original.passages.map((p: { attribution: string[] }) => p.attribution)).toEqual([
      [partnerA],
      [partnerB],
    ]);
    expect(notes.find((n: { amendsId: string | null }) => n.amendsId === noteId)).toMatchObject({
      kind: 'addendum',
      amendReason: 'Misattributed a remark (fictional).',
      passages: [{ attribution: [partnerB] }],
    });
  });

  clause('GT-98', 'refuses every change to a signed note, and audits each attempt', async () => {
    const sessionId = await session(daysAgo(0.2));
    const noteId = (
      await call('POST', `/cases/${caseId}/notes`, {
        sessionId,
        passages: [{ section: 'findings', html: '<p>Signed (fictional).</p>', attribution: [] }],
      })
    ).json().id;
    await call('POST', `/notes/${noteId}/sign`, {});
    const passages = [{ section: 'findings', html: '<p>Rewritten</p>', attribution: [] }];
    for (const refused of [
      await call('PUT', `/notes/${noteId}`, { passages }),
      await call('DELETE', `/notes/${noteId}`),
      await call('POST', `/notes/${noteId}/sign`, {}),
    ]) {
      expect(refused.statusCode).toBe(422);
      expect(refused.json()).toMatchObject({ clause: 'GT-98', overridable: false });
    }
    expect((await as(colleague)('PUT', `/notes/${noteId}`, { passages })).statusCode).toBe(404);
    const attempts = await t.vault.db
      .selectFrom('audit_event')
      .select(['action', 'outcome'])
      .where('record_id', '=', noteId)
      .where('outcome', '=', 'denied')
      .execute();
    // Three refusals under GT-98 (the colleague's attempt is refused at the case, as not found).
    expect(attempts.map((a) => a.action)).toEqual([
      'code.refused:GT-98',
      'code.refused:GT-98',
      'code.refused:GT-98',
    ]);
    const notes = (await call('GET', `/cases/${caseId}/notes`)).json().notes;
    expect(notes.find((n: { id: string }) => n.id === noteId).passages[0].html).toBe(
      '<p>Signed (fictional).</p>',
    );
  });

  it('marks a note signed three days after its session late, and refuses a note for a session not yet held (GT-38)', async () => {
    const old = await session(daysAgo(3));
    const noteId = (
      await call('POST', `/cases/${caseId}/notes`, {
        sessionId: old,
        passages: [{ section: 'findings', html: '<p>Late (fictional).</p>', attribution: [] }],
      })
    ).json().id;
    expect((await call('POST', `/notes/${noteId}/sign`, {})).json()).toEqual({ late: true });
    const future = await session(new Date(Date.now() + 86_400_000).toISOString());
    const refused = await call('POST', `/cases/${caseId}/notes`, {
      sessionId: future,
      passages: [{ section: 'findings', html: '<p>Too soon.</p>', attribution: [] }],
    });
    expect(refused.statusCode).toBe(422);
    expect(refused.json()).toMatchObject({ clause: 'GT-38', overridable: false });
  });

  it('marks late by the practice’s own setting', async () => {
    const admin = await addStaff(t.vault, {
      email: 'admin@example.test',
      name: 'Admin (fictional)',
      roles: ['administrator'],
    });
    expect((await as(admin)('PUT', '/settings/late-entry', { hours: 0 })).statusCode).toBe(400);
    expect((await as(admin)('PUT', '/settings/late-entry', { hours: '2' })).statusCode).toBe(400);
    expect((await as(me)('PUT', '/settings/late-entry', { hours: 2 })).statusCode).toBe(404);
    expect((await as(admin)('PUT', '/settings/late-entry', { hours: 2 })).statusCode).toBe(204);
    expect((await call('GET', '/settings/late-entry')).json()).toEqual({ hours: 2 });
    const recent = await session(daysAgo(0.2));
    const noteId = (
      await call('POST', `/cases/${caseId}/notes`, {
        sessionId: recent,
        passages: [{ section: 'findings', html: '<p>Four hours on (fictional).</p>', attribution: [] }],
      })
    ).json().id;
    expect((await call('POST', `/notes/${noteId}/sign`, {})).json()).toEqual({ late: true });
    expect((await as(admin)('PUT', '/settings/late-entry', { hours: 24 })).statusCode).toBe(204);
  });

  it('refuses bad notes with a problem document and writes nothing', async () => {
    const sessionId = await session(daysAgo(0.3));
    const draftId = (
      await call('POST', `/cases/${caseId}/notes`, {
        sessionId,
        passages: [{ section: 'findings', html: '<p>Draft.</p>', attribution: [] }],
      })
    ).json().id;
    const entries = await count('entry');
    const passages = await count('passage');
    const bad: [string, 'POST' | 'PUT', string, unknown, number][] = [
      [
        'a script',
        'POST',
        `/cases/${caseId}/notes`,
        {
          sessionId,
          passages: [{ section: 'findings', html: '<p>x</p><script>alert(1)</script>', attribution: [] }],
        },
        400,
      ],
      [
        'an event handler, in a draft',
        'PUT',
        `/notes/${draftId}`,
        { passages: [{ section: 'findings', html: '<p onclick="x()">x</p>', attribution: [] }] },
        400,
      ],
      [
        'attribution to someone not in the case',
        'POST',
        `/cases/${caseId}/notes`,
        {
          sessionId,
          passages: [
            { section: 'findings', html: '<p>x</p>', attribution: ['6f1c2a4e-0000-4000-8000-000000000000'] },
          ],
        },
        400,
      ],
      [
        'an addendum to a draft',
        'POST',
        `/notes/${draftId}/addenda`,
        { reason: 'Correction', passages: [{ section: 'findings', html: '<p>x</p>', attribution: [] }] },
        409,
      ],
      [
        'a section the Code does not name',
        'POST',
        `/cases/${caseId}/notes`,
        { sessionId, passages: [{ section: 'gossip', html: '<p>x</p>', attribution: [] }] },
        400,
      ],
      [
        'a session of another case',
        'POST',
        `/cases/${caseId}/notes`,
        {
          sessionId: '6f1c2a4e-0000-4000-8000-000000000000',
          passages: [{ section: 'findings', html: '<p>x</p>', attribution: [] }],
        },
        400,
      ],
    ];
    for (const [label, method, url, payload, status] of bad) {
      const response = await call(method as 'POST', url, payload);
      expect(response.statusCode, label).toBe(status);
      expect(response.headers['content-type'], label).toContain('application/problem+json');
    }
    const script = await call('POST', `/cases/${caseId}/notes`, bad[0]?.[3]);
    expect(script.json().errors).toEqual([
      { location: 'body', pointer: '/passages/0/html', detail: '<script> is not allowed' },
    ]);
    expect(await count('entry')).toBe(entries);
    expect(await count('passage')).toBe(passages);
    const notes = (await call('GET', `/cases/${caseId}/notes`)).json().notes;
    expect(notes.find((n: { id: string }) => n.id === draftId).passages[0].html).toBe('<p>Draft.</p>');
  });

  it('writes an assessment per client, a risk assessment with its steps, and a planned ending that closes the case', async () => {
    const entries = await count('entry');
    const shared = await call('POST', `/cases/${caseId}/structured-entries`, {
      kind: 'assessment',
      attribution: [partnerA, partnerB],
      fields: { presenting: 'x', history: 'y' },
    });
    expect(shared.statusCode).toBe(400);
    const incomplete = await call('POST', `/cases/${caseId}/structured-entries`, {
      kind: 'risk',
      attribution: [],
      fields: { level: 'Medium', mood: 'Low' },
    });
    expect(incomplete.statusCode).toBe(400);
    expect(incomplete.json().errors.map((e: { pointer: string }) => e.pointer)).toEqual([
      '/fields/mood',
      '/fields/concerns',
      '/fields/steps',
    ]);
    expect(await count('entry')).toBe(entries);

    const assessment = await call('POST', `/cases/${caseId}/structured-entries`, {
      kind: 'assessment',
      attribution: [partnerA],
      fields: {
        presenting: 'Low desire since a change of job (fictional).',
        history: 'No previous therapy <script>alert(1)</script> (fictional).',
        'other-treatments': 'Sertraline 50 mg (fictional).',
        compatibility: 'Compatible; reviewed with the GP (fictional).',
      },
    });
    expect(assessment.statusCode).toBe(201);
    const risk = await call('POST', `/cases/${caseId}/structured-entries`, {
      kind: 'risk',
      attribution: [],
      fields: {
        level: 'Low, to self (fictional).',
        concerns: 'Passing thoughts (fictional).',
        steps: 'Safety plan agreed (fictional).',
      },
    });
    expect(risk.statusCode).toBe(201);
    const notes = (await call('GET', `/cases/${caseId}/notes`)).json().notes;
    const written = notes.find((n: { id: string }) => n.id === assessment.json().id);
    expect(written).toMatchObject({ kind: 'assessment', status: 'signed' });
    expect(written.passages.map((p: { section: string }) => p.section)).toEqual([
      'presenting',
      'history',
      'other-treatments',
      'compatibility',
    ]);
    // Text is kept as text: the script is escaped, never markup.
    expect(written.passages[1].html).toBe(
      '<p>No previous therapy &lt;script&gt;alert(1)&lt;/script&gt; (fictional).</p>',
    );
    expect(written.passages[0].attribution).toEqual([partnerA]);

    const ending = await call('POST', `/cases/${caseId}/structured-entries`, {
      kind: 'ending',
      attribution: [],
      fields: {
        summary: 'Ended as planned (fictional).',
        outcomes: 'Both report more closeness (fictional).',
      },
    });
    expect(ending.statusCode).toBe(201);
    expect((await call('GET', `/cases/${caseId}`)).json().status).toBe('closed');
    const closedAt = await t.vault.db
      .selectFrom('care_case')
      .select('closed_at')
      .where('id', '=', caseId)
      .executeTakeFirstOrThrow();
    expect(closedAt.closed_at).not.toBeNull();
    const again = await call('POST', `/cases/${caseId}/structured-entries`, {
      kind: 'ending',
      attribution: [],
      fields: { summary: 'Again', outcomes: 'Again' },
    });
    expect(again.statusCode).toBe(409);
  });
});
