import {
  AlcoveError,
  type CaseFormat,
  type CaseKind,
  Confidential,
  type NewEntry,
  richTextProblems,
} from '@alcove/core';
import {
  addEntry,
  appendAuditEvent,
  type CaseFacts,
  currentContract,
  listSessions,
  openCase,
  openClientIdentities,
  type RecordCase,
  readClientCases,
  recordAuditEvent,
  withdrawnContract,
} from '@alcove/store';
import { ContextBase } from './context-base.ts';

/**
 * Cases and the clinical record: opening a case, reading it with its contract and
 * sessions, a client's record across their cases, and entries written and signed at once.
 */
export class CasesContext extends ContextBase {
  /** A case with its clients' names, its current contract and its sessions. */
  async readCase(caseId: string) {
    const facts = await this.requireCase(caseId, 'case.read');
    const names = await openClientIdentities(
      this.vault,
      this.actor.practiceId,
      facts.participants.map((p) => p.clientId),
    );
    const contract = await currentContract(this.vault.db, this.vault.keyring, this.actor.practiceId, facts);
    const sessions = await listSessions(this.vault.db, this.vault.keyring, this.actor.practiceId, caseId);
    await recordAuditEvent(this.vault.db, this.event('case.read', 'case', caseId));
    await this.reportTampered([
      ...names.values(),
      ...(contract?.opened ?? []),
      contract?.overrides,
      ...sessions.map((s) => s.overrideReason),
    ]);
    // Where the newest version was withdrawn, there is no current one: the page says which.
    const withdrawn = contract === undefined ? await withdrawnContract(this.vault.db, caseId) : undefined;
    return { facts, names, contract, withdrawn, sessions };
  }

  /** The clinical record: every case the client is in, with its entries. */
  async readClientRecord(clientId: string): Promise<RecordCase[]> {
    await this.require('client.read-clinical', await this.clientResource(clientId), 'client', clientId);
    return this.vault.db.transaction().execute(async (trx) => {
      const cases = await readClientCases(
        { db: trx, keyring: this.vault.keyring },
        this.actor.practiceId,
        clientId,
      );
      await appendAuditEvent(trx, this.event('client.read-record', 'client', clientId));
      // A tampered passage is served as failing its integrity check, with every other one.
      await this.reportTampered(
        cases.flatMap((c) => c.entries.flatMap((e) => e.passages.map((p) => p.text))),
        trx,
      );
      return cases;
    });
  }

  async openCase(kind: CaseKind, clientIds: readonly string[], format?: CaseFormat): Promise<CaseFacts> {
    await this.require('case.open', this.practiceResource(), 'practice', this.actor.practiceId);
    for (const clientId of clientIds) {
      await this.require('case.open', await this.clientResource(clientId), 'client', clientId);
    }
    return this.vault.db.transaction().execute(async (trx) => {
      const opened = await openCase(trx, this.vault.keyring, {
        practiceId: this.actor.practiceId,
        practitionerId: this.actor.userId,
        kind,
        clientIds,
        ...(format === undefined ? {} : { format }),
      });
      await appendAuditEvent(trx, this.event('case.open', 'case', opened.caseId));
      for (const p of opened.participants)
        await appendAuditEvent(trx, this.event('case.join', 'client', p.clientId));
      return opened;
    });
  }

  /** An entry written and signed at once (API clients); its markup keeps to the notes' allow-list. */
  async addEntry(caseId: string, entry: NewEntry): Promise<{ id: string }> {
    const facts = await this.requireCase(caseId, 'entry.create');
    const markup = entry.passages.flatMap((p, i) =>
      richTextProblems(p.text).map((detail) => ({
        location: 'body' as const,
        pointer: `/passages/${i}/text`,
        detail,
      })),
    );
    if (markup.length > 0) {
      throw new AlcoveError(
        'validation-failed',
        'The entry holds markup that is not allowed; nothing was written.',
        markup,
      );
    }
    return this.vault.db.transaction().execute(async (trx) => {
      const created = await addEntry(trx, this.vault.keyring, {
        practiceId: this.actor.practiceId,
        theCase: facts,
        authorId: this.actor.userId,
        kind: entry.kind,
        occurredAt: entry.occurredAt,
        passages: entry.passages.map((p) => ({ text: new Confidential(p.text), attribution: p.attribution })),
      });
      await appendAuditEvent(trx, this.event('entry.create', 'entry', created.id));
      for (const p of facts.participants)
        await appendAuditEvent(trx, this.event('entry.create', 'client', p.clientId));
      return created;
    });
  }
}
