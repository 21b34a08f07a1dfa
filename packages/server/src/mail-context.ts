import { AlcoveError, INTEGRITY_FAILED_TEXT, type MailSettings } from '@alcove/core';
import {
  appendAuditEvent,
  listOutbox,
  mailSettingsOf,
  type OutboxEntry,
  openClientIdentities,
  outboxMessageRecipient,
  recordAuditEvent,
  retryMessage,
  setMailSettings,
  userNames,
} from '@alcove/store';
import { ContextBase } from './context-base.ts';

/**
 * How the practice's e-mail leaves (SMTP, or captured and never sent) and the outbox:
 * an administrator sees every message, a practitioner those to their own clients and to
 * themself.
 */
export class MailContext extends ContextBase {
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
    const row = await outboxMessageRecipient(this.vault.db, this.actor.practiceId, messageId);
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
}
