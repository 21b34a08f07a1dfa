import { createHmac } from 'node:crypto';
import { Confidential, newId, type Role } from '@alcove/core';
import type { Kysely, Selectable, Transaction } from 'kysely';
import { type Binding, openText, sealText } from './crypto/aead.ts';
import { isUniqueViolation } from './errors.ts';
import type { Keyring } from './keyring.ts';
import type { AppUserTable, Database } from './schema.ts';

/**
 * Accounts. A person's e-mail address and name are sealed under the keyring's account
 * key; sign-in finds the account through a keyed blind index of the normalised address,
 * so no address is stored in clear.
 */
export type UserRow = Selectable<AppUserTable>;

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

export async function emailIndex(db: Kysely<Database>, keyring: Keyring, email: string): Promise<string> {
  const key = await keyring.secret(db, 'email-index');
  return createHmac('sha256', key).update(normaliseEmail(email)).digest('hex');
}

function accountBinding(userId: string, field: string): Binding {
  return { practiceId: 'installation', record: `user/${userId}`, field, keyId: 'accounts' };
}

export async function sealAccountField(
  db: Kysely<Database>,
  keyring: Keyring,
  userId: string,
  field: string,
  value: string,
): Promise<string> {
  return sealText(await keyring.secret(db, 'accounts'), value, accountBinding(userId, field));
}

export async function openAccountField(
  db: Kysely<Database>,
  keyring: Keyring,
  userId: string,
  field: string,
  sealed: string,
): Promise<string> {
  return openText(await keyring.secret(db, 'accounts'), sealed, accountBinding(userId, field));
}

export class EmailTakenError extends Error {
  constructor() {
    super('An account with this e-mail address exists already');
    this.name = 'EmailTakenError';
  }
}

export async function createUser(
  trx: Transaction<Database>,
  keyring: Keyring,
  input: { email: string; name: string; passwordHash: string; now?: string },
): Promise<{ id: string }> {
  const id = newId();
  const index = await emailIndex(trx, keyring, input.email);
  const taken = await trx
    .selectFrom('app_user')
    .select('id')
    .where('email_index', '=', index)
    .executeTakeFirst();
  if (taken !== undefined) throw new EmailTakenError();
  // Another transaction may have made the same address between the check and the insert
  // (two browsers taking up one invitation): its unique index refuses ours, and that is
  // the same answer as the check's.
  await trx
    .insertInto('app_user')
    .values({
      id,
      email_index: index,
      email_sealed: await sealAccountField(trx, keyring, id, 'email', normaliseEmail(input.email)),
      name_sealed: await sealAccountField(trx, keyring, id, 'name', input.name),
      password_hash: input.passwordHash,
      totp_secret_sealed: null,
      totp_enabled_at: null,
      totp_last_step: null,
      created_at: input.now ?? new Date().toISOString(),
      disabled_at: null,
    })
    .execute()
    .catch((error: unknown) => {
      throw isUniqueViolation(error) ? new EmailTakenError() : error;
    });
  return { id };
}

export async function addMembership(
  trx: Transaction<Database>,
  input: { userId: string; practiceId: string; role: Role; clientId?: string; now?: string },
): Promise<void> {
  await trx
    .insertInto('membership')
    .values({
      id: newId(),
      user_id: input.userId,
      practice_id: input.practiceId,
      role: input.role,
      client_id: input.clientId ?? null,
      created_at: input.now ?? new Date().toISOString(),
    })
    .execute();
}

export async function findUserByEmail(
  db: Kysely<Database>,
  keyring: Keyring,
  email: string,
): Promise<UserRow | undefined> {
  const index = await emailIndex(db, keyring, email);
  return db.selectFrom('app_user').selectAll().where('email_index', '=', index).executeTakeFirst();
}

export async function findUser(db: Kysely<Database>, userId: string): Promise<UserRow | undefined> {
  return db.selectFrom('app_user').selectAll().where('id', '=', userId).executeTakeFirst();
}

export interface Membership {
  readonly practiceId: string;
  readonly role: Role;
  readonly clientId: string | null;
  /** Suspended from this practice by an administrator (issue 16): the role gives nothing. */
  readonly suspended: boolean;
}

export async function membershipsOf(db: Kysely<Database>, userId: string): Promise<Membership[]> {
  const rows = await db.selectFrom('membership').selectAll().where('user_id', '=', userId).execute();
  // Oldest first, sorted here: a user has a handful, and SQLite would build a sorter each time.
  rows.sort((a, b) =>
    a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id < b.id ? -1 : 1,
  );
  return rows.map((r) => ({
    practiceId: r.practice_id,
    role: r.role as Role,
    clientId: r.client_id,
    suspended: r.suspended_at !== null,
  }));
}

/** Display names for a list of users (staff names in an access history). */
export async function userNames(
  db: Kysely<Database>,
  keyring: Keyring,
  userIds: readonly string[],
): Promise<Map<string, Confidential<string>>> {
  const names = new Map<string, Confidential<string>>();
  if (userIds.length === 0) return names;
  const rows = await db
    .selectFrom('app_user')
    .select(['id', 'name_sealed'])
    .where('id', 'in', [...new Set(userIds)])
    .execute();
  for (const row of rows) {
    names.set(row.id, new Confidential(await openAccountField(db, keyring, row.id, 'name', row.name_sealed)));
  }
  return names;
}
