import { AlcoveError, Confidential, isLate } from '@alcove/core';
import type { Kysely, Transaction } from 'kysely';
import type { CaseFacts } from './cases.ts';
import { type NewPassage, writePassages } from './entries.ts';
import type { Keyring } from './keyring.ts';
import type { Database } from './schema.ts';
import { type Opened, openSealedText } from './sealed.ts';

/**
 * Session notes as stored (see core/notes.ts for the rules): drafts are private to their
 * author and replaced whole on each save; signing fixes a note for good; nothing here
 * updates or deletes a signed entry.
 */
export interface NoteFacts {
  readonly id: string;
  readonly caseId: string;
  readonly authorId: string;
  readonly status: 'draft' | 'signed';
  readonly sessionId: string | null;
  readonly kind: string;
}

export async function noteFacts(
  db: Kysely<Database>,
  practiceId: string,
  noteId: string,
): Promise<NoteFacts | undefined> {
  const row = await db
    .selectFrom('entry')
    .innerJoin('care_case', 'care_case.id', 'entry.case_id')
    .select([
      'entry.id',
      'entry.case_id',
      'entry.author_id',
      'entry.status',
      'entry.session_id',
      'entry.kind',
    ])
    .where('care_case.practice_id', '=', practiceId)
    .where('entry.id', '=', noteId)
    .executeTakeFirst();
  return row === undefined
    ? undefined
    : {
        id: row.id,
        caseId: row.case_id,
        authorId: row.author_id,
        status: row.status === 'draft' ? 'draft' : 'signed',
        sessionId: row.session_id,
        kind: row.kind,
      };
}

function refuseUnlessOwnDraft(note: NoteFacts, authorId: string): void {
  if (note.status === 'signed') {
    throw new AlcoveError(
      'conflict',
      'A signed note is never changed or deleted (GT-98): add an addendum with the reason instead.',
    );
  }
  if (note.authorId !== authorId) throw new AlcoveError('not-found', 'There is no such note.');
}

/**
 * Takes the draft's row for this transaction (a row lock on PostgreSQL, re-checked after a
 * concurrent commit) and refuses it if it was signed meanwhile: before any passage is touched.
 */
async function claimOwnDraft(
  trx: Transaction<Database>,
  note: NoteFacts,
  authorId: string,
  now: string | null,
) {
  const claimed = await trx
    .updateTable('entry')
    .set(now === null ? { status: 'draft' } : { written_at: now })
    .where('id', '=', note.id)
    .where('author_id', '=', authorId)
    .where('status', '=', 'draft')
    .executeTakeFirst();
  if (Number(claimed.numUpdatedRows) !== 1) refuseUnlessOwnDraft({ ...note, status: 'signed' }, authorId);
}

/** Replaces a draft's passages (autosave). */
export async function saveDraft(
  trx: Transaction<Database>,
  keyring: Keyring,
  input: {
    practiceId: string;
    theCase: CaseFacts;
    note: NoteFacts;
    authorId: string;
    passages: readonly NewPassage[];
    now: string;
  },
): Promise<void> {
  refuseUnlessOwnDraft(input.note, input.authorId);
  await claimOwnDraft(trx, input.note, input.authorId, input.now);
  await trx.deleteFrom('passage').where('entry_id', '=', input.note.id).execute();
  await writePassages(trx, keyring, {
    practiceId: input.practiceId,
    theCase: input.theCase,
    entryId: input.note.id,
    passages: input.passages,
  });
  await trx.updateTable('entry').set({ written_at: input.now }).where('id', '=', input.note.id).execute();
}

/** Deletes a draft; a signed note cannot be deleted. */
export async function deleteDraft(
  trx: Transaction<Database>,
  note: NoteFacts,
  authorId: string,
): Promise<void> {
  refuseUnlessOwnDraft(note, authorId);
  await claimOwnDraft(trx, note, authorId, null);
  await trx.deleteFrom('passage').where('entry_id', '=', note.id).execute();
  await trx.deleteFrom('entry').where('id', '=', note.id).where('status', '=', 'draft').execute();
}

