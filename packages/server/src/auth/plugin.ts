import { AlcoveError, type Kiosk } from '@alcove/core';
import { sessionKiosk, type Vault } from '@alcove/store';
import cookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { ContextBase } from '../context-base.ts';
import { requestComesFromAnotherSite } from './cross-site.ts';
import { type AuthService, type Principal, SECURE_SESSION_COOKIE, SESSION_COOKIE } from './service.ts';

/**
 * Who may call a route:
 * - 'public': anyone (health, the OpenAPI document, signing in);
 * - 'signing-in': a browser session at any stage of signing in (MFA steps, sign-out);
 * - 'signed-in' (the default): a session that has passed MFA, or an API token.
 */
export type RouteAccess = 'public' | 'signing-in' | 'signed-in';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
    /**
     * The route may be called on a session locked to a signing screen (the kiosk's own
     * contract, signing it, ending the kiosk, the session's status, signing out). Every
     * other API route refuses such a session.
     */
    kiosk?: boolean;
    /**
     * A POST that only reads (a search sent in the body, so no name is in a URL): a read-only
     * API token may call it. Every other POST, PUT, PATCH and DELETE refuses such a token.
     */
    reads?: boolean;
  }
  interface FastifyRequest {
    principal: Principal | undefined;
    context: ContextBase | undefined;
  }
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The signed-in actor, before a route picks the capability it works through
 * (`contextOf(request).as(CasesContext)`, …): it knows who is asking, and nothing more.
 */
class SignedInContext extends ContextBase {}

/** The request's context: only routes that are 'signed-in' have one. */
export function contextOf(request: FastifyRequest): ContextBase {
  if (request.context === undefined) throw new AlcoveError('unauthenticated');
  return request.context;
}

export function principalOf(request: FastifyRequest): Principal {
  if (request.principal === undefined) throw new AlcoveError('unauthenticated');
  return request.principal;
}

/** The signing screen this browser session is locked to; a session without one finds nothing. */
export function kioskOf(request: FastifyRequest): Kiosk {
  const principal = principalOf(request);
  if (principal.kind !== 'session')
    throw new AlcoveError('unauthenticated', 'The signing screen is for a browser session.');
  const kiosk = sessionKiosk(principal.session);
  if (kiosk === undefined)
    throw new AlcoveError('not-found', 'This session is not showing a signing screen.');
  return kiosk;
}

/** A browser session's principal: a signing screen is handed over in a browser, never by a script. */
export function sessionOf(request: FastifyRequest): Extract<Principal, { kind: 'session' }> {
  const principal = principalOf(request);
  if (principal.kind !== 'session')
    throw new AlcoveError('unauthenticated', 'The signing screen is for a browser session.');
  return principal;
}

/**
 * The session cookie's name for this request: `__Host-alcove_session` wherever TLS is on
 * (request.protocol is 'https' when served over TLS, or behind the trusted proxy when it
 * says so), `alcove_session` over plain HTTP, where a browser would refuse the prefix.
 */
export function sessionCookieName(request: FastifyRequest): string {
  return request.protocol === 'https' ? SECURE_SESSION_COOKIE : SESSION_COOKIE;
}

/**
 * Sets the session cookie: HttpOnly, SameSite=Strict, Path=/, no Domain, Secure over TLS;
 * and a session cookie, with no Max-Age or Expires, so the browser keeps it in memory only
 * and never writes it to disk. The server ends the session itself, after the idle and the
 * absolute timeout (SessionPolicy), whatever the browser keeps.
 */
export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, value: string): void {
  reply.setCookie(sessionCookieName(request), value, {
    path: '/',
    httpOnly: true,
    sameSite: 'strict',
    secure: request.protocol === 'https',
  });
}

export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply): void {
  reply.clearCookie(sessionCookieName(request), {
    path: '/',
    httpOnly: true,
    sameSite: 'strict',
    secure: request.protocol === 'https',
  });
}

/**
 * Authentication runs in onRequest: before the body is read or validated, so an
 * anonymous caller learns nothing about a route's schema. Cookie requests that change
 * anything must carry the session's CSRF token in X-CSRF-Token.
 */
