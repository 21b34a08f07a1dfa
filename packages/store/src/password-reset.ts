import { createHash, randomBytes } from 'node:crypto';
import { newId } from '@alcove/core';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.ts';

/**
 * Resets of a forgotten password (issue 16, ASVS V6.4.3). A reset's token is given once (in
 * an e-mail, or shown once to the administrator who issued it) and kept only as its
 * SHA-256; it works once, for an hour.
 */
export const PASSWORD_RESET_MINUTES = 60;

function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Makes a reset for an account; the token is returned once, here, and never stored. */
export async function createPasswordReset(
  trx: Transaction<Database>,
  input: { userId: string; createdBy: string | null; now: string },
): Promise<{ id: string; token: string; expiresAt: string }> {
  const id = newId();
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(Date.parse(input.now) + PASSWORD_RESET_MINUTES * 60_000).toISOString();
  await trx
    .insertInto('password_reset')
    .values({
      id,
      user_id: input.userId,
      token_hash: hashToken(token),
      created_at: input.now,
      expires_at: expiresAt,
      used_at: null,
      created_by: input.createdBy,
    })
    .execute();
  return { id, token, expiresAt };
}

export type PasswordResetState = 'valid' | 'used' | 'expired';

export interface PasswordResetFacts {
  readonly id: string;
  readonly userId: string;
  readonly expiresAt: string;
  readonly state: PasswordResetState;
}

/** The reset a token is for, and whether it still works; undefined when it is none. */
export async function findPasswordReset(
  db: Kysely<Database>,
  token: string,
  now: string,
): Promise<PasswordResetFacts | undefined> {
  const row = await db
    .selectFrom('password_reset')
    .selectAll()
    .where('token_hash', '=', hashToken(token))
    .executeTakeFirst();
  if (row === undefined) return undefined;
  return {
    id: row.id,
    userId: row.user_id,
    expiresAt: row.expires_at,
    state: row.used_at !== null ? 'used' : row.expires_at <= now ? 'expired' : 'valid',
  };
}

/**
 * Uses a reset in the caller's transaction: false when it was used or ran out meanwhile
 * (two browsers with one link: one wins). Every other reset of the account still waiting
 * ends with it, so an older e-mail cannot be used after the password was set.
 */
export async function takePasswordReset(
  trx: Transaction<Database>,
  input: { resetId: string; userId: string; now: string },
): Promise<boolean> {
  const result = await trx
    .updateTable('password_reset')
    .set({ used_at: input.now })
    .where('id', '=', input.resetId)
    .where('used_at', 'is', null)
    .where('expires_at', '>', input.now)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) return false;
  await trx
    .updateTable('password_reset')
    .set({ used_at: input.now })
    .where('user_id', '=', input.userId)
    .where('used_at', 'is', null)
    .execute();
  return true;
}

/**
 * Ends every reset of the account still waiting: its access was ended (an administrator,
 * a suspension, a change of roles) or its password was set another way, so no link sent
 * or shown before may set it again. Returns how many ended.
 */
export async function endPendingPasswordResets(
  trx: Transaction<Database>,
  userId: string,
  now: string,
): Promise<number> {
  const result = await trx
    .updateTable('password_reset')
    .set({ used_at: now })
    .where('user_id', '=', userId)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}
