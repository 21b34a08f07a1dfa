import type { Kysely } from 'kysely';

/**
 * Messages to staff and to the practice (issue 15): the outbox wrote to clients only. A
 * message now says whom it is for (`recipient_kind`: client, staff or practice) and, for
 * a staff member, which account. Staff and practice messages are sealed under the
 * practice's key, never a client's. `once_key` makes a message that must go at most once
 * (the audit log's daily digest: one per practice per London day) unique per practice, on
 * both engines, however many servers queue it at once. One column at a time: SQLite adds
 * one column in each ALTER TABLE.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('outbox_message')
    .addColumn('recipient_kind', 'text', (c) => c.notNull().defaultTo('client'))
    .execute();
  await db.schema
    .alterTable('outbox_message')
    .addColumn('recipient_user_id', 'text', (c) => c.references('app_user.id'))
    .execute();
  await db.schema.alterTable('outbox_message').addColumn('once_key', 'text').execute();
  // NULLs are distinct in a unique index on both engines: only messages with a key are limited.
  await db.schema
    .createIndex('outbox_message_once')
    .on('outbox_message')
    .columns(['practice_id', 'once_key'])
    .unique()
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('outbox_message_once').execute();
  await db.schema.alterTable('outbox_message').dropColumn('once_key').execute();
  await db.schema.alterTable('outbox_message').dropColumn('recipient_user_id').execute();
  await db.schema.alterTable('outbox_message').dropColumn('recipient_kind').execute();
}
