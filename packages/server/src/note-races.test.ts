import { clause } from '@alcove/core/testing';
import { testEngines } from '@alcove/store/testing';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { NotesContext } from './notes-context.ts';
import { addStaff, bearer, startTestApp, type TestApp, type TestStaff } from './testing/app.ts';
import { contractText } from './testing/contracts.ts';

const CONTRACT = contractText('Contract (fictional).');

/**
 * GT-98 under concurrency (found by review): an autosave or a delete already under way when
 * the note is signed never rewrites or empties the signed note. The sign request is made to
 * commit just before the save's write transaction opens.
 */
describe.each(testEngines)('a note signed while a save is under way, on $name', (engine) => {
  let t: TestApp;
  let me: TestStaff;
  let caseId: string;
  const call = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) =>
    t.app.inject({
      method,
      url: `/api/v1${url}`,
      headers: bearer(me),
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });
  beforeAll(async () => {
    t = await startTestApp(engine);
    me = await addStaff(t.vault, {
      email: 'races@example.test',
      name: 'Me (fictional)',
      roles: ['practitioner'],
    });
    const a = (await call('POST', '/clients', { identity: { name: 'Ash (fictional)' } })).json().id;
    caseId = (await call('POST', '/cases', { kind: 'individual', clientIds: [a] })).json().id;
    expect((await call('POST', `/cases/${caseId}/contracts`, { text: CONTRACT })).statusCode).toBe(201);
  });
  afterAll(async () => t.close());

  const draft = async () => {
    const s = await call('POST', `/cases/${caseId}/sessions`, {
      kind: 'assessment',
      format: 'in-person',
      startsAt: new Date(Date.now() - 3_600_000).toISOString(),
      minutes: 50,
      attendance: 'attended',
    });
    expect(s.statusCode).toBe(201);
    const n = await call('POST', `/cases/${caseId}/notes`, {
      sessionId: s.json().id,
      passages: [{ section: 'findings', html: '<p>What was signed (fictional).</p>', attribution: [] }],
    });
    expect(n.statusCode).toBe(201);
    return n.json().id as string;
  };
  /** A context whose first write transaction lets a sign request commit just before it. */
  const racing = (noteId: string) => {
    let fired = false;
    const db = new Proxy(t.vault.db, {
      get(target, prop, receiver) {
        if (prop === 'transaction' && !fired) {
          fired = true;
          return () => {
            const builder = target.transaction();
            return {
              execute: async (fn: never) => {
                const signed = await call('POST', `/notes/${noteId}/sign`, {});
                expect(signed.statusCode).toBe(200);
                return builder.execute(fn);
              },
            };
          };
        }
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    return new NotesContext(
      { db, keyring: t.vault.keyring },
      { userId: me.userId, practiceId: t.vault.practice.id, roles: ['practitioner'] },
    );
  };
  const signedText = async (_noteId: string) =>
    JSON.stringify((await call('GET', `/cases/${caseId}/notes`)).json()).includes('What was signed');
  const passages = async (noteId: string) =>
    (await t.vault.db.selectFrom('passage').select('id').where('entry_id', '=', noteId).execute()).length;

  clause(
    'GT-98',
    'an autosave in flight when the note is signed never rewrites the signed note',
    async () => {
      const noteId = await draft();
      const ctx = racing(noteId);
      const result = await ctx
        .saveDraft(noteId, [
          { section: 'findings', html: '<p>Rewritten after signing (fictional).</p>', attribution: [] },
        ])
        .then(
          () => 'saved',
          (e: unknown) => e,
        );
      const status = await t.vault.db
        .selectFrom('entry')
        .select('status')
        .where('id', '=', noteId)
        .executeTakeFirstOrThrow();
      expect(status.status).toBe('signed');
      expect(result).not.toBe('saved');
      expect(await signedText(noteId)).toBe(true);
    },
  );

  clause('GT-98', 'a delete in flight when the note is signed never empties the signed note', async () => {
    const noteId = await draft();
    const ctx = racing(noteId);
    const result = await ctx.delete(noteId).then(
      () => 'deleted',
      (e: unknown) => e,
    );
    const status = await t.vault.db
      .selectFrom('entry')
      .select('status')
      .where('id', '=', noteId)
      .executeTakeFirst();
    expect(status?.status).toBe('signed');
    expect(await passages(noteId)).toBe(1);
    expect(result).not.toBe('deleted');
  });
});
