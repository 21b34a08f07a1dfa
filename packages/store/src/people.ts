import { AlcoveError, newId, type Role, staffRoles } from '@alcove/core';
import { type Kysely, sql, type Transaction } from 'kysely';
import { openAccountField } from './accounts.ts';
import type { Keyring } from './keyring.ts';
import type { Database } from './schema.ts';
import { endEverySessionAndToken } from './sessions.ts';

/**
 * The practice's people (issue 16): its staff memberships, suspended or not, and the one
 * way they change (`changeStaffMember`). The invitations that bring someone in are in
 * staff-invitations.ts.
 */
export type StaffRole = 'practitioner' | 'administrator' | 'supervisor' | 'executor';

export function isStaffRole(role: string): role is StaffRole {
  return (staffRoles as readonly string[]).includes(role);
}

export interface StaffMember {
  readonly userId: string;
  readonly roles: StaffRole[];
  readonly suspended: boolean;
  readonly disabled: boolean;
  readonly mfaEnrolled: boolean;
}

/**
 * Serialises changes to one practice's people: every change takes this row lock first (on
 * PostgreSQL a row lock held to the end of the transaction; SQLite has one writer), so two
 * administrators demoting each other at once cannot both pass the "one administrator left"
 * check.
 */
export async function lockPracticePeople(trx: Transaction<Database>, practiceId: string): Promise<void> {
  await trx.updateTable('practice').set({ name: sql<string>`name` }).where('id', '=', practiceId).execute();
}

/** The practice's staff (never its clients or appropriate adults), by account. */
export async function staffMembers(
  db: Kysely<Database>,
  practiceId: string,
  userId?: string,
): Promise<StaffMember[]> {
  let query = db
    .selectFrom('membership')
    .innerJoin('app_user', 'app_user.id', 'membership.user_id')
    .select([
      'membership.user_id',
      'membership.role',
      'membership.suspended_at',
      'membership.created_at',
      'app_user.disabled_at',
      'app_user.totp_enabled_at',
    ])
    .where('membership.practice_id', '=', practiceId)
    .where('membership.client_id', 'is', null)
    .where('membership.role', 'in', [...staffRoles]);
  if (userId !== undefined) query = query.where('membership.user_id', '=', userId);
  const rows = await query.orderBy('membership.created_at').orderBy('membership.id').execute();
  const byUser = new Map<string, StaffMember & { roles: StaffRole[] }>();
  for (const row of rows) {
    if (!isStaffRole(row.role)) continue;
    const found = byUser.get(row.user_id);
    if (found === undefined) {
      byUser.set(row.user_id, {
        userId: row.user_id,
        roles: [row.role],
        suspended: row.suspended_at !== null,
        disabled: row.disabled_at !== null,
        mfaEnrolled: row.totp_enabled_at !== null,
      });
    } else {
      found.roles.push(row.role);
    }
  }
  const members = [...byUser.values()];
  for (const member of members) member.roles.sort(byStaffOrder);
  return members;
}

/** Roles in one order everywhere: practitioner, administrator, supervisor, executor. */
function byStaffOrder(a: Role, b: Role): number {
  const rank = (role: Role) => {
    const at = (staffRoles as readonly Role[]).indexOf(role);
    return at === -1 ? staffRoles.length : at;
  };
  return rank(a) - rank(b);
}

/** Whether an account holds any membership of the practice tied to a client (a portal account). */
export async function hasClientMembership(
  db: Kysely<Database>,
  practiceId: string,
  userId: string,
): Promise<boolean> {
  const row = await db
    .selectFrom('membership')
    .select('id')
    .where('practice_id', '=', practiceId)
    .where('user_id', '=', userId)
    .where((eb) => eb.or([eb('client_id', 'is not', null), eb('role', 'not in', [...staffRoles])]))
    .executeTakeFirst();
  return row !== undefined;
}

/** Administrators who can act: not suspended here, account not disabled. */
export async function activeAdministrators(db: Kysely<Database>, practiceId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('membership')
    .innerJoin('app_user', 'app_user.id', 'membership.user_id')
    .select('membership.user_id')
    .where('membership.practice_id', '=', practiceId)
    .where('membership.role', '=', 'administrator')
    .where('membership.client_id', 'is', null)
    .where('membership.suspended_at', 'is', null)
    .where('app_user.disabled_at', 'is', null)
    .execute();
  return [...new Set(rows.map((r) => r.user_id))];
}

/** Gives an account exactly these staff roles in the practice, keeping its suspension as it is. */
export async function setStaffRoles(
  trx: Transaction<Database>,
  input: { practiceId: string; userId: string; roles: readonly StaffRole[]; now: string },
): Promise<void> {
  const current = await trx
    .selectFrom('membership')
    .select(['id', 'role', 'suspended_at'])
    .where('practice_id', '=', input.practiceId)
    .where('user_id', '=', input.userId)
    .where('client_id', 'is', null)
    .where('role', 'in', [...staffRoles])
    .execute();
  const wanted = new Set<Role>(input.roles);
  const suspendedAt = current.find((r) => r.suspended_at !== null)?.suspended_at ?? null;
  const gone = current.filter((r) => !wanted.has(r.role as Role)).map((r) => r.id);
  if (gone.length > 0) await trx.deleteFrom('membership').where('id', 'in', gone).execute();
  const have = new Set(current.map((r) => r.role));
  for (const role of wanted) {
    if (have.has(role)) continue;
    await trx
      .insertInto('membership')
      .values({
        id: newId(),
        user_id: input.userId,
        practice_id: input.practiceId,
        role,
        client_id: null,
        created_at: input.now,
        suspended_at: suspendedAt,
      })
      .execute();
  }
}

