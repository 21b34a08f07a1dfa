import type { Actor } from '@alcove/core';
import { findPractice, type Vault } from '@alcove/store';
import { createToken, listTokens, revokeToken } from './auth/api-tokens.ts';
import { choosePractice } from './auth/choose-practice.ts';
import type { AuthService, Principal } from './auth/service.ts';
import { previewPasswordReset, requestPasswordReset, resetPassword } from './password-reset.ts';
import { joinPortal } from './portal-context.ts';
import { joinPractice, previewStaffInvitation } from './staff-joining.ts';

/**
 * What the route handlers that work outside a request context (signing up, resetting a
 * password, an account's own tokens) need from the vault, bound to it once here, in
 * app.ts: no handler in routes/ holds the vault or the keyring, or reaches the database
 * (docs/ARCHITECTURE.md; a Biome rule and test/boundaries.test.ts keep it so).
 */
export function routeServices(vault: Vault, auth: AuthService) {
  return {
    /** The practice, as the practice list shows it. */
    practiceOf: (practiceId: string) => findPractice(vault.db, practiceId),
    /** The signed-in account's own API tokens. */
    tokens: {
      list: (actor: Actor) => listTokens(vault, auth, actor),
      create: (principal: Principal, actor: Actor, ask: Parameters<typeof createToken>[4]) =>
        createToken(vault, auth, principal, actor, ask),
      revoke: (actor: Actor, tokenId: string) => revokeToken(vault, auth, actor, tokenId),
    },
    /** Resetting a forgotten password, asked for by address and used by link. */
    passwordResets: {
      request: (input: { email: string; now: string }) => requestPasswordReset(vault, input),
      preview: (token: string, now: string) => previewPasswordReset(vault, token, now),
      reset: (input: Parameters<typeof resetPassword>[1]) => resetPassword(vault, input),
    },
    /** Joining a practice's staff by invitation, and choosing which practice to work in. */
    staff: {
      preview: (token: string, now: string) => previewStaffInvitation(vault, token, now),
      join: (input: Parameters<typeof joinPractice>[1]) => joinPractice(vault, input),
      choosePractice: (principal: Principal, practiceId: string, now: string) =>
        choosePractice(vault, principal, practiceId, now),
    },
    /** A client taking up their portal invitation. */
    portal: {
      join: (input: { token: string; password: string; now: string }) => joinPortal(vault, input),
    },
  };
}

export type RouteServices = ReturnType<typeof routeServices>;
