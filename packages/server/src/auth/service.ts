import {
  type Actor,
  AlcoveError,
  type ApiTokenScope,
  emailDecision,
  formatDateTime,
  REAUTHENTICATION_SECONDS,
  RetryLaterError,
  type Role,
  reauthenticatedRecently,
  type SessionStage,
  secondFactorLockedMessage,
} from '@alcove/core';
import {
  type AuditSource,
  type AuthFactor,
  activePracticesOf,
  advanceSession,
  appendAuditEvent,
  authFailureState,
  clearAuthFailures,
  countAuthFailure,
  createSession,
  type Database,
  emailIndex,
  enableTotp,
  endPendingPasswordResets,
  endSession,
  endSessionsExcept,
  enqueueMessage,
  enqueuePracticeMessage,
  findApiToken,
  findPractice,
  findSession,
  findUser,
  findUserByEmail,
  lockAuthFactor,
  markApiTokenUsedSince,
  membershipsOf,
  openAccountField,
  practiceRecipientAddress,
  readClientIdentities,
  recordAuditEvent,
  recordIntegrityFailures,
  replaceRecoveryCodes,
  revokeEveryApiToken,
  type SessionRow,
  sealAccountField,
  sessionKiosk,
  setPasswordHash,
  setPendingTotp,
  TamperedError,
  touchSession,
  type UserRow,
  unknownAddressSubject,
  unusedRecoveryCodeRows,
  useRecoveryCode,
  userSubject,
  useTotpStep,
  type Vault,
} from '@alcove/store';
import type { Transaction } from 'kysely';
import {
  type LockoutPolicy,
  lockSeconds,
  PASSWORD_LOCKOUT,
  SECOND_FACTOR_LOCKOUT,
  waitInWords,
} from './lockout.ts';
import { hashPassword, passwordProblem, verifyPassword } from './passwords.ts';
import { hashRecoveryCodes, matchRecoveryCode, newRecoveryCodes } from './recovery-codes.ts';
import { newBearerSecret, safeEqual, sha256Hex } from './secrets.ts';
import { acceptTotp, newTotpSecret, otpauthUri, qrCodeSvg } from './totp.ts';

/** The session cookie over plain HTTP (loopback, or a test). */
export const SESSION_COOKIE = 'alcove_session';
/**
 * Its name wherever TLS is on (HTTPS, or behind the trusted proxy): the `__Host-` prefix
 * makes the browser refuse it unless it is Secure, for Path=/ and with no Domain, so no
 * subdomain or plain-HTTP page can set or overwrite it.
 */
export const SECURE_SESSION_COOKIE = '__Host-alcove_session';
export const SESSION_PREFIX = 'als_';
export const TOKEN_PREFIX = 'alt_';

export interface SessionPolicy {
  /** Signed out after this long without a request. */
  readonly idleSeconds: number;
  /** Signed out this long after signing in, whatever happens. */
  readonly absoluteSeconds: number;
}

export const DEFAULT_SESSION_POLICY: SessionPolicy = { idleSeconds: 30 * 60, absoluteSeconds: 12 * 60 * 60 };

/** Who is calling: a browser session (at some stage of signing in) or an API token. */
/** A token's "last used" time, and its audited use, move at most this often. */
const TOKEN_USE_SECONDS = 15;

export type Principal =
  | { readonly kind: 'session'; readonly session: SessionRow; readonly idHash: string }
  | {
      readonly kind: 'token';
      readonly userId: string;
      readonly practiceId: string;
      readonly tokenId: string;
      /** A 'read' token is refused every request that would change something. */
      readonly scope: ApiTokenScope;
    };

/** How a name that failed its integrity check is shown. */
export const NAME_FAILED_INTEGRITY = '(name failed its integrity check)';

export class AuthService {
  readonly #vault: Vault;
  readonly policy: SessionPolicy;
  readonly #now: () => Date;

  constructor(vault: Vault, policy: SessionPolicy, now: () => Date = () => new Date()) {
    this.#vault = vault;
    this.policy = policy;
    this.#now = now;
  }

