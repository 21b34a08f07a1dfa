import {
  AlcoveError,
  Confidential,
  DEFAULT_LEGAL_BASES,
  type LegalBasis,
  type NewDisclosure,
} from '@alcove/core';
import {
  appendAuditEvent,
  type DisclosureView,
  disclosuresOf,
  legalBasesOf,
  recordAuditEvent,
  recordDisclosure,
  setLegalBases,
} from '@alcove/store';
import { ContextBase } from './context-base.ts';

/** Disclosures without consent (PG5-2), and the practice's list of legal bases. */
export class DisclosuresContext extends ContextBase {
  async legalBases(): Promise<LegalBasis[]> {
    await this.require('settings.read', this.practiceResource(), 'practice', this.actor.practiceId);
    return (await legalBasesOf(this.vault.db, this.actor.practiceId)) ?? [...DEFAULT_LEGAL_BASES];
  }

  async setLegalBases(bases: readonly LegalBasis[]): Promise<void> {
    await this.require('settings.write', this.practiceResource(), 'practice', this.actor.practiceId);
    const ids = bases.map((b) => b.id);
    if (new Set(ids).size !== ids.length || ids.includes('other')) {
      throw new AlcoveError(
        'validation-failed',
        'Each legal basis needs an id of its own ("other" is Alcove’s).',
        [{ location: 'body', pointer: '/bases', detail: 'Ids repeat, or one is "other"' }],
      );
    }
    await this.vault.db.transaction().execute(async (trx) => {
      await setLegalBases(trx, {
        practiceId: this.actor.practiceId,
        bases,
        userId: this.actor.userId,
        now: this.now(),
      });
      await appendAuditEvent(trx, this.event('settings.legal-bases', 'practice', this.actor.practiceId));
    });
  }

  async record(caseId: string, input: NewDisclosure): Promise<{ id: string }> {
    const facts = await this.requireCase(caseId, 'case.manage');
    const problems: { pointer: string; detail: string }[] = [];
    if (!facts.participants.some((p) => p.clientId === input.clientId)) {
      problems.push({ pointer: '/clientId', detail: 'Not a client of this case' });
    }
    if (input.disclosedOn > this.today())
      problems.push({ pointer: '/disclosedOn', detail: 'This day has not come yet' });
    const bases = (await legalBasesOf(this.vault.db, this.actor.practiceId)) ?? DEFAULT_LEGAL_BASES;
    if (
      input.legalBasis === 'other'
        ? input.legalBasisDetail === undefined
        : !bases.some((b) => b.id === input.legalBasis)
    ) {
      problems.push({
        pointer: input.legalBasis === 'other' ? '/legalBasisDetail' : '/legalBasis',
        detail:
          input.legalBasis === 'other' ? 'Say which law or duty' : 'Not one of the practice’s legal bases',
      });
    }
    if (input.withholdFromClient && input.withholdBasis === undefined) {
      problems.push({ pointer: '/withholdBasis', detail: 'Say which law forbids telling the client' });
    }
    if (problems.length > 0) {
      throw new AlcoveError(
        'validation-failed',
        'The disclosure is not complete; nothing was recorded.',
        problems.map((p) => ({ location: 'body' as const, ...p })),
      );
    }
    return this.vault.db.transaction().execute(async (trx) => {
      const created = await recordDisclosure(trx, this.vault.keyring, {
        practiceId: this.actor.practiceId,
        caseId,
        clientId: input.clientId,
        disclosedOn: input.disclosedOn,
        legalBasis: input.legalBasis,
        details: new Confidential({
          recipient: input.recipient,
          what: input.what,
          legalBasisDetail: input.legalBasisDetail,
          whyNoConsent: input.whyNoConsent,
          justification: input.justification,
          withholdBasis: input.withholdBasis,
        }),
        withheldFromClient: input.withholdFromClient,
        recordedBy: this.actor.userId,
        now: this.now(),
      });
      await appendAuditEvent(trx, this.event('disclosure.record', 'client', input.clientId));
      if (input.withholdFromClient)
        await appendAuditEvent(trx, this.event('disclosure.withhold', 'disclosure', created.id));
      return created;
    });
  }

  async ofCase(caseId: string): Promise<DisclosureView[]> {
    await this.requireCase(caseId, 'case.read');
    const list = await disclosuresOf(this.vault.db, this.vault.keyring, this.actor.practiceId, { caseId });
    await recordAuditEvent(this.vault.db, this.event('disclosure.read', 'case', caseId));
    await this.reportTampered(list.map((d) => d.details));
    return list;
  }
}
