import type Sqlite from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type QueryCompiler,
  type QueryResult,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type TransactionSettings,
} from 'kysely';
import type pg from 'pg';
import type { StampedAuditEvent } from './audit.ts';
import { crashPoint } from './crash-points.ts';

/**
 * Group commit: many requests' transactions made durable by one commit.
 *
 * Every write transaction (`db.transaction().execute(fn)`) runs as a savepoint inside a
 * batch: one real transaction on a writer connection (a lane). Members of a lane run one at
 * a time, in the order they asked; a member that fails is rolled back to its savepoint and
 * nothing else is touched. When no member is waiting (or the batch is full), the batch
 * commits with one fsync, and only then does any member's `execute` resolve: no write is
 * acknowledged before it is durable, and a crash before the commit loses only writes nobody
 * was told about. SQLite has one lane (its one connection); PostgreSQL several, each with a
 * connection of its own, so members' statements on different lanes run at once.
 *
 * The audit chain: a member's audit events (audit.ts `appendAuditEvents`) are kept with the
 * member and, if it is released, with its batch; the batch appends them to the chain just
 * before it commits, in the order its members were released, taking the chain's head once.
 * So the events commit with the acts they record, and the chain is in the order batches
 * committed. Checkpoints are solo transactions (below).
 *
 * What readers see:
 * - PostgreSQL: plain queries run on the pool and see committed data only.
 * - SQLite: there is one connection, so a plain query sees what the open batch has written
 *   (complete members only: a member holds the connection from its savepoint to its
 *   release). Nothing read may be shown to anyone until that batch is durable:
 *   `settled()` waits for it, and the server awaits it before it sends any answer (and the
 *   mailer before it sends a message). Should a SQLite commit ever fail (a full or failing
 *   disk), what was read from the batch can no longer be trusted: the store stops, every
 *   query and every `settled()` after that fails, and `alcove serve` exits, as PostgreSQL
 *   itself stops when an fsync fails.
 *
 * Transactions that ask for an isolation level or access mode (the online backup's
 * snapshot, audit checkpoints) are solo: real transactions of their own, on a pooled
 * connection (PostgreSQL) or with the SQLite connection to themselves once the open batch
 * has committed.
 */

/** The store can no longer commit; nothing it reads may be trusted until it is restarted. */
export class StorageFailedError extends Error {
  constructor(cause?: unknown) {
    super('The database could not commit (the disk may be full or failing).', { cause });
    this.name = 'StorageFailedError';
  }
}

/** How many transactions one commit may hold at most. */
export const MAX_BATCH = 64;

// ---------------------------------------------------------------- a FIFO lock

class Lock {
  #held = false;
  readonly #waiters: (() => void)[] = [];

  acquire(): Promise<void> {
    if (!this.#held) {
      this.#held = true;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  release(): void {
    const next = this.#waiters.shift();
    if (next === undefined) this.#held = false;
    else next();
  }

  get waiting(): number {
    return this.#waiters.length;
  }

  get held(): boolean {
    return this.#held;
  }
}

// ---------------------------------------------------------------- connections to the engines

interface Borrowed {
  readonly connection: DatabaseConnection;
  release(discard: boolean): void;
}

export interface Backend {
  readonly engine: 'sqlite' | 'postgres';
  /** How many writer connections (lanes) write transactions run on. */
  readonly lanes: number;
  /** The connection a lane's write transactions run on. */
  writer(lane: number): Promise<DatabaseConnection>;
  /** Drops a lane's writer after an error that may have broken it (PostgreSQL). */
  discardWriter(lane: number): void;
  /** A pooled connection for plain queries and solo transactions; undefined on SQLite. */
  borrow(): Promise<Borrowed> | undefined;
  /** Whether the writer is inside a transaction (SQLite knows; PostgreSQL: assumed). */
  inTransaction(): boolean;
  /** Whether the writer's last statement could change anything (SQLite). */
  lastWrote(): boolean;
  destroy(): Promise<void>;
}

class SqliteConnection implements DatabaseConnection {
  readonly #db: Sqlite.Database;
  readonly #kept = new Map<string, Sqlite.Statement>();
  /** Whether the last statement run could change anything (an insert … returning included). */
  lastWrote = false;

