import { AlcoveError, RetryLaterError } from '@alcove/core';
import {
  appendAuditEvent,
  clearAuthFailures,
  endSession,
  recordAuditEvent,
  sessionKiosk,
  userSubject,
  useTotpStep,
} from '@alcove/store';
import { AuthPart } from './auth-part.ts';
import { PASSWORD_LOCKOUT } from './lockout.ts';
import { verifyPassword } from './passwords.ts';
import type { Principal } from './principal.ts';

/**
 * The signing kiosk from the session's side: every request it may not make is refused
 * (and audited), and only the practitioner's password and code, both, end it.
 */
export class KioskExit extends AuthPart {
  /**
   * A request a signing-kiosk session may not make: audited (ids and verbs only) and
   * refused with a problem naming the kiosk, whatever the route and whoever's record.
   */
  async refuseInKiosk(principal: Principal): Promise<never> {
    if (principal.kind === 'session') {
      await recordAuditEvent(this.vault.db, {
        actorId: principal.session.user_id,
        practiceId: principal.session.practice_id,
        action: 'session.kiosk-refused',
        outcome: 'denied',
        recordType: 'client',
        recordId: sessionKiosk(principal.session)?.clientId ?? null,
        purpose: 'security',
      });
    }
    throw new AlcoveError(
      'kiosk-locked',
      'This device is showing a signing screen. Only the practitioner can leave it, with their password and authenticator code.',
    );
  }

  /**
   * Ends a signing kiosk: the practitioner's password and a current authenticator code,
   * both, and the session moves on under a new id with nothing locked. A wrong password
   * counts against the account's sign-in throttle and a wrong code against its second
   * factor (the answer never says which); once either locks, the session ends outright and
   * the device goes back to the sign-in page.
   */
  async endKiosk(
    principal: Principal,
    password: string,
    code: string,
  ): Promise<{ cookie: string; csrfToken: string } | 'session-ended'> {
    if (principal.kind !== 'session')
      throw new AlcoveError('unauthenticated', 'A signing screen is ended in the browser that shows it.');
    const { session } = principal;
    const kiosk = sessionKiosk(session);
    if (kiosk === undefined)
      throw new AlcoveError('conflict', 'This session is not showing a signing screen.');
    const user = await this.steps.user(session);
    const event = (action: string, outcome: 'ok' | 'failed' | 'denied') => ({
      actorId: user.id,
      practiceId: session.practice_id,
      action,
      outcome,
      recordType: 'client',
      recordId: kiosk.clientId,
      purpose: 'security',
    });
    const lockOut = async () => {
      await this.vault.db.transaction().execute(async (trx) => {
        await endSession(trx, principal.idHash, this.iso());
        await appendAuditEvent(trx, event('session.kiosk-locked-out', 'denied'));
      });
      return 'session-ended' as const;
    };
    const subject = userSubject(user.id);
    const locked = async () =>
      (await this.failures.lockedUntil(subject, 'password')) !== undefined ||
      (await this.failures.lockedUntil(subject, 'second-factor')) !== undefined;
    if (await locked()) return lockOut();
    // Both are checked every time, so an answer never says which of the two was wrong.
    const passwordRight = await verifyPassword(user.password_hash, password);
    const step = await this.steps.codeStep(user, code);
    let codeRight = step !== undefined;
    try {
      if (!passwordRight || step === undefined) throw new AlcoveError('invalid-credentials');
      const advanced = await this.steps.advance(principal, this.iso(), async (trx) => {
        codeRight = await useTotpStep(trx, user.id, step);
        if (!codeRight) throw new AlcoveError('invalid-credentials');
        await appendAuditEvent(trx, event('session.kiosk-end', 'ok'));
      });
      await clearAuthFailures(this.vault.db, subject, 'password');
      await this.failures.clearFailedCodes(user.id);
      return { cookie: advanced.cookie, csrfToken: advanced.csrfToken };
    } catch (error) {
      if (!(error instanceof AlcoveError && error.code === 'invalid-credentials')) throw error;
      await recordAuditEvent(this.vault.db, event('session.kiosk-end', 'failed'));
      if (!passwordRight) {
        await this.failures.countFailure(subject, 'password', PASSWORD_LOCKOUT, async (trx) => {
          await appendAuditEvent(trx, event('session.sign-in-locked', 'denied'));
        });
      }
      if (!codeRight) {
        try {
          await this.failures.countFailedCode(user.id, session.practice_id);
        } catch (locking) {
          // The lock is answered below, by ending the session.
          if (!(locking instanceof RetryLaterError)) throw locking;
        }
      }
      if (await locked()) return lockOut();
      throw new AlcoveError(
        'invalid-credentials',
        'The password or the code is not right. Check both, and use the newest code.',
      );
    }
  }
}
