import type { Transaction } from 'kysely';
import type { Keyring } from './keyring.ts';
import type { Database } from './schema.ts';

/**
 * Crypto-shredding: destroying the keys a client's material in a case, or a whole case, was
 * sealed under (keyring.ts destroys the key; this finds which). The caller has decided
 * access and audits.
 */

/** Destroys one participant's key: that client's own material in that case, and nothing else. */
export async function destroyParticipantKey(
  trx: Transaction<Database>,
  keyring: Keyring,
  practiceId: string,
  participantId: string,
): Promise<void> {
  const row = await trx
    .selectFrom('participant')
    .select('key_id')
    .where('id', '=', participantId)
    .executeTakeFirstOrThrow();
  await keyring.destroyDataKey(trx, practiceId, row.key_id);
}

/** Destroys a case's key and all its participants' keys: the whole case, and nothing else. */
export async function destroyCaseKeys(
  trx: Transaction<Database>,
  keyring: Keyring,
  practiceId: string,
  caseId: string,
): Promise<void> {
  const theCase = await trx
    .selectFrom('care_case')
    .select('key_id')
    .where('id', '=', caseId)
    .where('practice_id', '=', practiceId)
    .executeTakeFirstOrThrow();
  await keyring.destroyDataKey(trx, practiceId, theCase.key_id);
  const participants = await trx
    .selectFrom('participant')
    .select('key_id')
    .where('case_id', '=', caseId)
    .execute();
  for (const p of participants) await keyring.destroyDataKey(trx, practiceId, p.key_id);
}
