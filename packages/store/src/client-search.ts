import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

/**
 * The practice's clients whose name has this keyed blind index (intake.ts `matchKeysFor`):
 * a search by name that neither stores nor compares a name in clear.
 */
export async function clientIdsWithNameIndex(
  db: Kysely<Database>,
  practiceId: string,
  nameIndex: string,
): Promise<Set<string>> {
  const rows = await db
    .selectFrom('client')
    .select('id')
    .where('practice_id', '=', practiceId)
    .where('name_index', '=', nameIndex)
    .execute();
  return new Set(rows.map((r) => r.id));
}
