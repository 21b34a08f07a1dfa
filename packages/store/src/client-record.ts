import { type CaseKind, Confidential, type EntryKind } from '@alcove/core';
import { passageBinding } from './entries.ts';
import { type Opened, openSealedText } from './sealed.ts';
import type { Vault } from './vault.ts';

/**
 * A client's record read whole: every case they are in, with every signed entry, each
 * passage opened (read, shredded or tampered). The caller has decided access (vault.ts).
 */

export interface RecordPassage {
  readonly id: string;
  readonly position: number;
  readonly attribution: readonly string[];
  readonly section: string | null;
  /** Its text; or shredded (its key has been destroyed), or tampered (it failed its integrity check). */
  readonly text: Opened<Confidential<string>>;
}

export interface RecordEntry {
  readonly id: string;
  readonly kind: EntryKind;
  readonly authorId: string;
  readonly occurredAt: string;
  readonly writtenAt: string;
  readonly passages: readonly RecordPassage[];
}

export interface RecordCase {
  readonly id: string;
  readonly kind: CaseKind;
  readonly status: string;
  readonly pseudonym: string;
  readonly practitionerId: string;
  readonly openedAt: string;
  /** When the case was closed; null while it is open. */
  readonly closedAt: string | null;
  readonly participants: readonly { id: string; clientId: string; label: string }[];
  readonly entries: readonly RecordEntry[];
}

/** Every case the client is in, with every entry, each passage opened (sealed.ts): read, shredded or tampered. */
export async function readClientCases(
  vault: Vault,
  practiceId: string,
  clientId: string,
): Promise<RecordCase[]> {
  const { db } = vault;
  const cases = await db
    .selectFrom('care_case')
    .innerJoin('participant', 'participant.case_id', 'care_case.id')
    .select([
      'care_case.id',
      'care_case.kind',
      'care_case.status',
      'care_case.pseudonym',
      'care_case.practitioner_id',
      'care_case.opened_at',
      'care_case.closed_at',
    ])
    .where('care_case.practice_id', '=', practiceId)
    .where('participant.client_id', '=', clientId)
    .orderBy('care_case.opened_at')
    .orderBy('care_case.id')
    .execute();
  if (cases.length === 0) return [];
  const caseIds = cases.map((c) => c.id);
  const participants = await db
    .selectFrom('participant')
    .selectAll()
    .where('case_id', 'in', caseIds)
    .orderBy('label')
    .execute();
  const entries = await db
    .selectFrom('entry')
    .selectAll()
    .where('case_id', 'in', caseIds)
    // Drafts are their author's until signed (notes.ts lists them to the author).
    .where('status', '=', 'signed')
    .orderBy('occurred_at')
    .orderBy('written_at')
    .execute();
  const passages =
    entries.length === 0
      ? []
      : await db
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
  // A key that failed its check marks only what it sealed as tampered (sealed.ts).
  const keys = await vault.keyring.dataKeysOrTampered(
    db,
    practiceId,
    passages.map((p) => p.key_id),
  );
  const passagesOf = Map.groupBy(passages, (p) => p.entry_id);

  return cases.map((c) => ({
    id: c.id,
    kind: c.kind as CaseKind,
    status: c.status,
    pseudonym: c.pseudonym,
    practitionerId: c.practitioner_id,
    openedAt: c.opened_at,
    closedAt: c.closed_at,
    participants: participants
      .filter((p) => p.case_id === c.id)
      .map((p) => ({ id: p.id, clientId: p.client_id, label: p.label })),
    entries: entries
      .filter((e) => e.case_id === c.id)
      .map((e) => ({
        id: e.id,
        kind: e.kind as EntryKind,
        authorId: e.author_id,
        occurredAt: e.occurred_at,
        writtenAt: e.written_at,
        passages: (passagesOf.get(e.id) ?? []).map((p) => ({
          id: p.id,
          position: p.position,
          attribution: JSON.parse(p.attribution) as string[],
          section: p.section,
          text: openSealedText(
            keys.get(p.key_id),
            p.body_sealed,
            passageBinding(practiceId, p.id, p.key_id),
            (text) => new Confidential(text),
          ),
        })),
      })),
  }));
}
