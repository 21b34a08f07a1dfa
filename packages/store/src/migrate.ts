import {
  type Kysely,
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  SqliteAdapter,
  sql,
  type Transaction,
  type UnknownRow,
} from 'kysely';
import type { Migration } from 'kysely/migration';
import { crashPoint } from './crash-points.ts';
import { MigrationError, MigrationsStoppedError } from './errors.ts';
import { migrations as MIGRATIONS } from './migrations/index.ts';
import type { Database } from './schema.ts';
import { migrationSchemaOf } from './store.ts';

/**
 * Migrations: each one and the row that records it commit together, in one transaction,
 * on both engines (issue 15). A process killed at any moment leaves the database at the
 * last migration that committed, whole, and the next run goes on from there.
 *
 * SQLite's DDL is transactional, but Kysely's migrator runs SQLite migrations outside any
 * transaction (its SQLite adapter says DDL is not transactional), and on PostgreSQL it runs
 * every pending migration in one transaction. Alcove runs them itself, one transaction per
 * migration, in the tables Kysely's migrator made and still reads (`kysely_migration`,
 * `kysely_migration_lock`), so databases from before this change carry on as they are.
 *
 * The transactions are solo transactions of the group-commit driver (group-commit.ts): a
 * migration never joins a batch of requests' writes. On PostgreSQL the run holds Kysely's
 * own advisory lock on its connection, so of several servers sharing a database one
 * migrates while the others wait, then find nothing left to do.
 */

export const MIGRATION_TABLE = 'kysely_migration';
export const MIGRATION_LOCK_TABLE = 'kysely_migration_lock';
/** Kysely's migration lock: an older Alcove (which used Kysely's migrator) waits on the same one. */
const ADVISORY_LOCK_ID = sql.lit(BigInt('3853314791062309107'));
/** How long a server waits for another's migrations before it gives up. */
const LOCK_TIMEOUT_MS = 60 * 60 * 1000;

interface MigrationTables {
  kysely_migration: { name: string; timestamp: string };
  kysely_migration_lock: { id: string; is_locked: number };
}

export interface MigrationReport {
  /** Migrations applied by this run, in order. */
  readonly applied: readonly string[];
  /** Migrations undone by this run (migrateTo an older one), newest first. */
  readonly undone: readonly string[];
  /** The newest migration now in force. */
  readonly current: string | undefined;
}

export interface MigrateOptions {
  /** The migration to end at: up to it, or down to it. The newest by default. */
  readonly to?: string;
  /** The migration set. The one set by default; tests pass their own. */
  readonly migrations?: Readonly<Record<string, Migration>>;
  /**
   * Asked before each migration begins. True stops the run there with MigrationsStoppedError:
   * the migration under way has committed (or rolled back) by then, so nothing is half-applied.
   */
  readonly stopRequested?: () => boolean;
  /** Called after each statement a migration runs (tests count them). */
  readonly onStatement?: (migration: string) => void;
}

/** Brings the database to the newest schema: each migration in its own transaction. */
export async function migrateToLatest(
  db: Kysely<Database>,
  options: MigrateOptions = {},
): Promise<MigrationReport> {
  return runMigrations(db, options);
}

/** Brings the database to one migration, up or down: each step in its own transaction. */
export async function migrateTo(
  db: Kysely<Database>,
  name: string,
  options: Omit<MigrateOptions, 'to'> = {},
): Promise<MigrationReport> {
  return runMigrations(db, { ...options, to: name });
}

/**
 * Runs the migrations inside a transaction the caller holds (a restore), so they commit or
 * roll back with everything else it does. On PostgreSQL it takes the migration lock for the
 * rest of that transaction.
 */
export async function migrateWithin(
  trx: Transaction<Database>,
  options: Omit<MigrateOptions, 'stopRequested'> = {},
): Promise<MigrationReport> {
  const plan = planOf(options);
  const schema = await schemaOf(trx);
  await holdMigrationLock(trx);
  await ensureTables(trx, schema);
  const applied: string[] = [];
  const undone: string[] = [];
  for (;;) {
    const state = await readState(trx, schema, plan.names);
    const step = nextStep(state.executed, plan);
    if (step === undefined) return { applied, undone, current: state.executed.at(-1) };
    try {
      await runStep(trx, schema, plan, step, state.lastAt, options.onStatement);
    } catch (error) {
      throw new MigrationError(step.name, error);
    }
    (step.direction === 'up' ? applied : undone).push(step.name);
  }
}

/**
 * PostgreSQL: takes the migration lock until the caller's transaction ends (a server that
 * starts meanwhile waits to migrate). SQLite: nothing to do, the data folder's lock is held.
 */
