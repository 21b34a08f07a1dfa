import {
  accountSessionsSchema,
  endedSessionsSchema,
  endOtherSessionsSchema,
  sessionPublicIdSchema,
} from '@alcove/core';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { contextOf, principalOf } from '../auth/plugin.ts';
import type { AuthService } from '../auth/service.ts';
import { SessionsContext } from '../sessions-context.ts';

/** The stored id hash of the browser session making this request; null for an API token. */
function currentIdHash(request: FastifyRequest): string | null {
  const principal = principalOf(request);
  return principal.kind === 'session' ? principal.idHash : null;
}

/**
 * Sessions you can see (issue 16, finding 7): your own signed-in sessions and API tokens,
 * ending one or all the others; an administrator ending every session and token of a
 * staff member of their practice.
 */
export const sessionRoutes: FastifyPluginAsyncZod<{ auth: AuthService }> = async (app, { auth }) => {
  const sessions = (request: FastifyRequest) => contextOf(request).as(SessionsContext);

  app.get(
    '/account/sessions',
    {
      schema: {
        summary: 'Your signed-in sessions (when, from which address and browser) and your API tokens',
        tags: ['account'],
        response: { 200: accountSessionsSchema },
      },
    },
    async (request) => sessions(request).listOwn(currentIdHash(request), auth.policy),
  );

  app.delete(
    '/account/sessions/:sessionId',
    {
      schema: {
        summary:
          'End one of your other sessions (that browser is signed out on its next request); needs a browser session re-authenticated in the last 5 minutes',
        tags: ['account'],
        params: z.strictObject({ sessionId: sessionPublicIdSchema }),
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      // A stolen cookie must not throw the owner out: prove password and code first (V7.5.2).
      auth.requireRecentReauthentication(principalOf(request));
      await sessions(request).endOwn(request.params.sessionId, currentIdHash(request));
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/account/sessions/end-others',
    {
      schema: {
        summary:
          'End every session but this one; with tokens: true, revoke every API token as well; needs a browser session re-authenticated in the last 5 minutes',
        tags: ['account'],
        body: endOtherSessionsSchema,
        response: { 200: endedSessionsSchema },
      },
    },
    async (request) => {
      auth.requireRecentReauthentication(principalOf(request));
      return sessions(request).endOthers(currentIdHash(request), request.body.tokens);
    },
  );

  app.post(
    '/people/:userId/sessions/end',
    {
      schema: {
        summary: 'End every session and API token of a staff member of your practice (administrators)',
        tags: ['people'],
        params: z.strictObject({ userId: z.uuid() }),
        body: z.strictObject({}).optional(),
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      await sessions(request).endForPerson(request.params.userId);
      return reply.code(204).send(null);
    },
  );
};
