import { AlcoveError } from '@alcove/core';
import {
  appendAuditEvent,
  enableTotp,
  endSession,
  openAccountField,
  recordAuditEvent,
  replaceRecoveryCodes,
  type SessionRow,
  sealAccountField,
  setPendingTotp,
  type UserRow,
  unusedRecoveryCodeRows,
  useRecoveryCode,
  useTotpStep,
} from '@alcove/store';
import { AuthPart } from './auth-part.ts';
import type { Principal } from './principal.ts';
import { hashRecoveryCodes, matchRecoveryCode, newRecoveryCodes } from './recovery-codes.ts';
import { newTotpSecret, otpauthUri, qrCodeSvg } from './totp.ts';

/** The second factor at sign-in: enrolling an authenticator app, and answering its challenge. */
export class SecondFactor extends AuthPart {
  /** The secret to add to an authenticator app; made once per enrolment. */
  async mfaEnrolment(principal: Principal): Promise<{ otpauthUri: string; secret: string; qrSvg: string }> {
    const session = this.steps.sessionAt(principal, 'mfa-enrol');
    const user = await this.#enrolling(principal, session);
    let secret: string;
    if (user.totp_secret_sealed === null) {
      secret = newTotpSecret();
      await setPendingTotp(
        this.vault.db,
        user.id,
        await sealAccountField(this.vault.db, this.vault.keyring, user.id, 'totp', secret),
      );
    } else {
      secret = await openAccountField(
        this.vault.db,
        this.vault.keyring,
        user.id,
        'totp',
        user.totp_secret_sealed,
      );
    }
    const uri = otpauthUri(secret, await this.steps.email(user));
    return { otpauthUri: uri, secret, qrSvg: await qrCodeSvg(uri) };
  }

  /**
   * The account of a session at the enrolment step, while it has no authenticator yet. A
   * session left at that step in another browser, once the account has enrolled, reads
   * no secret and sets none: it is ended, and the person signs in again with their code.
   */
  async #enrolling(principal: Principal, session: SessionRow): Promise<UserRow> {
    const user = await this.steps.user(session);
    if (user.totp_enabled_at === null) return user;
    if (principal.kind === 'session') {
      await this.vault.db.transaction().execute(async (trx) => {
        await endSession(trx, principal.idHash, this.iso());
        await appendAuditEvent(trx, {
          actorId: user.id,
          practiceId: session.practice_id,
          action: 'mfa.enrol',
          outcome: 'denied',
          purpose: 'security',
        });
      });
    }
    throw new AlcoveError(
      'conflict',
      'An authenticator is already set up for this account. Sign in again and enter its code.',
    );
  }

  /** Confirms enrolment with a first code; returns the session's new cookie and recovery codes. */
  async completeEnrolment(principal: Principal, code: string) {
    const session = this.steps.sessionAt(principal, 'mfa-enrol');
    const user = await this.#enrolling(principal, session);
    await this.failures.checkSecondFactorLock(user.id);
    const step = await this.steps.codeStep(user, code);
    if (step === undefined) {
      await recordAuditEvent(this.vault.db, {
        actorId: user.id,
        practiceId: session.practice_id,
        action: 'mfa.enrol',
        outcome: 'failed',
        purpose: 'security',
      });
      await this.failures.countFailedCode(user.id, session.practice_id);
      throw new AlcoveError(
        'invalid-code',
        'That code is not right. Check the time on your phone and try the newest code.',
      );
    }
    const recoveryCodes = newRecoveryCodes();
    const codeHashes = await hashRecoveryCodes(recoveryCodes);
    const advanced = await this.steps.advance(principal, session.created_at, async (trx) => {
      if (!(await enableTotp(trx, user.id, step, this.iso())))
        throw new AlcoveError(
          'conflict',
          'An authenticator is already set up for this account. Sign in again and enter its code.',
        );
      await replaceRecoveryCodes(trx, user.id, codeHashes);
      await appendAuditEvent(trx, {
        actorId: user.id,
        practiceId: session.practice_id,
        action: 'mfa.enrol',
        outcome: 'ok',
        purpose: 'security',
      });
    });
    await this.failures.clearFailedCodes(user.id);
    return { ...advanced, recoveryCodes };
  }

  /** A code from the authenticator, or a one-time recovery code. Each is accepted once. */
  async completeChallenge(principal: Principal, answer: { code: string } | { recoveryCode: string }) {
    const session = this.steps.sessionAt(principal, 'mfa-challenge');
    const user = await this.steps.user(session);
    await this.failures.checkSecondFactorLock(user.id);
    const step = 'code' in answer ? await this.steps.codeStep(user, answer.code) : undefined;
    // argon2id is slow on purpose: the code is matched before the transaction opens.
    const recoveryCode =
      'recoveryCode' in answer
        ? await matchRecoveryCode(await unusedRecoveryCodeRows(this.vault.db, user.id), answer.recoveryCode)
        : undefined;
    let accepted = false;
    // Both factors given: the session counts as re-authenticated from the older of the two,
    // the password (when this session began).
    const advanced = await this.steps
      .advance(principal, session.created_at, async (trx) => {
        if ('code' in answer) {
          accepted = step !== undefined && (await useTotpStep(trx, user.id, step));
        } else {
          accepted =
            recoveryCode !== undefined && (await useRecoveryCode(trx, user.id, recoveryCode.id, this.iso()));
        }
        if (!accepted) throw new AlcoveError('invalid-code');
        await appendAuditEvent(trx, {
          actorId: user.id,
          practiceId: session.practice_id,
          action: 'code' in answer ? 'session.sign-in' : 'session.sign-in-recovery-code',
          outcome: 'ok',
          purpose: 'security',
        });
      })
      .catch(async (error: unknown) => {
        if (error instanceof AlcoveError && error.code === 'invalid-code') {
          await recordAuditEvent(this.vault.db, {
            actorId: user.id,
            practiceId: session.practice_id,
            action: 'session.sign-in',
            outcome: 'failed',
            purpose: 'security',
          });
          await this.failures.countFailedCode(user.id, session.practice_id);
          throw new AlcoveError(
            'invalid-code',
            'That code is not right, or it has been used already. Wait for the next code.',
          );
        }
        throw error;
      });
    await this.failures.clearFailedCodes(user.id);
    return advanced;
  }
}
