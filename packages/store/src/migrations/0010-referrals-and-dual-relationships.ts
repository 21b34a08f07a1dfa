import type { Kysely } from 'kysely';

/**
 * Referral letters (GT-21c), made with the client's consent (PG5-1), and dual
 * relationships once declared (GT-34, GT-35): the supervisor told, the day fees stop, and
 * the case moving to its ending with a referral to make.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('referral')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('practice_id', 'text', (c) => c.notNull().references('practice.id'))
    .addColumn('case_id', 'text', (c) => c.notNull().references('care_case.id'))
    .addColumn('client_id', 'text', (c) => c.notNull().references('client.id'))
    .addColumn('consent_id', 'text', (c) => c.notNull().references('consent.id'))
    .addColumn('letter_sealed', 'text', (c) => c.notNull())
    .addColumn('written_by', 'text', (c) => c.notNull().references('app_user.id'))
    .addColumn('written_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('dual_relationship')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('practice_id', 'text', (c) => c.notNull().references('practice.id'))
    .addColumn('case_id', 'text', (c) => c.notNull().references('care_case.id'))
    .addColumn('declared_on', 'text', (c) => c.notNull())
    .addColumn('fees_stop_on', 'text', (c) => c.notNull())
    .addColumn('description_sealed', 'text', (c) => c.notNull())
    .addColumn('supervisor_id', 'text', (c) => c.notNull().references('app_user.id'))
    .addColumn('presentation_id', 'text', (c) => c.notNull().references('supervision_presentation.id'))
    .addColumn('declared_by', 'text', (c) => c.notNull().references('app_user.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('dual_relationship').execute();
  await db.schema.dropTable('referral').execute();
}
