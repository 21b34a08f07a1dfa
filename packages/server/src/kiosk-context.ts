import { AlcoveError, type Kiosk } from '@alcove/core';
import {
  appendAuditEvent,
  currentContract,
  lockSessionToKiosk,
  readableContract,
  readClientIdentities,
  recordAuditEvent,
} from '@alcove/store';
import { ContextBase } from './context-base.ts';
import { ContractsContext } from './contracts-context.ts';

/**
 * The signing screen a practitioner hands to a client in the room (the kiosk). Handing it
 * over locks the practitioner's session to one contract for one client; while it is
 * locked, the session reads that contract and the signer's own label and name, signs it
 * as that client, and nothing else (the auth plugin refuses every other route).
 */
export class KioskContext extends ContextBase {
  /** Locks the session whose id hash this is to the case's current contract, for one of its clients. */
  async handOver(idHash: string, kiosk: Kiosk): Promise<void> {
    const facts = await this.requireCase(kiosk.caseId, 'case.manage');
    if (!facts.participants.some((p) => p.clientId === kiosk.clientId)) {
      throw new AlcoveError('validation-failed', 'Only the clients of this case sign its contract.', [
        { location: 'body', pointer: '/clientId', detail: 'Not a client of this case' },
      ]);
    }
    const contract = await currentContract(this.vault.db, this.vault.keyring, this.actor.practiceId, facts);
    if (contract === undefined || contract.id !== kiosk.contractId) {
      throw new AlcoveError('conflict', 'This is not the current version of the contract.');
    }
    // Never handed over to be signed where the text failed its integrity check.
    readableContract(contract);
    if (contract.signatures.some((s) => s.signerKind === 'client' && s.signerId === kiosk.clientId)) {
      throw new AlcoveError('conflict', 'This client has signed this version already.');
    }
    await this.vault.db.transaction().execute(async (trx) => {
      const locked = await lockSessionToKiosk(trx, { idHash, ...kiosk, now: this.now() });
      if (!locked) throw new AlcoveError('conflict', 'This session cannot show a signing screen now.');
      await appendAuditEvent(trx, this.event('session.kiosk-start', 'client', kiosk.clientId));
    });
  }

  /** The kiosk's contract, with the signer's own label and name: nothing of anyone else. */
  async contractView(kiosk: Kiosk) {
    const facts = await this.requireCase(kiosk.caseId, 'case.manage');
    const signer = facts.participants.find((p) => p.clientId === kiosk.clientId);
    if (signer === undefined) throw new AlcoveError('not-found', 'There is no such record.');
    const contract = await currentContract(this.vault.db, this.vault.keyring, this.actor.practiceId, facts);
    if (contract === undefined || contract.id !== kiosk.contractId) {
      throw new AlcoveError(
        'conflict',
        'This version of the contract is no longer offered for signature. Please hand this device back to your therapist.',
      );
    }
    readableContract(contract);
    const identity = (await readClientIdentities(this.vault, this.actor.practiceId, [kiosk.clientId])).get(
      kiosk.clientId,
    );
    await recordAuditEvent(this.vault.db, this.event('contract.kiosk-read', 'client', kiosk.clientId));
    return {
      signer: { clientId: signer.clientId, label: signer.label, identity },
      contract,
      signed: contract.signatures.some((s) => s.signerKind === 'client' && s.signerId === kiosk.clientId),
    };
  }

  /** Signs the kiosk's contract as its client, on the text whose hash the screen showed. */
  async sign(kiosk: Kiosk, textHash: string, acknowledgedConditions: boolean | undefined): Promise<void> {
    await this.as(ContractsContext).signContractInPerson(
      kiosk.caseId,
      kiosk.contractId,
      { kind: 'client', clientId: kiosk.clientId },
      textHash,
      acknowledgedConditions,
    );
  }
}
