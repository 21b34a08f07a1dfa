import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { SQLITE_FILE } from './config.ts';
import { currentMigration, LATEST_MIGRATION, migrateToLatest } from './migrate.ts';
import { migrations } from './migrations/index.ts';
import { createPractice, findPractice, listPractices } from './practices.ts';
import { openStore, type Store } from './store.ts';
import { type TestDatabase, testEngines } from './testing/engines.ts';

// The same suite on every engine: SQLite always, PostgreSQL when ALCOVE_TEST_DATABASE_URL is set.
describe.each(testEngines)('storage on $name', (engine) => {
  let database: TestDatabase;
  let store: Store;

  async function fresh(): Promise<Store> {
    database = await engine.create();
    store = await openStore(database.config);
    return store;
  }

  afterEach(async () => {
    await store?.close();
    await database?.dispose();
  });

  it('opens on the engine asked for', async () => {
    await fresh();
    expect(store.engine).toBe(engine.name);
  });

  it('applies every migration once, and reports nothing to do the second time', async () => {
    await fresh();
    expect(await currentMigration(store.db)).toBeUndefined();
    const first = await migrateToLatest(store.db);
    expect(first.applied).toEqual(Object.keys(migrations));
    expect(first.current).toBe(LATEST_MIGRATION);
    const second = await migrateToLatest(store.db);
    expect(second.applied).toEqual([]);
    expect(second.current).toBe(LATEST_MIGRATION);
  });

  it('creates, lists and finds practices, in creation order', async () => {
    await fresh();
    await migrateToLatest(store.db);
    const first = await createPractice(store.db, {
      name: 'Practice One (fictional)',
      now: new Date('2026-11-01T10:00:00.000Z'),
    });
    const second = await createPractice(store.db, {
      name: 'Practice Two (fictional)',
      demo: true,
      now: new Date('2026-11-02T10:00:00.000Z'),
    });
    expect(await listPractices(store.db)).toEqual([first, second]);
    expect(await findPractice(store.db, second.id)).toEqual({
      id: second.id,
      name: 'Practice Two (fictional)',
      createdAt: '2026-11-02T10:00:00.000Z',
      demo: true,
    });
    expect(await findPractice(store.db, 'no-such-id')).toBeUndefined();
  });

  it('writes all of a transaction or none of it', async () => {
    await fresh();
    await migrateToLatest(store.db);
    const failing = store.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('practice')
        .values({ id: 'p1', name: 'Half-written (fictional)', created_at: '2026-11-22T00:00:00.000Z' })
        .execute();
      // The same primary key again: the second insert fails, and the first must go with it.
      await trx
        .insertInto('practice')
        .values({ id: 'p1', name: 'Duplicate (fictional)', created_at: '2026-11-22T00:00:00.000Z' })
        .execute();
    });
    await expect(failing).rejects.toThrow();
    expect(await listPractices(store.db)).toEqual([]);
  });

  it('keeps what was committed across a close and a reopen', async () => {
    await fresh();
    await migrateToLatest(store.db);
    const practice = await createPractice(store.db, { name: 'Kept (fictional)' });
    await store.close();
    store = await openStore(database.config);
    expect(await listPractices(store.db)).toEqual([practice]);
  });
});

describe('SQLite settings', () => {
  const engine = testEngines[0];
  let database: TestDatabase | undefined;
  let store: Store | undefined;
  afterEach(async () => {
    await store?.close();
    await database?.dispose();
    store = undefined;
    database = undefined;
  });

  it('runs in WAL mode with synchronous=FULL and foreign keys on', async () => {
    if (engine === undefined) throw new Error('no SQLite engine');
    database = await engine.create();
    store = await openStore(database.config);
    const { db } = store;
    const pragma = async (name: string) =>
      (await sql<Record<string, unknown>>`${sql.raw(`pragma ${name}`)}`.execute(db)).rows[0];
    expect(await pragma('journal_mode')).toEqual({ journal_mode: 'wal' });
    expect(await pragma('synchronous')).toEqual({ synchronous: 2 }); // 2 = FULL
    expect(await pragma('foreign_keys')).toEqual({ foreign_keys: 1 });
    expect(await pragma('temp_store')).toEqual({ temp_store: 2 }); // 2 = MEMORY
  });

  it('keeps the data folder and the database readable by their owner only', async () => {
    if (engine === undefined) throw new Error('no SQLite engine');
    database = await engine.create();
    if (database.config.engine !== 'sqlite') throw new Error('expected SQLite');
    const dataDir = path.join(database.config.dataDir, 'nested', 'data');
    store = await openStore({ engine: 'sqlite', dataDir });
    expect(fs.statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.join(dataDir, SQLITE_FILE)).mode & 0o777).toBe(0o600);
  });
});
