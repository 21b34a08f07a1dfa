import { AlcoveError, type Role, type SessionStage } from '@alcove/core';
import {
  type AuditSource,
  addMembership,
  appendAuditEvent,
  authFailureState,
  clearAuthFailures,
  countAuthFailure,
  createSession,
  createUser,
  EmailTakenError,
  findPractice,
  findStaffInvitation,
  findUserByEmail,
  hasClientMembership,
  lockAuthFactor,
  recordAuditEvent,
  type StaffRole,
  staffMembers,
  takeStaffInvitation,
  userSubject,
  type Vault,
} from '@alcove/store';
import { lockSeconds, PASSWORD_LOCKOUT, waitInWords } from './auth/lockout.ts';
import { hashPassword, passwordProblem, verifyPassword } from './auth/passwords.ts';
import { SESSION_PREFIX } from './auth/principal.ts';
import { newBearerSecret, sha256Hex } from './auth/secrets.ts';

/**
 * Taking up a staff invitation (issue 16), before anyone is signed in: what it is for, and
 * joining by it with a new account or an existing one.
 */
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
