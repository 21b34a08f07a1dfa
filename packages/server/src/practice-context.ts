import {
  AGE_OF_MAJORITY,
  AlcoveError,
  ageOn,
  type CaseStatus,
  ClauseRefusalError,
  type ClientIdentity,
  type ContactDecision,
  contractToSignMessage,
  DEFAULT_LATE_ENTRY_HOURS,
  emailDecision,
  formatDate,
  INTEGRITY_FAILED_TEXT,
  type MailSettings,
  type MessagePurpose,
  missingSections,
  portalInvitationMessage,
  renderTemplate,
  STANDARD_TEMPLATE,
  STANDARD_TEMPLATE_NAME,
  templateGate,
  templateValues,
  type WithheldReason,
} from '@alcove/core';
import {
  appendAuditEvent,
  auditDigestEnabled,
  type ContractTemplate,
  createInvitation,
  currentContract,
  currentTemplates,
  enqueueMessage,
  findPractice,
  lateEntryHoursOf,
  listOutbox,
  mailSettingsOf,
  type OutboxEntry,
  openClientIdentities,
  organisationConditionsOf,
  type PortalStatus,
  portalStatusOf,
  readClientIdentities,
  recordAuditEvent,
  retryMessage,
  saveTemplate,
  setAuditDigest,
  setCaseStatus,
  setLateEntryHours,
  setMailSettings,
  setOrganisationConditions,
  templateById,
  updateClientContact,
  userNames,
} from '@alcove/store';
import { ContextBase } from './context-base.ts';

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
 * conditions (GT-36d), how e-mail leaves, the outbox, and inviting clients to the portal.
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

  async saveTemplate(input: { name: string; body: string }): Promise<{ id: string; version: number }> {
    await this.require('template.write', this.practiceResource(), 'practice', this.actor.practiceId);
    const refusal = templateGate(missingSections(input.body))[0];
    if (refusal !== undefined) throw new ClauseRefusalError(refusal);
    return this.vault.db.transaction().execute(async (trx) => {
      const saved = await saveTemplate(trx, {
        practiceId: this.actor.practiceId,
        ...input,
        userId: this.actor.userId,
        now: this.now(),
      });
      await appendAuditEvent(trx, this.event('template.save', 'practice', this.actor.practiceId));
      return saved;
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

  // ------------------------------------------------------------ e-mail

  /** The settings without the password (only whether one is kept). */
  async mailSettings(): Promise<{ settings: MailSettings | null; hasPassword: boolean }> {
    await this.require('settings.read', this.practiceResource(), 'practice', this.actor.practiceId);
    const settings = await mailSettingsOf(this.vault.db, this.vault.keyring, this.actor.practiceId);
    if (settings === undefined) return { settings: null, hasPassword: false };
    if (settings.mode === 'capture') return { settings, hasPassword: false };
    const { password, ...rest } = settings;
    return { settings: rest, hasPassword: password !== undefined };
  }

  /** Saves the settings; an SMTP password left out keeps the one already saved. */
  async setMailSettings(settings: MailSettings): Promise<void> {
    await this.require('settings.write', this.practiceResource(), 'practice', this.actor.practiceId);
    let next = settings;
    if (settings.mode === 'smtp' && settings.password === undefined) {
      const previous = await mailSettingsOf(this.vault.db, this.vault.keyring, this.actor.practiceId);
      if (previous?.mode === 'smtp' && previous.password !== undefined) {
        next = { ...settings, password: previous.password };
      }
    }
    await this.vault.db.transaction().execute(async (trx) => {
      await setMailSettings(trx, this.vault.keyring, {
        practiceId: this.actor.practiceId,
        settings: next,
        userId: this.actor.userId,
        now: this.now(),
      });
      await appendAuditEvent(trx, this.event('settings.mail', 'practice', this.actor.practiceId));
    });
  }

  /** A message to staff or to the practice: the administrators', and a staff member's own. */
  #mayReadPracticeMessage(entry: Pick<OutboxEntry, 'recipientKind' | 'recipientUserId'>): boolean {
    return (
      this.actor.roles.includes('administrator') ||
      (entry.recipientKind === 'staff' && entry.recipientUserId === this.actor.userId)
    );
  }

  /**
   * The outbox: an administrator sees every message, a practitioner those to their own
   * clients and to themself. Staff names come with `staffNames`.
   */
  async outbox(): Promise<{
    entries: OutboxEntry[];
    names: Map<string, string>;
    staffNames: Map<string, string>;
    mailSetUp: boolean;
  }> {
    await this.require('outbox.read', this.practiceResource(), 'practice', this.actor.practiceId);
    const all = await listOutbox(this.vault.db, this.actor.practiceId);
    const ids = [...new Set(all.flatMap((e) => (e.clientId === null ? [] : [e.clientId])))];
    const visible = await this.clientsAllowed('client.read-identity', ids);
    const entries = all.filter((e) =>
      e.recipientKind === 'client'
        ? e.clientId !== null && visible.has(e.clientId)
        : this.#mayReadPracticeMessage(e),
    );
    const staffIds = [
      ...new Set(entries.flatMap((e) => (e.recipientUserId === null ? [] : [e.recipientUserId]))),
    ];
    const staffNames = new Map(
      [...(await userNames(this.vault.db, this.vault.keyring, staffIds))].map(([id, name]) => [
        id,
        name.reveal(),
      ]),
    );
    // A name that fails its integrity check is shown as such, never keeping the outbox from the rest.
    const identities = await openClientIdentities(this.vault, this.actor.practiceId, [...visible]);
    const names = new Map(
      [...identities].flatMap(([id, identity]): [string, string][] =>
        identity.ok
          ? [[id, identity.value.reveal().name]]
          : identity.reason === 'tampered'
            ? [[id, INTEGRITY_FAILED_TEXT]]
            : [],
      ),
    );
    await recordAuditEvent(this.vault.db, this.event('outbox.read', 'practice', this.actor.practiceId));
    await this.reportTampered(identities.values());
    const mailSetUp =
      (await mailSettingsOf(this.vault.db, this.vault.keyring, this.actor.practiceId)) !== undefined;
    return { entries, names, staffNames, mailSetUp };
  }

  async retryMessage(messageId: string): Promise<void> {
    await this.require('outbox.retry', this.practiceResource(), 'practice', this.actor.practiceId);
    const row = await this.vault.db
      .selectFrom('outbox_message')
      .select(['client_id', 'recipient_kind', 'recipient_user_id'])
      .where('practice_id', '=', this.actor.practiceId)
      .where('id', '=', messageId)
      .executeTakeFirst();
    const clientId = row?.client_id ?? null;
    const allowed =
      row !== undefined && row.recipient_kind !== 'client'
        ? this.#mayReadPracticeMessage({
            recipientKind: row.recipient_kind as OutboxEntry['recipientKind'],
            recipientUserId: row.recipient_user_id,
          })
        : clientId !== null && (await this.clientsAllowed('client.read-identity', [clientId])).has(clientId);
    if (!allowed) {
      await recordAuditEvent(this.vault.db, this.event('outbox.retry', 'outbox', messageId, 'denied'));
      throw new AlcoveError('not-found', 'There is no such message.');
    }
    await this.vault.db.transaction().execute(async (trx) => {
      await retryMessage(trx, this.actor.practiceId, messageId, this.now());
      await appendAuditEvent(trx, this.event('outbox.retry', 'outbox', messageId));
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
      const coParticipants = await this.vault.db
        .selectFrom('participant as mine')
        .innerJoin('participant as other', 'other.case_id', 'mine.case_id')
        .select('other.client_id')
        .where('mine.client_id', '=', p.clientId)
        .where('other.client_id', '<>', p.clientId)
        .execute();
      const ids = [p.clientId, ...new Set(coParticipants.map((r) => r.client_id))];
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