export const authPlugin = fp(
  async (app: FastifyInstance, options: { auth: AuthService; vault: Vault }) => {
    await app.register(cookie);
    app.decorateRequest('principal', undefined);
    app.decorateRequest('context', undefined);

    app.addHook('onRequest', async (request, reply) => {
      // No route: the not-found handler answers, and says nothing more to anyone.
      if (request.routeOptions.url === undefined) return;
      // The API is signed-in unless a route says otherwise; the web app's files are public
      // (they hold no records: every record comes through the API).
      const access: RouteAccess =
        request.routeOptions.config.access ??
        (request.routeOptions.url.startsWith('/api/') ? 'signed-in' : 'public');

      const authorization = request.headers.authorization;
      // A change a browser says came from another site is refused whatever it carries, a
      // valid CSRF token included, and on public routes too (a forged sign-in is login
      // CSRF). A bearer token is a script's, not a browser's: not affected (cross-site.ts).
      if (authorization === undefined && UNSAFE.has(request.method) && requestComesFromAnotherSite(request)) {
        throw new AlcoveError(
          'cross-site-request',
          'This came from another site, so it was refused. Open Alcove at its own address and try again.',
        );
      }
      let principal: Principal | undefined;
      if (authorization !== undefined) {
        const match = /^Bearer (\S+)$/.exec(authorization);
        const found = match?.[1] === undefined ? undefined : await options.auth.principalFromToken(match[1]);
        if (found === 'expired')
          throw new AlcoveError(
            'token-expired',
            'This API token has expired: make a new one on your account page.',
          );
        if (found === undefined)
          throw new AlcoveError('unauthenticated', 'That API token is not valid, or has been revoked.');
        principal = found;
      } else {
        const value = request.cookies[sessionCookieName(request)];
        if (value !== undefined) {
          const found = await options.auth.principalFromCookie(value);
          if (found === 'expired') {
            clearSessionCookie(request, reply);
            if (access !== 'public')
              throw new AlcoveError('session-expired', 'You were signed out. Sign in again to go on.');
          } else {
            principal = found;
          }
        }
      }
      request.principal = principal;
      // A session handed to a client to sign (the kiosk) reaches its own contract and
      // nothing else, whatever the page, the address or the script asks for.
      if (
        principal?.kind === 'session' &&
        sessionKiosk(principal.session) !== undefined &&
        request.routeOptions.url.startsWith('/api/') &&
        request.routeOptions.config.kiosk !== true
      ) {
        await options.auth.refuseInKiosk(principal);
      }
      if (access === 'public') return;
      if (principal === undefined) throw new AlcoveError('unauthenticated', 'Sign in first.');
      if (
        UNSAFE.has(request.method) &&
        !options.auth.csrfMatches(principal, request.headers['x-csrf-token'] as string | undefined)
      ) {
        throw new AlcoveError('csrf-failed', 'Reload the page and try again.');
      }
      if (
        principal.kind === 'token' &&
        principal.scope === 'read' &&
        UNSAFE.has(request.method) &&
        request.routeOptions.config.reads !== true
      )
        throw new AlcoveError('token-read-only', 'This API token may only read: use a read-write token.');
      if (access === 'signing-in') {
        if (principal.kind !== 'session')
          throw new AlcoveError('unauthenticated', 'This step is for signing in with a browser.');
        return;
      }
      if (principal.kind === 'session' && principal.session.stage !== 'active') {
        throw new AlcoveError(
          'mfa-required',
          'Enter the code from your authenticator app to finish signing in.',
        );
      }
      // Signed in to several practices and none chosen yet (issue 16): say so, and where to go.
      if (principal.kind === 'session' && principal.session.practice_id === null)
        throw new AlcoveError(
          'practice-required',
          'Choose which practice to work in first (POST /api/v1/auth/practice).',
        );
      const actor = await options.auth.actorFor(principal);
      if (actor === undefined)
        throw new AlcoveError('unauthenticated', 'This account has no access to a practice.');
      request.context = new SignedInContext(options.vault, actor, options.auth.clock);
    });
  },
  { name: 'alcove-auth' },
);
