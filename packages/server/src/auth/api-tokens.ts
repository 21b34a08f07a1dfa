import {
  type Actor,
  AlcoveError,
  type ApiTokenScope,
  apiTokenExpiry,
  apiTokenLastDay,
  type Day,
  mayHoldApiToken,
} from '@alcove/core';
import {
  type ApiTokenRow,
  appendAuditEvent,
  createApiToken,
  listApiTokens,
  recordAuditEvent,
  revokeApiToken,
  type Vault,
} from '@alcove/store';
import { newBearerSecret, sha256Hex } from './secrets.ts';
import { type AuthService, type Principal, TOKEN_PREFIX } from './service.ts';

/**
 * API tokens for scripts (issue 16, finding 2; docs/decisions/2026-12-02-api-tokens.md): made
 * only in a browser session re-authenticated in the last five minutes, by a practitioner or
 * an administrator; each has a name, the session's one practice, a scope and an expiry.
 */
export interface ApiTokenSummary {
  id: string;
  name: string;
  scope: ApiTokenScope;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string;
  lastDay: Day;
}

function present(row: ApiTokenRow & { expires_at: string }): ApiTokenSummary {
  return {
    id: row.id,
    name: row.name,
    scope: row.scope === 'read' ? 'read' : 'read-write',
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    expiresAt: row.expires_at,
    lastDay: apiTokenLastDay(row.expires_at),
  };
}

export async function listTokens(vault: Vault, auth: AuthService, actor: Actor): Promise<ApiTokenSummary[]> {
  const rows = await listApiTokens(vault.db, actor.userId, auth.clock().toISOString());
  return rows.flatMap((row) =>
    row.expires_at === null ? [] : [present({ ...row, expires_at: row.expires_at })],
  );
}

export async function createToken(
  vault: Vault,
  auth: AuthService,
  principal: Principal,
  actor: Actor,
  ask: { name: string; scope: ApiTokenScope; days?: number | undefined; lastDay?: Day | undefined },
): Promise<ApiTokenSummary & { token: string }> {
  const session = auth.requireRecentReauthentication(principal);
  if (!mayHoldApiToken(actor.roles)) {
    await recordAuditEvent(vault.db, {
      actorId: actor.userId,
      practiceId: actor.practiceId,
      action: 'account.token-created',
      outcome: 'denied',
      purpose: 'security',
    });
    throw new AlcoveError('not-permitted', 'Only practitioners and administrators may hold an API token.');
  }
  const now = auth.clock();
  const expiry = apiTokenExpiry(now, ask);
  if (!expiry.ok)
    throw new AlcoveError('validation-failed', expiry.problem, [
      { location: 'body', pointer: ask.lastDay === undefined ? '/days' : '/lastDay', detail: expiry.problem },
    ]);
  const token = newBearerSecret(TOKEN_PREFIX);
  const created = await vault.db.transaction().execute(async (trx) => {
    const row = await createApiToken(trx, {
      userId: actor.userId,
      // One practice: the one this session works in.
      practiceId: actor.practiceId,
      name: ask.name,
      tokenHash: sha256Hex(token),
      now: now.toISOString(),
      scope: ask.scope,
      expiresAt: expiry.expiresAt,
    });
    await appendAuditEvent(trx, {
      actorId: session.user_id,
      practiceId: actor.practiceId,
      action: 'account.token-created',
      outcome: 'ok',
      recordType: 'api-token',
      recordId: row.id,
      purpose: 'security',
    });
    return row;
  });
  return {
    id: created.id,
    name: ask.name,
    scope: ask.scope,
    createdAt: now.toISOString(),
    lastUsedAt: null,
    expiresAt: expiry.expiresAt,
    lastDay: expiry.lastDay,
    token,
  };
}

/** Revokes one of the actor's own tokens, audited in the same transaction; false when they have no such token. */
export async function revokeToken(
  vault: Vault,
  auth: AuthService,
  actor: Actor,
  tokenId: string,
): Promise<boolean> {
  return vault.db.transaction().execute(async (trx) => {
    const done = await revokeApiToken(trx, actor.userId, tokenId, auth.clock().toISOString());
    if (done) {
      await appendAuditEvent(trx, {
        actorId: actor.userId,
        practiceId: actor.practiceId,
        action: 'account.token-revoked',
        outcome: 'ok',
        recordType: 'api-token',
        recordId: tokenId,
        purpose: 'security',
      });
    }
    return done;
  });
}
