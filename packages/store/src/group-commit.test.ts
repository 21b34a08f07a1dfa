import path from 'node:path';
import Sqlite from 'better-sqlite3';
import { type Kysely, sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { appendAuditEvent } from './audit.ts';
import { verifyAuditLog } from './audit-verify.ts';
import { SQLITE_FILE } from './config.ts';
import { StorageFailedError } from './group-commit.ts';
import type { Database } from './schema.ts';
import { testEngines } from './testing/engines.ts';
import { createTestVault, type TestVault } from './testing/vault.ts';

/**
 * Group commit (group-commit.ts): concurrent transactions share one commit, each stays
 * atomic on its own, the audit chain stays in order, nothing is acknowledged before it is
 * durable, and a batch that cannot commit fails every member (and on SQLite stops the store).
 */
describe.each(testEngines)('group commit on $name', (engine) => {
  let v: TestVault;

  afterEach(async () => {
    await v?.close();
  });

  async function fresh(): Promise<TestVault> {
    v = await createTestVault(engine);
    await sql`create table gc_note (id text primary key, body text not null)`.execute(v.db);
    return v;
  }

  /** One fictional note, written in the given transaction (or on its own). */
  const writeNote = (db: Kysely<Database>, id: string) =>
    sql`insert into gc_note (id, body) values (${id}, ${`Group commit note ${id} (fictional)`})`.execute(db);
  /** The notes' ids, in order. */
  const noteIds = async (): Promise<string[]> =>
    (await sql<{ id: string }>`select id from gc_note order by id`.execute(v.db)).rows.map((r) => r.id);

  it('commits concurrent transactions together, in fewer commits than transactions', async () => {
    await fresh();
    const before = v.store.committed();
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        v.db.transaction().execute(async (trx) => {
          await writeNote(trx, `n${i}`);
          await appendAuditEvent(trx, { action: 'gc.write', outcome: 'ok', recordId: `n${i}` });
        }),
      ),
    );
    const after = v.store.committed();
    expect(after.transactions - before.transactions).toBe(20);
    expect(after.batches - before.batches).toBeLessThan(20);
    const rows = await sql<{ n: number | string }>`select count(*) as n from gc_note`.execute(v.db);
    expect(Number(rows.rows[0]?.n)).toBe(20);
    // The audit chain was appended in one order, whatever the batching.
    const audit = await verifyAuditLog(v.db, v.keyring);
    expect(audit.problems).toEqual([]);
    expect(audit.events).toBeGreaterThanOrEqual(20);
  });

  it('rolls a failing transaction back alone: the others in its batch commit', async () => {
    await fresh();
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) =>
        v.db.transaction().execute(async (trx) => {
          await writeNote(trx, `m${i}`);
          await appendAuditEvent(trx, { action: 'gc.write', outcome: 'ok', recordId: `m${i}` });
          if (i % 2 === 1) throw new Error('this one changes its mind');
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'rejected',
      'fulfilled',
      'rejected',
      'fulfilled',
      'rejected',
    ]);
    const ids = await noteIds();
    expect(ids).toEqual(['m0', 'm2', 'm4']);
    const events = await v.db
      .selectFrom('audit_event')
      .select('record_id')
      .where('action', '=', 'gc.write')
      .execute();
    expect(events.map((e) => e.record_id).sort()).toEqual(['m0', 'm2', 'm4']);
    expect((await verifyAuditLog(v.db, v.keyring)).problems).toEqual([]);
  });

  it('rolls back a transaction whose statement fails, keeping the batch', async () => {
    await fresh();
    const results = await Promise.allSettled([
      v.db.transaction().execute((trx) => writeNote(trx, 'a')),
      v.db.transaction().execute(async (trx) => {
        await writeNote(trx, 'b');
        // The same key twice: the database refuses the statement.
        await writeNote(trx, 'b');
      }),
      v.db.transaction().execute((trx) => writeNote(trx, 'c')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const ids = await noteIds();
    expect(ids).toEqual(['a', 'c']);
  });

  it('runs a transaction with an isolation level on its own, beside batches', async () => {
    await fresh();
    const writes = Array.from({ length: 5 }, (_, i) =>
      v.db.transaction().execute((trx) => writeNote(trx, `s${i}`)),
    );
    const snapshot = v.db
      .transaction()
      .setIsolationLevel('repeatable read')
      .execute(async (trx) => {
        const first = await sql<{ n: number | string }>`select count(*) as n from gc_note`.execute(trx);
        const second = await sql<{ n: number | string }>`select count(*) as n from gc_note`.execute(trx);
        return [Number(first.rows[0]?.n), Number(second.rows[0]?.n)];
      });
    await Promise.all(writes);
    const [first, second] = await snapshot;
    // One snapshot: both counts agree, whichever writes it came after.
    expect(first).toBe(second);
    const total = await sql<{ n: number | string }>`select count(*) as n from gc_note`.execute(v.db);
    expect(Number(total.rows[0]?.n)).toBe(5);
  });

  it('fails every member of a batch that cannot commit, and acknowledges none of them', async () => {
    await fresh();
    // A deferred foreign key is checked only at COMMIT: the batch's commit fails.
    await sql`create table gc_parent (id integer primary key)`.execute(v.db);
    await sql`create table gc_child (id integer primary key, parent integer references gc_parent (id) deferrable initially deferred)`.execute(
      v.db,
    );
    const failures: unknown[] = [];
    v.store.onFailure((error) => failures.push(error));
    // Eight at once; the second cannot commit. Its batch holds others (on SQLite all of them,
    // on PostgreSQL those that share its lane).
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) =>
        v.db.transaction().execute(async (trx) => {
          if (i === 1) await sql`insert into gc_child (id, parent) values (1, 99)`.execute(trx);
          else await writeNote(trx, `f${i}`);
        }),
      ),
    );
    expect(results[1]?.status).toBe('rejected');
    const rejected = results.flatMap((r, i) => (r.status === 'rejected' ? [i] : []));
    expect(rejected.length).toBeGreaterThan(1);
    for (const r of results) {
      if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(StorageFailedError);
    }
    if (engine.name === 'sqlite') {
      expect(rejected).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      // What was read from the failed batch can no longer be trusted: the store has stopped.
      expect(failures).toHaveLength(1);
      await expect(v.store.settled()).rejects.toBeInstanceOf(StorageFailedError);
      await expect(sql`select 1`.execute(v.db)).rejects.toBeInstanceOf(StorageFailedError);
      const direct = new Sqlite(path.join(dataDirOf(v), SQLITE_FILE), { readonly: true });
      try {
        expect(direct.prepare('select count(*) as n from gc_note').get()).toEqual({ n: 0 });
      } finally {
        direct.close();
      }
    } else {
      // PostgreSQL's readers never saw the batch: the store goes on, with a new connection
      // for the failed lane. Every acknowledged transaction is there, and no other.
      expect(failures).toHaveLength(0);
      const ids = await noteIds();
      expect(ids).toEqual(results.flatMap((r, i) => (r.status === 'fulfilled' ? [`f${i}`] : [])));
      await v.db.transaction().execute((trx) => writeNote(trx, 'z'));
      expect(
        (await sql<{ id: string }>`select id from gc_note where id = 'z'`.execute(v.db)).rows,
      ).toHaveLength(1);
    }
  });

  it.runIf(engine.name === 'sqlite')(
    'acknowledges a transaction only once another connection can read it from disk',
    async () => {
      await fresh();
      const direct = new Sqlite(path.join(dataDirOf(v), SQLITE_FILE), { readonly: true });
      try {
        const seen: number[] = [];
        await Promise.all(
          Array.from({ length: 8 }, (_, i) =>
            v.db
              .transaction()
              .execute((trx) => writeNote(trx, `d${i}`))
              .then(() => {
                const row = direct.prepare('select count(*) as n from gc_note where id = ?').get(`d${i}`) as {
                  n: number;
                };
                seen.push(row.n);
              }),
          ),
        );
        expect(seen).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
      } finally {
        direct.close();
      }
    },
  );

  it.runIf(engine.name === 'sqlite')(
    'holds what a plain read saw of an open batch until that batch is durable',
    async () => {
      await fresh();
      let readInside: number | undefined;
      let settledAfterCommit = false;
      const write = v.db.transaction().execute(async (trx) => {
        await writeNote(trx, 'r');
      });
      // Queued behind the member on the one connection: it runs before the batch commits.
      const read = sql<{ n: number | string }>`select count(*) as n from gc_note`
        .execute(v.db)
        .then(async (r) => {
          readInside = Number(r.rows[0]?.n);
          await v.store.settled();
          settledAfterCommit = v.store.committed().transactions > 0;
        });
      await Promise.all([write, read]);
      expect(readInside).toBe(1);
      expect(settledAfterCommit).toBe(true);
    },
  );
});

function dataDirOf(v: TestVault): string {
  const config = v.database.config;
  if (config.engine !== 'sqlite') throw new Error('SQLite only');
  return config.dataDir;
}
