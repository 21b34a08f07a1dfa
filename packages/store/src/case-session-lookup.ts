import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

/** One therapy session of a case (a note is written about it): undefined when it is not that case's. */
export async function sessionOfCase(db: Kysely<Database>, caseId: string, sessionId: string) {
  return db
    .selectFrom('therapy_session')
    .select(['id', 'starts_at', 'minutes'])
    .where('id', '=', sessionId)
    .where('case_id', '=', caseId)
    .executeTakeFirst();
}
