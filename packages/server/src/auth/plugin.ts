import { AlcoveError, type Kiosk } from '@alcove/core';
import { sessionKiosk, type Vault } from '@alcove/store';
import cookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { RequestContext } from '../context.ts';
import { type AuthService, type Principal, SESSION_COOKIE } from './service.ts';

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
  }
  interface FastifyRequest {
    principal: Principal | undefined;
    context: RequestContext | undefined;
  }
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The request's context: only routes that are 'signed-in' have one. */
export function contextOf(request: FastifyRequest): RequestContext {
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

export function setSessionCookie(
  request: FastifyRequest,
  reply: FastifyReply,
  value: string,
  maxAgeSeconds: number,
): void {
  reply.setCookie(SESSION_COOKIE, value, {
    path: '/',
    httpOnly: true,
    sameSite: 'strict',
    secure: request.protocol === 'https',
    maxAge: maxAgeSeconds,
  });
}

export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, {
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
      let principal: Principal | undefined;
      if (authorization !== undefined) {
        const match = /^Bearer (\S+)$/.exec(authorization);
        principal = match?.[1] === undefined ? undefined : await options.auth.principalFromToken(match[1]);
        if (principal === undefined)
          throw new AlcoveError('unauthenticated', 'That API token is not valid, or has been revoked.');
      } else {
        const value = request.cookies[SESSION_COOKIE];
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
      const actor = await options.auth.actorFor(principal);
      if (actor === undefined)
        throw new AlcoveError('unauthenticated', 'This account has no access to a practice.');
      request.context = new RequestContext(options.vault, actor, options.auth.clock);
    });
  },
  { name: 'alcove-auth' },
);
