import { randomBytes } from 'node:crypto';
import {
  AlcoveError,
  emailDecision,
  formatDateTime,
  PASSWORD_RESET_REQUESTED,
  passwordResetMessage,
  type SessionStage,
} from '@alcove/core';
import {
  type AuditSource,
  accountContact,
  appendAuditEvent,
  clearAuthFailures,
  createPasswordReset,
  createSession,
  type Database,
  endEverySessionAndToken,
  enqueueMessage,
  enqueuePracticeMessage,
  findPasswordReset,
  findPractice,
  findUser,
  findUserByEmail,
  type Keyring,
  mailSettingsOf,
  membershipsOf,
  NO_SUCH_PERSON,
  readClientIdentities,
  recordAuditEvent,
  setPasswordHash,
  staffMembers,
  takePasswordReset,
  userSubject,
  type Vault,
  waitingPasswordResets,
} from '@alcove/store';
import type { Transaction } from 'kysely';
import { hashPassword, passwordProblem } from './auth/passwords.ts';
import { newBearerSecret, sha256Hex } from './auth/secrets.ts';
import { SESSION_PREFIX } from './auth/service.ts';
import { ContextBase } from './context-base.ts';

/**
 * Resetting a forgotten password (issue 16, ASVS V6.4.3). A reset is a one-time token for
 * one account, kept only as its SHA-256, good for an hour: e-mailed to the account's own
 * address when the holder asks and their practice sends e-mail, or issued by an
 * administrator of their practice and shown to them once to hand over. Using it sets the
 * password, ends every session and API token of the account, and starts a session at the
 * second factor exactly as a sign-in does: it never passes the authenticator code by.
 */

const UNKNOWN_RESET =
  'This password reset link is not valid. Check that the whole link was copied, or ask for a new one.';

const ENDED: Record<'used' | 'expired', string> = {
  used: 'This password reset link has been used already. Ask for a new one if you still need it.',
  expired: 'This password reset link has expired (each works for an hour). Ask for a new one.',
};

/** Resets still waiting for one account at most: more asks queue no more e-mails. */
const WAITING_LIMIT = 3;

/**
 * Queues the reset e-mail, in the reset's transaction: to a staff member's own address
 * under the practice's key, or to a portal account's address under the client's key when
 * the client's contact rules allow e-mail (nothing is queued when they do not: a withheld
 * message would keep the link).
 */
async function queueResetMail(
  trx: Transaction<Database>,
  keyring: Keyring,
  input: {
    userId: string;
    practiceId: string;
    clientId: string | null;
    link: string;
    expiresAt: string;
    createdBy: string | null;
    now: string;
  },
): Promise<boolean> {
  const contact = await accountContact(trx, keyring, input.userId);
  if (contact === undefined) return false;
  const practiceName = (await findPractice(trx, input.practiceId))?.name ?? 'your practice';
  const text = passwordResetMessage({
    recipientName: contact.name,
    practiceName,
    link: input.link,
    until: formatDateTime(input.expiresAt),
  });
  if (input.clientId === null) {
    await enqueuePracticeMessage(trx, keyring, {
      practiceId: input.practiceId,
      recipient: { kind: 'staff', userId: input.userId },
      purpose: 'password-reset',
      envelope: { to: contact.email, ...text },
      createdBy: input.createdBy,
      now: input.now,
    });
    return true;
  }
  const identity = (await readClientIdentities({ db: trx, keyring }, input.practiceId, [input.clientId]))
    .get(input.clientId)
    ?.reveal();
  const decision =
    identity === undefined ? undefined : emailDecision({ ...identity, email: contact.email }, []);
  if (decision?.ok !== true) return false;
  await enqueueMessage(trx, keyring, {
    practiceId: input.practiceId,
    clientId: input.clientId,
    purpose: 'password-reset',
    envelope: { to: decision.address, ...text },
    createdBy: input.createdBy,
    now: input.now,
  });
  return true;
}

/**
 * The holder asks for a reset by address. The answer is always the same, whether or not
 * the address has an account; the steps are as alike as they can be (the address is
 * looked up, a token drawn and an event audited either way). An e-mail is queued only for
 * an account that is not disabled, of one practice only, its membership not suspended, in
 * a practice that sends e-mail by SMTP and has a site address (the link is never built from a request's
 * Host header, which a stranger could forge to receive it).
 */
