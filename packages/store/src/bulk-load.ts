import { type Insertable, type Kysely, sql, type Transaction } from 'kysely';
import type { Database } from './schema.ts';

/**
 * Rows written in bulk, many a statement, for the scale generator (`alcove demo --scale`):
 * the rows come already sealed; nothing here encrypts or audits.
 */
export async function insertInBatches<T extends keyof Database & string>(
  trx: Transaction<Database>,
  table: T,
  rows: readonly Insertable<Database[T]>[],
): Promise<void> {
  if (rows.length === 0) return;
  // Both engines bound the parameters of one statement (SQLite 32,766; PostgreSQL 65,535).
  const perStatement = Math.floor(30_000 / Object.keys(rows[0] ?? {}).length);
  for (let i = 0; i < rows.length; i += perStatement) {
    await trx
      .insertInto(table)
      .values(rows.slice(i, i + perStatement) as never)
      .execute();
  }
}

/** Fresh statistics for the query planner after a bulk load (`analyze` on either engine). */
export async function refreshPlannerStatistics(db: Kysely<Database>): Promise<void> {
  await sql`analyze`.execute(db);
}
