import { AlcoveError } from '@alcove/core';
import type { Kysely, Selectable, Transaction } from 'kysely';
import { revokeEveryApiToken } from './api-tokens.ts';
import { endPendingPasswordResets } from './password-reset.ts';
import type { Database, UserSessionTable } from './schema.ts';

/**
 * Server-side sessions: signed in, moved on under new ids, locked to a signing kiosk and
 * ended. A session id is stored only as the SHA-256 the caller makes of it (256 random
 * bits); it cannot be read back. API tokens are in api-tokens.ts, an account's password,
 * authenticator and recovery codes in credentials.ts.
 */
export type SessionStage = 'mfa-enrol' | 'mfa-challenge' | 'active';
export type SessionRow = Selectable<UserSessionTable>;

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
