import { type Kysely, sql } from 'kysely';

/**
 * Session notes (issue 6): an entry belongs to a session, is a private draft until signed,
 * is marked late when signed long after its session (GT-38), and may be an addendum to a
 * signed entry, with its reason (GT-98). A passage may belong to a section of the note (GT-40).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('entry')
    // No foreign key: SQLite cannot drop a column that has one (down). The store checks it.
    .addColumn('session_id', 'text')
    .execute();
  await db.schema
    .alterTable('entry')
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('signed'))
    .execute();
  await db.schema.alterTable('entry').addColumn('signed_at', 'text').execute();
  await db.schema
    .alterTable('entry')
    .addColumn('late', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.alterTable('entry').addColumn('amends_id', 'text').execute();
  await db.schema.alterTable('entry').addColumn('amend_reason_sealed', 'text').execute();
  // Entries written before drafts existed were final as written.
  await sql`update entry set signed_at = written_at where signed_at is null`.execute(db);
  await db.schema.alterTable('passage').addColumn('section', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('passage').dropColumn('section').execute();
  for (const column of ['amend_reason_sealed', 'amends_id', 'late', 'signed_at', 'status', 'session_id']) {
    await db.schema.alterTable('entry').dropColumn(column).execute();
  }
}
