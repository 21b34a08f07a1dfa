import { type Actor, AlcoveError, type Role, type SessionStage } from '@alcove/core';
import {
  advanceSession,
  appendAuditEvent,
  createSession,
  type Database,
  enableTotp,
  endOtherSessions,
  endSession,
  findApiToken,
  findSession,
  findUser,
  findUserByEmail,
  markApiTokenUsed,
  membershipsOf,
  openAccountField,
  recordAuditEvent,
  recordIntegrityFailures,
  replaceRecoveryCodes,
  type SessionRow,
  sealAccountField,
  sessionKiosk,
  setPasswordHash,
  setPendingTotp,
  TamperedError,
  touchSession,
  type UserRow,
  useRecoveryCode,
  useTotpStep,
  type Vault,
} from '@alcove/store';
import type { Transaction } from 'kysely';
import { hashPassword, passwordProblem, verifyPassword } from './passwords.ts';
import { newBearerSecret, newRecoveryCodes, normaliseRecoveryCode, safeEqual, sha256Hex } from './secrets.ts';
import { acceptTotp, newTotpSecret, otpauthUri, qrCodeSvg } from './totp.ts';

export const SESSION_COOKIE = 'alcove_session';
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
export type Principal =
  | { readonly kind: 'session'; readonly session: SessionRow; readonly idHash: string }
  | {
      readonly kind: 'token';
      readonly userId: string;
      readonly practiceId: string;
      readonly tokenId: string;
    };

/** After this many failed sign-ins in a row, an account waits LOCKOUT_SECONDS whatever is typed. */
const THROTTLE_FAILURES = 5;
const THROTTLE_SECONDS = 15 * 60;

/** How a name that failed its integrity check is shown. */
export const NAME_FAILED_INTEGRITY = '(name failed its integrity check)';

export class AuthService {
  readonly #vault: Vault;
  readonly policy: SessionPolicy;
  readonly #failures = new Map<string, { count: number; since: number }>();
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

