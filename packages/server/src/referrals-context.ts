import {
  AlcoveError,
  Confidential,
  declareDualRelationshipCommand,
  htmlToText,
  londonDay,
  referralLetter,
  textToHtml,
  writeReferralCommand,
} from '@alcove/core';
import {
  appendAuditEvent,
  consentsOf,
  type DualRelationshipView,
  declareDualRelationship,
  dualRelationshipsOf,
  listNotes,
  presentCase,
  type ReferralView,
  readableOrThrow,
  readClientIdentities,
  recordAuditEvent,
  referralsOf,
  setCaseStatus,
  supervisorIds,
  writeReferral,
} from '@alcove/store';
import { ContextBase } from './context-base.ts';

/** Referral letters (GT-21c) and declared dual relationships (GT-34, GT-35). */
export class ReferralsContext extends ContextBase {
  async write(
    caseId: string,
    input: { clientId: string; to: string; reason: string },
  ): Promise<{ id: string }> {
    const facts = await this.requireCase(caseId, 'case.manage');
    const participant = facts.participants.find((p) => p.clientId === input.clientId);
    if (participant === undefined) {
      throw new AlcoveError('validation-failed', 'Refer a client of this case.', [
        { location: 'body', pointer: '/clientId', detail: 'Not a client of this case' },
      ]);
    }
    const today = this.today();
    return this.runCommand({
      command: writeReferralCommand,
      record: { type: 'case', id: caseId },
      scope: { practiceId: this.actor.practiceId, caseId, clientIds: [input.clientId] },
      // The consent, and the letter written from the client's own record, are read and
      // decrypted here, outside the write transaction.
      facts: async () => {
        const consent = (
          await consentsOf(this.vault.db, this.vault.keyring, this.actor.practiceId, input.clientId, today)
        ).find((c) => c.type === 'third-party-release' && (c.caseId === null || c.caseId === caseId));
        if (consent === undefined) return { consentInForce: false, consent: undefined, letter: '' };
        const identity = (await readClientIdentities(this.vault, this.actor.practiceId, [input.clientId]))
          .get(input.clientId)
          ?.reveal();
        if (identity === undefined)
          throw new AlcoveError('conflict', 'This client’s details can no longer be read.');
        // Only this client's own assessment: never another client's material.
        const assessment = (
          await listNotes(this.vault.db, this.vault.keyring, this.actor.practiceId, caseId, this.actor.userId)
        )
          .filter((n) => n.kind === 'assessment' && n.status === 'signed')
          .filter((n) =>
            n.passages.every((p) => p.attribution.length === 1 && p.attribution[0] === participant.id),
          )
          .at(-1);
        // A passage the letter is written from that failed its integrity check refuses the
        // letter (TamperedError: audited, found, answered `integrity-failed`); one destroyed is left out.
        const field = (id: string) => {
          const text = assessment?.passages.find((p) => p.section === id)?.text;
          const html = text === undefined ? undefined : readableOrThrow(text)?.reveal();
          return html === undefined ? undefined : htmlToText(html);
        };
        const letter = referralLetter({
          practiceName: await this.practiceName(),
          practitionerName: await this.userName(this.actor.userId),
          to: input.to,
          clientName: identity.name,
          dateOfBirth: identity.dateOfBirth,
          reason: input.reason,
          presenting: field('presenting'),
          otherTreatments: field('other-treatments'),
          consentGivenOn: consent.givenOn,
          today,
        });
        return { consentInForce: true, consent, letter };
      },
      work: async (trx, _answered, { consent, letter }) => {
        if (consent === undefined) throw new AlcoveError('conflict');
        const created = await writeReferral(trx, this.vault.keyring, {
          practiceId: this.actor.practiceId,
          caseId,
          clientId: input.clientId,
          consentId: consent.id,
          letter: new Confidential(letter),
          writtenBy: this.actor.userId,
          now: this.now(),
        });
        await appendAuditEvent(trx, this.event('referral.write', 'client', input.clientId));
        return created;
      },
    });
  }

