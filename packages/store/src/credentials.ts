import { newId } from '@alcove/core';
import type { Kysely, Selectable, Transaction } from 'kysely';
import { revokeEveryApiToken } from './api-tokens.ts';
import type { Database, RecoveryCodeTable } from './schema.ts';

/**
 * An account's sign-in credentials: its password hash, its authenticator (TOTP) and its
 * recovery codes. Each is stored as the caller makes it (a hash of the password, an argon2id
 * hash of each recovery code, the authenticator's secret sealed): none can be read back in
 * clear from here.
 */

// ---------------------------------------------------------------- TOTP and the password

export async function setPendingTotp(
  db: Kysely<Database>,
  userId: string,
  sealedSecret: string,
): Promise<void> {
  await db
    .updateTable('app_user')
    .set({ totp_secret_sealed: sealedSecret, totp_enabled_at: null, totp_last_step: null })
    .where('id', '=', userId)
    .where('totp_enabled_at', 'is', null)
    .execute();
}

export async function enableTotp(
  trx: Transaction<Database>,
  userId: string,
  step: number,
  now: string,
): Promise<boolean> {
  // Once only: a second browser left at the enrolment step cannot enrol over the first.
  const result = await trx
    .updateTable('app_user')
    .set({ totp_enabled_at: now, totp_last_step: step })
    .where('id', '=', userId)
    .where('totp_enabled_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Records the step just used; false if a concurrent request used it (or a later one) first. */
export async function useTotpStep(
  trx: Transaction<Database>,
  userId: string,
  step: number,
): Promise<boolean> {
  const result = await trx
    .updateTable('app_user')
    .set({ totp_last_step: step })
    .where('id', '=', userId)
    .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Resets an account's second factor (its holder lost the phone and the recovery codes): the
 * authenticator secret and every recovery code are gone, every session ends and every API
 * token is revoked. The next sign-in enrols a new authenticator.
 */
export async function resetSecondFactor(
  trx: Transaction<Database>,
  userId: string,
  now: string,
): Promise<{ sessions: number; tokens: number }> {
  await trx
    .updateTable('app_user')
    .set({ totp_secret_sealed: null, totp_enabled_at: null, totp_last_step: null })
    .where('id', '=', userId)
    .execute();
  await trx.deleteFrom('recovery_code').where('user_id', '=', userId).execute();
  const sessions = await trx
    .updateTable('user_session')
    .set({ ended_at: now })
    .where('user_id', '=', userId)
    .where('ended_at', 'is', null)
    .executeTakeFirst();
  const tokens = await revokeEveryApiToken(trx, userId, now);
  return { sessions: Number(sessions.numUpdatedRows), tokens };
}

export async function setPasswordHash(
  trx: Transaction<Database>,
  userId: string,
  passwordHash: string,
): Promise<void> {
  await trx.updateTable('app_user').set({ password_hash: passwordHash }).where('id', '=', userId).execute();
}

// ---------------------------------------------------------------- recovery codes

export type RecoveryCodeRow = Selectable<RecoveryCodeTable>;

/** Replaces every recovery code of an account; the caller hashes (argon2id, salted per code). */
export async function replaceRecoveryCodes(
  trx: Transaction<Database>,
  userId: string,
  codeHashes: readonly string[],
): Promise<void> {
  await trx.deleteFrom('recovery_code').where('user_id', '=', userId).execute();
  for (const codeHash of codeHashes) {
    await trx
      .insertInto('recovery_code')
      .values({ id: newId(), user_id: userId, code_hash: codeHash, used_at: null })
      .execute();
  }
}

/** An account's recovery codes not yet used: the caller checks a code against each hash. */
export async function unusedRecoveryCodeRows(
  db: Kysely<Database>,
  userId: string,
): Promise<RecoveryCodeRow[]> {
  return db
    .selectFrom('recovery_code')
    .selectAll()
    .where('user_id', '=', userId)
    .where('used_at', 'is', null)
    .orderBy('id')
    .execute();
}

/**
 * Uses one recovery code (found by `unusedRecoveryCodeRows`); false if it was used
 * meanwhile. Two requests with the same code: one update wins, the other finds it used.
 */
export async function useRecoveryCode(
  trx: Transaction<Database>,
  userId: string,
  codeId: string,
  now: string,
): Promise<boolean> {
  const result = await trx
    .updateTable('recovery_code')
    .set({ used_at: now })
    .where('id', '=', codeId)
    .where('user_id', '=', userId)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function unusedRecoveryCodes(db: Kysely<Database>, userId: string): Promise<number> {
  const row = await db
    .selectFrom('recovery_code')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('user_id', '=', userId)
    .where('used_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
