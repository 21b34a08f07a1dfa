import {
  AlcoveError,
  REAUTHENTICATION_SECONDS,
  RetryLaterError,
  reauthenticatedRecently,
} from '@alcove/core';
import {
  appendAuditEvent,
  clearAuthFailures,
  endPendingPasswordResets,
  endSessionsExcept,
  findPractice,
  findUser,
  membershipsOf,
  openAccountField,
  recordAuditEvent,
  replaceRecoveryCodes,
  revokeEveryApiToken,
  type SessionRow,
  setPasswordHash,
  type UserRow,
  userSubject,
  useTotpStep,
} from '@alcove/store';
import { AuthPart } from './auth-part.ts';
import { PASSWORD_LOCKOUT, waitInWords } from './lockout.ts';
import { hashPassword, passwordProblem, verifyPassword } from './passwords.ts';
import type { Principal } from './principal.ts';
import { hashRecoveryCodes, newRecoveryCodes } from './recovery-codes.ts';

/**
 * Proving it is you again, and what that guards: re-authentication, a new password, new
 * recovery codes.
 */
export class AccountSecurity extends AuthPart {
  /**
   * A signed-in browser session proves who it is again: the password and a current
   * authenticator code, both checked every time, so the answer never says which was wrong.
   * A wrong answer counts against the account's second-factor lockout; a right one stamps
   * the session, which may then make API tokens and new recovery codes for
   * REAUTHENTICATION_SECONDS. An API token can never re-authenticate. Audited either way.
   */
  async reauthenticate(
    principal: Principal,
    password: string,
    code: string,
  ): Promise<{ cookie: string; csrfToken: string; reauthenticatedUntil: string }> {
    if (principal.kind !== 'session')
      throw new AlcoveError('unauthenticated', 'Only a browser session can confirm it is you.');
    const { session } = principal;
    const user = await this.steps.user(session);
    await this.failures.checkSecondFactorLock(user.id);
    const event = (outcome: 'ok' | 'failed') => ({
      actorId: user.id,
      practiceId: session.practice_id,
      action: 'session.reauthenticate',
      outcome,
      purpose: 'security',
    });
    const passwordRight = await verifyPassword(user.password_hash, password);
    const step = await this.steps.codeStep(user, code);
    const now = this.iso();
    // A new session id on re-authentication, as on sign-in: the old one stops working.
    const advanced =
      passwordRight && step !== undefined
        ? await this.steps
            .advance(principal, now, async (trx) => {
              // The step is used once: a code seen over a shoulder cannot be replayed.
              if (!(await useTotpStep(trx, user.id, step))) throw new AlcoveError('invalid-credentials');
              await appendAuditEvent(trx, event('ok'));
            })
            .catch((error: unknown) => {
              if (error instanceof AlcoveError && error.code === 'invalid-credentials') return undefined;
              throw error;
            })
        : undefined;
    if (advanced === undefined) {
      await recordAuditEvent(this.vault.db, event('failed'));
      await this.failures.countFailedCode(user.id, session.practice_id);
      throw new AlcoveError(
        'invalid-credentials',
        'The password or the code is not right. Check both, and use the newest code.',
      );
    }
    await this.failures.clearFailedCodes(user.id);
    return {
      cookie: advanced.cookie,
      csrfToken: advanced.csrfToken,
      reauthenticatedUntil: new Date(Date.parse(now) + REAUTHENTICATION_SECONDS * 1000).toISOString(),
    };
  }

  /**
   * The browser session, when it re-authenticated within REAUTHENTICATION_SECONDS; else a
   * 403 problem ('reauthentication-required') the web app answers with its dialog. An API
   * token never passes.
   */
  requireRecentReauthentication(principal: Principal): SessionRow {
    if (principal.kind !== 'session')
      throw new AlcoveError(
        'unauthenticated',
        'This is done in a browser, after confirming it is you: an API token cannot do it.',
      );
    if (!reauthenticatedRecently(principal.session.reauthenticated_at, this.now()))
      throw new AlcoveError(
        'reauthentication-required',
        'Confirm it is you: enter your password and a code from your authenticator app.',
      );
    return principal.session;
  }

