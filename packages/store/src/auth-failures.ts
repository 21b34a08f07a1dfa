import type { ExpressionBuilder, Kysely, Transaction } from 'kysely';
import type { Database } from './schema.ts';

/**
 * Failed sign-ins and failed second-factor codes, counted in the database so that a
 * restart or a second server sees the same count (issue 16). Each function is one
 * statement or one guarded update, so two servers counting at once never lose a failure
 * and never both lock: on PostgreSQL the row lock taken by UPDATE makes the second wait and
 * see the first's result; SQLite has one writer.
 *
 * A subject is `user:<id>` for an account, or `email:<blind index>` for an address with no
 * account; the policy (how many failures, how long a lock) is the server's (auth/lockout.ts).
 */
export type AuthFactor = 'password' | 'second-factor';

export interface AuthFailureState {
  readonly failures: number;
  readonly lockCount: number;
  readonly lockedUntil: string | null;
}

export function userSubject(userId: string): string {
  return `user:${userId}`;
}

export function unknownAddressSubject(emailIndex: string): string {
  return `email:${emailIndex}`;
}

export async function authFailureState(
  db: Kysely<Database>,
  subject: string,
  factor: AuthFactor,
): Promise<AuthFailureState | undefined> {
  const row = await db
    .selectFrom('auth_failure')
    .select(['failures', 'lock_count', 'locked_until'])
    .where('subject', '=', subject)
    .where('factor', '=', factor)
    .executeTakeFirst();
  return row === undefined
    ? undefined
    : { failures: row.failures, lockCount: row.lock_count, lockedUntil: row.locked_until };
}

/**
 * Counts one failure. A count whose window began before `windowStartsAfter` starts again
 * at one. Returns the count in the window and how many times the factor has been locked.
 */
export async function countAuthFailure(
  db: Kysely<Database>,
  input: { subject: string; factor: AuthFactor; now: string; windowStartsAfter: string },
): Promise<{ failures: number; lockCount: number }> {
  await db
    .insertInto('auth_failure')
    .values({
      subject: input.subject,
      factor: input.factor,
      failures: 0,
      window_started_at: null,
      lock_count: 0,
      locked_until: null,
      last_failed_at: null,
    })
    .onConflict((oc) => oc.columns(['subject', 'factor']).doNothing())
    .execute();
  const stale = (eb: ExpressionBuilder<Database, 'auth_failure'>) =>
    eb.or([eb('window_started_at', 'is', null), eb('window_started_at', '<', input.windowStartsAfter)]);
  const row = await db
    .updateTable('auth_failure')
    .set((eb) => ({
      failures: eb
        .case()
        .when(stale(eb))
        .then(1)
        .else(eb('failures', '+', 1))
        .end(),
      window_started_at: eb.case().when(stale(eb)).then(input.now).else(eb.ref('window_started_at')).end(),
      last_failed_at: input.now,
    }))
    .where('subject', '=', input.subject)
    .where('factor', '=', input.factor)
    .returning(['failures', 'lock_count'])
    .executeTakeFirstOrThrow();
  return { failures: row.failures, lockCount: row.lock_count };
}

/**
 * Locks the factor once its count has reached `limit`: the count starts again, the lock
 * count grows by one, and nothing is accepted until `until(lockCount)`. Returns the new
 * lock count and the time, for the one caller that locked it; undefined for any other
 * (the count had not reached the limit, or another server locked it first).
 */
export async function lockAuthFactor(
  trx: Transaction<Database>,
  input: { subject: string; factor: AuthFactor; limit: number; until: (lockCount: number) => string },
): Promise<{ lockCount: number; lockedUntil: string } | undefined> {
  const row = await trx
    .selectFrom('auth_failure')
    .select(['failures', 'lock_count'])
    .where('subject', '=', input.subject)
    .where('factor', '=', input.factor)
    .executeTakeFirst();
  if (row === undefined || row.failures < input.limit) return undefined;
  const lockCount = row.lock_count + 1;
  const lockedUntil = input.until(lockCount);
  const result = await trx
    .updateTable('auth_failure')
    .set({ failures: 0, window_started_at: null, lock_count: lockCount, locked_until: lockedUntil })
    .where('subject', '=', input.subject)
    .where('factor', '=', input.factor)
    .where('failures', '>=', input.limit)
    .where('lock_count', '=', row.lock_count)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n ? { lockCount, lockedUntil } : undefined;
}

/** A success: the count, and the growing delay, start again from nothing. */
export async function clearAuthFailures(
  db: Kysely<Database>,
  subject: string,
  factor: AuthFactor,
): Promise<void> {
  await db.deleteFrom('auth_failure').where('subject', '=', subject).where('factor', '=', factor).execute();
}
