import { afterEach, describe, expect, it } from 'vitest';
import { migrateTo, migrateToLatest } from './migrate.ts';
import { openStore, type Store } from './store.ts';
import { type TestDatabase, testEngines } from './testing/engines.ts';

/**
 * Migration 0018 (issue 16, finding 2): a token made before it lasts 90 days from when it was
 * made, and keeps reading and writing; sessions start with no re-authentication.
 */
describe.each(testEngines)('migration 0018 on $name', (engine) => {
  let database: TestDatabase | undefined;
  let store: Store | undefined;
  afterEach(async () => {
    await store?.close();
    await database?.dispose();
  });

  it('gives every existing token an expiry 90 days after it was made, and read-write scope', async () => {
    database = await engine.create();
    store = await openStore(database.config, { lock: false });
    await migrateTo(store.db, '0017-auth-failures');
    const db = store.db;
    await db
      .insertInto('practice')
      .values({ id: 'p1', name: 'Practice (fictional)', created_at: '2026-01-01T00:00:00.000Z' } as never)
      .execute();
    await db
      .insertInto('app_user')
      .values({
        id: 'u1',
        email_index: 'i1',
        email_sealed: 's',
        name_sealed: 's',
        password_hash: 'h',
        created_at: '2026-01-01T00:00:00.000Z',
      } as never)
      .execute();
    for (const [id, createdAt] of [
      ['t1', '2026-09-01T12:30:00.000Z'],
      ['t2', '2026-03-01T08:00:00.000Z'],
    ] as const) {
      await db
        .insertInto('api_token')
        .values({
          id,
          user_id: 'u1',
          practice_id: 'p1',
          name: 'old script',
          token_hash: `hash-${id}`,
          created_at: createdAt,
        } as never)
        .execute();
    }
    await migrateToLatest(db);
    const rows = await db
      .selectFrom('api_token')
      .select(['id', 'scope', 'expires_at'])
      .orderBy('id')
      .execute();
    expect(rows).toEqual([
      { id: 't1', scope: 'read-write', expires_at: '2026-11-30T12:30:00.000Z' },
      // Older than 90 days already: it has ended.
      { id: 't2', scope: 'read-write', expires_at: '2026-05-30T08:00:00.000Z' },
    ]);
  });
});