export async function holdMigrationLock(trx: Transaction<Database>): Promise<void> {
  if (trx.getExecutor().adapter instanceof SqliteAdapter) return;
  await sql`select pg_advisory_xact_lock(${ADVISORY_LOCK_ID})`.execute(trx);
}

async function runMigrations(db: Kysely<Database>, options: MigrateOptions): Promise<MigrationReport> {
  const plan = planOf(options);
  // One connection for the whole run: on PostgreSQL the advisory lock is held on it, and
  // each migration's transaction runs on it.
  return db.connection().execute(async (conn) => {
    const schema = migrationSchemaOf(db) ?? (await schemaOf(conn));
    if (schema !== undefined) {
      await sql`with set_timeout as (select set_config('lock_timeout', ${sql.lit(String(LOCK_TIMEOUT_MS))}, true))
        select pg_advisory_lock(${ADVISORY_LOCK_ID}) from set_timeout`.execute(conn);
    }
    let failed = false;
    try {
      await ensureTables(conn, schema);
      const applied: string[] = [];
      const undone: string[] = [];
      for (;;) {
        // A whole turn of the event loop between migrations, so that a signal (Ctrl+C) that
        // arrived meanwhile is seen: SQLite's statements never give the loop a turn.
        await nextTurn();
        await nextTurn();
        const state = await readState(conn, schema, plan.names);
        const step = nextStep(state.executed, plan);
        if (step === undefined) return { applied, undone, current: state.executed.at(-1) };
        if (options.stopRequested?.() === true) {
          throw new MigrationsStoppedError(state.executed.at(-1), remainingSteps(state.executed, plan));
        }
        try {
          await conn
            .transaction()
            // A solo transaction (group-commit.ts): never a member of a batch of writes.
            .setAccessMode('read write')
            .execute((trx) => runStep(trx, schema, plan, step, state.lastAt, options.onStatement));
        } catch (error) {
          throw new MigrationError(step.name, error);
        }
        crashPoint('migration.after-commit');
        (step.direction === 'up' ? applied : undone).push(step.name);
      }
    } catch (error) {
      failed = true;
      throw error;
    } finally {
      if (schema !== undefined) {
        // The lock goes with the connection if it broke; a failed unlock must not hide the error.
        await sql`select pg_advisory_unlock(${ADVISORY_LOCK_ID})`.execute(conn).catch((error: unknown) => {
          if (!failed) throw error;
        });
      }
    }
  });
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The newest migration in force, or undefined on a database that has none yet. Reads only. */
export async function currentMigration(db: Kysely<Database>): Promise<string | undefined> {
  const schema = await schemaOf(db);
  if (!(await tableExists(db, schema, MIGRATION_TABLE))) return undefined;
  const rows = await migrationTable(db, schema).selectFrom(MIGRATION_TABLE).select('name').execute();
  return rows
    .map((r) => r.name)
    .sort()
    .at(-1);
}

/** Every migration this version of Alcove knows, in the order they run. */
export const MIGRATION_NAMES: readonly string[] = Object.keys(MIGRATIONS).sort();

/** The newest migration this version of Alcove knows. */
export const LATEST_MIGRATION = MIGRATION_NAMES.at(-1);

// ---------------------------------------------------------------- planning

interface Plan {
  readonly migrations: Readonly<Record<string, Migration>>;
  /** Every migration's name, in the order they run. */
  readonly names: readonly string[];
  /** Index in `names` of the migration to end at (-1: none at all). */
  readonly target: number;
}

interface Step {
  readonly direction: 'up' | 'down';
  readonly name: string;
}

function planOf(options: Pick<MigrateOptions, 'to' | 'migrations'>): Plan {
  const migrations = options.migrations ?? MIGRATIONS;
  const names = Object.keys(migrations).sort();
  const target = options.to === undefined ? names.length - 1 : names.indexOf(options.to);
  if (target === -1 && options.to !== undefined) throw new Error(`There is no migration ${options.to}`);
  return { migrations, names, target };
}

/** `executed` is a prefix of the plan's names (readState makes sure). */
function nextStep(executed: readonly string[], plan: Plan): Step | undefined {
  const last = executed.length - 1;
  if (last < plan.target) return { direction: 'up', name: plan.names[last + 1] as string };
  if (last > plan.target) return { direction: 'down', name: plan.names[last] as string };
  return undefined;
}

function remainingSteps(executed: readonly string[], plan: Plan): string[] {
  const last = executed.length - 1;
  return last < plan.target
    ? plan.names.slice(last + 1, plan.target + 1)
    : plan.names.slice(plan.target + 1, last + 1).reverse();
}

// ---------------------------------------------------------------- one step

async function runStep(
  trx: Transaction<Database>,
  schema: string | undefined,
  plan: Plan,
  step: Step,
  lastAt: number,
  onStatement: ((migration: string) => void) | undefined,
): Promise<void> {
  const migration = plan.migrations[step.name];
  if (migration === undefined) throw new Error(`There is no migration ${step.name}`);
  const counted = trx.withPlugin(
    new AfterEachStatement(() => {
      onStatement?.(step.name);
      crashPoint('migration.statement');
    }),
  );
  const table = migrationTable(trx, schema);
  if (step.direction === 'up') {
    await migration.up(counted);
    // Kysely's format: an ISO time, later than every one before it even if the clock is not.
    const at = Math.max(Date.now(), lastAt + 1);
    await table
      .insertInto(MIGRATION_TABLE)
      .values({ name: step.name, timestamp: new Date(at).toISOString() })
      .execute();
  } else {
    if (migration.down === undefined) throw new Error(`Migration ${step.name} cannot be undone`);
    await migration.down(counted);
    await table.deleteFrom(MIGRATION_TABLE).where('name', '=', step.name).execute();
  }
  crashPoint('migration.before-commit');
}

/** Calls `after` once each statement has run (for the crash harness and the tests). */
class AfterEachStatement implements KyselyPlugin {
  readonly #after: () => void;
  constructor(after: () => void) {
    this.#after = after;
  }
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return args.node;
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    this.#after();
    return args.result;
  }
}

