import { newId } from '@alcove/core';
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { ApiTokenTable, Database } from './schema.ts';

/**
 * API tokens: one practice, a scope and an expiry each. A token is stored only as the
 * SHA-256 the caller makes of it (256 random bits); it cannot be read back.
 */
export type ApiTokenRow = Selectable<ApiTokenTable>;

export async function createApiToken(
  trx: Transaction<Database>,
  input: {
    userId: string;
    practiceId: string;
    name: string;
    tokenHash: string;
    now: string;
    scope: 'read' | 'read-write';
    expiresAt: string;
  },
): Promise<{ id: string }> {
  const id = newId();
  await trx
    .insertInto('api_token')
    .values({
      id,
      user_id: input.userId,
      practice_id: input.practiceId,
      name: input.name,
      token_hash: input.tokenHash,
      created_at: input.now,
      last_used_at: null,
      revoked_at: null,
      scope: input.scope,
      expires_at: input.expiresAt,
    })
    .execute();
  return { id };
}

export async function findApiToken(
  db: Kysely<Database>,
  tokenHash: string,
): Promise<ApiTokenRow | undefined> {
  return db
    .selectFrom('api_token')
    .selectAll()
    .where('token_hash', '=', tokenHash)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
}

/** An account's tokens not revoked and not yet past their expiry. */
export async function listApiTokens(
  db: Kysely<Database>,
  userId: string,
  now: string,
): Promise<ApiTokenRow[]> {
  return db
    .selectFrom('api_token')
    .selectAll()
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .orderBy('created_at')
    .execute();
}

/** Revokes every token of an account (its password changed, its second factor was reset). */
export async function revokeEveryApiToken(
  trx: Transaction<Database>,
  userId: string,
  now: string,
): Promise<number> {
  const result = await trx
    .updateTable('api_token')
    .set({ revoked_at: now })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function revokeApiToken(
  trx: Transaction<Database>,
  userId: string,
  tokenId: string,
  now: string,
): Promise<boolean> {
  const result = await trx
    .updateTable('api_token')
    .set({ revoked_at: now })
    .where('id', '=', tokenId)
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function markApiTokenUsed(db: Kysely<Database>, tokenId: string, now: string): Promise<void> {
  await db.updateTable('api_token').set({ last_used_at: now }).where('id', '=', tokenId).execute();
}

/**
 * Moves a token's "last used" to `now` unless it is at or after `staleBefore` already; true
 * if it moved. Of two requests at once, one moves it (and audits the use), not both.
 */
export async function markApiTokenUsedSince(
  trx: Transaction<Database>,
  tokenId: string,
  now: string,
  staleBefore: string,
): Promise<boolean> {
  const result = await trx
    .updateTable('api_token')
    .set({ last_used_at: now })
    .where('id', '=', tokenId)
    .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', staleBefore)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
