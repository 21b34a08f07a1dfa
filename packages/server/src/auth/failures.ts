import { emailDecision, formatDateTime, RetryLaterError, secondFactorLockedMessage } from '@alcove/core';
import {
  type AuthFactor,
  appendAuditEvent,
  authFailureState,
  clearAuthFailures,
  countAuthFailure,
  type Database,
  enqueueMessage,
  enqueuePracticeMessage,
  findPractice,
  findUser,
  lockAuthFactor,
  membershipsOf,
  openAccountField,
  practiceRecipientAddress,
  readClientIdentities,
  userSubject,
  type Vault,
} from '@alcove/store';
import type { Transaction } from 'kysely';
import { type LockoutPolicy, lockSeconds, SECOND_FACTOR_LOCKOUT, waitInWords } from './lockout.ts';
import { accountEmail } from './session-steps.ts';

/**
 * Failed passwords and second-factor codes, counted in the database by account (so a
 * restart or a second server sees them), the locks they lead to (the rules are
 * auth/lockout.ts), and the e-mail that tells an account's holder their second factor locked.
 */
export class AuthFailures {
  readonly #vault: Vault;
  readonly #now: () => Date;

  constructor(vault: Vault, now: () => Date) {
    this.#vault = vault;
    this.#now = now;
  }

  #iso(): string {
    return this.#now().toISOString();
  }

  // Failures are counted in the database (store/auth-failures.ts), by account, so that a
  // restart or a second server sees them; the rules are auth/lockout.ts.

  /** When a lock on a subject's factor ends, if one is running now. */
  async lockedUntil(subject: string, factor: AuthFactor): Promise<Date | undefined> {
    const state = await authFailureState(this.#vault.db, subject, factor);
    if (state === undefined || state.lockedUntil === null) return undefined;
    const until = new Date(state.lockedUntil);
    return until.getTime() > this.#now().getTime() ? until : undefined;
  }

  /**
   * Counts one failure; when it is the one that reaches the policy's limit, locks the factor
   * and runs `onLock` in the same transaction (the audit event, the e-mail). Returns when
   * the lock ends, for the caller that locked it.
   */
  async countFailure(
    subject: string,
    factor: AuthFactor,
    policy: LockoutPolicy,
    onLock: (trx: Transaction<Database>, lock: { lockCount: number; lockedUntil: string }) => Promise<void>,
  ): Promise<Date | undefined> {
    const now = this.#now().getTime();
    const { failures } = await countAuthFailure(this.#vault.db, {
      subject,
      factor,
      now: new Date(now).toISOString(),
      windowStartsAfter: new Date(now - policy.windowSeconds * 1000).toISOString(),
    });
    if (failures < policy.limit) return undefined;
    const lock = await this.#vault.db.transaction().execute(async (trx) => {
      const locked = await lockAuthFactor(trx, {
        subject,
        factor,
        limit: policy.limit,
        until: (lockCount) => new Date(now + lockSeconds(policy, lockCount) * 1000).toISOString(),
      });
      // Another server locked it a moment ago: it audited and wrote, not this one.
      if (locked !== undefined) await onLock(trx, locked);
      return locked;
    });
    return lock === undefined ? undefined : new Date(lock.lockedUntil);
  }

  #secondFactorLocked(until: Date): RetryLaterError {
    const now = this.#now();
    return new RetryLaterError(
      `Too many wrong codes: signing in with a code is locked for now. Wait ${waitInWords((until.getTime() - now.getTime()) / 1000)}, then use the newest code from your authenticator app.`,
      until,
      now,
    );
  }

  /**
   * Refuses, while the account's second factor is locked after wrong codes, with a 429
   * problem (Retry-After, and `retryAt`), whatever code comes next, a right one included.
   * Call it before checking any second-factor code.
   */
  async checkSecondFactorLock(userId: string): Promise<void> {
    const until = await this.lockedUntil(userSubject(userId), 'second-factor');
    if (until !== undefined) throw this.#secondFactorLocked(until);
  }

  /**
   * Counts a wrong second-factor code (authenticator or recovery code) against the
   * account, in the database. When this one locks the second factor, the lock is audited
   * ('mfa.locked'), the account holder is e-mailed, and the 429 problem is thrown; otherwise
   * it returns, and the caller refuses the code as it would have.
   */
  async countFailedCode(userId: string, practiceId: string | null): Promise<void> {
    const until = await this.countFailure(
      userSubject(userId),
      'second-factor',
      SECOND_FACTOR_LOCKOUT,
      async (trx, lock) => {
        await appendAuditEvent(trx, {
          actorId: userId,
          practiceId,
          action: 'mfa.locked',
          outcome: 'denied',
          purpose: 'security',
        });
        await this.#tellHolderLocked(trx, userId, practiceId, lock.lockedUntil);
      },
    );
    if (until !== undefined) throw this.#secondFactorLocked(until);
  }

  /** A right second factor: the count of wrong codes, and the growing lock, start again. */
  async clearFailedCodes(userId: string): Promise<void> {
    await clearAuthFailures(this.#vault.db, userSubject(userId), 'second-factor');
  }

  /**
   * E-mails the holder of an account whose second factor just locked, through the outbox,
   * in the lock's transaction: to a staff member's own address (under the practice's key),
   * or to a portal account's address under the client's key, withheld when the client's
   * contact rules forbid e-mail (the practitioner sees that it was withheld).
   */
  async #tellHolderLocked(
    trx: Transaction<Database>,
    userId: string,
    sessionPracticeId: string | null,
    lockedUntil: string,
  ): Promise<void> {
    const { keyring } = this.#vault;
    const memberships = await membershipsOf(trx, userId);
    const membership =
      memberships.find((m) => m.practiceId === sessionPracticeId && m.clientId === null) ??
      memberships.find((m) => m.practiceId === sessionPracticeId) ??
      memberships.find((m) => m.clientId === null) ??
      memberships[0];
    if (membership === undefined) return;
    const practiceId = membership.practiceId;
    const practiceName = (await findPractice(trx, practiceId))?.name ?? 'your practice';
    const until = formatDateTime(lockedUntil);
    const now = this.#iso();
    const text = (recipientName: string) =>
      secondFactorLockedMessage({
        recipientName,
        practiceName,
        failures: SECOND_FACTOR_LOCKOUT.limit,
        until,
      });
    if (membership.clientId === null) {
      const address = await practiceRecipientAddress(trx, keyring, practiceId, { kind: 'staff', userId });
      if (address === undefined) return;
      await enqueuePracticeMessage(trx, keyring, {
        practiceId,
        recipient: { kind: 'staff', userId },
        purpose: 'second-factor-locked',
        envelope: { to: address.email, ...text(address.name) },
        createdBy: null,
        now,
      });
      return;
    }
    const user = await findUser(trx, userId);
    if (user === undefined) return;
    const identity = (await readClientIdentities({ db: trx, keyring }, practiceId, [membership.clientId]))
      .get(membership.clientId)
      ?.reveal();
    const decision =
      identity === undefined
        ? undefined
        : emailDecision({ ...identity, email: await accountEmail(this.#vault, user) }, []);
    const name = await openAccountField(trx, keyring, user.id, 'name', user.name_sealed);
    await enqueueMessage(trx, keyring, {
      practiceId,
      clientId: membership.clientId,
      purpose: 'second-factor-locked',
      envelope: { to: decision?.ok === true ? decision.address : '', ...text(name) },
      withheld: decision === undefined ? 'no-address' : decision.ok ? undefined : decision.reason,
      createdBy: null,
      now,
    });
  }
}
