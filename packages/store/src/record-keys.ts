import type { Kysely } from 'kysely';
import type { Keyring } from './keyring.ts';
import type { Database } from './schema.ts';

/**
 * The data key a record is sealed under (the key model: a key per client for their identity
 * and what belongs to them alone, per client per case for what they said, per case for
 * joint material), found by the record's owner and unwrapped through the keyring.
 */
export interface RecordKey {
  readonly keyId: string;
  readonly key: Buffer;
}

export async function clientKey(
  db: Kysely<Database>,
  keyring: Keyring,
  practiceId: string,
  clientId: string,
): Promise<RecordKey> {
  const row = await db
    .selectFrom('client')
    .select('key_id')
    .where('practice_id', '=', practiceId)
    .where('id', '=', clientId)
    .executeTakeFirstOrThrow();
  return { keyId: row.key_id, key: await keyring.dataKey(db, practiceId, row.key_id) };
}

export async function caseKey(
  db: Kysely<Database>,
  keyring: Keyring,
  practiceId: string,
  caseId: string,
): Promise<RecordKey> {
  const row = await db
    .selectFrom('care_case')
    .select('key_id')
    .where('practice_id', '=', practiceId)
    .where('id', '=', caseId)
    .executeTakeFirstOrThrow();
  return { keyId: row.key_id, key: await keyring.dataKey(db, practiceId, row.key_id) };
}

/** One client's own key within one case. */
export async function participantKey(
  db: Kysely<Database>,
  keyring: Keyring,
  practiceId: string,
  caseId: string,
  clientId: string,
): Promise<RecordKey> {
  const row = await db
    .selectFrom('participant')
    .select('key_id')
    .where('case_id', '=', caseId)
    .where('client_id', '=', clientId)
    .executeTakeFirstOrThrow();
  return { keyId: row.key_id, key: await keyring.dataKey(db, practiceId, row.key_id) };
}