  async principalFromToken(token: string): Promise<Principal | undefined> {
    if (!token.startsWith(TOKEN_PREFIX)) return undefined;
    const row = await findApiToken(this.#vault.db, sha256Hex(token));
    if (row === undefined) return undefined;
    // Like a session's last-seen time, "last used" moves at most every 15 seconds: a durable
    // write on every API call would halve what the server can take.
    const now = this.#now().getTime();
    if (row.last_used_at === null || now - Date.parse(row.last_used_at) > 15_000)
      await markApiTokenUsed(this.#vault.db, row.id, this.#iso());
    return { kind: 'token', userId: row.user_id, practiceId: row.practice_id, tokenId: row.id };
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
    const memberships = (await membershipsOf(this.#vault.db, userId)).filter(
      (m) => m.practiceId === practiceId,
    );
    if (memberships.length === 0) return undefined;
    const clientId = memberships.find((m) => m.clientId !== null)?.clientId ?? undefined;
    return { userId, practiceId, roles: memberships.map((m) => m.role as Role), clientId };
  }

  expiresAt(session: SessionRow): string {
    return new Date(Date.parse(session.created_at) + this.policy.absoluteSeconds * 1000).toISOString();
  }

  // ------------------------------------------------------------ signing in

  #throttled(key: string): boolean {
    const entry = this.#failures.get(key);
    if (entry === undefined) return false;
    if (this.#now().getTime() - entry.since > THROTTLE_SECONDS * 1000) {
      this.#failures.delete(key);
      return false;
    }
    return entry.count >= THROTTLE_FAILURES;
  }

  #fail(key: string): void {
    const entry = this.#failures.get(key);
    if (entry === undefined) this.#failures.set(key, { count: 1, since: this.#now().getTime() });
    else entry.count += 1;
  }

  /**
   * E-mail and password. An unknown address and a wrong password take the same path (a
   * dummy hash) and get the same answer. Staff go on to MFA: enrolment the first time.
   */
  async signIn(
    email: string,
    password: string,
  ): Promise<{ cookie: string; stage: SessionStage; csrfToken: string }> {
    const db = this.#vault.db;
    const user = await findUserByEmail(db, this.#vault.keyring, email);
    const throttleKey = user?.id ?? `unknown:${email.trim().toLowerCase()}`;
    if (this.#throttled(throttleKey)) {
      await recordAuditEvent(db, {
        actorId: user?.id,
        action: 'session.sign-in',
        outcome: 'denied',
        purpose: 'security',
      });
      throw new AlcoveError('rate-limited', 'Too many attempts. Wait 15 minutes, then try again.');
    }
    const ok = await verifyPassword(user?.password_hash, password);
    const memberships = user === undefined ? [] : await membershipsOf(db, user.id);
    if (!ok || user === undefined || user.disabled_at !== null || memberships.length === 0) {
      this.#fail(throttleKey);
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
    this.#failures.delete(throttleKey);
    const stage: SessionStage = user.totp_enabled_at === null ? 'mfa-enrol' : 'mfa-challenge';
    const cookie = newBearerSecret(SESSION_PREFIX);
    const csrfToken = newBearerSecret('');
    const practiceId = memberships[0]?.practiceId ?? null;
    await db.transaction().execute(async (trx) => {
      await createSession(trx, {
        idHash: sha256Hex(cookie),
        userId: user.id,
        practiceId,
        csrfToken,
        stage,
        now: this.#iso(),
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
    const user = await this.#user(session);
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
    const user = await this.#user(session);
    const step = await this.#codeStep(user, code);
    if (step === undefined) {
      await recordAuditEvent(this.#vault.db, {
        actorId: user.id,
        practiceId: session.practice_id,
        action: 'mfa.enrol',
        outcome: 'failed',
        purpose: 'security',
      });
      throw new AlcoveError(
        'invalid-code',
        'That code is not right. Check the time on your phone and try the newest code.',
      );
    }
    const recoveryCodes = newRecoveryCodes();
    const advanced = await this.#advance(principal, async (trx) => {
      await enableTotp(trx, user.id, step, this.#iso());
      await replaceRecoveryCodes(
        trx,
        user.id,
        recoveryCodes.map((c) => sha256Hex(normaliseRecoveryCode(c))),
      );
      await appendAuditEvent(trx, {
        actorId: user.id,
        practiceId: session.practice_id,
        action: 'mfa.enrol',
        outcome: 'ok',
        purpose: 'security',
      });
    });
    return { ...advanced, recoveryCodes };
  }

  /** A code from the authenticator, or a one-time recovery code. Each is accepted once. */
  async completeChallenge(principal: Principal, answer: { code: string } | { recoveryCode: string }) {
    const session = this.#sessionAt(principal, 'mfa-challenge');
    const user = await this.#user(session);
    const step = 'code' in answer ? await this.#codeStep(user, answer.code) : undefined;
    let accepted = false;
    const advanced = await this.#advance(principal, async (trx) => {
      if ('code' in answer) {
        accepted = step !== undefined && (await useTotpStep(trx, user.id, step));
      } else {
        accepted = await useRecoveryCode(
          trx,
          user.id,
          sha256Hex(normaliseRecoveryCode(answer.recoveryCode)),
          this.#iso(),
        );
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
        throw new AlcoveError(
          'invalid-code',
          'That code is not right, or it has been used already. Wait for the next code.',
        );
      }
      throw error;
    });
    return advanced;
  }

  async #advance(principal: Principal, work: (trx: Transaction<Database>) => Promise<void>) {
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
   * both, and the session moves on under a new id with nothing locked. A failure counts
   * against the account's sign-in throttle, and once that is reached the session ends
   * outright: the device goes back to the sign-in page.
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
    if (this.#throttled(user.id)) return lockOut();
    // Both are checked every time, so an answer never says which of the two was wrong.
    const passwordRight = await verifyPassword(user.password_hash, password);
    const step = await this.#codeStep(user, code);
    try {
      if (!passwordRight || step === undefined) throw new AlcoveError('invalid-credentials');
      const advanced = await this.#advance(principal, async (trx) => {
        if (!(await useTotpStep(trx, user.id, step))) throw new AlcoveError('invalid-credentials');
        await appendAuditEvent(trx, event('session.kiosk-end', 'ok'));
      });
      this.#failures.delete(user.id);
      return { cookie: advanced.cookie, csrfToken: advanced.csrfToken };
    } catch (error) {
      if (!(error instanceof AlcoveError && error.code === 'invalid-credentials')) throw error;
      this.#fail(user.id);
      await recordAuditEvent(this.#vault.db, event('session.kiosk-end', 'failed'));
      if (this.#throttled(user.id)) return lockOut();
      throw new AlcoveError(
        'invalid-credentials',
        'The password or the code is not right. Check both, and use the newest code.',
      );
    }
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

  async changePassword(principal: Principal, current: string, next: string): Promise<void> {
    const userId = principal.kind === 'token' ? principal.userId : principal.session.user_id;
    const user = await findUser(this.#vault.db, userId);
    if (user === undefined || !(await verifyPassword(user.password_hash, current))) {
      throw new AlcoveError('invalid-credentials', 'Your current password is not right.');
    }
    const problem = passwordProblem(next);
    if (problem !== undefined) {
      throw new AlcoveError('validation-failed', problem, [
        { location: 'body', pointer: '/newPassword', detail: problem },
      ]);
    }
    const hash = await hashPassword(next);
    await this.#vault.db.transaction().execute(async (trx) => {
      await setPasswordHash(trx, user.id, hash);
      // Every other session of this account ends: whoever knew the old password is out.
      await endOtherSessions(trx, user.id, principal.kind === 'session' ? principal.idHash : '', this.#iso());
      await appendAuditEvent(trx, {
        actorId: user.id,
        action: 'account.password-changed',
        outcome: 'ok',
        purpose: 'security',
      });
    });
  }

  async newRecoveryCodes(userId: string): Promise<string[]> {
    const codes = newRecoveryCodes();
    await this.#vault.db.transaction().execute(async (trx) => {
      await replaceRecoveryCodes(
        trx,
        userId,
        codes.map((c) => sha256Hex(normaliseRecoveryCode(c))),
      );
      await appendAuditEvent(trx, {
        actorId: userId,
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
