import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

/** How many of an account's password-reset links are unused and still in time (the limit on asking). */
export async function waitingPasswordResets(
  db: Kysely<Database>,
  userId: string,
  now: string,
): Promise<number> {
  const waiting = await db
    .selectFrom('password_reset')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('user_id', '=', userId)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return Number(waiting?.n ?? 0);
}
