import { AlcoveError, newId } from '@alcove/core';
import type { Kysely, Selectable, Transaction } from 'kysely';
import { endPendingPasswordResets } from './password-reset.ts';
import type { ApiTokenTable, Database, RecoveryCodeTable, UserSessionTable } from './schema.ts';

/**
 * Server-side sessions, API tokens and recovery codes. Every secret a browser or script
 * holds is stored only as a hash the caller makes (SHA-256 of a 256-bit session id or token;
 * argon2id of a recovery code); none can be read back.
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
    /** Where it signed in from (auditSource in audit-source.ts trims them). */
    sourceAddress?: string | null;
    userAgent?: string | null;
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
      source_address: input.sourceAddress ?? null,
      user_agent: input.userAgent ?? null,
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

/**
 * Moves a session on a stage under a new id (the old id stops working: no fixation). A
 * re-authentication is not carried over: the new row has one only when `reauthenticatedAt`
 * says so (signing in with both factors, ending a kiosk), never after a practice switch.
 */
export async function advanceSession(
  trx: Transaction<Database>,
  input: {
    oldIdHash: string;
    newIdHash: string;
    csrfToken: string;
    stage: SessionStage;
    now: string;
    reauthenticatedAt?: string | null;
    /** Moves the session to this practice (choosing or switching, issue 16); undefined keeps its own. */
    practiceId?: string | null;
  },
): Promise<void> {
  // Only a session still open moves on, and only once: a request that passed its checks just
  // before the session was ended (signed out elsewhere, an administrator ending it, a password
  // change), or a second request racing the first with the same cookie, creates nothing. The
  // guarded update takes the row's lock on PostgreSQL, so the loser sees it ended.
  const ended = await trx
    .updateTable('user_session')
    .set({ ended_at: input.now })
    .where('id_hash', '=', input.oldIdHash)
    .where('ended_at', 'is', null)
    .executeTakeFirst();
  if (Number(ended.numUpdatedRows) !== 1)
    throw new AlcoveError('unauthenticated', 'This session has ended. Sign in again.');
  const old = await trx
    .selectFrom('user_session')
    .selectAll()
    .where('id_hash', '=', input.oldIdHash)
    .executeTakeFirstOrThrow();
  await createSession(trx, {
    idHash: input.newIdHash,
    userId: old.user_id,
    practiceId: input.practiceId === undefined ? old.practice_id : input.practiceId,
    csrfToken: input.csrfToken,
    stage: input.stage,
    now: input.now,
    // The same sign-in, moved on: it keeps where it came from.
    sourceAddress: old.source_address,
    userAgent: old.user_agent,
  });
  // The absolute lifetime runs from the first sign-in, not from the advance.
  await trx
    .updateTable('user_session')
    .set({ created_at: old.created_at, reauthenticated_at: input.reauthenticatedAt ?? null })
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

/**
 * Ends every open session and revokes every API token of one account (an administrator
 * ending an account's access, a suspension, a role change). Returns how many of each ended.
 */
export async function endEverySessionAndToken(
  trx: Transaction<Database>,
  userId: string,
  now: string,
): Promise<{ sessions: number; tokens: number }> {
  const sessions = await endSessionsExcept(trx, userId, null, now);
  const tokens = await revokeEveryApiToken(trx, userId, now);
  // A password-reset link still waiting is a way back in too.
  await endPendingPasswordResets(trx, userId, now);
  return { sessions, tokens };
}

/** An account's sessions that have not ended, oldest first (those past a timeout included: the caller judges). */
export async function listOpenSessions(db: Kysely<Database>, userId: string): Promise<SessionRow[]> {
  return db
    .selectFrom('user_session')
    .selectAll()
    .where('user_id', '=', userId)
    .where('ended_at', 'is', null)
    .orderBy('created_at')
    .orderBy('id_hash')
    .execute();
}

/** Ends one open session of this account; false if it is not theirs or has ended. */
export async function endSessionOfUser(
  trx: Transaction<Database>,
  userId: string,
  idHash: string,
  now: string,
): Promise<boolean> {
  const result = await trx
    .updateTable('user_session')
    .set({ ended_at: now })
    .where('id_hash', '=', idHash)
    .where('user_id', '=', userId)
    .where('ended_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Ends every open session of this account but one; returns how many ended. */
export async function endSessionsExcept(
  trx: Transaction<Database>,
  userId: string,
  keepIdHash: string | null,
  now: string,
): Promise<number> {
  let query = trx
    .updateTable('user_session')
    .set({ ended_at: now })
    .where('user_id', '=', userId)
    .where('ended_at', 'is', null);
  if (keepIdHash !== null) query = query.where('id_hash', '!=', keepIdHash);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows);
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

// ---------------------------------------------------------------- API tokens

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
