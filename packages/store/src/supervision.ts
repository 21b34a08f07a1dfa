import { Confidential, newId } from '@alcove/core';
import type { Kysely, Transaction } from 'kysely';
import { openText, sealText } from './crypto/aead.ts';
import type { Keyring } from './keyring.ts';
import { caseKey } from './record-keys.ts';
import type { Database } from './schema.ts';

/**
 * Case presentations to supervision: the case's pseudonym and the material the
 * practitioner chose, sealed under the case key. What a supervisor reads here is all
 * they ever read of a case (PG5-5).
 */

export async function presentCase(
  trx: Transaction<Database>,
  keyring: Keyring,
  input: {
    practiceId: string;
    caseId: string;
    practitionerId: string;
    supervisorId: string;
    presentedOn: string;
    material: Confidential<string>;
    now: string;
  },
): Promise<{ id: string }> {
  const id = newId();
  const { keyId, key } = await caseKey(trx, keyring, input.practiceId, input.caseId);
  await trx
    .insertInto('supervision_presentation')
    .values({
      id,
      practice_id: input.practiceId,
      case_id: input.caseId,
      practitioner_id: input.practitionerId,
      supervisor_id: input.supervisorId,
      presented_on: input.presentedOn,
      material_sealed: sealText(key, input.material.reveal(), {
        practiceId: input.practiceId,
        record: `presentation/${id}`,
        field: 'material',
        keyId,
      }),
      created_at: input.now,
    })
    .execute();
  return { id };
}

export interface Presentation {
  readonly id: string;
  readonly caseId: string;
  readonly pseudonym: string;
  readonly caseKind: string;
  readonly practitionerId: string;
  readonly supervisorId: string;
  readonly presentedOn: string;
  /** null: the case key was destroyed. */
  readonly material: Confidential<string> | null;
}

/** Presentations made to a supervisor, by a practitioner, or of some cases; newest first. */
export async function presentations(
  db: Kysely<Database>,
  keyring: Keyring,
  practiceId: string,
  by: { supervisorId: string } | { practitionerId: string } | { caseIds: readonly string[] },
): Promise<Presentation[]> {
  if ('caseIds' in by && by.caseIds.length === 0) return [];
  let query = db
    .selectFrom('supervision_presentation as sp')
    .innerJoin('care_case as c', 'c.id', 'sp.case_id')
    .select([
      'sp.id',
      'sp.case_id',
      'sp.practitioner_id',
      'sp.supervisor_id',
      'sp.presented_on',
      'sp.material_sealed',
      'c.pseudonym',
      'c.kind',
      'c.key_id',
    ])
    .where('sp.practice_id', '=', practiceId);
  query =
    'supervisorId' in by
      ? query.where('sp.supervisor_id', '=', by.supervisorId)
      : 'caseIds' in by
        ? query.where('sp.case_id', 'in', [...by.caseIds])
        : query.where('sp.practitioner_id', '=', by.practitionerId);
  const rows = await query.orderBy('sp.presented_on', 'desc').orderBy('sp.created_at', 'desc').execute();
  const keys = await keyring.dataKeys(
    db,
    practiceId,
    rows.map((r) => r.key_id),
  );
  return rows.map((r) => {
    const key = keys.get(r.key_id);
    return {
      id: r.id,
      caseId: r.case_id,
      pseudonym: r.pseudonym,
      caseKind: r.kind,
      practitionerId: r.practitioner_id,
      supervisorId: r.supervisor_id,
      presentedOn: r.presented_on,
      material:
        key === undefined
          ? null
          : new Confidential(
              openText(key, r.material_sealed, {
                practiceId,
                record: `presentation/${r.id}`,
                field: 'material',
                keyId: r.key_id,
              }),
            ),
    };
  });
}

export async function recordSupervisionSession(
  trx: Transaction<Database>,
  input: {
    practiceId: string;
    practitionerId: string;
    heldOn: string;
    minutes: number;
    supervisorName: string;
    now: string;
  },
): Promise<{ id: string }> {
  const id = newId();
  await trx
    .insertInto('supervision_session')
    .values({
      id,
      practice_id: input.practiceId,
      practitioner_id: input.practitionerId,
      held_on: input.heldOn,
      minutes: input.minutes,
      supervisor_name: input.supervisorName,
      created_at: input.now,
    })
    .execute();
  return { id };
}

export async function supervisionSessionsOf(
  db: Kysely<Database>,
  practiceId: string,
  practitionerId: string,
): Promise<{ id: string; heldOn: string; minutes: number; supervisorName: string }[]> {
  const rows = await db
    .selectFrom('supervision_session')
    .selectAll()
    .where('practice_id', '=', practiceId)
    .where('practitioner_id', '=', practitionerId)
    .orderBy('held_on', 'desc')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    heldOn: r.held_on,
    minutes: r.minutes,
    supervisorName: r.supervisor_name,
  }));
}

/** The practice's supervisor accounts, for a practitioner to choose whom they present to. */
export async function supervisorIds(db: Kysely<Database>, practiceId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('membership')
    .select('user_id')
    .where('practice_id', '=', practiceId)
    .where('role', '=', 'supervisor')
    .execute();
  return [...new Set(rows.map((r) => r.user_id))];
}
