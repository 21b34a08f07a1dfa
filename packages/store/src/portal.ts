import { createHash, randomBytes } from 'node:crypto';
import { AlcoveError, Confidential, newId } from '@alcove/core';
import type { Kysely, Transaction } from 'kysely';
import { openAccountField } from './accounts.ts';
import { type Binding, openText, sealText } from './crypto/aead.ts';
import { KeyDestroyedError, type Keyring } from './keyring.ts';
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

/**
 * The appropriate adults recorded against these clients (GT-27): each one invited (their
 * name and address, sealed under the young person's key) and each with a portal account.
 * People who are not clients but whose details are in the record, for redaction (PG5-1).
 * An invitation whose client's key is destroyed can no longer be read, and is left out.
 */
export async function appropriateAdultsOf(
  db: Kysely<Database>,
  keyring: Keyring,
  practiceId: string,
  clientIds: readonly string[],
): Promise<{ clientId: string; person: Confidential<Invitee> }[]> {
  if (clientIds.length === 0) return [];
  const result: { clientId: string; person: Confidential<Invitee> }[] = [];
  const invitations = await db
    .selectFrom('portal_invitation')
    .select(['id', 'client_id', 'invitee_sealed'])
    .where('practice_id', '=', practiceId)
    .where('client_id', 'in', [...clientIds])
    .where('role', '=', 'appropriate-adult')
    .where('invitee_sealed', 'is not', null)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  for (const row of invitations) {
    if (row.invitee_sealed === null) continue;
    let found: { keyId: string; key: Buffer };
    try {
      found = await clientKey(db, keyring, practiceId, row.client_id);
    } catch (error) {
      // The client's key was destroyed: so was the invitation. Anything else (the database
      // failed) is thrown, never taken for destroyed.
      if (error instanceof KeyDestroyedError) continue;
      throw error;
    }
    // One that failed its integrity check is refused (TamperedError): without it, the
    // adult's details could not be redacted from what is released.
    const invitee: Invitee = JSON.parse(
      openText(found.key, row.invitee_sealed, inviteeBinding(practiceId, row.id, found.keyId)),
    );
    result.push({ clientId: row.client_id, person: new Confidential(invitee) });
  }
  const accounts = await db
    .selectFrom('membership')
    .innerJoin('app_user', 'app_user.id', 'membership.user_id')
    .select(['membership.client_id', 'app_user.id', 'app_user.name_sealed', 'app_user.email_sealed'])
    .where('membership.practice_id', '=', practiceId)
    .where('membership.client_id', 'in', [...clientIds])
    .where('membership.role', '=', 'appropriate-adult')
    .orderBy('membership.created_at')
    .orderBy('membership.id')
    .execute();
  for (const row of accounts) {
    if (row.client_id === null) continue;
    result.push({
      clientId: row.client_id,
      person: new Confidential({
        name: await openAccountField(db, keyring, row.id, 'name', row.name_sealed),
        email: await openAccountField(db, keyring, row.id, 'email', row.email_sealed),
      }),
    });
  }
  return result;
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
