import {
  AlcoveError,
  formatDate,
  type Person,
  type Role,
  type SessionStage,
  staffInvitationMessage,
} from '@alcove/core';
import {
  type AuditSource,
  accountContact,
  activePracticesOf,
  addMembership,
  advanceSession,
  appendAuditEvent,
  authFailureState,
  changeStaffMember,
  clearAuthFailures,
  countAuthFailure,
  createSession,
  createStaffInvitation,
  createUser,
  EmailTakenError,
  enqueuePracticeMessage,
  findPractice,
  findStaffInvitation,
  findUserByEmail,
  hasClientMembership,
  lastSignIns,
  lockAuthFactor,
  mailSettingsOf,
  NO_SUCH_PERSON,
  pendingStaffInvitations,
  recordAuditEvent,
  type StaffChange,
  type StaffMember,
  type StaffRole,
  staffMembers,
  takeStaffInvitation,
  userSubject,
  type Vault,
  withdrawStaffInvitation,
} from '@alcove/store';
import { lockSeconds, PASSWORD_LOCKOUT, waitInWords } from './auth/lockout.ts';
import { hashPassword, passwordProblem, verifyPassword } from './auth/passwords.ts';
import { newBearerSecret, sha256Hex } from './auth/secrets.ts';
import { type Principal, SESSION_PREFIX } from './auth/service.ts';
import { ContextBase } from './context-base.ts';

export interface CreatedInvitation {
  readonly id: string;
  readonly expiresAt: string;
  readonly delivery: 'sent' | 'shown-once';
  /** The join link, only when it is shown once (never stored in clear, never shown again). */
  readonly link: string | null;
}

/**
 * The practice's people (issue 16): an administrator lists the staff and the invitations
 * waiting, invites someone with staff roles, changes roles, suspends, reinstates and
 * removes. Every change to an account's roles or access ends its sessions and API tokens at
 * once, and none may leave the practice without an active administrator. Every step is
 * audited with ids and verbs only.
 */
