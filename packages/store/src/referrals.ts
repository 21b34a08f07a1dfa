import { Confidential, newId } from '@alcove/core';
import type { Kysely, Transaction } from 'kysely';
import { sealText } from './crypto/aead.ts';
import type { Keyring } from './keyring.ts';
import { caseKey, participantKey } from './record-keys.ts';
import type { Database } from './schema.ts';
import { type Opened, openSealedText } from './sealed.ts';

/**
 * Referral letters (GT-21c) and declared dual relationships (GT-34, GT-35). A referral
 * letter is about one client and is sealed under their participant key in the case, so it
 * goes with their own material; a dual relationship's description under the case key.
 */

export async function writeReferral(
  trx: Transaction<Database>,
  keyring: Keyring,
  input: {
    practiceId: string;
    caseId: string;
    clientId: string;
    consentId: string;
    letter: Confidential<string>;
    writtenBy: string;
    now: string;
  },
): Promise<{ id: string }> {
  const id = newId();
  const { keyId, key } = await participantKey(trx, keyring, input.practiceId, input.caseId, input.clientId);
  await trx
    .insertInto('referral')
    .values({
      id,
      practice_id: input.practiceId,
      case_id: input.caseId,
      client_id: input.clientId,
      consent_id: input.consentId,
      letter_sealed: sealText(key, input.letter.reveal(), {
        practiceId: input.practiceId,
        record: `referral/${id}`,
        field: 'letter',
        keyId,
      }),
      written_by: input.writtenBy,
      written_at: input.now,
    })
    .execute();
  return { id };
}

export interface ReferralView {
  readonly id: string;
  readonly clientId: string;
  readonly consentId: string;
  readonly writtenAt: string;
  /** Opened (sealed.ts): read, shredded (the client's key in the case was destroyed) or tampered. */
  readonly letter: Opened<Confidential<string>>;
}

export async function referralsOf(
  db: Kysely<Database>,
  keyring: Keyring,
  practiceId: string,
  caseId: string,
): Promise<ReferralView[]> {
  const rows = await db
    .selectFrom('referral as r')
    .innerJoin('participant as p', (join) =>
      join.onRef('p.case_id', '=', 'r.case_id').onRef('p.client_id', '=', 'r.client_id'),
    )
    .selectAll('r')
    .select('p.key_id')
    .where('r.practice_id', '=', practiceId)
    .where('r.case_id', '=', caseId)
    .orderBy('r.written_at')
    .execute();
  // A key that cannot be found because the database failed throws here: never "destroyed".
  const keys = await keyring.dataKeys(
    db,
    practiceId,
    rows.map((r) => r.key_id),
  );
  return rows.map((r) => ({
    id: r.id,
    clientId: r.client_id,
    consentId: r.consent_id,
    writtenAt: r.written_at,
    letter: openSealedText(
      keys.get(r.key_id),
      r.letter_sealed,
      { practiceId, record: `referral/${r.id}`, field: 'letter', keyId: r.key_id },
      (text) => new Confidential(text),
    ),
  }));
}

export async function declareDualRelationship(
  trx: Transaction<Database>,
  keyring: Keyring,
  input: {
    practiceId: string;
    caseId: string;
    declaredOn: string;
    description: Confidential<string>;
    supervisorId: string;
    presentationId: string;
    declaredBy: string;
    now: string;
  },
): Promise<{ id: string }> {
  const id = newId();
  const { keyId, key } = await caseKey(trx, keyring, input.practiceId, input.caseId);
  await trx
    .insertInto('dual_relationship')
    .values({
      id,
      practice_id: input.practiceId,
      case_id: input.caseId,
      declared_on: input.declaredOn,
      // GT-35: fees stop from the day it is declared.
      fees_stop_on: input.declaredOn,
      description_sealed: sealText(key, input.description.reveal(), {
        practiceId: input.practiceId,
        record: `dual-relationship/${id}`,
        field: 'description',
        keyId,
      }),
      supervisor_id: input.supervisorId,
      presentation_id: input.presentationId,
      declared_by: input.declaredBy,
      created_at: input.now,
    })
    .execute();
  return { id };
}

export interface DualRelationshipView {
  readonly id: string;
  readonly declaredOn: string;
  readonly feesStopOn: string;
  readonly supervisorId: string;
  /** The presentation that told the supervisor of it (GT-34). */
  readonly presentationId: string;
  /** Opened (sealed.ts): read, shredded (the case key was destroyed) or tampered. */
  readonly description: Opened<Confidential<string>>;
}

export async function dualRelationshipsOf(
  db: Kysely<Database>,
  keyring: Keyring,
  practiceId: string,
  caseId: string,
): Promise<DualRelationshipView[]> {
  const rows = await db
    .selectFrom('dual_relationship')
    .innerJoin('care_case', 'care_case.id', 'dual_relationship.case_id')
    .selectAll('dual_relationship')
    .select('care_case.key_id')
    .where('dual_relationship.practice_id', '=', practiceId)
    .where('dual_relationship.case_id', '=', caseId)
    .orderBy('dual_relationship.declared_on')
    .execute();
  const keys = await keyring.dataKeys(
    db,
    practiceId,
    rows.map((r) => r.key_id),
  );
  return rows.map((r) => ({
    id: r.id,
    declaredOn: r.declared_on,
    feesStopOn: r.fees_stop_on,
    supervisorId: r.supervisor_id,
    presentationId: r.presentation_id,
    description: openSealedText(
      keys.get(r.key_id),
      r.description_sealed,
      { practiceId, record: `dual-relationship/${r.id}`, field: 'description', keyId: r.key_id },
      (text) => new Confidential(text),
    ),
  }));
}
