import type { Kysely } from 'kysely';

/**
 * Failed sign-ins and failed second-factor codes, counted in the database (issue 16,
 * finding 1): a restart or a second server no longer forgets them. One row per subject and
 * factor: the subject is `user:<id>` for an account, or `email:<blind index>` for an
 * address that has no account (so an unknown address takes the same path as a known one,
 * and no address is stored). `failures` counts the failures since the window began at
 * `window_started_at`; reaching the limit locks the factor until `locked_until` and adds
 * one to `lock_count`, which makes the next lock longer. Not backed up: like sessions, a
 * restored database starts with no throttles.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('auth_failure')
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('factor', 'text', (c) => c.notNull())
    .addColumn('failures', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('window_started_at', 'text')
    .addColumn('lock_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('locked_until', 'text')
    .addColumn('last_failed_at', 'text')
    .addPrimaryKeyConstraint('auth_failure_pk', ['subject', 'factor'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('auth_failure').execute();
}