export async function requestPasswordReset(
  vault: Vault,
  input: { email: string; now: string },
): Promise<{ message: string; queued: boolean }> {
  const { db, keyring } = vault;
  const { now } = input;
  const user = await findUserByEmail(db, keyring, input.email);
  let target: { practiceId: string; clientId: string | null; siteUrl: string } | undefined;
  if (user !== undefined && user.disabled_at === null) {
    const memberships = await membershipsOf(db, user.id);
    // Only for an account of one practice: the link is built from, and sent through, that
    // practice's own settings. For a person in several, any one practice's administrator
    // controls a site address and a mail server the link would travel by, and the link
    // opens every practice: whoever runs Alcove issues theirs (`alcove people reset-password`).
    const practices = new Set(memberships.map((m) => m.practiceId));
    const [m] = memberships.filter((x) => !x.suspended);
    if (practices.size === 1 && m !== undefined) {
      const mail = await mailSettingsOf(db, keyring, m.practiceId);
      if (mail?.mode === 'smtp' && mail.siteUrl !== undefined && mail.siteUrl !== '')
        target = { practiceId: m.practiceId, clientId: m.clientId, siteUrl: mail.siteUrl };
    }
  }
  if (user === undefined || target === undefined) {
    // The same work as a reset, kept nowhere: a token drawn and hashed, an event audited.
    sha256Hex(randomBytes(32).toString('base64url'));
    await recordAuditEvent(db, {
      actorId: user?.id ?? null,
      action: 'account.password-reset-requested',
      outcome: 'failed',
      purpose: 'security',
      at: now,
    });
    return { message: PASSWORD_RESET_REQUESTED, queued: false };
  }
  const { practiceId, clientId, siteUrl } = target;
  if ((await waitingPasswordResets(db, user.id, now)) >= WAITING_LIMIT) {
    await recordAuditEvent(db, {
      actorId: user.id,
      practiceId,
      action: 'account.password-reset-requested',
      outcome: 'denied',
      purpose: 'security',
      at: now,
    });
    return { message: PASSWORD_RESET_REQUESTED, queued: false };
  }
  const queued = await db.transaction().execute(async (trx) => {
    const reset = await createPasswordReset(trx, { userId: user.id, createdBy: null, now });
    const sent = await queueResetMail(trx, keyring, {
      userId: user.id,
      practiceId,
      clientId,
      link: `${siteUrl.replace(/\/+$/, '')}/reset-password#${reset.token}`,
      expiresAt: reset.expiresAt,
      createdBy: null,
      now,
    });
    await appendAuditEvent(trx, {
      actorId: user.id,
      practiceId,
      action: 'account.password-reset-requested',
      outcome: sent ? 'ok' : 'failed',
      recordType: 'password-reset',
      recordId: reset.id,
      purpose: 'security',
      at: now,
    });
    return sent;
  });
  return { message: PASSWORD_RESET_REQUESTED, queued };
}

async function validReset(vault: Vault, token: string, now: string) {
  const reset = await findPasswordReset(vault.db, token, now);
  if (reset === undefined) throw new AlcoveError('not-found', UNKNOWN_RESET);
  if (reset.state !== 'valid') throw new AlcoveError('reset-ended', ENDED[reset.state]);
  return reset;
}

/** Whether a link still works, and until when: to show before the person chooses a password. */
export async function previewPasswordReset(
  vault: Vault,
  token: string,
  now: string,
): Promise<{ expiresAt: string }> {
  const reset = await validReset(vault, token, now);
  return { expiresAt: reset.expiresAt };
}

/**
 * Uses a reset: the new password is checked like any new one (with the words a guesser of
 * this account tries first), the link works once (a guarded update), the password is set,
 * every session and API token of the account ends, and a session starts at the second
 * factor as after a password at sign-in: the authenticator code of an enrolled account, or
 * enrolment of one for an account that has none. Audited.
 */