export class PeopleContext extends ContextBase {
  async #requireManager(recordId: string = this.actor.practiceId, recordType = 'practice'): Promise<void> {
    await this.require('people.manage', this.practiceResource(), recordType, recordId);
  }

  async #person(member: StaffMember, lastSignIn: string | undefined): Promise<Person> {
    const contact = await accountContact(this.vault.db, this.vault.keyring, member.userId);
    return {
      userId: member.userId,
      name: contact?.name ?? '',
      email: contact?.email ?? '',
      roles: member.roles,
      status: member.suspended ? 'suspended' : 'active',
      mfaEnrolled: member.mfaEnrolled,
      lastSignInAt: lastSignIn ?? null,
    };
  }

  async #personNow(userId: string): Promise<Person> {
    const [member] = await staffMembers(this.vault.db, this.actor.practiceId, userId);
    if (member === undefined) throw new AlcoveError('not-found', NO_SUCH_PERSON);
    const last = await lastSignIns(this.vault.db, this.actor.practiceId, [userId]);
    return this.#person(member, last.get(userId));
  }

  /** The practice's staff, and the invitations not yet taken up. Never its clients. */
  async list(): Promise<{
    people: Person[];
    invitations: Awaited<ReturnType<typeof pendingStaffInvitations>>;
  }> {
    await this.#requireManager();
    const members = await staffMembers(this.vault.db, this.actor.practiceId);
    const last = await lastSignIns(
      this.vault.db,
      this.actor.practiceId,
      members.map((m) => m.userId),
    );
    const people: Person[] = [];
    for (const member of members) people.push(await this.#person(member, last.get(member.userId)));
    const invitations = await pendingStaffInvitations(
      this.vault.db,
      this.vault.keyring,
      this.actor.practiceId,
      this.now(),
    );
    await recordAuditEvent(this.vault.db, this.event('people.read', 'practice', this.actor.practiceId));
    return { people, invitations };
  }

  /**
   * Invites someone by address with staff roles. With the practice's e-mail sent through
   * SMTP, the link goes by e-mail and is not shown; captured or not set up, nothing is
   * queued and the link is in this answer only, to be handed over in person.
   * `origin` is this request's own address, used for the link when no site address is set.
   */
  async invite(
    input: { email: string; name: string; roles: readonly StaffRole[] },
    origin: string,
  ): Promise<CreatedInvitation> {
    await this.#requireManager();
    const existing = await findUserByEmail(this.vault.db, this.vault.keyring, input.email);
    if (existing !== undefined) {
      const [member] = await staffMembers(this.vault.db, this.actor.practiceId, existing.id);
      if (member !== undefined) {
        throw new AlcoveError(
          'conflict',
          'This person is on the practice’s staff already: change their roles instead.',
        );
      }
      if (await hasClientMembership(this.vault.db, this.actor.practiceId, existing.id)) {
        throw new AlcoveError(
          'conflict',
          'This address belongs to a client portal account of this practice: invite the person by another address.',
        );
      }
    }
    const mail = await mailSettingsOf(this.vault.db, this.vault.keyring, this.actor.practiceId);
    const base = (mail?.siteUrl ?? origin).replace(/\/+$/, '');
    const send = mail?.mode === 'smtp';
    const practiceName = await this.practiceName();
    const inviterName = await this.userName(this.actor.userId);
    const now = this.now();
    return this.vault.db.transaction().execute(async (trx) => {
      const invitation = await createStaffInvitation(trx, this.vault.keyring, {
        practiceId: this.actor.practiceId,
        roles: input.roles,
        invitee: { email: input.email, name: input.name },
        createdBy: this.actor.userId,
        now,
      });
      const link = `${base}/join#${invitation.token}`;
      await appendAuditEvent(trx, this.event('people.invite', 'staff-invitation', invitation.id));
      if (send) {
        await enqueuePracticeMessage(trx, this.vault.keyring, {
          practiceId: this.actor.practiceId,
          recipient: { kind: 'invitee' },
          purpose: 'staff-invitation',
          envelope: {
            to: input.email,
            ...staffInvitationMessage({
              recipientName: input.name,
              practiceName,
              inviterName,
              roles: input.roles,
              link,
              expiresOn: formatDate(invitation.expiresAt),
            }),
          },
          createdBy: this.actor.userId,
          now,
        });
        await appendAuditEvent(
          trx,
          this.event('message.queue:staff-invitation', 'staff-invitation', invitation.id),
        );
      }
      return {
        id: invitation.id,
        expiresAt: invitation.expiresAt,
        delivery: send ? 'sent' : 'shown-once',
        link: send ? null : link,
      };
    });
  }

  async withdraw(invitationId: string): Promise<void> {
    await this.#requireManager(invitationId, 'staff-invitation');
    await this.vault.db.transaction().execute(async (trx) => {
      const withdrawn = await withdrawStaffInvitation(trx, {
        practiceId: this.actor.practiceId,
        invitationId,
        now: this.now(),
      });
      if (!withdrawn) throw new AlcoveError('not-found', 'There is no such invitation waiting.');
      await appendAuditEvent(trx, this.event('people.invitation-withdraw', 'staff-invitation', invitationId));
    });
  }

  /**
   * One change to a staff member (store/people.ts `changeStaffMember`: of this practice, or
   * "not found"; never leaving it without an active administrator; sessions and tokens
   * ended), refused when it is the administrator's own and `notYourself` says why. Audited.
   */
  async #change(userId: string, change: StaffChange, notYourself?: string): Promise<void> {
    await this.#requireManager(userId, 'user');
    await this.vault.db.transaction().execute(async (trx) => {
      if (notYourself !== undefined && userId === this.actor.userId) {
        const [me] = await staffMembers(trx, this.actor.practiceId, userId);
        if (me !== undefined) throw new AlcoveError('conflict', notYourself);
      }
      const { accessEnded } = await changeStaffMember(trx, {
        practiceId: this.actor.practiceId,
        userId,
        change,
        now: this.now(),
      });
      if (accessEnded) await appendAuditEvent(trx, this.event('people.access-ended', 'user', userId));
      await appendAuditEvent(trx, this.event(`people.${change.kind}`, 'user', userId));
    });
  }

  /** The person's staff roles here become exactly these; their sessions and tokens end. */
  async setRoles(userId: string, roles: readonly StaffRole[]): Promise<Person> {
    await this.#change(userId, { kind: 'roles', roles });
    return this.#personNow(userId);
  }

  async suspend(userId: string): Promise<Person> {
    await this.#change(
      userId,
      { kind: 'suspend' },
      'You cannot suspend yourself: ask another administrator.',
    );
    return this.#personNow(userId);
  }

  async reinstate(userId: string): Promise<Person> {
    await this.#change(
      userId,
      { kind: 'reinstate' },
      'You cannot reinstate yourself: ask another administrator.',
    );
    return this.#personNow(userId);
  }

  /** The person's staff roles here end; their account and any other practice stay. */
  async remove(userId: string): Promise<void> {
    await this.#change(userId, { kind: 'remove' }, 'You cannot remove yourself: ask another administrator.');
  }
}

// ---------------------------------------------------------------- joining (public)

const UNKNOWN_INVITATION =
  'This invitation link is not valid. Check that the whole link was copied, or ask the practice for a new one.';

