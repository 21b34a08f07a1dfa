import { createHash, randomBytes } from 'node:crypto';
import { AlcoveError, newId } from '@alcove/core';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.ts';

/**
 * Invitations to the client portal. The token is sent once, by e-mail, to the client's own
 * address; only its SHA-256 is kept. It works once, for a week.
 */
export const INVITATION_DAYS = 7;

function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export async function createInvitation(
  trx: Transaction<Database>,
  input: { practiceId: string; clientId: string; createdBy: string; now: string },
): Promise<{ token: string; expiresAt: string }> {
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(Date.parse(input.now) + INVITATION_DAYS * 86_400_000).toISOString();
  await trx
    .insertInto('portal_invitation')
    .values({
      id: newId(),
      practice_id: input.practiceId,
      client_id: input.clientId,
      token_hash: hashToken(token),
      created_by: input.createdBy,
      created_at: input.now,
      expires_at: expiresAt,
      accepted_at: null,
    })
    .execute();
  return { token, expiresAt };
}

const NOT_VALID =
  'This invitation link is not valid: it may have been used or have expired. Ask your practitioner for a new one.';

/** Which client an invitation is for, without taking it up; refused like takeInvitation. */
export async function peekInvitation(
  db: Kysely<Database>,
  token: string,
  now: string,
): Promise<{ practiceId: string; clientId: string }> {
  const row = await db
    .selectFrom('portal_invitation')
    .selectAll()
    .where('token_hash', '=', hashToken(token))
    .executeTakeFirst();
  if (row === undefined || row.accepted_at !== null || row.expires_at <= now) {
    throw new AlcoveError('not-found', NOT_VALID);
  }
  return { practiceId: row.practice_id, clientId: row.client_id };
}

/**
 * Takes up an invitation: refused when unknown, used or expired (all the same "not valid",
 * so a guess learns nothing). Marks it used in the caller's transaction.
 */
export async function takeInvitation(
  trx: Transaction<Database>,
  token: string,
  now: string,
): Promise<{ practiceId: string; clientId: string }> {
  const row = await trx
    .selectFrom('portal_invitation')
    .selectAll()
    .where('token_hash', '=', hashToken(token))
    .executeTakeFirst();
  if (row === undefined || row.accepted_at !== null || row.expires_at <= now) {
    throw new AlcoveError('not-found', NOT_VALID);
  }
  await trx.updateTable('portal_invitation').set({ accepted_at: now }).where('id', '=', row.id).execute();
  return { practiceId: row.practice_id, clientId: row.client_id };
}

export interface PortalStatus {
  /** The client has a portal account. */
  readonly account: boolean;
  /** The newest invitation not yet taken up and not expired, if any. */
  readonly invitedUntil: string | null;
}

export async function portalStatusOf(
  db: Kysely<Database>,
  practiceId: string,
  clientId: string,
  now: string,
): Promise<PortalStatus> {
  const account = await db
    .selectFrom('membership')
    .select('id')
    .where('practice_id', '=', practiceId)
    .where('client_id', '=', clientId)
    .where('role', '=', 'client')
    .executeTakeFirst();
  const invitation = await db
    .selectFrom('portal_invitation')
    .select('expires_at')
    .where('practice_id', '=', practiceId)
    .where('client_id', '=', clientId)
    .where('accepted_at', 'is', null)
    .where('expires_at', '>', now)
    .orderBy('expires_at', 'desc')
    .executeTakeFirst();
  return { account: account !== undefined, invitedUntil: invitation?.expires_at ?? null };
}
