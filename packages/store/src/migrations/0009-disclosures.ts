import type { Kysely } from 'kysely';

/** Disclosures without consent (PG5-2), their details sealed under the case key. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('disclosure')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('practice_id', 'text', (c) => c.notNull().references('practice.id'))
    .addColumn('case_id', 'text', (c) => c.notNull().references('care_case.id'))
    .addColumn('client_id', 'text', (c) => c.notNull().references('client.id'))
    .addColumn('disclosed_on', 'text', (c) => c.notNull())
    .addColumn('legal_basis', 'text', (c) => c.notNull())
    .addColumn('details_sealed', 'text', (c) => c.notNull())
    .addColumn('withheld_from_client', 'integer', (c) => c.notNull())
    .addColumn('recorded_by', 'text', (c) => c.notNull().references('app_user.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('disclosure').execute();
}
