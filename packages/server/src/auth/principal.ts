import type { ApiTokenScope } from '@alcove/core';
import type { SessionRow } from '@alcove/store';

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
