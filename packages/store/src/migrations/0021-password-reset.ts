import type { Kysely } from 'kysely';

/**
 * A reset of a forgotten password (issue 16, ASVS V6.4.3): the account, the SHA-256 of its
 * one-time token (never the token), when it was made and runs out (1 hour), when it was
 * used, and which administrator issued it (null: asked for by the holder, or made with
 * `alcove people reset-password` on the server).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('password_reset')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('app_user.id'))
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('used_at', 'text')
    .addColumn('created_by', 'text', (c) => c.references('app_user.id'))
    .execute();
  await db.schema
    .createIndex('password_reset_user')
    .on('password_reset')
    .columns(['user_id', 'created_at'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('password_reset_user').execute();
  await db.schema.dropTable('password_reset').execute();
}
