import { defineCommand } from './pipeline.ts';
import {
  AGE_OF_MAJORITY,
  type PractitionerFacts,
  type YoungPersonFacts,
  youngPersonRules,
} from './young-people.ts';

/**
 * Recording a session and writing its note: the commands that stand between a case and
 * its therapy.
 *
 * The contract gate (GT-36): no therapy session on a case without an agreed contract; a
 * contract not yet signed by every party refuses it too (GT-36a, a "should": a recorded
 * reason, such as agreement by phone, answers it). Assessment sessions pass: GT-36 speaks of
 * "before starting therapy". Online work needs its training (GT-92, a "should"); therapy
 * with an under-18 or a vulnerable adult needs its safeguards (young-people.ts).
 */
export type SessionKind = 'assessment' | 'therapy';

export interface ContractState {
  /** Any contract version exists for the case. */
  readonly exists: boolean;
  /** The current version is signed by every client of the case and the practitioner. */
  readonly signedByAll: boolean;
}

export interface SessionFacts {
  readonly kind: SessionKind;
  readonly online: boolean;
  /** The practitioner's record holds training for online work (GT-92). */
  readonly onlineTrained: boolean;
  readonly contract: ContractState;
  /** The case's clients as the young-person rules need them, on the day of the session. */
  readonly clients: readonly YoungPersonFacts[];
  readonly practitioner: PractitionerFacts;
}

/** Whether any client is under 18 or a vulnerable adult on the day (the safeguards apply). */
export function needsYoungPersonSafeguards(clients: readonly YoungPersonFacts[]): boolean {
  return clients.some((c) => (c.age !== undefined && c.age < AGE_OF_MAJORITY) || c.vulnerable === true);
}

export const recordSessionCommand = defineCommand<SessionFacts>({
  name: 'session.record',
  summary: 'Record a session on a case',
  rules: [
    ...youngPersonRules<SessionFacts>((f) => (f.kind === 'therapy' ? f : undefined)),
    {
      id: 'online-session-without-training',
      clause: 'GT-92',
      check: (f) =>
        f.online && !f.onlineTrained
          ? 'Your professional record holds no training for online work. Record it, or give your reason for going ahead.'
          : undefined,
    },
    {
      id: 'contract-before-therapy',
      clause: 'GT-36',
      check: (f) =>
        f.kind === 'therapy' && !f.contract.exists
          ? 'Agree a contract with the client before therapy starts. An assessment session can be recorded now.'
          : undefined,
    },
    {
      id: 'contract-signed-by-all',
      clause: 'GT-36a',
      check: (f) =>
        f.kind === 'therapy' && f.contract.exists && !f.contract.signedByAll
          ? 'The contract is not yet signed by every party. Wait for the signatures, or record why therapy goes ahead now.'
          : undefined,
    },
  ],
});

export interface NoteFacts {
  readonly sessionStartsAt: string;
  readonly now: string;
}

/**
 * GT-38: records are made at the same time as the events or as soon as possible
 * afterwards, and must be accurate: a note for a session that has not yet happened is
 * refused.
 */
export const writeNoteCommand = defineCommand<NoteFacts>({
  name: 'note.create',
  summary: 'Start the note of a session',
  rules: [
    {
      id: 'note-after-the-session',
      clause: 'GT-38',
      check: (f) =>
        Date.parse(f.sessionStartsAt) <= Date.parse(f.now)
          ? undefined
          : 'This session has not happened yet: write its note once it has taken place.',
    },
  ],
});

/**
 * GT-98: documents the practitioner writes or signs are never false or misleading. A signed
 * note is never changed, re-signed or deleted, by any route; a correction is a dated
 * addendum with its reason, kept beside the original.
 */
const signedNoteNeverChanged = {
  id: 'signed-note-never-changed',
  clause: 'GT-98',
  check: (f: { readonly signed: boolean }) =>
    f.signed
      ? 'A signed note is never changed or deleted: add an addendum with the reason instead.'
      : undefined,
} as const;

export const editNoteCommand = defineCommand<{ readonly signed: boolean }>({
  name: 'note.edit',
  summary: 'Save a draft note',
  rules: [signedNoteNeverChanged],
});

export const deleteNoteCommand = defineCommand<{ readonly signed: boolean }>({
  name: 'note.delete',
  summary: 'Discard a draft note',
  rules: [signedNoteNeverChanged],
});

export const signNoteCommand = defineCommand<{ readonly signed: boolean }>({
  name: 'note.sign',
  summary: 'Sign a note',
  rules: [signedNoteNeverChanged],
});
