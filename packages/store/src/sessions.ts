import { newId } from '@alcove/core';
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { ApiTokenTable, Database, UserSessionTable } from './schema.ts';

/**
 * Server-side sessions, API tokens and recovery codes. Every secret a browser or script
 * holds is stored only as its SHA-256 (the caller hashes); none can be read back.
 */
export type SessionStage = 'mfa-enrol' | 'mfa-challenge' | 'active';
export type SessionRow = Selectable<UserSessionTable>;
export type ApiTokenRow = Selectable<ApiTokenTable>;

export async function createSession(
  trx: Transaction<Database>,
  input: {
    idHash: string;
    userId: string;
    practiceId: string | null;
    csrfToken: string;
    stage: SessionStage;
    now: string;
  },
): Promise<void> {
  await trx
    .insertInto('user_session')
    .values({
      id_hash: input.idHash,
      user_id: input.userId,
      practice_id: input.practiceId,
      csrf_token: input.csrfToken,
      stage: input.stage,
      created_at: input.now,
      last_seen_at: input.now,
      ended_at: null,
      kiosk_case_id: null,
      kiosk_client_id: null,
      kiosk_contract_id: null,
      kiosk_started_at: null,
    })
    .execute();
}

export async function findSession(db: Kysely<Database>, idHash: string): Promise<SessionRow | undefined> {
  return db
    .selectFrom('user_session')
    .selectAll()
    .where('id_hash', '=', idHash)
    .where('ended_at', 'is', null)
    .executeTakeFirst();
}

export async function touchSession(db: Kysely<Database>, idHash: string, now: string): Promise<void> {
  await db.updateTable('user_session').set({ last_seen_at: now }).where('id_hash', '=', idHash).execute();
}

/** The one contract a signing-kiosk session reaches, or undefined for an ordinary session. */
export function sessionKiosk(
  session: SessionRow,
): { caseId: string; clientId: string; contractId: string } | undefined {
  if (
    session.kiosk_case_id === null ||
    session.kiosk_client_id === null ||
    session.kiosk_contract_id === null
  )
    return undefined;
  return {
    caseId: session.kiosk_case_id,
    clientId: session.kiosk_client_id,
    contractId: session.kiosk_contract_id,
  };
}

/**
 * Locks a signed-in session to one contract for one client (the signing screen handed
 * over). False if the session has ended or is a kiosk already. It is unlocked only by
 * moving it on under a new id (advanceSession), once the practitioner has proved who they are.
 */
export async function lockSessionToKiosk(
  trx: Transaction<Database>,
  input: { idHash: string; caseId: string; clientId: string; contractId: string; now: string },
): Promise<boolean> {
  const result = await trx
    .updateTable('user_session')
    .set({
      kiosk_case_id: input.caseId,
      kiosk_client_id: input.clientId,
      kiosk_contract_id: input.contractId,
      kiosk_started_at: input.now,
    })
    .where('id_hash', '=', input.idHash)
    .where('ended_at', 'is', null)
    .where('stage', '=', 'active')
    .where('kiosk_case_id', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Moves a session on a stage under a new id (the old id stops working: no fixation). */
export async function advanceSession(
  trx: Transaction<Database>,
  input: { oldIdHash: string; newIdHash: string; csrfToken: string; stage: SessionStage; now: string },
): Promise<void> {
  const old = await trx
    .selectFrom('user_session')
    .selectAll()
    .where('id_hash', '=', input.oldIdHash)
    .executeTakeFirstOrThrow();
  await trx
    .updateTable('user_session')
    .set({ ended_at: input.now })
    .where('id_hash', '=', input.oldIdHash)
    .execute();
  await createSession(trx, {
    idHash: input.newIdHash,
    userId: old.user_id,
    practiceId: old.practice_id,
    csrfToken: input.csrfToken,
    stage: input.stage,
    now: input.now,
  });
  // The absolute lifetime runs from the first sign-in, not from the advance.
  await trx
    .updateTable('user_session')
    .set({ created_at: old.created_at })
    .where('id_hash', '=', input.newIdHash)
    .execute();
}

export async function endSession(db: Kysely<Database>, idHash: string, now: string): Promise<void> {
  await db
    .updateTable('user_session')
    .set({ ended_at: now })
    .where('id_hash', '=', idHash)
    .where('ended_at', 'is', null)
    .execute();
}

export async function endOtherSessions(
  trx: Transaction<Database>,
  userId: string,
  keepIdHash: string,
  now: string,
): Promise<void> {
  await trx
    .updateTable('user_session')
    .set({ ended_at: now })
    .where('user_id', '=', userId)
    .where('id_hash', '!=', keepIdHash)
    .where('ended_at', 'is', null)
    .execute();
}

// ---------------------------------------------------------------- TOTP

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
): Promise<void> {
  await trx
    .updateTable('app_user')
    .set({ totp_enabled_at: now, totp_last_step: step })
    .where('id', '=', userId)
    .execute();
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

export async function setPasswordHash(
  trx: Transaction<Database>,
  userId: string,
  passwordHash: string,
): Promise<void> {
  await trx.updateTable('app_user').set({ password_hash: passwordHash }).where('id', '=', userId).execute();
}

// ---------------------------------------------------------------- recovery codes

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

/** Uses a recovery code once; false if it is unknown or was used before. */
export async function useRecoveryCode(
  trx: Transaction<Database>,
  userId: string,
  codeHash: string,
  now: string,
): Promise<boolean> {
  const result = await trx
    .updateTable('recovery_code')
    .set({ used_at: now })
    .where('user_id', '=', userId)
    .where('code_hash', '=', codeHash)
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

// ---------------------------------------------------------------- API tokens

export async function createApiToken(
  trx: Transaction<Database>,
  input: { userId: string; practiceId: string; name: string; tokenHash: string; now: string },
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

export async function listApiTokens(db: Kysely<Database>, userId: string): Promise<ApiTokenRow[]> {
  return db
    .selectFrom('api_token')
    .selectAll()
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .orderBy('created_at')
    .execute();
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
