import {
  AlcoveError,
  apiTokenSummarySchema,
  changePasswordSchema,
  createdApiTokenSchema,
  newApiTokenSchema,
  reauthenticatedSchema,
  reauthenticateSchema,
  recoveryCodesSchema,
} from '@alcove/core';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { contextOf, principalOf, setSessionCookie } from '../auth/plugin.ts';
import type { AuthService } from '../auth/service.ts';
import type { RouteServices } from '../route-services.ts';

/** The signed-in person's own account: password, recovery codes, API tokens. */
export const accountRoutes: FastifyPluginAsyncZod<{
  auth: AuthService;
  tokens: RouteServices['tokens'];
}> = async (app, { auth, tokens }) => {
  app.post(
    '/account/password',
    {
      schema: {
        summary: 'Change your password (ends your other sessions)',
        tags: ['account'],
        body: changePasswordSchema,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      await auth.changePassword(principalOf(request), request.body.currentPassword, request.body.newPassword);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/account/reauthenticate',
    {
      schema: {
        summary:
          'Confirm it is you (password and authenticator code): the session moves to a new id and for 5 minutes may make API tokens and new recovery codes',
        tags: ['account'],
        body: reauthenticateSchema,
        response: { 200: reauthenticatedSchema },
      },
    },
    async (request, reply) => {
      const result = await auth.reauthenticate(
        principalOf(request),
        request.body.password,
        request.body.code,
      );
      setSessionCookie(request, reply, result.cookie);
      return { csrfToken: result.csrfToken, reauthenticatedUntil: result.reauthenticatedUntil };
    },
  );

  app.post(
    '/account/recovery-codes',
    {
      schema: {
        summary:
          'Replace your recovery codes (the old ones stop working); needs a re-authenticated browser session',
        tags: ['account'],
        body: z.strictObject({}),
        response: { 200: recoveryCodesSchema },
      },
    },
    async (request) => ({ recoveryCodes: await auth.newRecoveryCodes(principalOf(request)) }),
  );

  app.get(
    '/account/tokens',
    {
      schema: {
        summary: 'Your API tokens',
        tags: ['account'],
        response: { 200: z.strictObject({ tokens: z.array(apiTokenSummarySchema) }) },
      },
    },
    async (request) => ({ tokens: await tokens.list(contextOf(request).actor) }),
  );

  app.post(
    '/account/tokens',
    {
      schema: {
        summary:
          'Create an API token for a script (shown once): a practitioner or administrator, in a browser session re-authenticated in the last 5 minutes',
        tags: ['account'],
        body: newApiTokenSchema,
        response: { 201: createdApiTokenSchema },
      },
    },
    async (request, reply) => {
      const { actor } = contextOf(request);
      const created = await tokens.create(principalOf(request), actor, request.body);
      return reply.code(201).send(created);
    },
  );

  app.delete(
    '/account/tokens/:tokenId',
    {
      schema: {
        summary:
          'Revoke one of your API tokens: a token may revoke itself; anything else needs a browser session re-authenticated in the last 5 minutes',
        tags: ['account'],
        params: z.strictObject({ tokenId: z.uuid() }),
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      const { actor } = contextOf(request);
      // A token ending itself is like signing out; ending any other one, from a browser,
      // needs password and code again: a stolen cookie must not cut off the owner (V7.5.2).
      const principal = principalOf(request);
      if (!(principal.kind === 'token' && principal.tokenId === request.params.tokenId))
        auth.requireRecentReauthentication(principal);
      const revoked = await tokens.revoke(actor, request.params.tokenId);
      if (!revoked) throw new AlcoveError('not-found', 'You have no such token.');
      return reply.code(204).send(null);
    },
  );
};
