import { problemDocumentSchema } from '@alcove/core';
import { testEngines } from '@alcove/store/testing';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './testing/app.ts';

/**
 * No answer leaves before what it was read from is durable (store/group-commit.ts). Here a
 * batch of transactions cannot commit (a deferred foreign key fails at COMMIT) while a
 * request reads what the batch wrote: on SQLite the read shares the writer's connection and
 * sees it, so its answer must not go out; on PostgreSQL the read never sees it.
 */
describe.each(testEngines)('answers and durability on $name', (engine) => {
  let t: TestApp;

  afterEach(async () => {
    await t?.close();
  });

  it('never sends what was read from a batch that failed to commit', async () => {
    let handlerStarted: () => void = () => undefined;
    const started = new Promise<void>((resolve) => {
      handlerStarted = resolve;
    });
    t = await startTestApp(engine, {
      extend: (app, vault) => {
        app.get('/api/v1/test/durability', { config: { access: 'public' } }, async () => {
          handlerStarted();
          const rows = await sql<{ body: string }>`select body from gc_note`.execute(vault.db);
          return { bodies: rows.rows.map((r) => r.body) };
        });
      },
    });
    const { db } = t.vault;
    await sql`create table gc_note (id text primary key, body text not null)`.execute(db);
    await sql`create table gc_parent (id integer primary key)`.execute(db);
    await sql`create table gc_child (id integer primary key, parent integer references gc_parent (id) deferrable initially deferred)`.execute(
      db,
    );

    const answer = t.app.inject({ method: 'GET', url: '/api/v1/test/durability' });
    const doomed = db
      .transaction()
      .execute(async (trx) => {
        await started;
        await sql`insert into gc_note (id, body) values ('n1', 'Doomed marker (fictional)')`.execute(trx);
        // Checked only at COMMIT: the whole batch fails there.
        await sql`insert into gc_child (id, parent) values (1, 99)`.execute(trx);
      })
      .then(
        () => 'committed',
        (error: unknown) => (error instanceof Error ? error.name : 'failed'),
      );
    const [response, outcome] = await Promise.all([answer, doomed]);
    expect(outcome).toBe('StorageFailedError');
    expect(response.body).not.toContain('Doomed marker');
    if (engine.name === 'sqlite') {
      expect(response.statusCode).toBe(503);
      const problem = problemDocumentSchema.parse(response.json());
      expect(problem.code).toBe('storage-failed');
      expect(response.headers['content-type']).toContain('application/problem+json');
    } else {
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ bodies: [] });
    }
  });
});
