import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

/** Who takes part in which case, seen from one client. */

/** The cases a client takes part in, oldest first, with the label the client has in each. */
export async function casesOfClient(
  db: Kysely<Database>,
  practiceId: string,
  clientId: string,
): Promise<{ caseId: string; label: string }[]> {
  return db
    .selectFrom('participant')
    .innerJoin('care_case', 'care_case.id', 'participant.case_id')
    .select(['care_case.id as caseId', 'participant.label'])
    .where('care_case.practice_id', '=', practiceId)
    .where('participant.client_id', '=', clientId)
    .orderBy('care_case.opened_at')
    .execute();
}

/** The other clients who share any case with this one (a partner, a family member), once each. */
export async function coParticipantsOf(db: Kysely<Database>, clientId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('participant as mine')
    .innerJoin('participant as other', 'other.case_id', 'mine.case_id')
    .select('other.client_id')
    .where('mine.client_id', '=', clientId)
    .where('other.client_id', '<>', clientId)
    .execute();
  return [...new Set(rows.map((r) => r.client_id))];
}
