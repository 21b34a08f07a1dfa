import { randomInt } from 'node:crypto';
import {
  AlcoveError,
  type CaseFormat,
  type CaseKind,
  type CaseStatus,
  caseStatusMoves,
  newId,
} from '@alcove/core';
import type { Kysely, Transaction } from 'kysely';
import type { Keyring } from './keyring.ts';
import type { Database } from './schema.ts';

/**
 * Cases: a case, its participants (one per client, each with a key of their own beside the
 * case's key) and its life from enquiry to closed. The caller has decided access (vault.ts).
 */

export interface CaseFacts {
  readonly caseId: string;
  readonly practiceId: string;
  readonly practitionerId: string;
  readonly kind: CaseKind;
  readonly format: CaseFormat;
  readonly status: CaseStatus;
  readonly participants: readonly { id: string; clientId: string; label: string; keyId?: string }[];
  /**
   * The ids of the case's data keys, when they were read with it (ids never change; whether a
   * key still exists is asked of the keyring when it is used).
   */
  readonly caseKeyId?: string;
}

function labelFor(kind: CaseKind, index: number): string {
  if (kind === 'individual') return 'Client';
  if (kind === 'couple') return `Partner ${String.fromCharCode(65 + index)}`;
  return `Member ${index + 1}`;
}

const PSEUDONYM_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

function newPseudonym(): string {
  let code = '';
  for (let i = 0; i < 6; i += 1) code += PSEUDONYM_ALPHABET[randomInt(PSEUDONYM_ALPHABET.length)];
  return `Case ${code}`;
}

export async function openCase(
  trx: Transaction<Database>,
  keyring: Keyring,
  input: {
    practiceId: string;
    practitionerId: string;
    kind: CaseKind;
    clientIds: readonly string[];
    format?: CaseFormat;
    now?: string;
  },
): Promise<CaseFacts> {
  const now = input.now ?? new Date().toISOString();
  const clientIds = [...new Set(input.clientIds)];
  const expected: Record<CaseKind, (n: number) => boolean> = {
    individual: (n) => n === 1,
    couple: (n) => n === 2,
    family: (n) => n >= 2,
    group: (n) => n >= 2,
  };
  if (!expected[input.kind](clientIds.length)) {
    throw new AlcoveError('validation-failed', 'The number of clients does not fit the kind of case.', [
      {
        location: 'body',
        pointer: '/clientIds',
        detail:
          input.kind === 'individual'
            ? 'An individual case has one client'
            : input.kind === 'couple'
              ? 'A couple case has two clients'
              : 'A family or group case has two clients or more',
      },
    ]);
  }
  const id = newId();
  const caseKey = await keyring.createDataKey(trx, input.practiceId, 'case', id, now);
  await trx
    .insertInto('care_case')
    .values({
      id,
      practice_id: input.practiceId,
      kind: input.kind,
      practitioner_id: input.practitionerId,
      status: 'enquiry',
      format: input.format ?? 'in-person',
      key_id: caseKey.id,
      pseudonym: newPseudonym(),
      opened_at: now,
      closed_at: null,
    })
    .execute();
  const participants: { id: string; clientId: string; label: string; keyId: string }[] = [];
  for (const [index, clientId] of clientIds.entries()) {
    const participantId = newId();
    const key = await keyring.createDataKey(trx, input.practiceId, 'participant', participantId, now);
    const label = labelFor(input.kind, index);
    await trx
      .insertInto('participant')
      .values({ id: participantId, case_id: id, client_id: clientId, label, key_id: key.id, joined_at: now })
      .execute();
    participants.push({ id: participantId, clientId, label, keyId: key.id });
  }
  return {
    caseId: id,
    practiceId: input.practiceId,
    practitionerId: input.practitionerId,
    kind: input.kind,
    format: input.format ?? 'in-person',
    status: 'enquiry',
    participants,
    caseKeyId: caseKey.id,
  };
}

/**
 * Moves a case along its life (enquiry → … → closed): forward only, and never out of
 * closed. `auto` moves (made by Alcove when a session or a signature shows the case has
 * moved on) are silently skipped when the case is already there or beyond.
 */
export async function setCaseStatus(
  trx: Transaction<Database>,
  input: { caseId: string; to: CaseStatus; now: string; auto?: boolean },
): Promise<{ from: CaseStatus; to: CaseStatus } | undefined> {
  const row = await trx
    .selectFrom('care_case')
    .select('status')
    .where('id', '=', input.caseId)
    .executeTakeFirstOrThrow();
  const from = row.status as CaseStatus;
  if (!caseStatusMoves(from).includes(input.to)) {
    if (input.auto === true) return undefined;
    throw new AlcoveError(
      'conflict',
      from === 'closed'
        ? 'This case is closed.'
        : `A case moves forward only: from ${from} it may go to ${caseStatusMoves(from).join(', ')}.`,
    );
  }
  await trx
    .updateTable('care_case')
    .set({ status: input.to, closed_at: input.to === 'closed' ? input.now : null })
    .where('id', '=', input.caseId)
    .execute();
  return { from, to: input.to };
}

export async function caseFacts(
  db: Kysely<Database>,
  practiceId: string,
  caseId: string,
): Promise<CaseFacts | undefined> {
  const row = await db
    .selectFrom('care_case')
    .select(['id', 'practitioner_id', 'kind', 'format', 'status', 'key_id'])
    .where('practice_id', '=', practiceId)
    .where('id', '=', caseId)
    .executeTakeFirst();
  if (row === undefined) return undefined;
  const participants = await db
    .selectFrom('participant')
    .select(['id', 'client_id', 'label', 'key_id'])
    .where('case_id', '=', caseId)
    .execute();
  // By label, sorted here: a case has a handful, and SQLite would build a sorter for every request.
  participants.sort((a, b) => (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
  return {
    caseId: row.id,
    practiceId,
    practitionerId: row.practitioner_id,
    kind: row.kind as CaseKind,
    format: row.format as CaseFormat,
    status: row.status as CaseStatus,
    participants: participants.map((p) => ({
      id: p.id,
      clientId: p.client_id,
      label: p.label,
      keyId: p.key_id,
    })),
    caseKeyId: row.key_id,
  };
}
