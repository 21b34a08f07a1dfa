import type { Kysely } from 'kysely';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Re-authentication, API tokens that end, and recovery codes kept as argon2id (issue 16,
 * findings 2 and 3; docs/decisions/2026-12-02-api-tokens.md).
 *
 * - `user_session.reauthenticated_at`: when the session last proved password and
 *   authenticator code together; making a token or new recovery codes needs it recent.
 * - `api_token.expires_at` and `scope`: a token made before this lasts 90 days from when it
 *   was made (one already older than that has ended) and keeps reading and writing.
 * - Recovery codes need no column: a new code's hash is an argon2id string (it carries its
 *   own salt); the unsalted SHA-256 rows already stored keep working, once each, until the
 *   holder replaces them.
 *
 * One column at a time: SQLite adds one column in each ALTER TABLE.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('user_session').addColumn('reauthenticated_at', 'text').execute();
  await db.schema
    .alterTable('api_token')
    .addColumn('scope', 'text', (c) => c.notNull().defaultTo('read-write'))
    .execute();
  await db.schema.alterTable('api_token').addColumn('expires_at', 'text').execute();
  const tokens = db as unknown as Kysely<{
    api_token: { id: string; created_at: string; expires_at: string | null };
  }>;
  const rows = await tokens.selectFrom('api_token').select(['id', 'created_at']).execute();
  for (const row of rows) {
    await tokens
      .updateTable('api_token')
      .set({ expires_at: new Date(Date.parse(row.created_at) + 90 * DAY_MS).toISOString() })
      .where('id', '=', row.id)
      .execute();
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('api_token').dropColumn('expires_at').execute();
  await db.schema.alterTable('api_token').dropColumn('scope').execute();
  await db.schema.alterTable('user_session').dropColumn('reauthenticated_at').execute();
}