/** Suspends (a time) or reinstates (null) every staff role of an account in the practice. */
export async function setStaffSuspension(
  trx: Transaction<Database>,
  input: { practiceId: string; userId: string; suspendedAt: string | null },
): Promise<void> {
  await trx
    .updateTable('membership')
    .set({ suspended_at: input.suspendedAt })
    .where('practice_id', '=', input.practiceId)
    .where('user_id', '=', input.userId)
    .where('client_id', 'is', null)
    .where('role', 'in', [...staffRoles])
    .execute();
}

/** Removes every staff role of an account in the practice; the account and its other practices stay. */
export async function removeStaffMembership(
  trx: Transaction<Database>,
  input: { practiceId: string; userId: string },
): Promise<void> {
  await trx
    .deleteFrom('membership')
    .where('practice_id', '=', input.practiceId)
    .where('user_id', '=', input.userId)
    .where('client_id', 'is', null)
    .where('role', 'in', [...staffRoles])
    .execute();
}

/** When each account last signed in to this practice (its newest session's start). */
export async function lastSignIns(
  db: Kysely<Database>,
  practiceId: string,
  userIds: readonly string[],
): Promise<Map<string, string>> {
  const result = new Map<string, string>();
  if (userIds.length === 0) return result;
  const rows = await db
    .selectFrom('user_session')
    .select(['user_id', (eb) => eb.fn.max('created_at').as('last')])
    .where('practice_id', '=', practiceId)
    .where('user_id', 'in', [...new Set(userIds)])
    .groupBy('user_id')
    .execute();
  for (const row of rows) if (row.last !== null) result.set(row.user_id, String(row.last));
  return result;
}

/** An account's name and address, opened. */
export async function accountContact(
  db: Kysely<Database>,
  keyring: Keyring,
  userId: string,
): Promise<{ name: string; email: string } | undefined> {
  const row = await db
    .selectFrom('app_user')
    .select(['id', 'name_sealed', 'email_sealed'])
    .where('id', '=', userId)
    .executeTakeFirst();
  if (row === undefined) return undefined;
  return {
    name: await openAccountField(db, keyring, row.id, 'name', row.name_sealed),
    email: await openAccountField(db, keyring, row.id, 'email', row.email_sealed),
  };
}

/** The practices where an account holds an active (not suspended) membership, with its roles there. */
export async function activePracticesOf(
  db: Kysely<Database>,
  userId: string,
): Promise<{ id: string; name: string; roles: Role[] }[]> {
  const rows = await db
    .selectFrom('membership')
    .innerJoin('practice', 'practice.id', 'membership.practice_id')
    .select(['practice.id', 'practice.name', 'membership.role', 'membership.created_at'])
    .where('membership.user_id', '=', userId)
    .where('membership.suspended_at', 'is', null)
    .orderBy('membership.created_at')
    .orderBy('membership.id')
    .execute();
  const byPractice = new Map<string, { id: string; name: string; roles: Role[] }>();
  for (const row of rows) {
    const found = byPractice.get(row.id);
    if (found === undefined)
      byPractice.set(row.id, { id: row.id, name: row.name, roles: [row.role as Role] });
    else found.roles.push(row.role as Role);
  }
  const practices = [...byPractice.values()];
  for (const practice of practices) practice.roles.sort(byStaffOrder);
  return practices;
}

export const NO_SUCH_PERSON = 'There is no such person in this practice.';
export const LAST_ADMINISTRATOR =
  'The practice would be left without an active administrator: make someone else an administrator first.';

export type StaffChange =
  | { readonly kind: 'roles'; readonly roles: readonly StaffRole[] }
  | { readonly kind: 'suspend' }
  | { readonly kind: 'reinstate' }
  | { readonly kind: 'remove' };

/**
 * One change to a staff member of a practice, in the caller's transaction, whoever asks
 * (an administrator through the API, or the `alcove people` command): it holds the
 * practice's people lock, refuses a person who is not on this practice's staff ("not
 * found"), and refuses a change that would leave no active administrator (409). A change of
 * roles, a suspension and a removal end every session and API token of the account at once;
 * a reinstatement ends nothing. Returns whether access was ended. The caller audits.
 */
export async function changeStaffMember(
  trx: Transaction<Database>,
  input: { practiceId: string; userId: string; change: StaffChange; now: string },
): Promise<{ accessEnded: boolean }> {
  const { practiceId, userId, change, now } = input;
  await lockPracticePeople(trx, practiceId);
  const [member] = await staffMembers(trx, practiceId, userId);
  if (member === undefined) throw new AlcoveError('not-found', NO_SUCH_PERSON);
  switch (change.kind) {
    case 'roles':
      await setStaffRoles(trx, { practiceId, userId, roles: change.roles, now });
      break;
    case 'suspend':
      await setStaffSuspension(trx, { practiceId, userId, suspendedAt: now });
      break;
    case 'reinstate':
      await setStaffSuspension(trx, { practiceId, userId, suspendedAt: null });
      break;
    case 'remove':
      await removeStaffMembership(trx, { practiceId, userId });
      break;
  }
  if ((await activeAdministrators(trx, practiceId)).length === 0) {
    throw new AlcoveError('conflict', LAST_ADMINISTRATOR);
  }
  if (change.kind === 'reinstate') return { accessEnded: false };
  await endEverySessionAndToken(trx, userId, now);
  return { accessEnded: true };
}
