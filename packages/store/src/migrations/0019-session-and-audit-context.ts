import type { Kysely } from 'kysely';

/**
 * Sessions you can see, and security events with their context (issue 16, findings 7 and
 * 8). A session keeps the address and user agent it signed in from, so its holder can tell
 * it from another. Each audit event's source address and user agent are kept beside it in
 * `audit_event_context`, keyed by the event's sequence number and OUTSIDE the hash chain:
 * the rows can be deleted when the practice's log retention ends and the chain still
 * verifies. One column at a time: SQLite adds one column in each ALTER TABLE.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('user_session').addColumn('source_address', 'text').execute();
  await db.schema.alterTable('user_session').addColumn('user_agent', 'text').execute();
  await db.schema
    .createTable('audit_event_context')
    .addColumn('event_seq', 'integer', (c) => c.primaryKey().references('audit_event.seq'))
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('source_address', 'text')
    .addColumn('user_agent', 'text')
    .execute();
  // Retention deletes by age.
  await db.schema.createIndex('audit_event_context_at').on('audit_event_context').column('at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('audit_event_context').execute();
  await db.schema.alterTable('user_session').dropColumn('user_agent').execute();
  await db.schema.alterTable('user_session').dropColumn('source_address').execute();
}