export async function resetPassword(
  vault: Vault,
  input: { token: string; password: string; now: string; source?: AuditSource },
): Promise<{ cookie: string; csrfToken: string; stage: SessionStage }> {
  const { db, keyring } = vault;
  const { now } = input;
  const reset = await validReset(vault, input.token, now);
  const user = await findUser(db, reset.userId);
  const memberships =
    user === undefined ? [] : (await membershipsOf(db, user.id)).filter((m) => !m.suspended);
  if (user === undefined || user.disabled_at !== null || memberships.length === 0) {
    throw new AlcoveError('not-found', UNKNOWN_RESET);
  }
  const practiceIds = [...new Set(memberships.map((m) => m.practiceId))];
  // The words a guesser tries first (V6.2.11): the account's address and name, its practices' names.
  const contact = await accountContact(db, keyring, user.id).catch(() => undefined);
  const practiceNames = await Promise.all(practiceIds.map(async (id) => (await findPractice(db, id))?.name));
  const words = [contact?.email, contact?.name, ...practiceNames].filter((w): w is string => w !== undefined);
  const problem = passwordProblem(input.password, words);
  if (problem !== undefined) {
    throw new AlcoveError('validation-failed', problem, [
      { location: 'body', pointer: '/password', detail: problem },
    ]);
  }
  const hash = await hashPassword(input.password);
  const cookie = newBearerSecret(SESSION_PREFIX);
  const csrfToken = newBearerSecret('');
  const stage: SessionStage = user.totp_enabled_at === null ? 'mfa-enrol' : 'mfa-challenge';
  const practiceId = practiceIds.length === 1 ? (practiceIds[0] ?? null) : null;
  await db.transaction().execute(async (trx) => {
    if (!(await takePasswordReset(trx, { resetId: reset.id, userId: user.id, now }))) {
      throw new AlcoveError('reset-ended', ENDED.used);
    }
    await setPasswordHash(trx, user.id, hash);
    // Whoever had the old password, a session or a copied token is out.
    await endEverySessionAndToken(trx, user.id, now);
    await appendAuditEvent(trx, {
      actorId: user.id,
      practiceId,
      action: 'account.password-reset',
      outcome: 'ok',
      recordType: 'password-reset',
      recordId: reset.id,
      purpose: 'security',
      at: now,
    });
    await createSession(trx, {
      idHash: sha256Hex(cookie),
      userId: user.id,
      practiceId,
      csrfToken,
      stage,
      now,
      sourceAddress: input.source?.address ?? null,
      userAgent: input.source?.userAgent ?? null,
    });
    await appendAuditEvent(trx, {
      actorId: user.id,
      practiceId,
      action: 'session.password-accepted',
      outcome: 'ok',
      purpose: 'security',
      at: now,
    });
  });
  // A new password is no longer the one being guessed; the second factor's count stays.
  await clearAuthFailures(db, userSubject(user.id), 'password');
  return { cookie, csrfToken, stage };
}

/**
 * An administrator resets a staff member's password (people.manage; a staff member of this
 * practice, else "not found"). Where the practice sends e-mail by SMTP the link goes to the
 * person's own address and is not shown; captured or not set up, nothing is queued and the
 * link is in this answer only, to hand over in person. Audited.
 */
export class PasswordResetContext extends ContextBase {
  async issue(
    userId: string,
    origin: string,
  ): Promise<{ delivery: 'sent' | 'shown-once'; link: string | null; expiresAt: string }> {
    await this.require('people.manage', this.practiceResource(), 'user', userId);
    const [member] = await staffMembers(this.vault.db, this.actor.practiceId, userId);
    if (member === undefined || member.disabled) throw new AlcoveError('not-found', NO_SUCH_PERSON);
    if (member.suspended)
      throw new AlcoveError('conflict', 'They are suspended from this practice: reinstate them first.');
    if (userId === this.actor.userId)
      throw new AlcoveError(
        'conflict',
        'To change your own password, use your account page: it asks for your current one.',
      );
    // An administrator answers for their own practice only. A person who also works in
    // another practice (a supervisor, a locum) would, with a password this administrator
    // set, reach that practice too: they ask for a reset themselves, or whoever runs
    // Alcove issues one (`alcove people reset-password`).
    const elsewhere = (await membershipsOf(this.vault.db, userId)).some(
      (m) => m.practiceId !== this.actor.practiceId,
    );
    if (elsewhere)
      throw new AlcoveError(
        'conflict',
        'They also work in another practice, so their password is not this practice’s to reset: they can ask for a link from the sign-in page, or whoever runs Alcove can issue one.',
      );
    const mail = await mailSettingsOf(this.vault.db, this.vault.keyring, this.actor.practiceId);
    const base = (mail?.siteUrl ?? origin).replace(/\/+$/, '');
    const send = mail?.mode === 'smtp';
    const now = this.now();
    return this.vault.db.transaction().execute(async (trx) => {
      const reset = await createPasswordReset(trx, { userId, createdBy: this.actor.userId, now });
      const link = `${base}/reset-password#${reset.token}`;
      const sent =
        send &&
        (await queueResetMail(trx, this.vault.keyring, {
          userId,
          practiceId: this.actor.practiceId,
          clientId: null,
          link,
          expiresAt: reset.expiresAt,
          createdBy: this.actor.userId,
          now,
        }));
      await appendAuditEvent(trx, this.event('people.password-reset', 'password-reset', reset.id));
      return { delivery: sent ? 'sent' : 'shown-once', link: sent ? null : link, expiresAt: reset.expiresAt };
    });
  }
}