  constructor(db: Sqlite.Database) {
    this.#db = db;
  }

  /**
   * Kysely prepares every query afresh; a request runs the same dozen statements each time,
   * so prepared statements are kept and reused (bounded, least recently used out first). A
   * statement still being iterated is never handed out twice: a new one is prepared instead.
   */
  #prepare(text: string): Sqlite.Statement {
    const statement = this.#kept.get(text);
    if (statement !== undefined && !statement.busy) {
      this.#kept.delete(text);
      this.#kept.set(text, statement);
      return statement;
    }
    const fresh = this.#db.prepare(text);
    if (this.#kept.size >= 500) {
      const oldest = this.#kept.keys().next().value;
      if (oldest !== undefined) this.#kept.delete(oldest);
    }
    this.#kept.set(text, fresh);
    return fresh;
  }

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const statement = this.#prepare(query.sql);
    this.lastWrote = !statement.readonly;
    if (statement.reader) return { rows: statement.all(query.parameters) as R[] };
    const { changes, lastInsertRowid } = statement.run(query.parameters);
    return {
      insertId: BigInt(lastInsertRowid),
      numAffectedRows: BigInt(changes),
      rows: [],
    };
  }

  async *streamQuery<R>(query: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    const statement = this.#prepare(query.sql);
    for (const row of statement.iterate(query.parameters)) yield { rows: [row as R] };
  }
}

class PgConnection implements DatabaseConnection {
  readonly #client: pg.PoolClient;

  constructor(client: pg.PoolClient) {
    this.#client = client;
  }

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const result = await this.#client.query(query.sql, [...query.parameters]);
    const { command, rowCount, rows } = result;
    // COMMIT answers ROLLBACK when the transaction had failed: say which it was.
    if (command === 'COMMIT' || command === 'ROLLBACK') return { rows: [{ command } as R] };
    const changed =
      command === 'INSERT' || command === 'UPDATE' || command === 'DELETE' || command === 'MERGE';
    return changed
      ? { numAffectedRows: BigInt(rowCount ?? 0), rows: (rows ?? []) as R[] }
      : { rows: (rows ?? []) as R[] };
  }

  // biome-ignore lint/correctness/useYield: Alcove never streams from PostgreSQL
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('Streaming is not used on PostgreSQL');
  }
}

export function sqliteBackend(db: Sqlite.Database): Backend {
  const connection = new SqliteConnection(db);
  return {
    engine: 'sqlite',
    lanes: 1,
    writer: async () => connection,
    discardWriter: () => undefined,
    borrow: () => undefined,
    inTransaction: () => db.inTransaction,
    lastWrote: () => connection.lastWrote,
    destroy: async () => {
      db.close();
    },
  };
}

/** Writer connections per PostgreSQL server process (they come from the pool). */
export const POSTGRES_LANES = 4;

export function postgresBackend(pool: pg.Pool, lanes = POSTGRES_LANES): Backend {
  const writers: ({ client: pg.PoolClient; connection: PgConnection } | undefined)[] = [];
  const connecting: (Promise<PgConnection> | undefined)[] = [];
  return {
    engine: 'postgres',
    lanes,
    writer(lane) {
      const writer = writers[lane];
      if (writer !== undefined) return Promise.resolve(writer.connection);
      const pending =
        connecting[lane] ??
        pool.connect().then(
          (client) => {
            // An idle writer whose server went away: dropped, and another taken next time.
            client.on('error', () => {
              if (writers[lane]?.client === client) writers[lane] = undefined;
            });
            const connection = new PgConnection(client);
            writers[lane] = { client, connection };
            connecting[lane] = undefined;
            return connection;
          },
          (error: unknown) => {
            connecting[lane] = undefined;
            throw error;
          },
        );
      connecting[lane] = pending;
      return pending;
    },
    discardWriter(lane) {
      const dropped = writers[lane];
      writers[lane] = undefined;
      dropped?.client.release(true);
    },
    async borrow() {
      const client = await pool.connect();
      return {
        connection: new PgConnection(client),
        release: (discard: boolean) => client.release(discard),
      };
    },
    inTransaction: () => true,
    lastWrote: () => false,
    async destroy() {
      for (const [lane, writer] of writers.entries()) {
        writer?.client.release();
        writers[lane] = undefined;
      }
      await pool.end();
    },
  };
}

