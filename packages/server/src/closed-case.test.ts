import { clause } from '@alcove/core/testing';
import { testEngines } from '@alcove/store/testing';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { addStaff, bearer, startTestApp, type TestApp, type TestStaff } from './testing/app.ts';

const CANARY = 'Closed-case canary passage (fictional)';
const NAME = 'Quill Closedcase (fictional)';

/**
 * PG5-7: the obligation to keep confidentiality continues after the therapeutic relationship
 * has ended. A closed case's record stays sealed at rest and behind the same access rules as
 * an open one: closing it opens nothing to anyone.
 */
describe.each(testEngines)('a closed case on $name', (engine) => {
  let t: TestApp;
  let me: TestStaff;
  let colleague: TestStaff;
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

  beforeAll(async () => {
    t = await startTestApp(engine);
    me = await addStaff(t.vault, {
      email: 'pg57@example.test',
      name: 'Me (fictional)',
      roles: ['practitioner'],
    });
    colleague = await addStaff(t.vault, {
      email: 'pg57-colleague@example.test',
      name: 'Colleague (fictional)',
      roles: ['practitioner'],
    });
    supervisor = await addStaff(t.vault, {
      email: 'pg57-supervisor@example.test',
      name: 'Supervisor (fictional)',
      roles: ['supervisor'],
    });
    clientId = (await as(me)('POST', '/clients', { identity: { name: NAME } })).json().id;
    caseId = (await as(me)('POST', '/cases', { kind: 'individual', clientIds: [clientId] })).json().id;
    const note = await as(me)('POST', `/cases/${caseId}/entries`, {
      kind: 'contact-note',
      occurredAt: new Date(Date.now() - 3_600_000).toISOString(),
      passages: [{ text: `<p>${CANARY}</p>`, attribution: [] }],
    });
    expect(note.statusCode).toBe(201);
    const ending = await as(me)('POST', `/cases/${caseId}/structured-entries`, {
      kind: 'ending',
      attribution: [],
      fields: { summary: 'Ended as planned (fictional).', outcomes: 'Goals met (fictional).' },
    });
    expect(ending.statusCode).toBe(201);
    expect((await as(me)('GET', `/cases/${caseId}`)).json().status).toBe('closed');
  });
  afterAll(async () => {
    await t.close();
  });

  clause(
    'PG5-7',
    'keeps a closed case behind the same access rules: a colleague and a supervisor reach nothing',
    async () => {
      for (const who of [colleague, supervisor]) {
        expect((await as(who)('GET', `/cases/${caseId}`)).statusCode, 'case').toBe(404);
        expect((await as(who)('GET', `/clients/${clientId}`)).statusCode, 'client').toBe(404);
        expect((await as(who)('GET', `/cases/${caseId}/notes`)).statusCode, 'notes').toBe(404);
      }
      // Its own practitioner still reads it: the record is kept, not lost, at its ending.
      const record = await as(me)('GET', `/clients/${clientId}/record`);
      expect(record.statusCode).toBe(200);
      expect(record.body).toContain(CANARY);
    },
  );

  clause('PG5-7', 'keeps a closed case sealed at rest: no passage or name in clear in any row', async () => {
    const passages = await t.vault.db.selectFrom('passage').selectAll().execute();
    const clients = await t.vault.db.selectFrom('client').selectAll().execute();
    const rows = JSON.stringify([passages, clients]);
    expect(passages.length).toBeGreaterThan(0);
    expect(rows).not.toContain('canary');
    expect(rows).not.toContain('Closedcase');
  });
});
