import {
  mfaChallengeSchema,
  mfaEnrolmentSchema,
  recoveryCodesSchema,
  sessionInfoSchema,
  signInResultSchema,
  signInSchema,
  totpCodeSchema,
} from '@alcove/core';
import { sessionKiosk } from '@alcove/store';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { auditSourceOf } from '../audit-source.ts';
import { clearSessionCookie, principalOf, setSessionCookie } from '../auth/plugin.ts';
import type { AuthService } from '../auth/service.ts';

export const authRoutes: FastifyPluginAsyncZod<{
  auth: AuthService;
  signInRateLimit: number;
  practiceSummary: (id: string) => Promise<{ id: string; name: string; demo: boolean } | undefined>;
  unusedRecoveryCodes: (userId: string) => Promise<number>;
}> = async (app, { auth, signInRateLimit, practiceSummary, unusedRecoveryCodes }) => {
  const signInLimit = { max: signInRateLimit, timeWindow: '1 minute' };

  app.post(
    '/auth/sign-in',
    {
      config: { access: 'public', rateLimit: signInLimit },
      schema: {
        summary: 'Sign in with e-mail and password',
        tags: ['auth'],
        body: signInSchema,
        response: { 200: signInResultSchema },
      },
    },
    async (request, reply) => {
      const result = await auth.signIn(request.body.email, request.body.password, auditSourceOf(request));
      setSessionCookie(request, reply, result.cookie);
      return { stage: result.stage, csrfToken: result.csrfToken };
    },
  );

  app.get(
    '/auth/session',
    {
      // A signing kiosk asks too: the answer says where the web app must stay.
      config: { access: 'signing-in', kiosk: true },
      schema: {
        summary: 'The current session: stage, user, practice, timeouts',
        tags: ['auth'],
        response: { 200: sessionInfoSchema },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      if (principal.kind !== 'session') throw new Error('unreachable: signing-in routes have sessions');
      const { session } = principal;
      const practice = session.practice_id === null ? undefined : await practiceSummary(session.practice_id);
      const actor = session.stage === 'active' ? await auth.actorFor(principal) : undefined;
      return {
        stage: session.stage as 'mfa-enrol' | 'mfa-challenge' | 'active',
        csrfToken: session.csrf_token,
        kiosk: sessionKiosk(session) ?? null,
        user: { id: session.user_id, name: await auth.displayName(session.user_id, session.practice_id) },
        practice: practice ?? null,
        // Before the second factor, the roles in the session's practice say only whose account
        // it is (a client's portal, or staff's), so the set-up page speaks to them (issue 16).
        // What a session may do is decided by its actor alone, once signed in.
        roles:
          actor !== undefined
            ? [...actor.roles]
            : session.stage === 'active' ||
                session.practice_id === null ||
                sessionKiosk(session) !== undefined
              ? []
              : [
                  ...((await auth.practicesOf(session.user_id)).find((p) => p.id === session.practice_id)
                    ?.roles ?? []),
                ],
        idleTimeoutSeconds: auth.policy.idleSeconds,
        expiresAt: auth.expiresAt(session),
        recoveryCodesLeft: await unusedRecoveryCodes(session.user_id),
        // Active in several practices, the session starts with none: the person chooses (issue 16).
        choosePractice: session.practice_id === null,
        // Only once signed in, and never on a signing kiosk.
        practices:
          session.stage !== 'active' || sessionKiosk(session) !== undefined
            ? []
            : (await auth.practicesOf(session.user_id)).map((p) => ({ ...p, roles: [...p.roles] })),
      };
    },
  );

  app.get(
    '/auth/mfa/enrolment',
    {
      config: { access: 'signing-in' },
      schema: {
        summary: 'The authenticator secret to enrol, with its QR code',
        tags: ['auth'],
        response: { 200: mfaEnrolmentSchema },
      },
    },
    async (request) => auth.mfaEnrolment(principalOf(request)),
  );

  app.post(
    '/auth/mfa/enrol',
    {
      config: { access: 'signing-in', rateLimit: signInLimit },
      schema: {
        summary: 'Confirm the authenticator with a first code',
        tags: ['auth'],
        body: totpCodeSchema,
        response: { 200: recoveryCodesSchema.extend({ csrfToken: z.string() }) },
      },
    },
    async (request, reply) => {
      const result = await auth.completeEnrolment(principalOf(request), request.body.code);
      setSessionCookie(request, reply, result.cookie);
      return { recoveryCodes: result.recoveryCodes, csrfToken: result.csrfToken };
    },
  );

  app.post(
    '/auth/mfa/challenge',
    {
      config: { access: 'signing-in', rateLimit: signInLimit },
      schema: {
        summary: 'Finish signing in with an authenticator code or a recovery code',
        tags: ['auth'],
        body: mfaChallengeSchema,
        response: { 200: signInResultSchema },
      },
    },
    async (request, reply) => {
      const result = await auth.completeChallenge(principalOf(request), request.body);
      setSessionCookie(request, reply, result.cookie);
      return { stage: result.stage, csrfToken: result.csrfToken };
    },
  );

  app.post(
    '/auth/sign-out',
    {
      // Allowed on a signing kiosk: it ends the practitioner's session, which leaves nothing to see.
      config: { access: 'signing-in', kiosk: true },
      schema: {
        summary: 'Sign out: the session ends on the server',
        tags: ['auth'],
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      await auth.signOut(principalOf(request));
      clearSessionCookie(request, reply);
      return reply.code(204).send(null);
    },
  );
};