// ---------------------------------------------------------------- batches

class Batch {
  /** Members that joined and have not rolled back. */
  members = 0;
  /** Audit events of the members released so far, in the order they were released. */
  readonly audit: StampedAuditEvent[] = [];
  readonly done: Promise<void>;
  resolve!: () => void;
  reject!: (error: unknown) => void;

  constructor() {
    this.done = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // Members and readers await it; a failure nobody waits for must not crash the process.
    this.done.catch(() => undefined);
  }
}

/** A writer connection, its lock (members one at a time), and its open batch. */
class Lane {
  readonly index: number;
  readonly lock = new Lock();
  batch: Batch | undefined;
  /** The batch whose commit is under way (its members can no longer join it). */
  committing: Batch | undefined;
  flushScheduled = false;

  constructor(index: number) {
    this.index = index;
  }
}

interface Member {
  readonly kind: 'member';
  readonly lane: Lane;
  readonly batch: Batch;
  /** The savepoint is taken before the member's first statement: one that runs none has none. */
  savepoint: boolean;
  readonly audit: StampedAuditEvent[];
}

type HandleTransaction =
  | Member
  | { readonly kind: 'solo'; readonly on: DatabaseConnection; readonly lane: Lane | undefined };

/** What Kysely holds as "a connection": one query, one `connection()` scope or one transaction. */
class Handle implements DatabaseConnection {
  readonly #driver: GroupCommitDriver;
  /** PostgreSQL: the pooled connection this handle's plain queries (and solo transaction) use. */
  borrowed: Promise<Borrowed> | undefined;
  transaction: HandleTransaction | undefined;

  constructor(driver: GroupCommitDriver) {
    this.#driver = driver;
  }

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return this.#driver.execute<R>(this, query);
  }

  streamQuery<R>(query: CompiledQuery, chunkSize = 100): AsyncIterableIterator<QueryResult<R>> {
    return this.#driver.stream<R>(this, query, chunkSize);
  }
}

/**
 * Keeps audit events with the member transaction `connection` belongs to, to be appended
 * when its batch commits; false when it is not a member (the caller appends them itself).
 */
export function deferAuditEvents(
  connection: DatabaseConnection,
  events: readonly StampedAuditEvent[],
): boolean {
  if (!(connection instanceof Handle)) return false;
  const txn = connection.transaction;
  if (txn?.kind !== 'member') return false;
  txn.audit.push(...events);
  return true;
}

/** Appends a batch's audit events on its writer, just before the batch commits. */
export type AuditWriter = (
  run: (query: CompiledQuery) => Promise<QueryResult<unknown>>,
  events: readonly StampedAuditEvent[],
) => Promise<void>;

const raw = (text: string) => CompiledQuery.raw(text);
const SAVEPOINT = 'alcove_member';

export class GroupCommitDriver implements Driver {
  readonly #backend: Backend;
  readonly #lanes: readonly Lane[];
  #broken: StorageFailedError | undefined;
  readonly #committed = { batches: 0, transactions: 0 };
  readonly #onFailure: ((error: StorageFailedError) => void)[] = [];
  #auditWriter: AuditWriter | undefined;

  constructor(backend: Backend) {
    this.#backend = backend;
    this.#lanes = Array.from({ length: backend.lanes }, (_, i) => new Lane(i));
  }

  /** How a batch appends its members' audit events (store.ts sets it; audit.ts writes them). */
  setAuditWriter(writer: AuditWriter): void {
    this.#auditWriter = writer;
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return new Handle(this);
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    const handle = connection as Handle;
    const borrowed = handle.borrowed;
    handle.borrowed = undefined;
    // A connection the pool never gave has nothing to give back (its error went to the query).
    if (borrowed !== undefined) (await borrowed.catch(() => undefined))?.release(false);
  }

