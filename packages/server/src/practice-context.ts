import {
  AGE_OF_MAJORITY,
  AlcoveError,
  ageOn,
  type CaseStatus,
  type ClientIdentity,
  type ContactDecision,
  contractToSignMessage,
  DEFAULT_LATE_ENTRY_HOURS,
  emailDecision,
  formatDate,
  type MailSettings,
  type MessagePurpose,
  portalInvitationMessage,
  renderTemplate,
  STANDARD_TEMPLATE,
  STANDARD_TEMPLATE_NAME,
  saveTemplateCommand,
  templateValues,
  type WithheldReason,
} from '@alcove/core';
import {
  appendAuditEvent,
  auditDigestEnabled,
  type ContractTemplate,
  coParticipantsOf,
  createInvitation,
  currentContract,
  currentTemplates,
  enqueueMessage,
  findPractice,
  lateEntryHoursOf,
  mailSettingsOf,
  organisationConditionsOf,
  type PortalStatus,
  portalStatusOf,
  readClientIdentities,
  recordOverride,
  saveTemplate,
  setAuditDigest,
  setCaseStatus,
  setLateEntryHours,
  setOrganisationConditions,
  templateById,
  updateClientContact,
  userNames,
} from '@alcove/store';
import { answeredOverrides, ContextBase, type Override } from './context-base.ts';

export interface SendOutcome {
  readonly clientId: string;
  readonly label: string;
  readonly outcome: 'invited' | 'notified' | 'withheld';
  readonly withheldReason: WithheldReason | null;
  /**
   * How a portal invitation reached the client: 'sent' by e-mail, or 'shown-once' where the
   * practice's e-mail is captured (kept in the outbox, never sent): the join link is in
   * `link`, in this answer only, to hand over in person (issue 16). Null when no invitation went.
   */
  readonly delivery: 'sent' | 'shown-once' | null;
  readonly link: string | null;
}

/**
 * How a portal invitation with this join link reaches its person (issue 16): by e-mail
 * through SMTP ('sent', the link not shown), or, where the practice's e-mail is captured and
 * so never sent, shown once in the answer to the practitioner who invited, to hand over in
 * person. The message is still kept in the outbox (sealed under the client's key) as every
 * captured message is; the answer is the one place the link is shown.
 */
function portalDelivery(
  mail: MailSettings,
  link: string | null,
): { delivery: 'sent' | 'shown-once' | null; link: string | null } {
  if (link === null) return { delivery: null, link: null };
  return mail.mode === 'capture' ? { delivery: 'shown-once', link } : { delivery: 'sent', link: null };
}

/**
 * The practice around the records: its contract templates and the organisation's
 * conditions (GT-36d), its settings, clients' contact rules and inviting them to the
 * portal (e-mail and the outbox: mail-context.ts).
 */
export class PracticeContext extends ContextBase {
  // ------------------------------------------------------------ contract templates

  /** The practice's templates, newest version of each; Alcove's standard one until it has its own. */
  async templates(): Promise<ContractTemplate[]> {
    await this.require('settings.read', this.practiceResource(), 'practice', this.actor.practiceId);
    const own = await currentTemplates(this.vault.db, this.actor.practiceId);
    return own.length > 0
      ? own
      : [
          {
            id: 'standard',
            name: STANDARD_TEMPLATE_NAME,
            version: 0,
            body: STANDARD_TEMPLATE,
            createdAt: '',
          },
        ];
  }

  /**
   * Saves a template, through the command `template.save`: one without a section of the
   * Code (GT-36b, GT-36c) is refused unless the practitioner gives their reason, which is
   * kept with their overrides (clause_override) and audited. A template keeps its blanks:
   * each contract drafted from it fills them before it is offered (`contract.offer`).
   */
  async saveTemplate(input: {
    name: string;
    body: string;
    overrides?: readonly Override[] | undefined;
  }): Promise<{ id: string; version: number }> {
    await this.require('template.write', this.practiceResource(), 'practice', this.actor.practiceId);
    return this.runCommand({
      command: saveTemplateCommand,
      record: { type: 'practice', id: this.actor.practiceId },
      overrides: input.overrides,
      overridePointer: '/overrides',
      scope: { practiceId: this.actor.practiceId, practice: true },
      facts: async () => ({ text: input.body, template: true }),
      work: async (trx, answered) => {
        const now = this.now();
        const saved = await saveTemplate(trx, {
          practiceId: this.actor.practiceId,
          name: input.name,
          body: input.body,
          userId: this.actor.userId,
          now,
        });
        // A reason is kept only where it answered a refusal, once for each clause.
        for (const { clause, reason } of answeredOverrides(answered, input.overrides)) {
          await recordOverride(trx, {
            practiceId: this.actor.practiceId,
            userId: this.actor.userId,
            clause,
            reason,
            command: saveTemplateCommand.name,
            now,
          });
        }
        await appendAuditEvent(trx, this.event('template.save', 'practice', this.actor.practiceId));
        return saved;
      },
    });
  }

