import type { Kysely } from 'kysely';

/**
 * Supervision (issue 6): a case presented to a supervisor under its pseudonym, with the
 * material the practitioner chose to present (sealed under the case key), never a name,
 * contact detail or date of birth (PG5-5).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('supervision_presentation')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('practice_id', 'text', (c) => c.notNull().references('practice.id'))
    .addColumn('case_id', 'text', (c) => c.notNull().references('care_case.id'))
    .addColumn('practitioner_id', 'text', (c) => c.notNull().references('app_user.id'))
    .addColumn('supervisor_id', 'text', (c) => c.notNull().references('app_user.id'))
    .addColumn('presented_on', 'text', (c) => c.notNull())
    .addColumn('material_sealed', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('supervision_presentation').execute();
}
