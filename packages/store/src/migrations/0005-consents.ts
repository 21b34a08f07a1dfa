import type { Kysely } from 'kysely';

/** Consents (typed, scoped, dated, withdrawable) and Gillick competence assessments (GT-27). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('consent')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('practice_id', 'text', (c) => c.notNull().references('practice.id'))
    .addColumn('client_id', 'text', (c) => c.notNull().references('client.id'))
    .addColumn('case_id', 'text', (c) => c.references('care_case.id'))
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('recipient_sealed', 'text')
    .addColumn('given_on', 'text', (c) => c.notNull())
    .addColumn('given_by', 'text', (c) => c.notNull())
    .addColumn('mode', 'text', (c) => c.notNull())
    .addColumn('withdrawn_on', 'text')
    .addColumn('recorded_by', 'text', (c) => c.notNull().references('app_user.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('consent_client').on('consent').columns(['client_id', 'type']).execute();

  await db.schema
    .createTable('gillick_assessment')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('practice_id', 'text', (c) => c.notNull().references('practice.id'))
    .addColumn('client_id', 'text', (c) => c.notNull().references('client.id'))
    .addColumn('case_id', 'text', (c) => c.notNull().references('care_case.id'))
    .addColumn('assessed_on', 'text', (c) => c.notNull())
    .addColumn('competent', 'integer', (c) => c.notNull())
    .addColumn('notes_sealed', 'text', (c) => c.notNull())
    .addColumn('recorded_by', 'text', (c) => c.notNull().references('app_user.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('gillick_assessment').execute();
  await db.schema.dropTable('consent').execute();
}