  /** A case's contract drafted from a template, for the practitioner to edit before saving. */
  async contractDraft(
    caseId: string,
    templateId: string,
  ): Promise<{ text: string; templateId: string | null }> {
    const facts = await this.requireCase(caseId, 'case.manage');
    const template =
      templateId === 'standard'
        ? { id: null, body: STANDARD_TEMPLATE }
        : await templateById(this.vault.db, this.actor.practiceId, templateId);
    if (template === undefined) throw new AlcoveError('not-found', 'There is no such template.');
    const identities = await readClientIdentities(
      this.vault,
      this.actor.practiceId,
      facts.participants.map((p) => p.clientId),
    );
    const practitioner = await userNames(this.vault.db, this.vault.keyring, [facts.practitionerId]);
    const values = templateValues({
      clients: facts.participants.map((p) => identities.get(p.clientId)?.reveal().name ?? p.label),
      practitioner: practitioner.get(facts.practitionerId)?.reveal() ?? '',
      practice: (await findPractice(this.vault.db, this.actor.practiceId))?.name ?? '',
      kind: facts.kind,
      format: facts.format,
    });
    return { text: renderTemplate(template.body, values), templateId: template.id };
  }

  // ------------------------------------------------------------ organisation's conditions (GT-36d)

  async organisationConditions(): Promise<string | null> {
    await this.require('settings.read', this.practiceResource(), 'practice', this.actor.practiceId);
    return organisationConditionsOf(this.vault.db, this.actor.practiceId);
  }

  async setOrganisationConditions(conditions: string | null): Promise<void> {
    await this.require('settings.write', this.practiceResource(), 'practice', this.actor.practiceId);
    await this.vault.db.transaction().execute(async (trx) => {
      await setOrganisationConditions(trx, {
        practiceId: this.actor.practiceId,
        conditions,
        userId: this.actor.userId,
        now: this.now(),
      });
      await appendAuditEvent(trx, this.event('settings.conditions', 'practice', this.actor.practiceId));
    });
  }

  // ------------------------------------------------------------ late entries (GT-38)

  async lateEntryHours(): Promise<number> {
    await this.require('settings.read', this.practiceResource(), 'practice', this.actor.practiceId);
    return (await lateEntryHoursOf(this.vault.db, this.actor.practiceId)) ?? DEFAULT_LATE_ENTRY_HOURS;
  }

  /** Whether the practice is e-mailed the audit log's daily fingerprint (off by default). */
  async auditDigest(): Promise<boolean> {
    await this.require('settings.read', this.practiceResource(), 'practice', this.actor.practiceId);
    return auditDigestEnabled(this.vault.db, this.actor.practiceId);
  }

  async setAuditDigest(enabled: boolean): Promise<void> {
    await this.require('settings.write', this.practiceResource(), 'practice', this.actor.practiceId);
    await this.vault.db.transaction().execute(async (trx) => {
      await setAuditDigest(trx, {
        practiceId: this.actor.practiceId,
        enabled,
        userId: this.actor.userId,
        now: this.now(),
      });
      await appendAuditEvent(trx, this.event('settings.audit-digest', 'practice', this.actor.practiceId));
    });
  }

  async setLateEntryHours(hours: number): Promise<void> {
    await this.require('settings.write', this.practiceResource(), 'practice', this.actor.practiceId);
    await this.vault.db.transaction().execute(async (trx) => {
      await setLateEntryHours(trx, {
        practiceId: this.actor.practiceId,
        hours,
        userId: this.actor.userId,
        now: this.now(),
      });
      await appendAuditEvent(trx, this.event('settings.late-entry', 'practice', this.actor.practiceId));
    });
  }