// ---------------------------------------------------------------- the migration tables

/** PostgreSQL: the connection's schema (the migration tables are looked for there only); SQLite: undefined. */
async function schemaOf(db: Kysely<Database>): Promise<string | undefined> {
  if (db.getExecutor().adapter instanceof SqliteAdapter) return undefined;
  const known = migrationSchemaOf(db);
  if (known !== undefined) return known;
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  const schema = rows[0]?.schema;
  if (schema === undefined || schema === null)
    throw new Error('PostgreSQL has no current schema (check search_path)');
  return schema;
}

function migrationTable(db: Kysely<Database>, schema: string | undefined): Kysely<MigrationTables> {
  const tables = db as unknown as Kysely<MigrationTables>;
  return schema === undefined ? tables : tables.withSchema(schema);
}

async function tableExists(db: Kysely<Database>, schema: string | undefined, name: string): Promise<boolean> {
  const query =
    schema === undefined
      ? sql<{
          n: number | string;
        }>`select count(*) as n from sqlite_master where type = 'table' and name = ${name}`
      : sql<{
          n: number | string;
        }>`select count(*) as n from information_schema.tables where table_schema = ${schema} and table_name = ${name}`;
  return Number((await query.execute(db)).rows[0]?.n) > 0;
}

/** The tables Kysely's migrator made, made the same way where they are missing. */
async function ensureTables(db: Kysely<Database>, schema: string | undefined): Promise<void> {
  const tables = migrationTable(db, schema);
  await tables.schema
    .createTable(MIGRATION_TABLE)
    .ifNotExists()
    .addColumn('name', 'varchar(255)', (c) => c.notNull().primaryKey())
    .addColumn('timestamp', 'varchar(255)', (c) => c.notNull())
    .execute();
  await tables.schema
    .createTable(MIGRATION_LOCK_TABLE)
    .ifNotExists()
    .addColumn('id', 'varchar(255)', (c) => c.notNull().primaryKey())
    .addColumn('is_locked', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await tables
    .insertInto(MIGRATION_LOCK_TABLE)
    .values({ id: 'migration_lock', is_locked: 0 })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
}

interface State {
  /** The migrations in force, in order (always the first few of the set). */
  readonly executed: readonly string[];
  /** The latest time recorded (ms), for the next record's. */
  readonly lastAt: number;
}

async function readState(
  db: Kysely<Database>,
  schema: string | undefined,
  names: readonly string[],
): Promise<State> {
  const rows = await migrationTable(db, schema)
    .selectFrom(MIGRATION_TABLE)
    .select(['name', 'timestamp'])
    .execute();
  const executed = rows.map((r) => r.name).sort();
  for (const [i, name] of executed.entries()) {
    if (!names.includes(name)) {
      throw new Error(
        `The database has migration ${name}, which this version of Alcove does not know: it was upgraded by a newer Alcove. Run that version (or a newer one).`,
      );
    }
    if (names[i] !== name) {
      throw new Error(
        `The database's migrations are out of order: ${name} is recorded but ${names[i]} is not.`,
      );
    }
  }
  let lastAt = 0;
  for (const row of rows) {
    const at = new Date(row.timestamp).getTime();
    if (Number.isFinite(at)) lastAt = Math.max(lastAt, at);
  }
  return { executed, lastAt };
}
