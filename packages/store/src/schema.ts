import type { Generated } from 'kysely';

/**
 * The tables, as Kysely sees them. Conventions that hold on both engines:
 * - ids are text (random UUIDs made by the application);
 * - instants are text, ISO 8601 in UTC with milliseconds ("2026-11-22T21:16:10.123Z"), so
 *   they compare and sort the same on SQLite and PostgreSQL;
 * - flags are integers 0/1, because SQLite has no boolean type.
 */
export interface PracticeTable {
  id: string;
  name: string;
  created_at: string;
  is_demo: Generated<number>;
}

export interface Database {
  practice: PracticeTable;
}
