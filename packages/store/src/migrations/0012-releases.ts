import type { Kysely } from 'kysely';

/**
 * Confidential releases (issue 7): the register of requests, and every release kept
 * exactly as issued — its files sealed under the client's key, their hash, the basis, the
 * consents relied on, and what was withheld and why.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('release_request')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('practice_id', 'text', (c) => c.notNull().references('practice.id'))
    .addColumn('client_id', 'text', (c) => c.notNull().references('client.id'))
    .addColumn('basis', 'text', (c) => c.notNull())
    .addColumn('requester_sealed', 'text')
    .addColumn('received_on', 'text', (c) => c.notNull())
    .addColumn('due_on', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('via_portal', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_by', 'text', (c) => c.notNull().references('app_user.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('release')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('practice_id', 'text', (c) => c.notNull().references('practice.id'))
    .addColumn('request_id', 'text', (c) => c.notNull().unique().references('release_request.id'))
    .addColumn('client_id', 'text', (c) => c.notNull().references('client.id'))
    .addColumn('pdf_sealed', 'text', (c) => c.notNull())
    .addColumn('pdf_sha256', 'text', (c) => c.notNull())
    .addColumn('fhir_sealed', 'text', (c) => c.notNull())
    .addColumn('fhir_sha256', 'text', (c) => c.notNull())
    .addColumn('consents_relied', 'text', (c) => c.notNull())
    .addColumn('withheld', 'text', (c) => c.notNull())
    .addColumn('issued_by', 'text', (c) => c.notNull().references('app_user.id'))
    .addColumn('issued_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('release').execute();
  await db.schema.dropTable('release_request').execute();
}