  async list(caseId: string): Promise<ReferralView[]> {
    await this.requireCase(caseId, 'case.read');
    const list = await referralsOf(this.vault.db, this.vault.keyring, this.actor.practiceId, caseId);
    await recordAuditEvent(this.vault.db, this.event('referral.read', 'case', caseId));
    await this.reportTampered(list.map((r) => r.letter));
    return list;
  }

  /**
   * Declares a relationship other than the clinical one (GT-34): presented to the
   * supervisor at once under the case's pseudonym, fees stop from that day, and the case
   * moves to its ending with a referral to make (GT-35).
   */
  async declareDual(
    caseId: string,
    input: { declaredOn: string; description: string; supervisorId: string },
  ): Promise<{ id: string }> {
    const facts = await this.requireCase(caseId, 'case.manage');
    if (!(await supervisorIds(this.vault.db, this.actor.practiceId)).includes(input.supervisorId)) {
      throw new AlcoveError('validation-failed', 'Tell one of the practice’s supervisors.', [
        { location: 'body', pointer: '/supervisorId', detail: 'Not a supervisor of this practice' },
      ]);
    }
    if (input.declaredOn > this.today()) {
      throw new AlcoveError('validation-failed', 'A relationship is declared once it has occurred.', [
        { location: 'body', pointer: '/declaredOn', detail: 'This day has not come yet' },
      ]);
    }
    const material = textToHtml(
      `A relationship other than the clinical one has been declared on this case (GT-34).\n\n${input.description}`,
    );
    // Declaring presents the case to supervision: the same safeguard as any presentation (PG5-5).
    return this.runCommand({
      command: declareDualRelationshipCommand,
      record: { type: 'case', id: caseId },
      scope: { practiceId: this.actor.practiceId, caseId },
      facts: async () => ({
        material,
        clients: [
          ...(
            await readClientIdentities(
              this.vault,
              this.actor.practiceId,
              facts.participants.map((p) => p.clientId),
            )
          ).values(),
        ].map((i) => i.reveal()),
      }),
      work: async (trx) => {
        const now = this.now();
        const presentation = await presentCase(trx, this.vault.keyring, {
          practiceId: this.actor.practiceId,
          caseId,
          practitionerId: this.actor.userId,
          supervisorId: input.supervisorId,
          presentedOn: input.declaredOn,
          material: new Confidential(material),
          now,
        });
        const declared = await declareDualRelationship(trx, this.vault.keyring, {
          practiceId: this.actor.practiceId,
          caseId,
          declaredOn: input.declaredOn,
          description: new Confidential(input.description),
          supervisorId: input.supervisorId,
          presentationId: presentation.id,
          declaredBy: this.actor.userId,
          now,
        });
        await setCaseStatus(trx, { caseId, to: 'ending', now, auto: true });
        await appendAuditEvent(trx, this.event('case.dual-relationship', 'case', caseId));
        return declared;
      },
    });
  }

  /**
   * The dual relationships declared on the case, each with whether its referral is made
   * (GT-35): every client of the case has a referral letter written on or after the day it
   * was declared. A letter from before, or for one partner only, does not make it.
   */
  async dualRelationships(caseId: string): Promise<(DualRelationshipView & { referralMade: boolean })[]> {
    const facts = await this.requireCase(caseId, 'case.read');
    const list = await dualRelationshipsOf(this.vault.db, this.vault.keyring, this.actor.practiceId, caseId);
    const letters = await referralsOf(this.vault.db, this.vault.keyring, this.actor.practiceId, caseId);
    await this.reportTampered(list.map((d) => d.description));
    return list.map((d) => ({
      ...d,
      referralMade: facts.participants.every((p) =>
        letters.some((r) => r.clientId === p.clientId && londonDay(r.writtenAt) >= d.declaredOn),
      ),
    }));
  }
}
