import { Confidential, newId } from '@alcove/core';
import type { Kysely, Transaction } from 'kysely';
import { openText, sealText } from './crypto/aead.ts';
import type { Keyring } from './keyring.ts';
import { caseKey, participantKey } from './record-keys.ts';
import type { Database } from './schema.ts';

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
  /** null: the client's key in the case was destroyed. */
  readonly letter: Confidential<string> | null;
}

export async function referralsOf(
  db: Kysely<Database>,
  keyring: Keyring,
  practiceId: string,
  caseId: string,
): Promise<ReferralView[]> {
  const rows = await db
    .selectFrom('referral')
    .selectAll()
    .where('practice_id', '=', practiceId)
    .where('case_id', '=', caseId)
    .orderBy('written_at')
    .execute();
  const result: ReferralView[] = [];
  for (const r of rows) {
    let letter: Confidential<string> | null = null;
    try {
      const { keyId, key } = await participantKey(db, keyring, practiceId, caseId, r.client_id);
      letter = new Confidential(
        openText(key, r.letter_sealed, { practiceId, record: `referral/${r.id}`, field: 'letter', keyId }),
      );
    } catch {
      letter = null;
    }
    result.push({
      id: r.id,
      clientId: r.client_id,
      consentId: r.consent_id,
      writtenAt: r.written_at,
      letter,
    });
  }
  return result;
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
  readonly description: Confidential<string> | null;
}

export async function dualRelationshipsOf(
  db: Kysely<Database>,
  keyring: Keyring,
  practiceId: string,
  caseId: string,
): Promise<DualRelationshipView[]> {
  const rows = await db
    .selectFrom('dual_relationship')
    .selectAll()
    .where('practice_id', '=', practiceId)
    .where('case_id', '=', caseId)
    .orderBy('declared_on')
    .execute();
  const result: DualRelationshipView[] = [];
  for (const r of rows) {
    let description: Confidential<string> | null = null;
    try {
      const { keyId, key } = await caseKey(db, keyring, practiceId, caseId);
      description = new Confidential(
        openText(key, r.description_sealed, {
          practiceId,
          record: `dual-relationship/${r.id}`,
          field: 'description',
          keyId,
        }),
      );
    } catch {
      description = null;
    }
    result.push({
      id: r.id,
      declaredOn: r.declared_on,
      feesStopOn: r.fees_stop_on,
      supervisorId: r.supervisor_id,
      description,
    });
  }
  return result;
}
