import { createHash, randomBytes } from 'node:crypto';
import { AlcoveError, newId } from '@alcove/core';
import type { Kysely, Transaction } from 'kysely';
import { type Binding, openText, sealText } from './crypto/aead.ts';
import type { Keyring } from './keyring.ts';
import { clientKey } from './record-keys.ts';
import type { Database } from './schema.ts';

/**
 * Invitations to the client portal. The token is sent once, by e-mail, to the client's own
 * address; only its SHA-256 is kept. It works once, for a week.
 */
export const INVITATION_DAYS = 7;

function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export interface Invitee {
  readonly email: string;
  readonly name: string;
}

function inviteeBinding(practiceId: string, invitationId: string, keyId: string): Binding {
  return { practiceId, record: `invitation/${invitationId}`, field: 'invitee', keyId };
}

/**
 * An invitation for the client themself, or (with `appropriateAdult`) for the young
 * person's appropriate adult, whose address and name are sealed under the young person's key.
 */
export async function createInvitation(
  trx: Transaction<Database>,
  input: {
    practiceId: string;
    clientId: string;
    createdBy: string;
    now: string;
    appropriateAdult?: { keyring: Keyring; invitee: Invitee };
  },
): Promise<{ token: string; expiresAt: string }> {
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(Date.parse(input.now) + INVITATION_DAYS * 86_400_000).toISOString();
  const id = newId();
  let invitee: string | null = null;
  if (input.appropriateAdult !== undefined) {
    const { keyId, key } = await clientKey(
      trx,
      input.appropriateAdult.keyring,
      input.practiceId,
      input.clientId,
    );
    invitee = sealText(
      key,
      JSON.stringify(input.appropriateAdult.invitee),
      inviteeBinding(input.practiceId, id, keyId),
    );
  }
  await trx
    .insertInto('portal_invitation')
    .values({
      id,
      practice_id: input.practiceId,
      client_id: input.clientId,
      role: input.appropriateAdult === undefined ? 'client' : 'appropriate-adult',
      invitee_sealed: invitee,
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

export interface InvitationFacts {
  readonly practiceId: string;
  readonly clientId: string;
  readonly role: 'client' | 'appropriate-adult';
  /** The appropriate adult's address and name; undefined for the client's own invitation. */
  readonly invitee: Invitee | undefined;
}

/** Who an invitation is for, without taking it up; refused like takeInvitation. */
export async function peekInvitation(
  db: Kysely<Database>,
  keyring: Keyring,
  token: string,
  now: string,
): Promise<InvitationFacts> {
  const row = await db
    .selectFrom('portal_invitation')
    .selectAll()
    .where('token_hash', '=', hashToken(token))
    .executeTakeFirst();
  if (row === undefined || row.accepted_at !== null || row.expires_at <= now) {
    throw new AlcoveError('not-found', NOT_VALID);
  }
  let invitee: Invitee | undefined;
  if (row.invitee_sealed !== null) {
    const { keyId, key } = await clientKey(db, keyring, row.practice_id, row.client_id);
    invitee = JSON.parse(openText(key, row.invitee_sealed, inviteeBinding(row.practice_id, row.id, keyId)));
  }
  return {
    practiceId: row.practice_id,
    clientId: row.client_id,
    role: row.role === 'appropriate-adult' ? 'appropriate-adult' : 'client',
    invitee,
  };
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
    .where('role', '=', 'client')
    .where('accepted_at', 'is', null)
    .where('expires_at', '>', now)
    .orderBy('expires_at', 'desc')
    .executeTakeFirst();
  return { account: account !== undefined, invitedUntil: invitation?.expires_at ?? null };
}
