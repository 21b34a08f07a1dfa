import type { Kysely } from 'kysely';

/**
 * The practice's people (issue 16). A staff invitation: the roles it gives, the invitee's
 * address and name sealed (never in clear), the SHA-256 of its one-time token, who made it
 * and when, when it runs out (7 days), and when it was taken up or withdrawn. A membership
 * may be suspended: the person keeps their account and any other practice, and this one
 * refuses them until an administrator reinstates them.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('staff_invitation')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('practice_id', 'text', (c) => c.notNull().references('practice.id'))
    // The staff roles, comma-separated ('practitioner,administrator').
    .addColumn('roles', 'text', (c) => c.notNull())
    .addColumn('invitee_sealed', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    // Null: made with `alcove people invite` on the server, by whoever holds its key.
    .addColumn('created_by', 'text', (c) => c.references('app_user.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('accepted_at', 'text')
    .addColumn('accepted_by', 'text', (c) => c.references('app_user.id'))
    .addColumn('withdrawn_at', 'text')
    .execute();
  await db.schema
    .createIndex('staff_invitation_practice')
    .on('staff_invitation')
    .columns(['practice_id', 'created_at'])
    .execute();
  await db.schema.alterTable('membership').addColumn('suspended_at', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('membership').dropColumn('suspended_at').execute();
  await db.schema.dropIndex('staff_invitation_practice').execute();
  await db.schema.dropTable('staff_invitation').execute();
}
