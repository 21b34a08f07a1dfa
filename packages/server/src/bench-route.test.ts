import { testEngines } from '@alcove/store/testing';
import { type Kysely, sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { startTestApp } from './testing/app.ts';

const rowsOf = async (db: Kysely<unknown>) =>
  Number(
    ((await sql<{ n: number }>`select count(*) as n from bench_insert`.execute(db)).rows[0] as { n: number })
      .n,
  );

describe.each(testEngines)('the benchmarks’ durable-insert route on $name', (engine) => {
  it('is not there unless asked for, nor are the other benchmark routes', async () => {
    const t = await startTestApp(engine);
    try {
      const r = await t.app.inject({
        method: 'POST',
        url: '/api/v1/bench/durable-insert',
        payload: { body: 'x' },
      });
      expect(r.statusCode).toBe(404);
      expect(r.headers['content-type']).toContain('application/problem+json');
      // They take no sign-in and touch no record: they must not exist on a real server.
      for (const url of ['/api/v1/bench/bytes/100', '/api/v1/bench/commits']) {
        const other = await t.app.inject({ method: 'GET', url });
        expect(other.statusCode).toBe(404);
        expect(other.headers['content-type']).toContain('application/problem+json');
      }
    } finally {
      await t.close();
    }
  });

  it('refuses a bad body with a problem document and writes nothing, and makes one durable insert', async () => {
    const t = await startTestApp(engine, { benchRoutes: true });
    try {
      const db = t.vault.db as unknown as Kysely<unknown>;
      for (const payload of [{}, { body: 1 }, { body: 'x', extra: true }]) {
        const r = await t.app.inject({ method: 'POST', url: '/api/v1/bench/durable-insert', payload });
        expect(r.statusCode).toBe(400);
        expect(r.headers['content-type']).toContain('application/problem+json');
      }
      expect(await rowsOf(db)).toBe(0);
      const r = await t.app.inject({
        method: 'POST',
        url: '/api/v1/bench/durable-insert',
        payload: { body: 'y'.repeat(2000) },
      });
      expect(r.statusCode).toBe(201);
      expect(await rowsOf(db)).toBe(1);
    } finally {
      await t.close();
    }
  });

  it('answers the transfer ceiling with the size asked for, and refuses any other', async () => {
    const t = await startTestApp(engine, { benchRoutes: true });
    try {
      for (const size of ['x', '-1', '12345678']) {
        const r = await t.app.inject({ method: 'GET', url: `/api/v1/bench/bytes/${size}` });
        expect(r.statusCode).toBe(400);
        expect(r.headers['content-type']).toContain('application/problem+json');
      }
      const r = await t.app.inject({ method: 'GET', url: '/api/v1/bench/bytes/240000' });
      expect(r.statusCode).toBe(200);
      expect(r.body.length).toBe(240_000);
    } finally {
      await t.close();
    }
  });

  it('counts the transactions group commit has put in each batch', async () => {
    const t = await startTestApp(engine, { benchRoutes: true });
    try {
      const before = (await t.app.inject({ method: 'GET', url: '/api/v1/bench/commits' })).json();
      await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          t.vault.db
            .transaction()
            .execute((trx) =>
              sql`insert into bench_insert (id, body, at) values (${`c${i}`}, 'x', 'now')`.execute(trx),
            ),
        ),
      );
      const after = (await t.app.inject({ method: 'GET', url: '/api/v1/bench/commits' })).json();
      expect(after.transactions - before.transactions).toBe(10);
      expect(after.batches - before.batches).toBeGreaterThanOrEqual(1);
      expect(after.batches - before.batches).toBeLessThan(10);
    } finally {
      await t.close();
    }
  });
});
