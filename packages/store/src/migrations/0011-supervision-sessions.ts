import type { Kysely } from 'kysely';

/** Supervision sessions with their length (GT-64), with the supervisor the profile named that day. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('supervision_session')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('practice_id', 'text', (c) => c.notNull().references('practice.id'))
    .addColumn('practitioner_id', 'text', (c) => c.notNull().references('app_user.id'))
    .addColumn('held_on', 'text', (c) => c.notNull())
    .addColumn('minutes', 'integer', (c) => c.notNull())
    // As in the professional record (profile_version.data): a colleague's name, not a client's.
    .addColumn('supervisor_name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('supervision_session').execute();
}
