import {
  AlcoveError,
  type Attribution,
  type Confidential,
  type EntryKind,
  newId,
  normaliseAttribution,
  passageKeyFor,
} from '@alcove/core';
import type { Insertable, Transaction } from 'kysely';
import type { CaseFacts } from './cases.ts';
import { type Binding, sealText } from './crypto/aead.ts';
import type { Keyring } from './keyring.ts';
import type { Database } from './schema.ts';

/**
 * Entries: what is written in a case, each passage sealed under the key its attribution
 * calls for. The caller has decided access (vault.ts).
 */

export interface NewPassage {
  readonly text: Confidential<string>;
  readonly attribution: Attribution;
  /** The section of a session note it belongs to (GT-40), if any. */
  readonly section?: string | undefined;
}

/** Where a passage's text is bound (also read by client-record.ts). */
export function passageBinding(practiceId: string, passageId: string, keyId: string): Binding {
  return { practiceId, record: `passage/${passageId}`, field: 'body', keyId };
}

/** A passage's text sealed under the key its attribution calls for (also used by bulk writers). */
export function sealPassageText(
  key: Buffer,
  practiceId: string,
  passageId: string,
  keyId: string,
  text: string,
): string {
  return sealText(key, text, passageBinding(practiceId, passageId, keyId));
}

/**
 * Adds an entry. Each passage is sealed under its attribution's key: one participant's
 * own key, or the case key for several participants or the practitioner's formulation.
 */
export async function addEntry(
  trx: Transaction<Database>,
  keyring: Keyring,
  input: {
    practiceId: string;
    theCase: CaseFacts;
    authorId: string;
    kind: EntryKind;
    occurredAt: string;
    passages: readonly NewPassage[];
    now?: string;
    /** The session a note is about. */
    sessionId?: string | undefined;
    /** A draft is private to its author until signed; an entry without a draft stage is signed as written. */
    status?: 'draft' | 'signed';
    /** Marked late when signed (GT-38). */
    late?: boolean;
    /** An addendum: the signed entry it corrects, and why (GT-98). */
    amends?: { entryId: string; reason: Confidential<string> } | undefined;
  },
): Promise<{ id: string }> {
  const now = input.now ?? new Date().toISOString();
  const id = newId();
  let amendReason: string | null = null;
  if (input.amends !== undefined) {
    const caseRow = await trx
      .selectFrom('care_case')
      .select('key_id')
      .where('id', '=', input.theCase.caseId)
      .executeTakeFirstOrThrow();
    const key = await keyring.dataKey(trx, input.practiceId, caseRow.key_id);
    amendReason = sealText(key, input.amends.reason.reveal(), {
      practiceId: input.practiceId,
      record: `entry/${id}`,
      field: 'amend-reason',
      keyId: caseRow.key_id,
    });
  }
  const status = input.status ?? 'signed';
  await trx
    .insertInto('entry')
    .values({
      id,
      case_id: input.theCase.caseId,
      author_id: input.authorId,
      kind: input.kind,
      occurred_at: new Date(input.occurredAt).toISOString(),
      written_at: now,
      session_id: input.sessionId ?? null,
      status,
      signed_at: status === 'signed' ? now : null,
      late: input.late === true ? 1 : 0,
      amends_id: input.amends?.entryId ?? null,
      amend_reason_sealed: amendReason,
    })
    .execute();
  await writePassages(trx, keyring, {
    practiceId: input.practiceId,
    theCase: input.theCase,
    entryId: id,
    passages: input.passages,
  });
  return { id };
}

/** The ids of a case's keys: from its facts when they were read with them, else from the database. */
async function keyIdsOf(
  trx: Transaction<Database>,
  theCase: CaseFacts,
): Promise<{ caseKeyId: string; participantKeyIds: ReadonlyMap<string, string> }> {
  const known = theCase.participants.every((p) => p.keyId !== undefined);
  if (theCase.caseKeyId !== undefined && known) {
    return {
      caseKeyId: theCase.caseKeyId,
      participantKeyIds: new Map(theCase.participants.map((p) => [p.id, p.keyId ?? ''])),
    };
  }
  const participants = await trx
    .selectFrom('participant')
    .select(['id', 'key_id'])
    .where('case_id', '=', theCase.caseId)
    .execute();
  const caseRow = await trx
    .selectFrom('care_case')
    .select('key_id')
    .where('id', '=', theCase.caseId)
    .executeTakeFirstOrThrow();
  return { caseKeyId: caseRow.key_id, participantKeyIds: new Map(participants.map((p) => [p.id, p.key_id])) };
}

/**
 * Seals and writes an entry's passages, each under the key its attribution calls for: one
 * participant's key, or the case key for joint material and formulations. Refuses an
 * attribution to anyone not in the case.
 */
export async function writePassages(
  trx: Transaction<Database>,
  keyring: Keyring,
  input: { practiceId: string; theCase: CaseFacts; entryId: string; passages: readonly NewPassage[] },
): Promise<void> {
  const participantIds = new Set(input.theCase.participants.map((p) => p.id));
  const issues = input.passages.flatMap((passage, i) =>
    passage.attribution
      .map((id, j) => ({ id, j }))
      .filter(({ id }) => !participantIds.has(id))
      .map(({ j }) => ({
        location: 'body' as const,
        pointer: `/passages/${i}/attribution/${j}`,
        detail: 'Not a participant in this case',
      })),
  );
  if (issues.length > 0) {
    throw new AlcoveError(
      'validation-failed',
      'A passage is attributed to someone who is not in the case.',
      issues,
    );
  }
  const { caseKeyId, participantKeyIds } = await keyIdsOf(trx, input.theCase);
  const keyIdFor = (attribution: Attribution): string => {
    const target = passageKeyFor(attribution);
    if (target.kind === 'case') return caseKeyId;
    const keyId = participantKeyIds.get(target.participantId);
    if (keyId === undefined) throw new Error('participant without a key');
    return keyId;
  };
  const needed = input.passages.map((p) => keyIdFor(p.attribution));
  const keys = await keyring.dataKeys(trx, input.practiceId, needed);

  const rows: Insertable<Database['passage']>[] = [];
  for (const [position, passage] of input.passages.entries()) {
    const keyId = needed[position] ?? '';
    const key = keys.get(keyId);
    if (key === undefined) {
      throw new AlcoveError(
        'conflict',
        'This material can no longer be written: its key has been destroyed.',
      );
    }
    const passageId = newId();
    rows.push({
      id: passageId,
      entry_id: input.entryId,
      position,
      attribution: JSON.stringify(normaliseAttribution(passage.attribution)),
      key_id: keyId,
      section: passage.section ?? null,
      body_sealed: sealPassageText(key, input.practiceId, passageId, keyId, passage.text.reveal()),
    });
  }
  // One statement for the entry's passages (7 columns a row: far inside both engines' limits).
  if (rows.length > 0) await trx.insertInto('passage').values(rows).execute();
}