  // ------------------------------------------------------------ clients: contact safety and the portal

  async portalStatus(clientId: string): Promise<PortalStatus> {
    await this.require('client.invite', await this.clientResource(clientId), 'client', clientId);
    return portalStatusOf(this.vault.db, this.actor.practiceId, clientId, this.now());
  }

  /** The practitioner records which channels are safe, and raises or lowers the safety flag. */
  async setContact(
    clientId: string,
    change: Pick<ClientIdentity, 'contactChannels' | 'safetyFlag'>,
  ): Promise<void> {
    await this.require('client.update-contact', await this.clientResource(clientId), 'client', clientId);
    await this.vault.db.transaction().execute(async (trx) => {
      await updateClientContact(trx, this.vault.keyring, {
        practiceId: this.actor.practiceId,
        clientId,
        change,
      });
      await appendAuditEvent(trx, this.event('client.contact-safety', 'client', clientId));
    });
  }

  /**
   * Sends the case's current contract to each of its clients to sign in their portal:
   * a client with an account is told a document waits; one without is invited. Each
   * message goes only where the contact rules allow (core/contact.ts); otherwise it is
   * recorded as withheld, for the practitioner to reach the client another way.
   */
  async sendContract(caseId: string): Promise<SendOutcome[]> {
    const facts = await this.requireCase(caseId, 'case.manage');
    const contract = await currentContract(this.vault.db, this.vault.keyring, this.actor.practiceId, facts);
    if (contract === undefined) throw new AlcoveError('conflict', 'Write the contract before sending it.');
    const mail = await mailSettingsOf(this.vault.db, this.vault.keyring, this.actor.practiceId);
    if (mail === undefined) {
      throw new AlcoveError(
        'conflict',
        'E-mail is not set up for this practice: an administrator sets it up in Settings.',
      );
    }
    const practiceName = (await findPractice(this.vault.db, this.actor.practiceId))?.name ?? 'Alcove';
    const siteUrl = mail.siteUrl.replace(/\/+$/, '');
    const now = this.now();
    // Everything is read first: the transaction below only writes.
    const plans: {
      participant: { clientId: string; label: string };
      recipientName: string;
      decision: ContactDecision;
      hasAccount: boolean;
    }[] = [];
    for (const p of facts.participants) {
      if (contract.signatures.some((s) => s.signerKind === 'client' && s.signerId === p.clientId)) continue;
      const ids = [p.clientId, ...(await coParticipantsOf(this.vault.db, p.clientId))];
      const identities = await readClientIdentities(this.vault, this.actor.practiceId, ids);
      const identity = identities.get(p.clientId)?.reveal();
      if (identity === undefined) continue;
      const others = ids.slice(1).flatMap((id) => {
        const other = identities.get(id)?.reveal();
        return other === undefined ? [] : [other];
      });
      plans.push({
        participant: p,
        recipientName: identity.preferredName ?? identity.name,
        decision: emailDecision(identity, others),
        hasAccount: (await portalStatusOf(this.vault.db, this.actor.practiceId, p.clientId, now)).account,
      });
    }
    return this.vault.db.transaction().execute(async (trx) => {
      const outcomes: SendOutcome[] = [];
      for (const { participant: p, recipientName, decision, hasAccount } of plans) {
        let purpose: MessagePurpose = 'contract-to-sign';
        let message = contractToSignMessage({ recipientName, practiceName, link: `${siteUrl}/portal` });
        let joinLink: string | null = null;
        if (!hasAccount) {
          purpose = 'portal-invitation';
          // No invitation is made for a message that will not be sent.
          const invitation = decision.ok
            ? await createInvitation(trx, {
                practiceId: this.actor.practiceId,
                clientId: p.clientId,
                createdBy: this.actor.userId,
                now,
              })
            : { token: '', expiresAt: now };
          joinLink = `${siteUrl}/portal/join#${invitation.token}`;
          message = portalInvitationMessage({
            recipientName,
            practiceName,
            link: joinLink,
            expiresOn: formatDate(invitation.expiresAt),
          });
        }
        await enqueueMessage(trx, this.vault.keyring, {
          practiceId: this.actor.practiceId,
          clientId: p.clientId,
          purpose,
          envelope: { to: decision.ok ? decision.address : '', ...message },
          withheld: decision.ok ? undefined : decision.reason,
          createdBy: this.actor.userId,
          now,
        });
        const verb = decision.ok ? 'message.queue' : 'message.withheld';
        await appendAuditEvent(trx, this.event(`${verb}:${purpose}`, 'client', p.clientId));
        outcomes.push({
          clientId: p.clientId,
          label: p.label,
          outcome: !decision.ok ? 'withheld' : hasAccount ? 'notified' : 'invited',
          withheldReason: decision.ok ? null : decision.reason,
          ...portalDelivery(mail, decision.ok && !hasAccount ? joinLink : null),
        });
      }
      await appendAuditEvent(trx, this.event('contract.send', 'case', caseId));
      return outcomes;
    });
  }

