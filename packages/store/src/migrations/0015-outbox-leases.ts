import type { Kysely } from 'kysely';

/**
 * Each e-mail sent once, however many servers (issue 15): a sender claims a message before
 * it sends it, with a lease (a token of its own and the time the lease runs out). A message
 * whose lease has run out (its sender died mid-send) is due again. One column at a time:
 * SQLite adds one column in each ALTER TABLE.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('outbox_message').addColumn('lease_token', 'text').execute();
  await db.schema.alterTable('outbox_message').addColumn('lease_until', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('outbox_message').dropColumn('lease_until').execute();
  await db.schema.alterTable('outbox_message').dropColumn('lease_token').execute();
}
