import {
  type AccountSession,
  type AccountSessions,
  type AccountToken,
  AlcoveError,
  type EndedSessions,
  staffRoles,
} from '@alcove/core';
import {
  appendAuditEvent,
  endEverySessionAndToken,
  endSessionOfUser,
  endSessionsExcept,
  listApiTokens,
  listOpenSessions,
  membershipsOf,
  revokeEveryApiToken,
  type SessionRow,
} from '@alcove/store';
import Bowser from 'bowser';
import { sha256Hex } from './auth/secrets.ts';
import type { SessionPolicy } from './auth/service.ts';
import { ContextBase } from './context-base.ts';

/**
 * The public name of a session: half of SHA-256 of its stored id hash. It names the session
 * in a list and in the audit log, and leads back to neither the cookie nor the stored hash.
 */
export function sessionPublicId(idHash: string): string {
  return sha256Hex(`alcove-session-public-id\n${idHash}`).slice(0, 32);
}

/** "Chrome 131 on Linux" from a user agent; null when there is none or nothing is recognised. */
export function browserLabel(userAgent: string | null): string | null {
  if (userAgent === null || userAgent.trim() === '') return null;
  const parsed = Bowser.parse(userAgent);
  const name = parsed.browser.name;
  const major = parsed.browser.version?.split('.')[0];
  const os = parsed.os.name;
  const browser = name === undefined || name === '' ? undefined : major ? `${name} ${major}` : name;
  if (browser === undefined) return os === undefined || os === '' ? null : `A browser on ${os}`;
  return os === undefined || os === '' ? browser : `${browser} on ${os}`;
}

/** Timed out, though no request has come since to end it (principalFromCookie ends it then). */
function timedOut(session: SessionRow, policy: SessionPolicy, now: Date): boolean {
  const at = now.getTime();
  return (
    at - Date.parse(session.last_seen_at) > policy.idleSeconds * 1000 ||
    at - Date.parse(session.created_at) > policy.absoluteSeconds * 1000
  );
}

/**
 * Sessions you can see (issue 16, finding 7): an account's own signed-in sessions and API
 * tokens, ending one or all the others; and an administrator ending every session and
 * token of a staff member of their practice. Every ending is audited (ids only).
 */
export class SessionsContext extends ContextBase {
  /** The account's open sessions (oldest first) and live tokens; `current` is this request's session. */
  async listOwn(currentIdHash: string | null, policy: SessionPolicy): Promise<AccountSessions> {
    const now = this.clock();
    const rows = await listOpenSessions(this.vault.db, this.actor.userId);
    const sessions: AccountSession[] = rows
      .filter((row) => !timedOut(row, policy, now))
      .map((row) => ({
        id: sessionPublicId(row.id_hash),
        createdAt: row.created_at,
        lastSeenAt: row.last_seen_at,
        address: row.source_address,
        browser: browserLabel(row.user_agent),
        signedIn: row.stage === 'active',
        current: row.id_hash === currentIdHash,
      }));
    const tokens: AccountToken[] = (
      await listApiTokens(this.vault.db, this.actor.userId, now.toISOString())
    ).map((row) => ({
      id: row.id,
      name: row.name,
      createdAt: row.created_at,
      lastUsedAt: row.last_used_at,
      expiresAt: row.expires_at,
      scope: row.scope === 'read' ? 'read' : 'read-write',
    }));
    return { sessions, tokens };
  }

  /** Ends one of the account's other sessions. The current one is ended by signing out. */
  async endOwn(publicId: string, currentIdHash: string | null): Promise<void> {
    const rows = await listOpenSessions(this.vault.db, this.actor.userId);
    const row = rows.find((r) => sessionPublicId(r.id_hash) === publicId);
    if (row === undefined) throw new AlcoveError('not-found', 'You have no such session, or it has ended.');
    if (row.id_hash === currentIdHash)
      throw new AlcoveError('conflict', 'This is the session you are using: sign out to end it.');
    await this.vault.db.transaction().execute(async (trx) => {
      if (!(await endSessionOfUser(trx, this.actor.userId, row.id_hash, this.now())))
        throw new AlcoveError('not-found', 'You have no such session, or it has ended.');
      await appendAuditEvent(trx, this.#security('account.session-ended', 'session', publicId));
    });
  }

  /** Ends every session of the account but this one, and with `tokens` every API token too. */
  async endOthers(currentIdHash: string | null, tokens: boolean): Promise<EndedSessions> {
    return this.vault.db.transaction().execute(async (trx) => {
      const now = this.now();
      const sessions = await endSessionsExcept(trx, this.actor.userId, currentIdHash, now);
      const revoked = tokens ? await revokeEveryApiToken(trx, this.actor.userId, now) : 0;
      await appendAuditEvent(
        trx,
        this.#security(
          tokens ? 'account.other-sessions-and-tokens-ended' : 'account.other-sessions-ended',
          'user',
          this.actor.userId,
        ),
      );
      return { sessions, tokens: revoked };
    });
  }

  /**
   * An administrator ends every session and API token of a staff member of their own
   * practice. Anyone else, and any account that is not on this practice's staff (another
   * practice's, a client's), finds nothing: refused as not found, and audited.
   */
  async endForPerson(userId: string): Promise<EndedSessions> {
    const memberships = await membershipsOf(this.vault.db, userId);
    const staffHere = memberships.some(
      (m) => m.practiceId === this.actor.practiceId && staffRoles.includes(m.role),
    );
    await this.require('people.manage', staffHere ? this.practiceResource() : undefined, 'user', userId);
    // Your own: on "Your sessions", with re-authentication (V7.5.2), never through here.
    if (userId === this.actor.userId)
      throw new AlcoveError(
        'conflict',
        'To end your own sessions, use Your sessions on your account page: it asks you to confirm it is you.',
      );
    return this.vault.db.transaction().execute(async (trx) => {
      const ended = await endEverySessionAndToken(trx, userId, this.now());
      await appendAuditEvent(trx, this.#security('people.sessions-ended', 'user', userId));
      return ended;
    });
  }

  #security(action: string, recordType: string, recordId: string) {
    return { ...this.event(action, recordType, recordId), purpose: 'security' };
  }
}
