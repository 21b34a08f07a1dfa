import { createHash, randomBytes } from 'node:crypto';
import { newId } from '@alcove/core';
import type { Kysely, Transaction } from 'kysely';
import { type Binding, openText, sealText } from './crypto/aead.ts';
import type { Keyring } from './keyring.ts';
import { isStaffRole, type StaffRole } from './people.ts';
import type { Database } from './schema.ts';

/**
 * The invitations that bring someone onto a practice's staff (issue 16). An invitation's
 * token is given once (in an e-mail, or shown once to the inviter) and kept only as its
 * SHA-256; the invitee's address and name are sealed under the accounts key, like an
 * account's own, so nothing names them in clear.
 */
export const STAFF_INVITATION_DAYS = 7;

function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

function inviteeBinding(practiceId: string, invitationId: string): Binding {
  return { practiceId, record: `staff-invitation/${invitationId}`, field: 'invitee', keyId: 'accounts' };
}

export interface StaffInvitee {
  readonly email: string;
  readonly name: string;
}

function rolesOf(text: string): StaffRole[] {
  return text.split(',').filter(isStaffRole);
}

/** Makes an invitation; the token is returned once, here, and never stored. */
export async function createStaffInvitation(
  trx: Transaction<Database>,
  keyring: Keyring,
  input: {
    practiceId: string;
    roles: readonly StaffRole[];
    invitee: StaffInvitee;
    /** Null: the `alcove people invite` command. */
    createdBy: string | null;
    now: string;
  },
): Promise<{ id: string; token: string; expiresAt: string }> {
  const id = newId();
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(Date.parse(input.now) + STAFF_INVITATION_DAYS * 86_400_000).toISOString();
  const key = await keyring.secret(trx, 'accounts');
  await trx
    .insertInto('staff_invitation')
    .values({
      id,
      practice_id: input.practiceId,
      roles: [...new Set(input.roles)].join(','),
      invitee_sealed: sealText(
        key,
        JSON.stringify({ email: input.invitee.email.trim().toLowerCase(), name: input.invitee.name }),
        inviteeBinding(input.practiceId, id),
      ),
      token_hash: hashToken(token),
      created_by: input.createdBy,
      created_at: input.now,
      expires_at: expiresAt,
      accepted_at: null,
      accepted_by: null,
      withdrawn_at: null,
    })
    .execute();
  return { id, token, expiresAt };
}

export interface PendingStaffInvitation {
  readonly id: string;
  readonly email: string;
  readonly roles: StaffRole[];
  readonly createdAt: string;
  readonly expiresAt: string;
}

/** Invitations neither taken up, withdrawn nor expired, oldest first. */
export async function pendingStaffInvitations(
  db: Kysely<Database>,
  keyring: Keyring,
  practiceId: string,
  now: string,
): Promise<PendingStaffInvitation[]> {
  const rows = await db
    .selectFrom('staff_invitation')
    .selectAll()
    .where('practice_id', '=', practiceId)
    .where('accepted_at', 'is', null)
    .where('withdrawn_at', 'is', null)
    .where('expires_at', '>', now)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  const key = await keyring.secret(db, 'accounts');
  return rows.map((row) => {
    const invitee = JSON.parse(
      openText(key, row.invitee_sealed, inviteeBinding(practiceId, row.id)),
    ) as StaffInvitee;
    return {
      id: row.id,
      email: invitee.email,
      roles: rolesOf(row.roles),
      createdAt: row.created_at,
      expiresAt: row.expires_at,
    };
  });
}

/** Withdraws a pending invitation of this practice; false when there is none to withdraw. */
export async function withdrawStaffInvitation(
  trx: Transaction<Database>,
  input: { practiceId: string; invitationId: string; now: string },
): Promise<boolean> {
  const result = await trx
    .updateTable('staff_invitation')
    .set({ withdrawn_at: input.now })
    .where('id', '=', input.invitationId)
    .where('practice_id', '=', input.practiceId)
    .where('accepted_at', 'is', null)
    .where('withdrawn_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export type StaffInvitationState = 'valid' | 'used' | 'withdrawn' | 'expired';

export interface StaffInvitationFacts {
  readonly id: string;
  readonly practiceId: string;
  readonly roles: StaffRole[];
  readonly invitee: StaffInvitee;
  readonly expiresAt: string;
  readonly state: StaffInvitationState;
}

/** What a token's invitation is and where it stands, or undefined for a token that is no invitation. */
export async function findStaffInvitation(
  db: Kysely<Database>,
  keyring: Keyring,
  token: string,
  now: string,
): Promise<StaffInvitationFacts | undefined> {
  const row = await db
    .selectFrom('staff_invitation')
    .selectAll()
    .where('token_hash', '=', hashToken(token))
    .executeTakeFirst();
  if (row === undefined) return undefined;
  const key = await keyring.secret(db, 'accounts');
  const invitee = JSON.parse(
    openText(key, row.invitee_sealed, inviteeBinding(row.practice_id, row.id)),
  ) as StaffInvitee;
  const state: StaffInvitationState =
    row.accepted_at !== null
      ? 'used'
      : row.withdrawn_at !== null
        ? 'withdrawn'
        : row.expires_at <= now
          ? 'expired'
          : 'valid';
  return {
    id: row.id,
    practiceId: row.practice_id,
    roles: rolesOf(row.roles),
    invitee,
    expiresAt: row.expires_at,
    state,
  };
}

/**
 * Takes up an invitation in the caller's transaction: false when it was taken up, withdrawn
 * or expired meanwhile (two browsers with the same link: one wins).
 */
export async function takeStaffInvitation(
  trx: Transaction<Database>,
  input: { invitationId: string; userId: string; now: string },
): Promise<boolean> {
  const result = await trx
    .updateTable('staff_invitation')
    .set({ accepted_at: input.now, accepted_by: input.userId })
    .where('id', '=', input.invitationId)
    .where('accepted_at', 'is', null)
    .where('withdrawn_at', 'is', null)
    .where('expires_at', '>', input.now)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