  /** SQLite's one lane, which plain queries share with write transactions. */
  get #shared(): Lane {
    const lane = this.#lanes[0];
    if (lane === undefined) throw new Error('No lanes');
    return lane;
  }

  // ------------------------------------------------------------ queries

  async execute<R>(handle: Handle, query: CompiledQuery): Promise<QueryResult<R>> {
    this.#refuseIfBroken();
    const txn = handle.transaction;
    if (txn?.kind === 'member') {
      const writer = await this.#backend.writer(txn.lane.index);
      if (!txn.savepoint) {
        try {
          await writer.executeQuery(raw(`savepoint ${SAVEPOINT}`));
        } catch (error) {
          this.#fail(txn.lane, txn.batch, error);
          throw error;
        }
        txn.savepoint = true;
      }
      return writer.executeQuery<R>(query);
    }
    if (txn?.kind === 'solo') return txn.on.executeQuery<R>(query);
    const borrowed = this.#borrow(handle);
    if (borrowed !== undefined) return (await borrowed).connection.executeQuery<R>(query);
    // SQLite: the one connection, between members (never inside one's savepoint).
    const lane = this.#shared;
    await lane.lock.acquire();
    let joined: Batch | undefined;
    try {
      this.#refuseIfBroken();
      const result = await (await this.#backend.writer(0)).executeQuery<R>(query);
      // A write outside a transaction while a batch is open becomes part of that batch:
      // like a member, it is answered once the batch is durable.
      if (this.#backend.lastWrote() && lane.batch !== undefined) {
        joined = lane.batch;
        this.#scheduleFlush(lane);
      }
      return result;
    } finally {
      lane.lock.release();
      if (joined !== undefined) await joined.done;
    }
  }

  async *stream<R>(
    handle: Handle,
    query: CompiledQuery,
    chunkSize: number,
  ): AsyncIterableIterator<QueryResult<R>> {
    this.#refuseIfBroken();
    const txn = handle.transaction;
    if (txn?.kind === 'solo') {
      yield* txn.on.streamQuery<R>(query, chunkSize);
      return;
    }
    if (txn?.kind === 'member') throw new Error('Streaming inside a write transaction is not supported');
    const borrowed = this.#borrow(handle);
    if (borrowed !== undefined) {
      yield* (await borrowed).connection.streamQuery<R>(query, chunkSize);
      return;
    }
    const lane = this.#shared;
    await lane.lock.acquire();
    try {
      yield* (await this.#backend.writer(0)).streamQuery<R>(query, chunkSize);
    } finally {
      lane.lock.release();
    }
  }

  #borrow(handle: Handle): Promise<Borrowed> | undefined {
    if (handle.borrowed !== undefined) return handle.borrowed;
    const borrowed = this.#backend.borrow();
    handle.borrowed = borrowed;
    return borrowed;
  }

  // ------------------------------------------------------------ transactions

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const handle = connection as Handle;
    this.#refuseIfBroken();
    const solo =
      settings.isolationLevel !== undefined ||
      settings.accessMode !== undefined ||
      handle.borrowed !== undefined;
    if (solo) return this.#beginSolo(handle, settings);

    const lane = this.#quietestLane();
    await lane.lock.acquire();
    try {
      this.#refuseIfBroken();
      if (lane.batch === undefined) {
        const writer = await this.#backend.writer(lane.index);
        await writer.executeQuery(raw(this.#backend.engine === 'sqlite' ? 'begin immediate' : 'begin'));
        lane.batch = new Batch();
      }
    } catch (error) {
      if (this.#backend.engine === 'postgres') this.#backend.discardWriter(lane.index);
      lane.lock.release();
      throw error;
    }
    lane.batch.members += 1;
    handle.transaction = { kind: 'member', lane, batch: lane.batch, savepoint: false, audit: [] };
  }

  /** The lane with the fewest transactions holding or waiting for it. */
  #quietestLane(): Lane {
    let best = this.#shared;
    let load = Number.POSITIVE_INFINITY;
    for (const lane of this.#lanes) {
      const l = lane.lock.waiting + (lane.lock.held ? 1 : 0);
      if (l < load) {
        best = lane;
        load = l;
      }
    }
    return best;
  }

  async #beginSolo(handle: Handle, settings: TransactionSettings): Promise<void> {
    const borrowed = this.#borrow(handle);
    if (borrowed !== undefined) {
      const on = (await borrowed).connection;
      let text = 'begin';
      if (settings.isolationLevel !== undefined || settings.accessMode !== undefined) {
        text = 'start transaction';
        if (settings.isolationLevel !== undefined) text += ` isolation level ${settings.isolationLevel}`;
        if (settings.accessMode !== undefined) text += ` ${settings.accessMode}`;
      }
      await on.executeQuery(raw(text));
      handle.transaction = { kind: 'solo', on, lane: undefined };
      return;
    }
    // SQLite: the connection to itself, once what is pending has committed. A deferred
    // transaction: a read-only snapshot takes no write lock.
    const lane = this.#shared;
    await lane.lock.acquire();
    try {
      await this.#commitBatch(lane);
      this.#refuseIfBroken();
      const on = await this.#backend.writer(0);
      await on.executeQuery(raw('begin'));
      handle.transaction = { kind: 'solo', on, lane };
    } catch (error) {
      lane.lock.release();
      throw error;
    }
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const handle = connection as Handle;
    const txn = handle.transaction;
    if (txn === undefined) throw new Error('No transaction to commit');
    if (txn.kind === 'solo') {
      // A failed commit leaves the transaction to Kysely's rollback.
      const { rows } = await txn.on.executeQuery<{ command?: string }>(raw('commit'));
      handle.transaction = undefined;
      txn.lane?.lock.release();
      if (rows[0]?.command === 'ROLLBACK') throw new Error('The transaction was rolled back');
      return;
    }
    if (txn.savepoint) {
      const writer = await this.#backend.writer(txn.lane.index);
      await writer.executeQuery(raw(`release savepoint ${SAVEPOINT}`));
    }
    handle.transaction = undefined;
    txn.batch.audit.push(...txn.audit);
    this.#memberDone(txn.lane, txn.batch);
    // Acknowledged only once the batch is durable.
    await txn.batch.done;
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    const handle = connection as Handle;
    const txn = handle.transaction;
    if (txn === undefined) return;
    handle.transaction = undefined;
    if (txn.kind === 'solo') {
      try {
        await txn.on.executeQuery(raw('rollback'));
      } finally {
        txn.lane?.lock.release();
      }
      return;
    }
    txn.batch.members -= 1;
    try {
      if (txn.savepoint) {
        const writer = await this.#backend.writer(txn.lane.index);
        await writer.executeQuery(raw(`rollback to savepoint ${SAVEPOINT}`));
        await writer.executeQuery(raw(`release savepoint ${SAVEPOINT}`));
      }
      // SQLite rolls a whole transaction back after some errors (a full disk, an I/O error):
      // then the other members' work is gone too.
      if (!this.#backend.inTransaction()) throw new Error('The batch was rolled back by the database');
    } catch (error) {
      this.#fail(txn.lane, txn.batch, error);
    } finally {
      this.#memberDone(txn.lane, txn.batch);
    }
  }

  // ------------------------------------------------------------ committing batches

  /**
   * A member has finished (released or rolled back). The batch commits after this turn,
   * behind whoever is already queued for the lane (they join it), or at once when it is full.
   */
  #memberDone(lane: Lane, batch: Batch): void {
    if (lane.batch === batch) {
      if (batch.members >= MAX_BATCH) void this.#flush(lane);
      else this.#scheduleFlush(lane);
    }
    lane.lock.release();
  }

  #scheduleFlush(lane: Lane): void {
    if (lane.flushScheduled) return;
    lane.flushScheduled = true;
    // After the current turn: members already on their way (their reads done in this turn)
    // still join; the lock is FIFO, so the commit waits only for those queued before it.
    setImmediate(() => {
      lane.flushScheduled = false;
      void this.#flush(lane);
    });
  }

  async #flush(lane: Lane): Promise<void> {
    await lane.lock.acquire();
    try {
      await this.#commitBatch(lane);
    } finally {
      lane.lock.release();
    }
  }

  /** Appends the batch's audit events and commits it, if there is one. The caller holds the lane. */
  async #commitBatch(lane: Lane): Promise<void> {
    const batch = lane.batch;
    if (batch === undefined) return;
    lane.batch = undefined;
    lane.committing = batch;
    try {
      const writer = await this.#backend.writer(lane.index);
      if (batch.audit.length > 0) {
        if (this.#auditWriter === undefined) throw new Error('No audit writer');
        await this.#auditWriter((query) => writer.executeQuery(query), batch.audit);
      }
      crashPoint('group.before-commit');
      const { rows } = await writer.executeQuery<{ command?: string }>(raw('commit'));
      if (rows[0]?.command === 'ROLLBACK') throw new Error('The batch was rolled back by the database');
    } catch (error) {
      // SQLite keeps a transaction open when COMMIT fails on a deferred constraint.
      if (this.#backend.engine === 'sqlite' && this.#backend.inTransaction()) {
        await (await this.#backend.writer(lane.index)).executeQuery(raw('rollback')).catch(() => undefined);
      }
      this.#fail(lane, batch, error);
      return;
    } finally {
      lane.committing = undefined;
    }
    crashPoint('group.after-commit');
    this.#committed.batches += 1;
    this.#committed.transactions += batch.members;
    batch.resolve();
  }

  /** A batch that cannot commit: its members fail; on SQLite the store stops (see above). */
  #fail(lane: Lane, batch: Batch, cause: unknown): void {
    if (lane.batch === batch) lane.batch = undefined;
    const error = new StorageFailedError(cause);
    batch.reject(error);
    if (this.#backend.engine === 'postgres') {
      this.#backend.discardWriter(lane.index);
      return;
    }
    if (this.#broken !== undefined) return;
    this.#broken = error;
    for (const listener of this.#onFailure) listener(error);
  }

  #refuseIfBroken(): void {
    if (this.#broken !== undefined) throw this.#broken;
  }

  // ------------------------------------------------------------ for the store

  /**
   * Resolves once everything a plain query may have read so far is durable: at once on
   * PostgreSQL (reads see only committed data) and on SQLite when no batch is open; else
   * when the open batch commits. Rejects with StorageFailedError if the store has stopped.
   */
  async settled(): Promise<void> {
    this.#refuseIfBroken();
    if (this.#backend.engine === 'sqlite') {
      const lane = this.#shared;
      const open = lane.batch ?? lane.committing;
      if (open !== undefined) await open.done;
    }
  }

  /** How many batches have committed, holding how many transactions between them. */
  committed(): { readonly batches: number; readonly transactions: number } {
    return { ...this.#committed };
  }

  /** Called once, if a commit fails on SQLite and the store stops. */
  onFailure(listener: (error: StorageFailedError) => void): void {
    this.#onFailure.push(listener);
  }

  async destroy(): Promise<void> {
    if (this.#broken === undefined) {
      for (const lane of this.#lanes) await this.#flush(lane);
    }
    await this.#backend.destroy();
  }

  // Savepoints are Alcove's own (one per member): Kysely's controlled transactions are not used.
  async savepoint(): Promise<void> {
    throw new Error('Nested savepoints are not supported with group commit');
  }
  async rollbackToSavepoint(): Promise<void> {
    throw new Error('Nested savepoints are not supported with group commit');
  }
  async releaseSavepoint(): Promise<void> {
    throw new Error('Nested savepoints are not supported with group commit');
  }
}

// ---------------------------------------------------------------- dialects

/** SQLite's adapter, but Kysely's own one-connection mutex is off: the driver above locks. */
class GroupCommitSqliteAdapter extends SqliteAdapter {
  override get supportsMultipleConnections(): boolean {
    return true;
  }
}

export function groupCommitDialect(driver: GroupCommitDriver, engine: 'sqlite' | 'postgres'): Dialect {
  return {
    createDriver: () => driver,
    createQueryCompiler: (): QueryCompiler =>
      engine === 'sqlite' ? new SqliteQueryCompiler() : new PostgresQueryCompiler(),
    createAdapter: (): DialectAdapter =>
      engine === 'sqlite' ? new GroupCommitSqliteAdapter() : new PostgresAdapter(),
    createIntrospector: (db: Kysely<unknown>): DatabaseIntrospector =>
      engine === 'sqlite' ? new SqliteIntrospector(db) : new PostgresIntrospector(db),
  };
}
