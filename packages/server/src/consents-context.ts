import {
  type Action,
  AlcoveError,
  Confidential,
  type newConsentSchema,
  type newGillickAssessmentSchema,
} from '@alcove/core';
import {
  appendAuditEvent,
  type ConsentView,
  consentsOf,
  giveConsent,
  recordAuditEvent,
  recordGillickAssessment,
  withdrawConsent,
} from '@alcove/store';
import type { z } from 'zod';
import { ContextBase } from './context-base.ts';

/** A client's consents and Gillick assessments, recorded by whoever treats them. */
export class ConsentsContext extends ContextBase {
  async #treatedClient(clientId: string, action: Action): Promise<void> {
    await this.require(action, await this.clientResource(clientId), 'client', clientId);
  }

  async consents(clientId: string, day: string | undefined): Promise<ConsentView[]> {
    await this.#treatedClient(clientId, 'client.read-clinical');
    const consents = await consentsOf(
      this.vault.db,
      this.vault.keyring,
      this.actor.practiceId,
      clientId,
      day,
    );
    await recordAuditEvent(this.vault.db, this.event('consent.read', 'client', clientId));
    await this.reportTampered(consents.map((c) => c.recipient));
    return consents;
  }

  async giveConsent(clientId: string, input: z.infer<typeof newConsentSchema>): Promise<{ id: string }> {
    await this.#treatedClient(clientId, 'consent.record');
    if (input.givenOn > this.today()) {
      throw new AlcoveError('validation-failed', 'A consent is recorded once it has been given.', [
        { location: 'body', pointer: '/givenOn', detail: 'This day has not come yet' },
      ]);
    }
    if (input.type === 'third-party-release' && input.recipient === undefined) {
      throw new AlcoveError('validation-failed', 'A release to a third party names them.', [
        { location: 'body', pointer: '/recipient', detail: 'Required for a third-party release' },
      ]);
    }
    return this.vault.db.transaction().execute(async (trx) => {
      const created = await giveConsent(trx, this.vault.keyring, {
        practiceId: this.actor.practiceId,
        clientId,
        caseId: input.caseId,
        type: input.type,
        recipient: input.recipient === undefined ? undefined : new Confidential(input.recipient),
        givenOn: input.givenOn,
        givenBy: input.givenBy,
        mode: input.mode,
        recordedBy: this.actor.userId,
        now: this.now(),
      });
      await appendAuditEvent(trx, this.event(`consent.give:${input.type}`, 'client', clientId));
      return created;
    });
  }

  async withdrawConsent(clientId: string, consentId: string, withdrawnOn: string): Promise<void> {
    await this.#treatedClient(clientId, 'consent.record');
    if (withdrawnOn > this.today()) {
      throw new AlcoveError('validation-failed', 'A withdrawal is recorded once it has been made.', [
        { location: 'body', pointer: '/withdrawnOn', detail: 'This day has not come yet' },
      ]);
    }
    await this.vault.db.transaction().execute(async (trx) => {
      await withdrawConsent(trx, { practiceId: this.actor.practiceId, clientId, consentId, withdrawnOn });
      await appendAuditEvent(trx, this.event('consent.withdraw', 'client', clientId));
    });
  }

  async recordGillick(
    clientId: string,
    input: z.infer<typeof newGillickAssessmentSchema>,
  ): Promise<{ id: string }> {
    await this.#treatedClient(clientId, 'consent.record');
    if (input.assessedOn > this.today()) {
      throw new AlcoveError('validation-failed', 'An assessment is recorded once it has been made.', [
        { location: 'body', pointer: '/assessedOn', detail: 'This day has not come yet' },
      ]);
    }
    return this.vault.db.transaction().execute(async (trx) => {
      const created = await recordGillickAssessment(trx, this.vault.keyring, {
        practiceId: this.actor.practiceId,
        clientId,
        caseId: input.caseId,
        assessedOn: input.assessedOn,
        competent: input.competent,
        notes: new Confidential(input.notes),
        recordedBy: this.actor.userId,
        now: this.now(),
      });
      await appendAuditEvent(trx, this.event('gillick.record', 'client', clientId));
      return created;
    });
  }
}
