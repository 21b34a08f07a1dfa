import { AlcoveError, type SessionStage } from '@alcove/core';
import {
  advanceSession,
  type Database,
  findUser,
  openAccountField,
  type SessionRow,
  type UserRow,
  type Vault,
} from '@alcove/store';
import type { Transaction } from 'kysely';
import type { AuthFailures } from './failures.ts';
import { type Principal, SESSION_PREFIX } from './principal.ts';
import { newBearerSecret, sha256Hex } from './secrets.ts';
import { acceptTotp } from './totp.ts';

/** The account's own address, opened from its sealed field. */
export async function accountEmail(vault: Vault, user: UserRow): Promise<string> {
  return openAccountField(vault.db, vault.keyring, user.id, 'email', user.email_sealed);
}

/**
 * What the steps of signing in share (the second factor, the kiosk's exit, confirming it
 * is you): the session's account, its authenticator code, and moving the session on.
 */
export class SessionSteps {
  readonly vault: Vault;
  readonly now: () => Date;
  readonly failures: AuthFailures;

  constructor(vault: Vault, now: () => Date, failures: AuthFailures) {
    this.vault = vault;
    this.now = now;
    this.failures = failures;
  }

  #iso(): string {
    return this.now().toISOString();
  }

  async user(session: SessionRow): Promise<UserRow> {
    const user = await findUser(this.vault.db, session.user_id);
    if (user === undefined) throw new AlcoveError('unauthenticated');
    return user;
  }

  async email(user: UserRow): Promise<string> {
    return accountEmail(this.vault, user);
  }

  sessionAt(principal: Principal, stage: SessionStage): SessionRow {
    if (principal.kind !== 'session' || principal.session.stage !== stage) {
      throw new AlcoveError('conflict', 'This step of signing in is not the one your session is at.');
    }
    return principal.session;
  }

  async codeStep(user: UserRow, code: string): Promise<number | undefined> {
    if (user.totp_secret_sealed === null) return undefined;
    const secret = await openAccountField(
      this.vault.db,
      this.vault.keyring,
      user.id,
      'totp',
      user.totp_secret_sealed,
    );
    return acceptTotp(secret, code, user.totp_last_step, this.now().getTime());
  }

  /** Moves a session on to 'active' under a new id; `reauthenticatedAt`: when both factors were last proved. */
  async advance(
    principal: Principal,
    reauthenticatedAt: string,
    work: (trx: Transaction<Database>) => Promise<void>,
  ) {
    if (principal.kind !== 'session') throw new AlcoveError('conflict');
    const cookie = newBearerSecret(SESSION_PREFIX);
    const csrfToken = newBearerSecret('');
    await this.vault.db.transaction().execute(async (trx) => {
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
}