const ENDED: Record<'used' | 'withdrawn' | 'expired', string> = {
  used: 'This invitation has been used already. Sign in with the account it made, or ask the practice for a new one.',
  withdrawn: 'This invitation was withdrawn by the practice. Ask them for a new one if you expected it.',
  expired: 'This invitation has expired (each works for 7 days). Ask the practice for a new one.',
};

async function validInvitation(vault: Vault, token: string, now: string) {
  const invitation = await findStaffInvitation(vault.db, vault.keyring, token, now);
  if (invitation === undefined) throw new AlcoveError('not-found', UNKNOWN_INVITATION);
  if (invitation.state !== 'valid') throw new AlcoveError('invitation-ended', ENDED[invitation.state]);
  return invitation;
}

/** What an invitation is for, without taking it up: to show before the person chooses a password. */
export async function previewStaffInvitation(
  vault: Vault,
  token: string,
  now: string,
): Promise<{
  practiceName: string;
  roles: StaffRole[];
  existingAccount: boolean;
  name: string;
  expiresAt: string;
}> {
  const invitation = await validInvitation(vault, token, now);
  const existing = await findUserByEmail(vault.db, vault.keyring, invitation.invitee.email);
  return {
    practiceName: (await findPractice(vault.db, invitation.practiceId))?.name ?? '',
    roles: invitation.roles,
    existingAccount: existing !== undefined,
    name: invitation.invitee.name,
    expiresAt: invitation.expiresAt,
  };
}

/**
 * Takes up a staff invitation. A new address gets an account with the password chosen
 * here (checked like any new password); an address with an account already (a supervisor
 * of another practice) proves its current password, counted against the account's sign-in
 * lockout like a sign-in. Either way the roles are added, the invitation is used once, and
 * a session starts as after a password at sign-in: enrolment of a second factor for a new
 * account, its code for an existing one. The session is in the practice just joined.
 */
