import {
  AlcoveError,
  apiTokenSummarySchema,
  changePasswordSchema,
  createdApiTokenSchema,
  newApiTokenSchema,
  recoveryCodesSchema,
} from '@alcove/core';
import { appendAuditEvent, createApiToken, listApiTokens, revokeApiToken, type Vault } from '@alcove/store';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { contextOf, principalOf } from '../auth/plugin.ts';
import { newBearerSecret, sha256Hex } from '../auth/secrets.ts';
import { type AuthService, TOKEN_PREFIX } from '../auth/service.ts';

/** The signed-in person's own account: password, recovery codes, API tokens. */
export const accountRoutes: FastifyPluginAsyncZod<{ auth: AuthService; vault: Vault }> = async (
  app,
  { auth, vault },
) => {
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
    '/account/recovery-codes',
    {
      schema: {
        summary: 'Replace your recovery codes (the old ones stop working)',
        tags: ['account'],
        body: z.strictObject({}),
        response: { 200: recoveryCodesSchema },
      },
    },
    async (request) => ({ recoveryCodes: await auth.newRecoveryCodes(contextOf(request).actor.userId) }),
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
    async (request) => {
      const rows = await listApiTokens(vault.db, contextOf(request).actor.userId);
      return {
        tokens: rows.map((r) => ({
          id: r.id,
          name: r.name,
          createdAt: r.created_at,
          lastUsedAt: r.last_used_at,
        })),
      };
    },
  );

  app.post(
    '/account/tokens',
    {
      schema: {
        summary: 'Create an API token for a script (shown once)',
        tags: ['account'],
        body: newApiTokenSchema,
        response: { 201: createdApiTokenSchema },
      },
    },
    async (request, reply) => {
      const { actor } = contextOf(request);
      const token = newBearerSecret(TOKEN_PREFIX);
      const now = auth.clock().toISOString();
      const created = await vault.db.transaction().execute(async (trx) => {
        const row = await createApiToken(trx, {
          userId: actor.userId,
          practiceId: actor.practiceId,
          name: request.body.name,
          tokenHash: sha256Hex(token),
          now,
        });

        await appendAuditEvent(trx, {
          actorId: actor.userId,
          practiceId: actor.practiceId,
          action: 'account.token-created',
          outcome: 'ok',
          recordType: 'api-token',
          recordId: row.id,
          purpose: 'security',
        });
        return row;
      });
      return reply.code(201).send({ id: created.id, name: request.body.name, token });
    },
  );

  app.delete(
    '/account/tokens/:tokenId',
    {
      schema: {
        summary: 'Revoke one of your API tokens',
        tags: ['account'],
        params: z.strictObject({ tokenId: z.uuid() }),
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      const { actor } = contextOf(request);
      const revoked = await vault.db.transaction().execute(async (trx) => {
        const done = await revokeApiToken(
          trx,
          actor.userId,
          request.params.tokenId,
          auth.clock().toISOString(),
        );
        if (done) {
          await appendAuditEvent(trx, {
            actorId: actor.userId,
            practiceId: actor.practiceId,
            action: 'account.token-revoked',
            outcome: 'ok',
            recordType: 'api-token',
            recordId: request.params.tokenId,
            purpose: 'security',
          });
        }
        return done;
      });
      if (!revoked) throw new AlcoveError('not-found', 'You have no such token.');
      return reply.code(204).send(null);
    },
  );
};
