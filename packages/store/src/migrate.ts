import type { Kysely } from 'kysely';
import { type MigrationResultSet, Migrator } from 'kysely/migration';
import { MigrationError } from './errors.ts';
import { migrations } from './migrations/index.ts';
import type { Database } from './schema.ts';
import { migrationSchemaOf } from './store.ts';

export interface MigrationReport {
  /** Migrations applied by this run, in order. */
  readonly applied: readonly string[];
  /** The newest migration now in force. */
  readonly current: string | undefined;
}

export function migrator(db: Kysely<Database>): Migrator {
  const schema = migrationSchemaOf(db);
  return new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    ...(schema === undefined ? {} : { migrationTableSchema: schema }),
  });
}

/** Brings the database to the newest schema. Each migration runs in its own transaction. */
export async function migrateToLatest(db: Kysely<Database>): Promise<MigrationReport> {
  const result: MigrationResultSet = await migrator(db).migrateToLatest();
  if (result.error !== undefined) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName;
    throw new MigrationError(failed, result.error);
  }
  const applied = (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  return { applied, current: await currentMigration(db) };
}

export async function currentMigration(db: Kysely<Database>): Promise<string | undefined> {
  const all = await migrator(db).getMigrations();
  return all.filter((m) => m.executedAt !== undefined).at(-1)?.name;
}

/** The newest migration this version of Alcove knows. */
export const LATEST_MIGRATION = Object.keys(migrations).sort().at(-1);