export async function joinPractice(
  vault: Vault,
  input: {
    token: string;
    name: string | undefined;
    password: string;
    now: string;
    /** Where the request came from: the session keeps it, for its holder's list of sessions. */
    source?: AuditSource;
  },
): Promise<{ cookie: string; csrfToken: string; stage: SessionStage }> {
  const { now } = input;
  const invitation = await validInvitation(vault, input.token, now);
  const existing = await findUserByEmail(vault.db, vault.keyring, invitation.invitee.email);
  const audit = (actorId: string | null, action: string, outcome: 'ok' | 'failed' | 'denied') => ({
    actorId,
    practiceId: invitation.practiceId,
    action,
    outcome,
    recordType: 'staff-invitation',
    recordId: invitation.id,
    purpose: 'security',
    at: now,
  });
  let passwordHash: string | undefined;
  if (existing !== undefined) {
    const subject = userSubject(existing.id);
    const state = await authFailureState(vault.db, subject, 'password');
    if (state?.lockedUntil != null && state.lockedUntil > now) {
      await recordAuditEvent(vault.db, audit(existing.id, 'people.join', 'denied'));
      throw new AlcoveError(
        'rate-limited',
        `Too many attempts. Wait ${waitInWords((Date.parse(state.lockedUntil) - Date.parse(now)) / 1000)}, then try again.`,
      );
    }
    if (!(await verifyPassword(existing.password_hash, input.password)) || existing.disabled_at !== null) {
      await countAuthFailure(vault.db, {
        subject,
        factor: 'password',
        now,
        windowStartsAfter: new Date(Date.parse(now) - PASSWORD_LOCKOUT.windowSeconds * 1000).toISOString(),
      });
      await vault.db.transaction().execute(async (trx) => {
        await lockAuthFactor(trx, {
          subject,
          factor: 'password',
          limit: PASSWORD_LOCKOUT.limit,
          until: (lockCount) =>
            new Date(Date.parse(now) + lockSeconds(PASSWORD_LOCKOUT, lockCount) * 1000).toISOString(),
        });
        await appendAuditEvent(trx, audit(existing.id, 'people.join', 'failed'));
      });
      throw new AlcoveError(
        'invalid-credentials',
        'You have an Alcove account already: enter its current password to join this practice.',
      );
    }
    await clearAuthFailures(vault.db, subject, 'password');
    const [member] = await staffMembers(vault.db, invitation.practiceId, existing.id);
    if (member?.suspended === true) {
      throw new AlcoveError(
        'conflict',
        'Your account is suspended in this practice: ask its administrator to reinstate you.',
      );
    }
    if (await hasClientMembership(vault.db, invitation.practiceId, existing.id)) {
      throw new AlcoveError(
        'conflict',
        'This address is a client portal account of this practice: ask the practice to invite you by another address.',
      );
    }
  } else {
    // The words a guesser tries first (V6.2.11): the invitee's address and name, the practice's name.
    const practiceName = (await findPractice(vault.db, invitation.practiceId))?.name;
    const problem = passwordProblem(input.password, [
      invitation.invitee.email,
      input.name ?? invitation.invitee.name,
      ...(practiceName === undefined ? [] : [practiceName]),
    ]);
    if (problem !== undefined) {
      throw new AlcoveError('validation-failed', problem, [
        { location: 'body', pointer: '/password', detail: problem },
      ]);
    }
    passwordHash = await hashPassword(input.password);
  }
  const cookie = newBearerSecret(SESSION_PREFIX);
  const csrfToken = newBearerSecret('');
  const stage: SessionStage =
    existing === undefined || existing.totp_enabled_at === null ? 'mfa-enrol' : 'mfa-challenge';
  await vault.db.transaction().execute(async (trx) => {
    let userId: string;
    if (existing === undefined) {
      try {
        ({ id: userId } = await createUser(trx, vault.keyring, {
          email: invitation.invitee.email,
          name: input.name ?? invitation.invitee.name,
          passwordHash: passwordHash ?? '',
          now,
        }));
      } catch (error) {
        if (error instanceof EmailTakenError) {
          throw new AlcoveError(
            'conflict',
            'An account with this address was made meanwhile: open the link again.',
          );
        }
        throw error;
      }
    } else {
      userId = existing.id;
    }
    if (!(await takeStaffInvitation(trx, { invitationId: invitation.id, userId, now }))) {
      throw new AlcoveError('invitation-ended', ENDED.used);
    }
    const [member] = await staffMembers(trx, invitation.practiceId, userId);
    for (const role of invitation.roles) {
      if (member?.roles.includes(role)) continue;
      await addMembership(trx, { userId, practiceId: invitation.practiceId, role: role as Role, now });
    }
    await createSession(trx, {
      idHash: sha256Hex(cookie),
      userId,
      practiceId: invitation.practiceId,
      csrfToken,
      stage,
      now,
      sourceAddress: input.source?.address ?? null,
      userAgent: input.source?.userAgent ?? null,
    });
    await appendAuditEvent(
      trx,
      audit(userId, existing === undefined ? 'people.join' : 'people.join-existing', 'ok'),
    );
    await appendAuditEvent(trx, {
      actorId: userId,
      practiceId: invitation.practiceId,
      action: 'session.password-accepted',
      outcome: 'ok',
      purpose: 'security',
      at: now,
    });
  });
  return { cookie, csrfToken, stage };
}

// ---------------------------------------------------------------- choosing a practice

/**
 * Picks or switches the practice of a signed-in browser session (issue 16): only one the
 * account is an active member of (anything else is "not found", audited). The session
 * moves on under a new id and CSRF token, keeping its sign-in time, so an id seen in one
 * practice does not carry into the next; no password or code is asked again.
 */
export async function choosePractice(
  vault: Vault,
  principal: Principal,
  practiceId: string,
  now: string,
): Promise<{ cookie: string; csrfToken: string; stage: 'active' }> {
  if (principal.kind !== 'session')
    throw new AlcoveError('unauthenticated', 'A practice is chosen in the browser that signed in.');
  const { session } = principal;
  if (session.stage !== 'active')
    throw new AlcoveError('mfa-required', 'Enter the code from your authenticator app to finish signing in.');
  const event = (outcome: 'ok' | 'denied') => ({
    actorId: session.user_id,
    practiceId: outcome === 'ok' ? practiceId : session.practice_id,
    action: 'session.practice-chosen',
    outcome,
    recordType: 'practice',
    recordId: practiceId,
    purpose: 'security',
    at: now,
  });
  const practices = await activePracticesOf(vault.db, session.user_id);
  if (!practices.some((p) => p.id === practiceId)) {
    await recordAuditEvent(vault.db, event('denied'));
    throw new AlcoveError('not-found', 'There is no such practice, or you are not an active member of it.');
  }
  const cookie = newBearerSecret(SESSION_PREFIX);
  const csrfToken = newBearerSecret('');
  await vault.db.transaction().execute(async (trx) => {
    await advanceSession(trx, {
      oldIdHash: principal.idHash,
      newIdHash: sha256Hex(cookie),
      csrfToken,
      stage: 'active',
      now,
      practiceId,
    });
    await appendAuditEvent(trx, event('ok'));
  });
  return { cookie, csrfToken, stage: 'active' };
}