/** Signs a draft: from now on it is fixed. Marked late when signed long after its session (GT-38). */
export async function signNote(
  trx: Transaction<Database>,
  input: { note: NoteFacts; authorId: string; sessionEndsAt: string | null; lateHours: number; now: string },
): Promise<{ late: boolean }> {
  refuseUnlessOwnDraft(input.note, input.authorId);
  const late = input.sessionEndsAt !== null && isLate(input.sessionEndsAt, input.now, input.lateHours);
  const signed = await trx
    .updateTable('entry')
    .set({ status: 'signed', signed_at: input.now, written_at: input.now, late: late ? 1 : 0 })
    .where('id', '=', input.note.id)
    .where('status', '=', 'draft')
    .where('author_id', '=', input.authorId)
    .executeTakeFirst();
  if (Number(signed.numUpdatedRows) !== 1)
    refuseUnlessOwnDraft({ ...input.note, status: 'signed' }, input.authorId);
  return { late };
}

export interface NoteView {
  readonly id: string;
  readonly kind: string;
  readonly authorId: string;
  readonly sessionId: string | null;
  readonly status: 'draft' | 'signed';
  readonly occurredAt: string;
  readonly writtenAt: string;
  readonly signedAt: string | null;
  readonly late: boolean;
  readonly amendsId: string | null;
  /** An addendum's reason (null for any other entry), opened (sealed.ts). */
  readonly amendReason: Opened<Confidential<string>> | null;
  readonly passages: readonly {
    id: string;
    position: number;
    section: string | null;
    attribution: readonly string[];
    /** Its text; or shredded (its key has been destroyed), or tampered (it failed its integrity check). */
    text: Opened<Confidential<string>>;
  }[];
}

/** A case's notes and addenda, oldest first: every signed one, and the viewer's own drafts. */
export async function listNotes(
  db: Kysely<Database>,
  keyring: Keyring,
  practiceId: string,
  caseId: string,
  viewerId: string,
): Promise<NoteView[]> {
  const entries = await db
    .selectFrom('entry')
    .selectAll()
    .where('case_id', '=', caseId)
    .where((eb) => eb.or([eb('status', '=', 'signed'), eb('author_id', '=', viewerId)]))
    .orderBy('occurred_at')
    .orderBy('written_at')
    .execute();
  if (entries.length === 0) return [];
  const passages = await db
    .selectFrom('passage')
    .selectAll()
    .where(
      'entry_id',
      'in',
      entries.map((e) => e.id),
    )
    .orderBy('entry_id')
    .orderBy('position')
    .execute();
  const caseKey = await db
    .selectFrom('care_case')
    .select('key_id')
    .where('id', '=', caseId)
    .executeTakeFirstOrThrow();
  // A key that failed its check marks only what it sealed as tampered (sealed.ts).
  const keys = await keyring.dataKeysOrTampered(db, practiceId, [
    ...passages.map((p) => p.key_id),
    caseKey.key_id,
  ]);
  const caseKeyValue = keys.get(caseKey.key_id);
  return entries.map((e) => ({
    id: e.id,
    kind: e.kind,
    authorId: e.author_id,
    sessionId: e.session_id,
    status: e.status === 'draft' ? 'draft' : 'signed',
    occurredAt: e.occurred_at,
    writtenAt: e.written_at,
    signedAt: e.signed_at,
    late: e.late === 1,
    amendsId: e.amends_id,
    amendReason:
      e.amend_reason_sealed === null
        ? null
        : openSealedText(
            caseKeyValue,
            e.amend_reason_sealed,
            { practiceId, record: `entry/${e.id}`, field: 'amend-reason', keyId: caseKey.key_id },
            (text) => new Confidential(text),
          ),
    passages: passages
      .filter((p) => p.entry_id === e.id)
      .map((p) => ({
        id: p.id,
        position: p.position,
        section: p.section,
        attribution: JSON.parse(p.attribution) as string[],
        text: openSealedText(
          keys.get(p.key_id),
          p.body_sealed,
          { practiceId, record: `passage/${p.id}`, field: 'body', keyId: p.key_id },
          (text) => new Confidential(text),
        ),
      })),
  }));
}