  /** The app's one clock (`AppOptions.now`): every request context reads "now" from it. */
  get clock(): () => Date {
    return this.#now;
  }

  #iso(): string {
    return this.#now().toISOString();
  }

  // ------------------------------------------------------------ resolving a request

  /** The token's principal; 'expired' for a token past its expiry (revoked or unknown: undefined). */
  async principalFromToken(token: string): Promise<Principal | 'expired' | undefined> {
    if (!token.startsWith(TOKEN_PREFIX)) return undefined;
    const row = await findApiToken(this.#vault.db, sha256Hex(token));
    if (row === undefined) return undefined;
    if (row.expires_at === null || Date.parse(row.expires_at) <= this.#now().getTime()) return 'expired';
    // Like a session's last-seen time, "last used" moves at most every 15 seconds: a durable
    // write on every API call would halve what the server can take. Each move is audited
    // ('api-token.used', with the request's address beside it), so a token's use is in the
    // log at most once every 15 seconds, not once a request.
    const now = this.#now().getTime();
    if (row.last_used_at === null || now - Date.parse(row.last_used_at) > TOKEN_USE_SECONDS * 1000)
      await this.#vault.db.transaction().execute(async (trx) => {
        const staleBefore = new Date(now - TOKEN_USE_SECONDS * 1000).toISOString();
        if (!(await markApiTokenUsedSince(trx, row.id, this.#iso(), staleBefore))) return;
        await appendAuditEvent(trx, {
          actorId: row.user_id,
          practiceId: row.practice_id,
          action: 'api-token.used',
          outcome: 'ok',
          recordType: 'api-token',
          recordId: row.id,
          purpose: 'security',
          at: this.#iso(),
        });
      });
    return {
      kind: 'token',
      userId: row.user_id,
      practiceId: row.practice_id,
      tokenId: row.id,
      scope: row.scope === 'read' ? 'read' : 'read-write',
    };
  }

  /** The session for a cookie value, or why there is none. Expired sessions are ended here. */
  async principalFromCookie(cookie: string): Promise<Principal | 'expired' | undefined> {
    if (!cookie.startsWith(SESSION_PREFIX)) return undefined;
    const idHash = sha256Hex(cookie);
    const session = await findSession(this.#vault.db, idHash);
    if (session === undefined) return undefined;
    const now = this.#now().getTime();
    const idle = now - Date.parse(session.last_seen_at) > this.policy.idleSeconds * 1000;
    const old = now - Date.parse(session.created_at) > this.policy.absoluteSeconds * 1000;
    if (idle || old) {
      await endSession(this.#vault.db, idHash, this.#iso());
      await recordAuditEvent(this.#vault.db, {
        actorId: session.user_id,
        practiceId: session.practice_id,
        action: 'session.expired',
        outcome: 'ok',
        purpose: 'security',
      });
      return 'expired';
    }
    // Keep writes down: a session's last-seen time moves at most every 15 seconds.
    if (now - Date.parse(session.last_seen_at) > 15_000)
      await touchSession(this.#vault.db, idHash, this.#iso());
    return { kind: 'session', session, idHash };
  }

  csrfMatches(principal: Principal, header: string | undefined): boolean {
    if (principal.kind === 'token') return true;
    return header !== undefined && safeEqual(header, principal.session.csrf_token);
  }

  /** The actor for a fully signed-in principal: the user's roles in the practice. */
  async actorFor(principal: Principal): Promise<Actor | undefined> {
    const userId = principal.kind === 'token' ? principal.userId : principal.session.user_id;
    const practiceId = principal.kind === 'token' ? principal.practiceId : principal.session.practice_id;
    if (practiceId === null) return undefined;
    const user = await findUser(this.#vault.db, userId);
    if (user === undefined || user.disabled_at !== null) return undefined;
    // A membership suspended by an administrator (issue 16) gives nothing in that practice.
    const memberships = (await membershipsOf(this.#vault.db, userId)).filter(
      (m) => m.practiceId === practiceId && !m.suspended,
    );
    if (memberships.length === 0) return undefined;
    const clientId = memberships.find((m) => m.clientId !== null)?.clientId ?? undefined;
    return { userId, practiceId, roles: memberships.map((m) => m.role as Role), clientId };
  }

  /** The practices the account is active in (not suspended), with its roles in each (issue 16). */
  async practicesOf(userId: string): Promise<{ id: string; name: string; roles: Role[] }[]> {
    return activePracticesOf(this.#vault.db, userId);
  }

  expiresAt(session: SessionRow): string {
    return new Date(Date.parse(session.created_at) + this.policy.absoluteSeconds * 1000).toISOString();
  }

  // ------------------------------------------------------------ signing in

  // Failures are counted in the database (store/auth-failures.ts), by account, so that a
  // restart or a second server sees them; the rules are auth/lockout.ts.

  /** When a lock on a subject's factor ends, if one is running now. */
  async #lockedUntil(subject: string, factor: AuthFactor): Promise<Date | undefined> {
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
  async #countFailure(
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
    const until = await this.#lockedUntil(userSubject(userId), 'second-factor');
    if (until !== undefined) throw this.#secondFactorLocked(until);
  }

  /**
   * Counts a wrong second-factor code (authenticator or recovery code) against the
   * account, in the database. When this one locks the second factor, the lock is audited
   * ('mfa.locked'), the account holder is e-mailed, and the 429 problem is thrown; otherwise
   * it returns, and the caller refuses the code as it would have.
   */
  async countFailedCode(userId: string, practiceId: string | null): Promise<void> {
    const until = await this.#countFailure(
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
      identity === undefined ? undefined : emailDecision({ ...identity, email: await this.#email(user) }, []);
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

  /**
   * E-mail and password. An unknown address and a wrong password take the same path (a
   * dummy hash) and get the same answer. Staff go on to MFA: enrolment the first time.
   */
  async signIn(
    email: string,
    password: string,
    /** Where the request came from: the session keeps it, for its holder's list of sessions. */
    source: AuditSource = { address: null, userAgent: null },
  ): Promise<{ cookie: string; stage: SessionStage; csrfToken: string }> {
    const db = this.#vault.db;
    const user = await findUserByEmail(db, this.#vault.keyring, email);
    // An address with no account is counted under its blind index, by the same steps and
    // statements as an account: neither the answer nor its time tells the two apart.
    const addressIndex = await emailIndex(db, this.#vault.keyring, email);
    const subject = user === undefined ? unknownAddressSubject(addressIndex) : userSubject(user.id);
    const lockedUntil = await this.#lockedUntil(subject, 'password');
    if (lockedUntil !== undefined) {
      await recordAuditEvent(db, {
        actorId: user?.id,
        action: 'session.sign-in',
        outcome: 'denied',
        purpose: 'security',
      });
      const now = this.#now();
      throw new RetryLaterError(
        `Too many attempts. Wait ${waitInWords((lockedUntil.getTime() - now.getTime()) / 1000)}, then try again.`,
        lockedUntil,
        now,
      );
    }
    const ok = await verifyPassword(user?.password_hash, password);
    // Suspended memberships (issue 16) count for nothing: suspended everywhere, no sign-in.
    const memberships =
      user === undefined ? [] : (await membershipsOf(db, user.id)).filter((m) => !m.suspended);
    if (!ok || user === undefined || user.disabled_at !== null || memberships.length === 0) {
      await this.#countFailure(subject, 'password', PASSWORD_LOCKOUT, (trx) =>
        appendAuditEvent(trx, {
          actorId: user?.id,
          action: 'session.sign-in-locked',
          outcome: 'denied',
          purpose: 'security',
        }),
      );
      await recordAuditEvent(db, {
        actorId: user?.id,
        action: 'session.sign-in',
        outcome: 'failed',
        purpose: 'security',
      });
      throw new AlcoveError(
        'invalid-credentials',
        'Check the e-mail address and the password, then try again.',
      );
    }
    await clearAuthFailures(db, subject, 'password');
    const stage: SessionStage = user.totp_enabled_at === null ? 'mfa-enrol' : 'mfa-challenge';
    const cookie = newBearerSecret(SESSION_PREFIX);
    const csrfToken = newBearerSecret('');
    // Active in several practices (a supervisor, a locum): the session starts with none, and
    // the person chooses one after the second factor (POST /auth/practice, issue 16).
    const practiceIds = [...new Set(memberships.map((m) => m.practiceId))];
    const practiceId = practiceIds.length === 1 ? (practiceIds[0] ?? null) : null;
    await db.transaction().execute(async (trx) => {
      await createSession(trx, {
        idHash: sha256Hex(cookie),
        userId: user.id,
        practiceId,
        csrfToken,
        stage,
        now: this.#iso(),
        sourceAddress: source.address,
        userAgent: source.userAgent,
      });
      await appendAuditEvent(trx, {
        actorId: user.id,
        practiceId,
        action: 'session.password-accepted',
        outcome: 'ok',
        purpose: 'security',
      });
    });
    return { cookie, stage, csrfToken };
  }

  async #user(session: SessionRow): Promise<UserRow> {
    const user = await findUser(this.#vault.db, session.user_id);
    if (user === undefined) throw new AlcoveError('unauthenticated');
    return user;
  }

  /**
   * The user's name to show; one that failed its integrity check shows as such (audited
   * and raised as a finding of the session's practice, when it has one), never an error.
   */
  async displayName(userId: string, practiceId?: string | null): Promise<string> {
    const user = await findUser(this.#vault.db, userId);
    if (user === undefined) return 'Unknown';
    try {
      return await openAccountField(this.#vault.db, this.#vault.keyring, user.id, 'name', user.name_sealed);
    } catch (error) {
      if (!(error instanceof TamperedError)) throw error;
    }
    if (practiceId != null) {
      const at = this.#iso();
      await this.#vault.db.transaction().execute((trx) =>
        recordIntegrityFailures(trx, {
          practiceId,
          places: [{ recordType: 'user', recordId: user.id, field: 'name' }],
          reader: { actorId: user.id, purpose: 'security', at },
        }),
      );
    }
    return NAME_FAILED_INTEGRITY;
  }

  async #email(user: UserRow): Promise<string> {
    return openAccountField(this.#vault.db, this.#vault.keyring, user.id, 'email', user.email_sealed);
  }

  /** The secret to add to an authenticator app; made once per enrolment. */
  async mfaEnrolment(principal: Principal): Promise<{ otpauthUri: string; secret: string; qrSvg: string }> {
    const session = this.#sessionAt(principal, 'mfa-enrol');
    const user = await this.#enrolling(principal, session);
    let secret: string;
    if (user.totp_secret_sealed === null) {
      secret = newTotpSecret();
      await setPendingTotp(
        this.#vault.db,
        user.id,
        await sealAccountField(this.#vault.db, this.#vault.keyring, user.id, 'totp', secret),
      );
    } else {
      secret = await openAccountField(
        this.#vault.db,
        this.#vault.keyring,
        user.id,
        'totp',
        user.totp_secret_sealed,
      );
    }
    const uri = otpauthUri(secret, await this.#email(user));
    return { otpauthUri: uri, secret, qrSvg: await qrCodeSvg(uri) };
  }

  /**
   * The account of a session at the enrolment step, while it has no authenticator yet. A
   * session left at that step in another browser, once the account has enrolled, reads
   * no secret and sets none: it is ended, and the person signs in again with their code.
   */
  async #enrolling(principal: Principal, session: SessionRow): Promise<UserRow> {
    const user = await this.#user(session);
    if (user.totp_enabled_at === null) return user;
    if (principal.kind === 'session') {
      await this.#vault.db.transaction().execute(async (trx) => {
        await endSession(trx, principal.idHash, this.#iso());
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

  #sessionAt(principal: Principal, stage: SessionStage): SessionRow {
    if (principal.kind !== 'session' || principal.session.stage !== stage) {
      throw new AlcoveError('conflict', 'This step of signing in is not the one your session is at.');
    }
    return principal.session;
  }

  async #codeStep(user: UserRow, code: string): Promise<number | undefined> {
    if (user.totp_secret_sealed === null) return undefined;
    const secret = await openAccountField(
      this.#vault.db,
      this.#vault.keyring,
      user.id,
      'totp',
      user.totp_secret_sealed,
    );
    return acceptTotp(secret, code, user.totp_last_step, this.#now().getTime());
  }

  /** Confirms enrolment with a first code; returns the session's new cookie and recovery codes. */
  async completeEnrolment(principal: Principal, code: string) {
    const session = this.#sessionAt(principal, 'mfa-enrol');
    const user = await this.#enrolling(principal, session);
    await this.checkSecondFactorLock(user.id);
    const step = await this.#codeStep(user, code);
    if (step === undefined) {
      await recordAuditEvent(this.#vault.db, {
        actorId: user.id,
        practiceId: session.practice_id,
        action: 'mfa.enrol',
        outcome: 'failed',
        purpose: 'security',
      });
      await this.countFailedCode(user.id, session.practice_id);
      throw new AlcoveError(
        'invalid-code',
        'That code is not right. Check the time on your phone and try the newest code.',
      );
    }
    const recoveryCodes = newRecoveryCodes();
    const codeHashes = await hashRecoveryCodes(recoveryCodes);
    const advanced = await this.#advance(principal, session.created_at, async (trx) => {
      if (!(await enableTotp(trx, user.id, step, this.#iso())))
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
    await this.clearFailedCodes(user.id);
    return { ...advanced, recoveryCodes };
  }

  /** A code from the authenticator, or a one-time recovery code. Each is accepted once. */
  async completeChallenge(principal: Principal, answer: { code: string } | { recoveryCode: string }) {
    const session = this.#sessionAt(principal, 'mfa-challenge');
    const user = await this.#user(session);
    await this.checkSecondFactorLock(user.id);
    const step = 'code' in answer ? await this.#codeStep(user, answer.code) : undefined;
    // argon2id is slow on purpose: the code is matched before the transaction opens.
    const recoveryCode =
      'recoveryCode' in answer
        ? await matchRecoveryCode(await unusedRecoveryCodeRows(this.#vault.db, user.id), answer.recoveryCode)
        : undefined;
    let accepted = false;
    // Both factors given: the session counts as re-authenticated from the older of the two,
    // the password (when this session began).
    const advanced = await this.#advance(principal, session.created_at, async (trx) => {
      if ('code' in answer) {
        accepted = step !== undefined && (await useTotpStep(trx, user.id, step));
      } else {
        accepted =
          recoveryCode !== undefined && (await useRecoveryCode(trx, user.id, recoveryCode.id, this.#iso()));
      }
      if (!accepted) throw new AlcoveError('invalid-code');
      await appendAuditEvent(trx, {
        actorId: user.id,
        practiceId: session.practice_id,
        action: 'code' in answer ? 'session.sign-in' : 'session.sign-in-recovery-code',
        outcome: 'ok',
        purpose: 'security',
      });
    }).catch(async (error: unknown) => {
      if (error instanceof AlcoveError && error.code === 'invalid-code') {
        await recordAuditEvent(this.#vault.db, {
          actorId: user.id,
          practiceId: session.practice_id,
          action: 'session.sign-in',
          outcome: 'failed',
          purpose: 'security',
        });
        await this.countFailedCode(user.id, session.practice_id);
        throw new AlcoveError(
          'invalid-code',
          'That code is not right, or it has been used already. Wait for the next code.',
        );
      }
      throw error;
    });
    await this.clearFailedCodes(user.id);
    return advanced;
  }

  /** Moves a session on to 'active' under a new id; `reauthenticatedAt`: when both factors were last proved. */
  async #advance(
    principal: Principal,
    reauthenticatedAt: string,
    work: (trx: Transaction<Database>) => Promise<void>,
  ) {
    if (principal.kind !== 'session') throw new AlcoveError('conflict');
    const cookie = newBearerSecret(SESSION_PREFIX);
    const csrfToken = newBearerSecret('');
    await this.#vault.db.transaction().execute(async (trx) => {
      await work(trx);
      await advanceSession(trx, {
        oldIdHash: principal.idHash,
        newIdHash: sha256Hex(cookie),
        csrfToken,
        stage: 'active',
        now: this.#iso(),
        reauthenticatedAt,
      });
    });
    return { cookie, csrfToken, stage: 'active' as const };
  }

  // ------------------------------------------------------------ the signing kiosk

  /**
   * A request a signing-kiosk session may not make: audited (ids and verbs only) and
   * refused with a problem naming the kiosk, whatever the route and whoever's record.
   */
  async refuseInKiosk(principal: Principal): Promise<never> {
    if (principal.kind === 'session') {
      await recordAuditEvent(this.#vault.db, {
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
    const user = await this.#user(session);
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
      await this.#vault.db.transaction().execute(async (trx) => {
        await endSession(trx, principal.idHash, this.#iso());
        await appendAuditEvent(trx, event('session.kiosk-locked-out', 'denied'));
      });
      return 'session-ended' as const;
    };
    const subject = userSubject(user.id);
    const locked = async () =>
      (await this.#lockedUntil(subject, 'password')) !== undefined ||
      (await this.#lockedUntil(subject, 'second-factor')) !== undefined;
    if (await locked()) return lockOut();
    // Both are checked every time, so an answer never says which of the two was wrong.
    const passwordRight = await verifyPassword(user.password_hash, password);
    const step = await this.#codeStep(user, code);
    let codeRight = step !== undefined;
    try {
      if (!passwordRight || step === undefined) throw new AlcoveError('invalid-credentials');
      const advanced = await this.#advance(principal, this.#iso(), async (trx) => {
        codeRight = await useTotpStep(trx, user.id, step);
        if (!codeRight) throw new AlcoveError('invalid-credentials');
        await appendAuditEvent(trx, event('session.kiosk-end', 'ok'));
      });
      await clearAuthFailures(this.#vault.db, subject, 'password');
      await this.clearFailedCodes(user.id);
      return { cookie: advanced.cookie, csrfToken: advanced.csrfToken };
    } catch (error) {
      if (!(error instanceof AlcoveError && error.code === 'invalid-credentials')) throw error;
      await recordAuditEvent(this.#vault.db, event('session.kiosk-end', 'failed'));
      if (!passwordRight) {
        await this.#countFailure(subject, 'password', PASSWORD_LOCKOUT, async (trx) => {
          await appendAuditEvent(trx, event('session.sign-in-locked', 'denied'));
        });
      }
      if (!codeRight) {
        try {
          await this.countFailedCode(user.id, session.practice_id);
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

  // ------------------------------------------------------------ re-authentication

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
    const user = await this.#user(session);
    await this.checkSecondFactorLock(user.id);
    const event = (outcome: 'ok' | 'failed') => ({
      actorId: user.id,
      practiceId: session.practice_id,
      action: 'session.reauthenticate',
      outcome,
      purpose: 'security',
    });
    const passwordRight = await verifyPassword(user.password_hash, password);
    const step = await this.#codeStep(user, code);
    const now = this.#iso();
    // A new session id on re-authentication, as on sign-in: the old one stops working.
    const advanced =
      passwordRight && step !== undefined
        ? await this.#advance(principal, now, async (trx) => {
            // The step is used once: a code seen over a shoulder cannot be replayed.
            if (!(await useTotpStep(trx, user.id, step))) throw new AlcoveError('invalid-credentials');
            await appendAuditEvent(trx, event('ok'));
          }).catch((error: unknown) => {
            if (error instanceof AlcoveError && error.code === 'invalid-credentials') return undefined;
            throw error;
          })
        : undefined;
    if (advanced === undefined) {
      await recordAuditEvent(this.#vault.db, event('failed'));
      await this.countFailedCode(user.id, session.practice_id);
      throw new AlcoveError(
        'invalid-credentials',
        'The password or the code is not right. Check both, and use the newest code.',
      );
    }
    await this.clearFailedCodes(user.id);
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
    if (!reauthenticatedRecently(principal.session.reauthenticated_at, this.#now()))
      throw new AlcoveError(
        'reauthentication-required',
        'Confirm it is you: enter your password and a code from your authenticator app.',
      );
    return principal.session;
  }

  async signOut(principal: Principal): Promise<void> {
    if (principal.kind !== 'session') return;
    await this.#vault.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('user_session')
        .set({ ended_at: this.#iso() })
        .where('id_hash', '=', principal.idHash)
        .execute();
      await appendAuditEvent(trx, {
        actorId: principal.session.user_id,
        practiceId: principal.session.practice_id,
        action: 'session.sign-out',
        outcome: 'ok',
        purpose: 'security',
      });
    });
  }

  /**
   * Words a guesser of this account's password tries first (passwordProblem; V6.2.11): its
   * address and name, and the name of each practice it belongs to.
   */
  async #passwordContext(user: UserRow): Promise<string[]> {
    const db = this.#vault.db;
    const practiceIds = [...new Set((await membershipsOf(db, user.id)).map((m) => m.practiceId))];
    const opened = await Promise.all([
      this.#email(user).catch(() => undefined),
      openAccountField(db, this.#vault.keyring, user.id, 'name', user.name_sealed).catch(() => undefined),
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
    const user = await findUser(this.#vault.db, userId);
    if (user === undefined) throw new AlcoveError('unauthenticated');
    const subject = userSubject(user.id);
    const lockedUntil = await this.#lockedUntil(subject, 'password');
    if (lockedUntil !== undefined) {
      await recordAuditEvent(this.#vault.db, {
        actorId: user.id,
        practiceId,
        action: 'account.password-changed',
        outcome: 'denied',
        purpose: 'security',
      });
      const now = this.#now();
      throw new RetryLaterError(
        `Too many wrong passwords. Wait ${waitInWords((lockedUntil.getTime() - now.getTime()) / 1000)}, then try again.`,
        lockedUntil,
        now,
      );
    }
    if (!(await verifyPassword(user.password_hash, current))) {
      await this.#countFailure(subject, 'password', PASSWORD_LOCKOUT, (trx) =>
        appendAuditEvent(trx, {
          actorId: user.id,
          practiceId,
          action: 'session.sign-in-locked',
          outcome: 'denied',
          purpose: 'security',
        }),
      );
      await recordAuditEvent(this.#vault.db, {
        actorId: user.id,
        practiceId,
        action: 'account.password-changed',
        outcome: 'failed',
        purpose: 'security',
      });
      throw new AlcoveError('invalid-credentials', 'Your current password is not right.');
    }
    await clearAuthFailures(this.#vault.db, subject, 'password');
    const problem = passwordProblem(next, await this.#passwordContext(user));
    if (problem !== undefined) {
      throw new AlcoveError('validation-failed', problem, [
        { location: 'body', pointer: '/newPassword', detail: problem },
      ]);
    }
    const hash = await hashPassword(next);
    await this.#vault.db.transaction().execute(async (trx) => {
      await setPasswordHash(trx, user.id, hash);
      // Every other session of this account ends and every API token is revoked: whoever
      // knew the old password, or copied a token, is out.
      await endSessionsExcept(trx, user.id, principal.idHash, this.#iso());
      await revokeEveryApiToken(trx, user.id, this.#iso());
      await endPendingPasswordResets(trx, user.id, this.#iso());
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
    await this.#vault.db.transaction().execute(async (trx) => {
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

  async endSessionById(idHash: string): Promise<void> {
    await endSession(this.#vault.db, idHash, this.#iso());
  }
}
