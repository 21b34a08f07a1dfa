import fs from 'node:fs';
import path from 'node:path';
import type { Engine } from '@alcove/core';
import Sqlite from 'better-sqlite3';
import { Kysely, sql } from 'kysely';
import pg from 'pg';
import { writeAuditEvents } from './audit.ts';
import { SQLITE_FILE, type StoreConfig } from './config.ts';
import {
  type Backend,
  GroupCommitDriver,
  groupCommitDialect,
  POSTGRES_LANES,
  postgresBackend,
  type StorageFailedError,
  sqliteBackend,
} from './group-commit.ts';
import { type DataFolderLock, lockDataFolder } from './lock.ts';
import type { Database } from './schema.ts';

export interface Store {
  readonly engine: Engine;
  readonly db: Kysely<Database>;
  /**
   * Resolves once everything read so far is durable (see group-commit.ts): await it before
   * anything read leaves the process. Rejects with StorageFailedError if the store has stopped.
   */
  settled(): Promise<void>;
  /** Called once if a commit fails and the store stops (SQLite: a full or failing disk). */
  onFailure(listener: (error: StorageFailedError) => void): void;
  /** Batches committed so far, and the transactions they held (group commit). */
  committed(): { readonly batches: number; readonly transactions: number };
  close(): Promise<void>;
}

export interface OpenOptions {
  /**
   * Take the data folder's writer lock (SQLite only). Every command that writes takes it;
   * only tests that open the same folder twice on purpose turn it off.
   */
  readonly lock?: boolean;
}

export async function openStore(config: StoreConfig, options: OpenOptions = {}): Promise<Store> {
  return config.engine === 'sqlite'
    ? openSqlite(config.dataDir, options.lock ?? true)
    : openPostgres(config.connectionString, config.schema);
}

async function openSqlite(dataDir: string, lock: boolean): Promise<Store> {
  // The data folder holds clinical records: readable by its owner only.
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const folderLock: DataFolderLock | undefined = lock ? lockDataFolder(dataDir) : undefined;
  let sqlite: Sqlite.Database;
  try {
    sqlite = new Sqlite(path.join(dataDir, SQLITE_FILE), { timeout: 5000 });
    // WAL so readers (an online backup) never block the writer; FULL so a commit that
    // was acknowledged survives power loss, not only a process crash.
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = FULL');
    sqlite.pragma('foreign_keys = ON');
    // Savepoints (one per transaction in a group-commit batch) keep their undo pages in
    // memory rather than in a temporary file beside the database.
    sqlite.pragma('temp_store = MEMORY');
    fs.chmodSync(path.join(dataDir, SQLITE_FILE), 0o600);
  } catch (error) {
    folderLock?.release();
    throw error;
  }
  return groupCommitStore('sqlite', sqliteBackend(sqlite), () => folderLock?.release());
}

/** A store over Alcove's group-commit driver, which appends each batch's audit events. */
function groupCommitStore(engine: Engine, backend: Backend, afterClose = () => {}): Store {
  const driver = new GroupCommitDriver(backend);
  const db = new Kysely<Database>({ dialect: groupCommitDialect(driver, engine) });
  driver.setAuditWriter((run, events) => writeAuditEvents(db, run, events));
  return {
    engine,
    db,
    settled: () => driver.settled(),
    onFailure: (listener) => driver.onFailure(listener),
    committed: () => driver.committed(),
    async close() {
      await db.destroy();
      afterClose();
    },
  };
}

async function openPostgres(connectionString: string, schema: string | undefined): Promise<Store> {
  const pool = new pg.Pool({
    connectionString,
    // Plain queries, and a connection for each writer lane.
    max: 10 + POSTGRES_LANES,
    ...(schema === undefined ? {} : { options: `-c search_path=${quoteIdentifier(schema)}` }),
  });
  // Fail now, with the server's own message, rather than on the first request.
  const client = await pool.connect();
  client.release();
  const store = groupCommitStore('postgres', postgresBackend(pool));
  const current = await sql<{ schema: string }>`select current_schema() as schema`.execute(store.db);
  const currentSchema = current.rows[0]?.schema;
  if (currentSchema === undefined || currentSchema === null) {
    throw new Error('PostgreSQL has no current schema for this connection (check search_path)');
  }
  postgresSchemas.set(store.db, currentSchema);
  return store;
}

/**
 * The schema each PostgreSQL connection works in. Kysely's migrator looks for its own
 * table in every schema unless told which one; told this, several Alcove databases (and
 * the tests' schemas) can share one server without seeing each other's migrations.
 */
const postgresSchemas = new WeakMap<Kysely<Database>, string>();

export function migrationSchemaOf(db: Kysely<Database>): string | undefined {
  return postgresSchemas.get(db);
}

function quoteIdentifier(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) {
    throw new Error('A schema name is lower-case letters, digits and underscores');
  }
  return name;
}
