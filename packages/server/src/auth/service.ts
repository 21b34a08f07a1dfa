import { type Actor, AlcoveError, RetryLaterError, type Role, type SessionStage } from '@alcove/core';
import {
  type AuditSource,
  activePracticesOf,
  appendAuditEvent,
  clearAuthFailures,
  createSession,
  emailIndex,
  endSession,
  findApiToken,
  findSession,
  findUser,
  findUserByEmail,
  markApiTokenUsedSince,
  membershipsOf,
  openAccountField,
  recordAuditEvent,
  recordIntegrityFailures,
  type SessionRow,
  TamperedError,
  touchSession,
  unknownAddressSubject,
  userSubject,
  type Vault,
} from '@alcove/store';
import { AccountSecurity } from './account-security.ts';
import { AuthFailures } from './failures.ts';
import { KioskExit } from './kiosk-exit.ts';
import { PASSWORD_LOCKOUT, waitInWords } from './lockout.ts';
import { verifyPassword } from './passwords.ts';
import { type Principal, SESSION_PREFIX, type SessionPolicy, TOKEN_PREFIX } from './principal.ts';
import { SecondFactor } from './second-factor.ts';
import { newBearerSecret, safeEqual, sha256Hex } from './secrets.ts';
import { SessionSteps } from './session-steps.ts';

export {
  DEFAULT_SESSION_POLICY,
  type Principal,
  SECURE_SESSION_COOKIE,
  SESSION_COOKIE,
  SESSION_PREFIX,
  type SessionPolicy,
  TOKEN_PREFIX,
} from './principal.ts';

/** A token's "last used" time, and its audited use, move at most this often. */
const TOKEN_USE_SECONDS = 15;

/** How a name that failed its integrity check is shown. */
export const NAME_FAILED_INTEGRITY = '(name failed its integrity check)';

/**
 * Signing in and out, and who a request is: a session from its cookie or a script's API
 * token, and the actor it acts as. The steps after the password (the second factor, the
 * kiosk's exit, confirming it is you) are parts of their own, reached through this one.
 */
export class AuthService {
  readonly #vault: Vault;
  readonly policy: SessionPolicy;
  readonly #now: () => Date;
  readonly #failures: AuthFailures;
  readonly #secondFactor: SecondFactor;
  readonly #kiosk: KioskExit;
  readonly #security: AccountSecurity;

  constructor(vault: Vault, policy: SessionPolicy, now: () => Date = () => new Date()) {
    this.#vault = vault;
    this.policy = policy;
    this.#now = now;
    this.#failures = new AuthFailures(vault, now);
    const steps = new SessionSteps(vault, now, this.#failures);
    this.#secondFactor = new SecondFactor(steps);
    this.#kiosk = new KioskExit(steps);
    this.#security = new AccountSecurity(steps);
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
    const lockedUntil = await this.#failures.lockedUntil(subject, 'password');
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
      await this.#failures.countFailure(subject, 'password', PASSWORD_LOCKOUT, (trx) =>
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

  /** The secret to add to an authenticator app; made once per enrolment. */
  mfaEnrolment(principal: Principal): ReturnType<SecondFactor['mfaEnrolment']> {
    return this.#secondFactor.mfaEnrolment(principal);
  }

  /** Confirms enrolment with a first code; returns the session's new cookie and recovery codes. */
  completeEnrolment(principal: Principal, code: string): ReturnType<SecondFactor['completeEnrolment']> {
    return this.#secondFactor.completeEnrolment(principal, code);
  }

  /** A code from the authenticator, or a one-time recovery code. Each is accepted once. */
  completeChallenge(
    principal: Principal,
    answer: { code: string } | { recoveryCode: string },
  ): ReturnType<SecondFactor['completeChallenge']> {
    return this.#secondFactor.completeChallenge(principal, answer);
  }

  // ------------------------------------------------------------ the signing kiosk (kiosk-exit.ts)

  refuseInKiosk(principal: Principal): Promise<never> {
    return this.#kiosk.refuseInKiosk(principal);
  }

  endKiosk(principal: Principal, password: string, code: string): ReturnType<KioskExit['endKiosk']> {
    return this.#kiosk.endKiosk(principal, password, code);
  }

  // ------------------------------------------------------------ proving it is you (account-security.ts)

  reauthenticate(
    principal: Principal,
    password: string,
    code: string,
  ): ReturnType<AccountSecurity['reauthenticate']> {
    return this.#security.reauthenticate(principal, password, code);
  }

  requireRecentReauthentication(principal: Principal): SessionRow {
    return this.#security.requireRecentReauthentication(principal);
  }

  changePassword(principal: Principal, current: string, next: string): Promise<void> {
    return this.#security.changePassword(principal, current, next);
  }

  newRecoveryCodes(principal: Principal): Promise<string[]> {
    return this.#security.newRecoveryCodes(principal);
  }

  async signOut(principal: Principal): Promise<void> {
    if (principal.kind !== 'session') return;
    await this.#vault.db.transaction().execute(async (trx) => {
      await endSession(trx, principal.idHash, this.#iso());
      await appendAuditEvent(trx, {
        actorId: principal.session.user_id,
        practiceId: principal.session.practice_id,
        action: 'session.sign-out',
        outcome: 'ok',
        purpose: 'security',
      });
    });
  }

  async endSessionById(idHash: string): Promise<void> {
    await endSession(this.#vault.db, idHash, this.#iso());
  }
}
