import { Confidential, type LegalBasis, legalBasisSchema, newId } from '@alcove/core';
import type { Kysely, Transaction } from 'kysely';
import { z } from 'zod';
import { sealText } from './crypto/aead.ts';
import type { Keyring } from './keyring.ts';
import { caseKey } from './record-keys.ts';
import type { Database } from './schema.ts';
import { type Opened, openSealedText } from './sealed.ts';

/** Disclosures without consent (PG5-2); see core/disclosures.ts. */
export interface DisclosureDetails {
  readonly recipient: string;
  readonly what: string;
  readonly legalBasisDetail?: string | undefined;
  readonly whyNoConsent: string;
  readonly justification: string;
  readonly withholdBasis?: string | undefined;
}

const binding = (practiceId: string, id: string, keyId: string) => ({
  practiceId,
  record: `disclosure/${id}`,
  field: 'details',
  keyId,
});

export async function recordDisclosure(
  trx: Transaction<Database>,
  keyring: Keyring,
  input: {
    practiceId: string;
    caseId: string;
    clientId: string;
    disclosedOn: string;
    legalBasis: string;
    details: Confidential<DisclosureDetails>;
    withheldFromClient: boolean;
    recordedBy: string;
    now: string;
  },
): Promise<{ id: string }> {
  const id = newId();
  const { keyId, key } = await caseKey(trx, keyring, input.practiceId, input.caseId);
  await trx
    .insertInto('disclosure')
    .values({
      id,
      practice_id: input.practiceId,
      case_id: input.caseId,
      client_id: input.clientId,
      disclosed_on: input.disclosedOn,
      legal_basis: input.legalBasis,
      details_sealed: sealText(
        key,
        JSON.stringify(input.details.reveal()),
        binding(input.practiceId, id, keyId),
      ),
      withheld_from_client: input.withheldFromClient ? 1 : 0,
      recorded_by: input.recordedBy,
      created_at: input.now,
    })
    .execute();
  return { id };
}

export interface DisclosureView {
  readonly id: string;
  readonly caseId: string;
  readonly clientId: string;
  readonly disclosedOn: string;
  readonly legalBasis: string;
  readonly withheldFromClient: boolean;
  /** Opened (sealed.ts): read, shredded (the case key was destroyed) or tampered. */
  readonly details: Opened<Confidential<DisclosureDetails>>;
}

export async function disclosuresOf(
  db: Kysely<Database>,
  keyring: Keyring,
  practiceId: string,
  where: { caseId: string } | { clientId: string },
): Promise<DisclosureView[]> {
  let query = db
    .selectFrom('disclosure')
    .innerJoin('care_case', 'care_case.id', 'disclosure.case_id')
    .selectAll('disclosure')
    .select('care_case.key_id')
    .where('disclosure.practice_id', '=', practiceId);
  query =
    'caseId' in where
      ? query.where('disclosure.case_id', '=', where.caseId)
      : query.where('disclosure.client_id', '=', where.clientId);
  const rows = await query.orderBy('disclosure.disclosed_on').orderBy('disclosure.created_at').execute();
  // A key that cannot be found because the database failed throws here: never "destroyed".
  const keys = await keyring.dataKeys(
    db,
    practiceId,
    rows.map((r) => r.key_id),
  );
  return rows.map((r) => ({
    id: r.id,
    caseId: r.case_id,
    clientId: r.client_id,
    disclosedOn: r.disclosed_on,
    legalBasis: r.legal_basis,
    withheldFromClient: r.withheld_from_client === 1,
    details: openSealedText(
      keys.get(r.key_id),
      r.details_sealed,
      binding(practiceId, r.id, r.key_id),
      (json) => new Confidential(JSON.parse(json) as DisclosureDetails),
    ),
  }));
}

const LEGAL_BASES_KEY = 'legal-bases';

/** The practice's list of legal bases; undefined until it keeps its own. */
export async function legalBasesOf(
  db: Kysely<Database>,
  practiceId: string,
): Promise<LegalBasis[] | undefined> {
  const row = await db
    .selectFrom('practice_setting')
    .select('value')
    .where('practice_id', '=', practiceId)
    .where('key', '=', LEGAL_BASES_KEY)
    .executeTakeFirst();
  return row === undefined ? undefined : z.array(legalBasisSchema).parse(JSON.parse(row.value));
}

export async function setLegalBases(
  trx: Transaction<Database>,
  input: { practiceId: string; bases: readonly LegalBasis[]; userId: string; now: string },
): Promise<void> {
  await trx
    .deleteFrom('practice_setting')
    .where('practice_id', '=', input.practiceId)
    .where('key', '=', LEGAL_BASES_KEY)
    .execute();
  await trx
    .insertInto('practice_setting')
    .values({
      practice_id: input.practiceId,
      key: LEGAL_BASES_KEY,
      value: JSON.stringify(input.bases),
      updated_at: input.now,
      updated_by: input.userId,
    })
    .execute();
}
