import { AlcoveError } from '@alcove/core';
import {
  activePracticesOf,
  advanceSession,
  appendAuditEvent,
  recordAuditEvent,
  type Vault,
} from '@alcove/store';
import { type Principal, SESSION_PREFIX } from './principal.ts';
import { newBearerSecret, sha256Hex } from './secrets.ts';

/**
 * Picks or switches the practice of a signed-in browser session (issue 16): only one the
 * account is an active member of (anything else is "not found", audited). The session
 * moves on under a new id and CSRF token, keeping its sign-in time, so an id seen in one
 * practice does not carry into the next; no password or code is asked again.
 */
export async function choosePractice(
  vault: Vault,
  principal: Principal,
  practiceId: string,
  now: string,
): Promise<{ cookie: string; csrfToken: string; stage: 'active' }> {
  if (principal.kind !== 'session')
    throw new AlcoveError('unauthenticated', 'A practice is chosen in the browser that signed in.');
  const { session } = principal;
  if (session.stage !== 'active')
    throw new AlcoveError('mfa-required', 'Enter the code from your authenticator app to finish signing in.');
  const event = (outcome: 'ok' | 'denied') => ({
    actorId: session.user_id,
    practiceId: outcome === 'ok' ? practiceId : session.practice_id,
    action: 'session.practice-chosen',
    outcome,
    recordType: 'practice',
    recordId: practiceId,
    purpose: 'security',
    at: now,
  });
  const practices = await activePracticesOf(vault.db, session.user_id);
  if (!practices.some((p) => p.id === practiceId)) {
    await recordAuditEvent(vault.db, event('denied'));
    throw new AlcoveError('not-found', 'There is no such practice, or you are not an active member of it.');
  }
  const cookie = newBearerSecret(SESSION_PREFIX);
  const csrfToken = newBearerSecret('');
  await vault.db.transaction().execute(async (trx) => {
    await advanceSession(trx, {
      oldIdHash: principal.idHash,
      newIdHash: sha256Hex(cookie),
      csrfToken,
      stage: 'active',
      now,
      practiceId,
    });
    await appendAuditEvent(trx, event('ok'));
  });
  return { cookie, csrfToken, stage: 'active' };
}