  /**
   * Invites a young person's (or vulnerable adult's) appropriate adult to the portal, by
   * their own address (GT-27). They see the record only while the young person has not been
   * found competent, or agrees; they give their own consent there.
   */
  async inviteAppropriateAdult(
    clientId: string,
    invitee: { name: string; email: string },
  ): Promise<{
    outcome: 'invited' | 'withheld';
    withheldReason: WithheldReason | null;
    delivery: 'sent' | 'shown-once' | null;
    link: string | null;
  }> {
    await this.require('client.invite', await this.clientResource(clientId), 'client', clientId);
    const identity = (await readClientIdentities(this.vault, this.actor.practiceId, [clientId]))
      .get(clientId)
      ?.reveal();
    if (identity === undefined) throw new AlcoveError('not-found');
    const young =
      identity.dateOfBirth !== undefined && ageOn(identity.dateOfBirth, this.today()) < AGE_OF_MAJORITY;
    if (!young && identity.vulnerableAdult !== true) {
      throw new AlcoveError(
        'conflict',
        'An appropriate adult is for a client under 18, or one recorded as a vulnerable adult (GT-27).',
      );
    }
    const mail = await mailSettingsOf(this.vault.db, this.vault.keyring, this.actor.practiceId);
    if (mail === undefined) {
      throw new AlcoveError(
        'conflict',
        'E-mail is not set up for this practice: an administrator sets it up in Settings.',
      );
    }
    const practiceName = await this.practiceName();
    const withheld: WithheldReason | undefined =
      identity.safetyFlag === true ? 'safety-flag-adult' : undefined;
    const now = this.now();
    return this.vault.db.transaction().execute(async (trx) => {
      const invitation =
        withheld === undefined
          ? await createInvitation(trx, {
              practiceId: this.actor.practiceId,
              clientId,
              createdBy: this.actor.userId,
              now,
              appropriateAdult: { keyring: this.vault.keyring, invitee },
            })
          : { token: '', expiresAt: now };
      const joinLink = `${mail.siteUrl.replace(/\/+$/, '')}/portal/join#${invitation.token}`;
      const message = portalInvitationMessage({
        recipientName: invitee.name,
        practiceName,
        link: joinLink,
        expiresOn: formatDate(invitation.expiresAt),
      });
      await enqueueMessage(trx, this.vault.keyring, {
        practiceId: this.actor.practiceId,
        clientId,
        purpose: 'appropriate-adult-invitation',
        envelope: { to: withheld === undefined ? invitee.email : '', ...message },
        withheld,
        createdBy: this.actor.userId,
        now,
      });
      await appendAuditEvent(
        trx,
        this.event(
          withheld === undefined
            ? 'message.queue:appropriate-adult-invitation'
            : 'message.withheld:appropriate-adult-invitation',
          'client',
          clientId,
        ),
      );
      return {
        outcome: withheld === undefined ? 'invited' : 'withheld',
        withheldReason: withheld ?? null,
        ...portalDelivery(mail, withheld === undefined ? joinLink : null),
      };
    });
  }

  // ------------------------------------------------------------ the case's life

  async setCaseStatus(caseId: string, to: CaseStatus): Promise<{ from: CaseStatus; to: CaseStatus }> {
    await this.requireCase(caseId, 'case.manage');
    return this.vault.db.transaction().execute(async (trx) => {
      const moved = await setCaseStatus(trx, { caseId, to, now: this.now() });
      if (moved === undefined) throw new AlcoveError('conflict');
      await appendAuditEvent(trx, this.event(`case.status:${to}`, 'case', caseId));
      return moved;
    });
  }
}
