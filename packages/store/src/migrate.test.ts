import { type Kysely, sql } from 'kysely';
import type { Migration } from 'kysely/migration';
import { afterEach, describe, expect, it } from 'vitest';
import { MigrationError, MigrationsStoppedError } from './errors.ts';
import { currentMigration, LATEST_MIGRATION, migrateTo, migrateToLatest } from './migrate.ts';
import { migrations } from './migrations/index.ts';
import { openStore, type Store } from './store.ts';
import { type TestDatabase, testEngines } from './testing/engines.ts';

/** A test-only migration set: the second creates two tables, then fails before its third. */
function failingSet(fail: boolean): Record<string, Migration> {
  return {
    '0001-first': {
      up: async (db: Kysely<unknown>) => {
        await db.schema
          .createTable('mt_first')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .execute();
      },
    },
    '0002-halfway': {
      up: async (db: Kysely<unknown>) => {
        await db.schema
          .createTable('mt_second')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .execute();
        await db.schema
          .createTable('mt_third')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .execute();
        if (fail) throw new Error('made to fail halfway (test)');
        await db.schema
          .createTable('mt_fourth')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .execute();
      },
    },
  };
}

// Issue 15: every migration and its record commit together, on both engines.
describe.each(testEngines)('migrations on $name', (engine) => {
  let database: TestDatabase;
  const stores: Store[] = [];
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    await database?.dispose();
  });
  async function fresh(): Promise<Store> {
    database = await engine.create();
    return open();
  }
  async function open(): Promise<Store> {
    const store = await openStore(database.config, { lock: false });
    stores.push(store);
    return store;
  }
  async function tables(store: Store): Promise<string[]> {
    const query =
      engine.name === 'sqlite'
        ? sql<{ name: string }>`select name from sqlite_master where type = 'table'`
        : sql<{
            name: string;
          }>`select table_name as name from information_schema.tables where table_schema = current_schema()`;
    return (await query.execute(store.db)).rows.map((r) => r.name);
  }
  async function indexes(store: Store): Promise<string[]> {
    const query =
      engine.name === 'sqlite'
        ? sql<{ name: string }>`select name from sqlite_master where type = 'index'`
        : sql<{ name: string }>`select indexname as name from pg_indexes where schemaname = current_schema()`;
    return (await query.execute(store.db)).rows.map((r) => r.name);
  }

  it('a real migration that fails halfway leaves nothing of itself behind, and the next run applies it whole', async () => {
    const store = await fresh();
    await migrateTo(store.db, '0012-releases');
    // The fourth of the six indexes 0013 makes is there already: 0013 fails after three.
    await store.db.schema.createIndex('client_created_by').on('client').column('created_by').execute();
    const failed = migrateToLatest(store.db);
    await expect(failed).rejects.toThrow(MigrationError);
    await expect(failed).rejects.toThrow(/0013-indexes-at-scale/);
    expect(await currentMigration(store.db)).toBe('0012-releases');
    // Its first three indexes went with it (before issue 15, on SQLite, they stayed, and
    // the next run failed: "index participant_client already exists").
    expect(await indexes(store)).not.toContain('participant_client');
    expect(await indexes(store)).not.toContain('therapy_session_case');

    await store.db.schema.dropIndex('client_created_by').execute();
    const report = await migrateToLatest(store.db);
    expect(report.applied[0]).toBe('0013-indexes-at-scale');
    expect(report.current).toBe(LATEST_MIGRATION);
    expect(await indexes(store)).toContain('participant_client');
  });

  it('a migration made to throw halfway leaves no table behind; the run stops there, and the next applies it cleanly', async () => {
    const store = await fresh();
    const failed = migrateToLatest(store.db, { migrations: failingSet(true) });
    await expect(failed).rejects.toThrow(/Migration 0002-halfway failed/);
    const after = await tables(store);
    expect(after).toContain('mt_first');
    expect(after).not.toContain('mt_second');
    expect(after).not.toContain('mt_third');
    expect(await currentMigration(store.db)).toBe('0001-first');

    const report = await migrateToLatest(store.db, { migrations: failingSet(false) });
    expect(report.applied).toEqual(['0002-halfway']);
    expect(report.current).toBe('0002-halfway');
    expect(await tables(store)).toEqual(expect.arrayContaining(['mt_second', 'mt_third', 'mt_fourth']));
  });

  it('runs each migration in a transaction of its own, and counts its statements', async () => {
    const store = await fresh();
    const statements = new Map<string, number>();
    const report = await migrateToLatest(store.db, {
      onStatement: (name) => statements.set(name, (statements.get(name) ?? 0) + 1),
    });
    expect(report.applied).toEqual(Object.keys(migrations).sort());
    expect([...statements.keys()]).toEqual(report.applied);
    expect(Math.min(...statements.values())).toBeGreaterThan(0);
  });

  it('asked to stop during a migration, finishes it (committed, whole), stops before the next, and carries on next time', async () => {
    const store = await fresh();
    const names = Object.keys(migrations).sort();
    let stop = false;
    let seen = 0;
    const stopped = migrateToLatest(store.db, {
      // Ctrl+C arrives after the second statement of the second migration.
      onStatement: (name) => {
        if (name === names[1] && ++seen === 2) stop = true;
      },
      stopRequested: () => stop,
    });
    const error = (await stopped.catch((e: unknown) => e)) as MigrationsStoppedError;
    expect(error).toBeInstanceOf(MigrationsStoppedError);
    expect(error.current).toBe(names[1]);
    expect(error.remaining).toEqual(names.slice(2));
    expect(seen).toBeGreaterThan(2);
    expect(await currentMigration(store.db)).toBe(names[1]);
    const report = await migrateToLatest(store.db);
    expect(report.applied).toEqual(names.slice(2));
  });

  it('goes down to the migration before the newest and up again (the crash harness upgrades from there)', async () => {
    const store = await fresh();
    await migrateToLatest(store.db);
    const names = Object.keys(migrations).sort();
    const previous = names.at(-2) ?? '';
    const down = await migrateTo(store.db, previous);
    expect(down.undone).toEqual([LATEST_MIGRATION]);
    expect(await currentMigration(store.db)).toBe(previous);
    const up = await migrateToLatest(store.db);
    expect(up.applied).toEqual([LATEST_MIGRATION]);
  });

  it('refuses a database a newer Alcove migrated, and changes nothing', async () => {
    const store = await fresh();
    await migrateToLatest(store.db, { migrations: failingSet(false) });
    const refused = migrateToLatest(store.db, {
      migrations: { '0001-first': failingSet(false)['0001-first'] as Migration },
    });
    await expect(refused).rejects.toThrow(/upgraded by a newer Alcove/);
    expect(await currentMigration(store.db)).toBe('0002-halfway');
  });

  it.runIf(engine.name === 'postgres')(
    'several servers starting at once on one database: one migrates while the others wait (the advisory lock)',
    async () => {
      await fresh();
      const servers = [await open(), await open(), await open()];
      const reports = await Promise.all(servers.map((s) => migrateToLatest(s.db)));
      const applied = reports.flatMap((r) => r.applied).sort();
      expect(applied).toEqual(Object.keys(migrations).sort());
      for (const report of reports) expect(report.current).toBe(LATEST_MIGRATION);
    },
  );
});