  /**
   * Words a guesser of this account's password tries first (passwordProblem; V6.2.11): its
   * address and name, and the name of each practice it belongs to.
   */
  async #passwordContext(user: UserRow): Promise<string[]> {
    const db = this.vault.db;
    const practiceIds = [...new Set((await membershipsOf(db, user.id)).map((m) => m.practiceId))];
    const opened = await Promise.all([
      this.steps.email(user).catch(() => undefined),
      openAccountField(db, this.vault.keyring, user.id, 'name', user.name_sealed).catch(() => undefined),
      ...practiceIds.map(async (id) => (await findPractice(db, id))?.name),
    ]);
    return opened.filter((word): word is string => word !== undefined);
  }

  /**
   * A new password, in a browser session only (a script's token never changes who can sign
   * in), proving the current one. A wrong current password counts against the account's
   * password lockout, as a failed sign-in does, and is audited: a stolen session cannot guess
   * its way to the password.
   */
  async changePassword(principal: Principal, current: string, next: string): Promise<void> {
    if (principal.kind !== 'session')
      throw new AlcoveError(
        'unauthenticated',
        'A password is changed in the browser, not with an API token.',
      );
    const userId = principal.session.user_id;
    const practiceId = principal.session.practice_id;
    const user = await findUser(this.vault.db, userId);
    if (user === undefined) throw new AlcoveError('unauthenticated');
    const subject = userSubject(user.id);
    const lockedUntil = await this.failures.lockedUntil(subject, 'password');
    if (lockedUntil !== undefined) {
      await recordAuditEvent(this.vault.db, {
        actorId: user.id,
        practiceId,
        action: 'account.password-changed',
        outcome: 'denied',
        purpose: 'security',
      });
      const now = this.now();
      throw new RetryLaterError(
        `Too many wrong passwords. Wait ${waitInWords((lockedUntil.getTime() - now.getTime()) / 1000)}, then try again.`,
        lockedUntil,
        now,
      );
    }
    if (!(await verifyPassword(user.password_hash, current))) {
      await this.failures.countFailure(subject, 'password', PASSWORD_LOCKOUT, (trx) =>
        appendAuditEvent(trx, {
          actorId: user.id,
          practiceId,
          action: 'session.sign-in-locked',
          outcome: 'denied',
          purpose: 'security',
        }),
      );
      await recordAuditEvent(this.vault.db, {
        actorId: user.id,
        practiceId,
        action: 'account.password-changed',
        outcome: 'failed',
        purpose: 'security',
      });
      throw new AlcoveError('invalid-credentials', 'Your current password is not right.');
    }
    await clearAuthFailures(this.vault.db, subject, 'password');
    const problem = passwordProblem(next, await this.#passwordContext(user));
    if (problem !== undefined) {
      throw new AlcoveError('validation-failed', problem, [
        { location: 'body', pointer: '/newPassword', detail: problem },
      ]);
    }
    const hash = await hashPassword(next);
    await this.vault.db.transaction().execute(async (trx) => {
      await setPasswordHash(trx, user.id, hash);
      // Every other session of this account ends and every API token is revoked: whoever
      // knew the old password, or copied a token, is out.
      await endSessionsExcept(trx, user.id, principal.idHash, this.iso());
      await revokeEveryApiToken(trx, user.id, this.iso());
      await endPendingPasswordResets(trx, user.id, this.iso());
      await appendAuditEvent(trx, {
        actorId: user.id,
        action: 'account.password-changed',
        outcome: 'ok',
        purpose: 'security',
      });
    });
  }

  /** New recovery codes (the old ones stop working): a browser session re-authenticated just now only. */
  async newRecoveryCodes(principal: Principal): Promise<string[]> {
    const session = this.requireRecentReauthentication(principal);
    const userId = session.user_id;
    const codes = newRecoveryCodes();
    const codeHashes = await hashRecoveryCodes(codes);
    await this.vault.db.transaction().execute(async (trx) => {
      await replaceRecoveryCodes(trx, userId, codeHashes);
      await appendAuditEvent(trx, {
        actorId: userId,
        practiceId: session.practice_id,
        action: 'account.recovery-codes-replaced',
        outcome: 'ok',
        purpose: 'security',
      });
    });
    return codes;
  }
}
