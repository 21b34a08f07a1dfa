import { AlcoveError, Confidential, offerContractCommand, signContractCommand } from '@alcove/core';
import {
  appendAuditEvent,
  type CaseFacts,
  createContractVersion,
  currentContract,
  organisationConditionsOf,
  readableContract,
  setCaseStatus,
  signContract,
  templateById,
  withdrawContractVersion,
} from '@alcove/store';
import { answeredOverrides, ContextBase, type Override } from './context-base.ts';

/** A case's contract: its versions, and signatures given in person. */
export class ContractsContext extends ContextBase {
  /**
   * Writes a new version of the case's contract, which offers it for signature at once (it
   * becomes the current version, the one signed in person, in the portal or on the signing
   * screen), through the command `contract.offer`: a version with blanks left unfilled is
   * refused (GT-36); one without a section of the Code (GT-36b, GT-36c) is refused unless
   * the practitioner gives a reason for each clause, kept with the version (sealed under the
   * case key) and audited.
   */
  async createContract(
    caseId: string,
    input: { text: string; templateId?: string | undefined; overrides?: readonly Override[] | undefined },
  ): Promise<{ id: string; version: number; textHash: string }> {
    const facts = await this.requireCase(caseId, 'case.manage');
    if (facts.status === 'closed') throw new AlcoveError('conflict', 'This case is closed.');
    const { text, templateId } = input;
    if (
      templateId !== undefined &&
      (await templateById(this.vault.db, this.actor.practiceId, templateId)) === undefined
    ) {
      throw new AlcoveError('validation-failed', 'There is no such template.', [
        { location: 'body', pointer: '/templateId', detail: 'Not one of the practice’s templates' },
      ]);
    }
    return this.runCommand({
      command: offerContractCommand,
      record: { type: 'case', id: caseId },
      overrides: input.overrides,
      overridePointer: '/overrides',
      // The practice's settings are in the stamp: its conditions go with the version.
      scope: { practiceId: this.actor.practiceId, caseId, practice: true },
      facts: async () => ({
        text,
        template: false,
        // Where the organisation holds the contract, its conditions go with every version (GT-36d).
        conditions: await organisationConditionsOf(this.vault.db, this.actor.practiceId),
      }),
      work: async (trx, answered, { conditions }) => {
        const reasons = answeredOverrides(answered, input.overrides);
        const created = await createContractVersion(trx, this.vault.keyring, {
          practiceId: this.actor.practiceId,
          caseId: facts.caseId,
          text: new Confidential(text),
          conditions: conditions === null ? null : new Confidential(conditions),
          templateId: templateId ?? null,
          ...(reasons.length === 0 ? {} : { overrides: new Confidential(reasons) }),
          userId: this.actor.userId,
          now: this.now(),
        });
        await appendAuditEvent(trx, this.event('contract.create', 'case', caseId));
        return created;
      },
    });
  }

  /**
   * Withdraws the case's current version before every party has signed it: it can no longer
   * be signed anywhere, its text and any signature are kept, and no earlier version becomes
   * current again: the practitioner writes the next version, which everyone signs.
   */
  async withdrawContract(caseId: string, contractId: string): Promise<{ version: number }> {
    const facts = await this.requireCase(caseId, 'case.manage');
    return this.vault.db.transaction().execute(async (trx) => {
      const withdrawn = await withdrawContractVersion(trx, {
        theCase: facts,
        contractId,
        userId: this.actor.userId,
        now: this.now(),
      });
      await appendAuditEvent(trx, this.event('contract.withdraw', 'case', caseId));
      return withdrawn;
    });
  }

  /** A signature given in person, on the signing screen the practitioner hands over. */
  async signContractInPerson(
    caseId: string,
    contractId: string,
    signer: { kind: 'practitioner' } | { kind: 'client'; clientId: string },
    textHash: string,
    acknowledgedConditions = false,
  ): Promise<void> {
    const facts = await this.requireCase(caseId, 'case.manage');
    await this.sign(facts, {
      contractId,
      signer,
      mode: 'in-person',
      textHash,
      acknowledgedConditions: signer.kind === 'client' && acknowledgedConditions,
    });
  }

  /**
   * A signature on the case's current version, through the command `contract.sign`
   * (GT-36d), for a case the caller has already been allowed (in person here, by the
   * client in the portal); the case is contracted once every party has signed.
   */
  async sign(
    facts: CaseFacts,
    input: {
      contractId: string;
      signer: { kind: 'practitioner' } | { kind: 'client'; clientId: string };
      mode: 'in-person' | 'portal';
      textHash: string;
      acknowledgedConditions: boolean;
    },
  ): Promise<{ signedByAll: boolean }> {
    const { caseId } = facts;
    return this.runCommand({
      command: signContractCommand,
      record: { type: 'case', id: caseId },
      scope: { practiceId: this.actor.practiceId, caseId },
      facts: async () => {
        const contract = await currentContract(
          this.vault.db,
          this.vault.keyring,
          this.actor.practiceId,
          facts,
        );
        // Never a signature over a text that failed its integrity check.
        if (contract?.id === input.contractId) readableContract(contract);
        return {
          signerKind: input.signer.kind,
          conditions: contract?.id === input.contractId && contract.conditions !== null,
          acknowledged: input.acknowledgedConditions,
        };
      },
      work: async (trx) => {
        const now = this.now();
        await signContract(trx, { theCase: facts, ...input, recordedBy: this.actor.userId, now });
        await appendAuditEvent(trx, this.event('contract.sign', 'case', caseId));
        const after = await currentContract(trx, this.vault.keyring, this.actor.practiceId, facts);
        const signedByAll = after?.signedByAll === true;
        if (signedByAll) await setCaseStatus(trx, { caseId, to: 'contracted', now, auto: true });
        return { signedByAll };
      },
    });
  }
}
