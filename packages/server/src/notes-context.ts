import {
  AlcoveError,
  Confidential,
  DEFAULT_LATE_ENTRY_HOURS,
  deleteNoteCommand,
  editNoteCommand,
  type FieldIssue,
  type notePassageSchema,
  richTextProblems,
  type StructuredKind,
  signNoteCommand,
  structuredProblems,
  textToHtml,
  writeNoteCommand,
} from '@alcove/core';
import {
  addEntry,
  appendAuditEvent,
  appendAuditEvents,
  type CaseFacts,
  crashPoint,
  deleteDraft,
  lateEntryHoursOf,
  listNotes,
  type NoteFacts,
  type NoteView,
  noteFacts,
  recordAuditEvent,
  saveDraft,
  sessionOfCase,
  setCaseStatus,
  signNote,
} from '@alcove/store';
import type { z } from 'zod';
import { ContextBase } from './context-base.ts';

type PassageInput = z.infer<typeof notePassageSchema>;

/**
 * Session notes: a private draft until its author signs it, then fixed for good. Every
 * attempt to change or delete a signed note is refused and audited (GT-98).
 */
export class NotesContext extends ContextBase {
  #checkMarkup(passages: readonly PassageInput[]): void {
    const issues: FieldIssue[] = passages.flatMap((p, i) =>
      richTextProblems(p.html).map((detail) => ({
        location: 'body' as const,
        pointer: `/passages/${i}/html`,
        detail,
      })),
    );
    if (issues.length > 0) {
      throw new AlcoveError(
        'validation-failed',
        'The note holds markup that is not allowed; nothing was saved. Remove it and save again.',
        issues,
      );
    }
  }

  #passages(passages: readonly PassageInput[]) {
    return passages.map((p) => ({
      text: new Confidential(p.html),
      attribution: p.attribution,
      section: p.section,
    }));
  }

  async #session(facts: CaseFacts, sessionId: string) {
    const session = await sessionOfCase(this.vault.db, facts.caseId, sessionId);
    if (session === undefined) {
      throw new AlcoveError('validation-failed', 'There is no such session on this case.', [
        { location: 'body', pointer: '/sessionId', detail: 'Not a session of this case' },
      ]);
    }
    return session;
  }

  /** The note and its case, for one of the actor's own cases; a refusal is audited. */
  async #note(noteId: string, attempt: string): Promise<{ note: NoteFacts; facts: CaseFacts }> {
    const note = await noteFacts(this.vault.db, this.actor.practiceId, noteId);
    if (note === undefined) {
      await recordAuditEvent(this.vault.db, this.event(attempt, 'entry', noteId, 'denied'));
      throw new AlcoveError('not-found', 'There is no such note.');
    }
    const facts = await this.requireCase(note.caseId, 'entry.create');
    return { note, facts };
  }

  /** Whether the note is signed, read afresh: a note signed since it was first read is seen (GT-98). */
  async #signed(noteId: string): Promise<{ signed: boolean }> {
    return { signed: (await noteFacts(this.vault.db, this.actor.practiceId, noteId))?.status !== 'draft' };
  }

  /** Someone else's note is not theirs to change: audited, and "not found" as the store answers. */
  async #refuseOthers(note: NoteFacts, attempt: string): Promise<void> {
    if (note.authorId !== this.actor.userId) {
      await recordAuditEvent(this.vault.db, this.event(attempt, 'entry', note.id, 'denied'));
      throw new AlcoveError('not-found', 'There is no such note.');
    }
  }

  async list(caseId: string): Promise<NoteView[]> {
    const facts = await this.requireCase(caseId, 'case.read');
    const notes = await listNotes(
      this.vault.db,
      this.vault.keyring,
      this.actor.practiceId,
      facts.caseId,
      this.actor.userId,
    );
    // Every view is on each client's access history.
    await recordAuditEvent(this.vault.db, this.event('note.list', 'case', caseId));
    for (const p of facts.participants)
      await recordAuditEvent(this.vault.db, this.event('note.read', 'client', p.clientId));
    // A tampered passage or reason is served as failing its integrity check, with the rest.
    await this.reportTampered(notes.flatMap((n) => [n.amendReason, ...n.passages.map((p) => p.text)]));
    return notes;
  }

  /** Starts a note on a session, as a draft. */
  async create(
    caseId: string,
    input: { sessionId: string; passages: readonly PassageInput[] },
  ): Promise<{ id: string }> {
    const facts = await this.requireCase(caseId, 'entry.create');
    this.#checkMarkup(input.passages);
    const session = await this.#session(facts, input.sessionId);
    // The session's start never changes once recorded: the facts need no stamp beyond the case's.
    const created = await this.runCommand({
      command: writeNoteCommand,
      record: { type: 'case', id: caseId },
      scope: { practiceId: this.actor.practiceId },
      facts: async () => ({ sessionStartsAt: session.starts_at, now: this.now() }),
      work: async (trx) => {
        const entry = await addEntry(trx, this.vault.keyring, {
          practiceId: this.actor.practiceId,
          theCase: facts,
          authorId: this.actor.userId,
          kind: 'session-note',
          occurredAt: session.starts_at,
          sessionId: session.id,
          status: 'draft',
          passages: this.#passages(input.passages),
        });
        crashPoint('note.after-entry');
        await appendAuditEvent(trx, this.event('note.draft', 'entry', entry.id));
        crashPoint('note.before-commit');
        return entry;
      },
    });
    crashPoint('note.after-commit');
    return created;
  }

  async saveDraft(noteId: string, passages: readonly PassageInput[]): Promise<void> {
    const { note, facts } = await this.#note(noteId, 'note.edit');
    await this.#refuseOthers(note, 'note.edit');
    this.#checkMarkup(passages);
    await this.runCommand({
      command: editNoteCommand,
      record: { type: 'entry', id: noteId },
      // The store refuses a signed note again inside the transaction (a guarded update).
      scope: { practiceId: this.actor.practiceId, entryId: noteId },
      facts: () => this.#signed(noteId),
      work: async (trx) => {
        await saveDraft(trx, this.vault.keyring, {
          practiceId: this.actor.practiceId,
          theCase: facts,
          note,
          authorId: this.actor.userId,
          passages: this.#passages(passages),
          now: this.now(),
        });
        await appendAuditEvent(trx, this.event('note.draft', 'entry', noteId));
      },
    });
  }

  async delete(noteId: string): Promise<void> {
    const { note } = await this.#note(noteId, 'note.delete');
    await this.#refuseOthers(note, 'note.delete');
    await this.runCommand({
      command: deleteNoteCommand,
      record: { type: 'entry', id: noteId },
      scope: { practiceId: this.actor.practiceId, entryId: noteId },
      facts: () => this.#signed(noteId),
      work: async (trx) => {
        await deleteDraft(trx, note, this.actor.userId);
        await appendAuditEvent(trx, this.event('note.delete-draft', 'case', note.caseId));
      },
    });
  }

  async sign(noteId: string): Promise<{ late: boolean }> {
    const { note, facts } = await this.#note(noteId, 'note.sign');
    await this.#refuseOthers(note, 'note.sign');
    const session = note.sessionId === null ? undefined : await this.#session(facts, note.sessionId);
    const sessionEndsAt =
      session === undefined
        ? null
        : new Date(Date.parse(session.starts_at) + session.minutes * 60_000).toISOString();
    const lateHours =
      (await lateEntryHoursOf(this.vault.db, this.actor.practiceId)) ?? DEFAULT_LATE_ENTRY_HOURS;
    const signed = await this.runCommand({
      command: signNoteCommand,
      record: { type: 'entry', id: noteId },
      scope: { practiceId: this.actor.practiceId, entryId: noteId },
      facts: () => this.#signed(noteId),
      work: async (trx) => {
        const result = await signNote(trx, {
          note,
          authorId: this.actor.userId,
          sessionEndsAt,
          lateHours,
          now: this.now(),
        });
        await appendAuditEvents(trx, [
          this.event(result.late ? 'note.sign-late' : 'note.sign', 'entry', noteId),
          ...facts.participants.map((p) => this.event('entry.create', 'client', p.clientId)),
        ]);
        crashPoint('sign.before-commit');
        return result;
      },
    });
    crashPoint('sign.after-commit');
    return signed;
  }

  /**
   * An assessment (a client's own, GT-21a), a risk assessment (GT-47–GT-49) or a planned
   * ending (GT-84), written and signed at once. A planned ending closes the case; the date
   * it closed starts its retention clock.
   */
  async structured(
    caseId: string,
    input: { kind: StructuredKind; attribution: readonly string[]; fields: Record<string, string> },
  ): Promise<{ id: string }> {
    const facts = await this.requireCase(caseId, 'entry.create');
    const problems = structuredProblems(input.kind, input.fields).map((p) => ({
      location: 'body' as const,
      pointer: `/fields/${p.field}`,
      detail: p.detail,
    }));
    if (input.kind === 'assessment' && new Set(input.attribution).size !== 1) {
      problems.push({
        location: 'body',
        pointer: '/attribution',
        detail: 'An assessment is one client’s own',
      });
    }
    if (problems.length > 0) {
      throw new AlcoveError('validation-failed', 'The entry is not complete; nothing was written.', problems);
    }
    if (facts.status === 'closed') throw new AlcoveError('conflict', 'This case is closed.');
    const passages = Object.entries(input.fields)
      .filter(([, text]) => text.trim() !== '')
      .map(([section, text]) => ({
        text: new Confidential(textToHtml(text)),
        attribution: input.attribution,
        section,
      }));
    return this.vault.db.transaction().execute(async (trx) => {
      const now = this.now();
      const created = await addEntry(trx, this.vault.keyring, {
        practiceId: this.actor.practiceId,
        theCase: facts,
        authorId: this.actor.userId,
        kind: input.kind,
        occurredAt: now,
        status: 'signed',
        passages,
        now,
      });
      await appendAuditEvent(trx, this.event(`entry.${input.kind}`, 'case', caseId));
      for (const p of facts.participants)
        await appendAuditEvent(trx, this.event('entry.create', 'client', p.clientId));
      if (input.kind === 'ending') {
        await setCaseStatus(trx, { caseId, to: 'closed', now });
        await appendAuditEvent(trx, this.event('case.status:closed', 'case', caseId));
      }
      return created;
    });
  }

  /** A dated correction with its reason, kept beside the signed original (GT-98). */
  async addendum(
    noteId: string,
    input: { reason: string; passages: readonly PassageInput[] },
  ): Promise<{ id: string }> {
    const { note, facts } = await this.#note(noteId, 'note.addendum');
    if (note.status !== 'signed') {
      throw new AlcoveError(
        'conflict',
        'A draft is corrected by editing it; an addendum is for a signed note.',
      );
    }
    this.#checkMarkup(input.passages);
    return this.vault.db.transaction().execute(async (trx) => {
      const now = this.now();
      const created = await addEntry(trx, this.vault.keyring, {
        practiceId: this.actor.practiceId,
        theCase: facts,
        authorId: this.actor.userId,
        kind: 'addendum',
        occurredAt: now,
        sessionId: note.sessionId ?? undefined,
        status: 'signed',
        amends: { entryId: note.id, reason: new Confidential(input.reason) },
        passages: this.#passages(input.passages),
        now,
      });
      await appendAuditEvent(trx, this.event('note.addendum', 'entry', note.id));
      return created;
    });
  }
}
