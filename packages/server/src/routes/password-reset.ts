import {
  issuedPasswordResetSchema,
  passwordResetPreviewSchema,
  passwordResetRequestedSchema,
  passwordResetRequestSchema,
  passwordResetSchema,
  passwordResetTokenSchema,
  signInResultSchema,
} from '@alcove/core';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { auditSourceOf } from '../audit-source.ts';
import { contextOf, setSessionCookie } from '../auth/plugin.ts';
import type { AuthService } from '../auth/service.ts';
import { PasswordResetContext } from '../password-reset.ts';
import type { RouteServices } from '../route-services.ts';

/**
 * Resetting a forgotten password (issue 16, ASVS V6.4.3): asked for by address (always the
 * same answer), or issued by an administrator; used once, within the hour, and followed by
 * the second factor as at sign-in.
 */
export const passwordResetRoutes: FastifyPluginAsyncZod<{
  resets: RouteServices['passwordResets'];
  auth: AuthService;
  signInRateLimit: number;
}> = async (app, { resets, auth, signInRateLimit }) => {
  const limit = { max: signInRateLimit, timeWindow: '1 minute' };

  app.post(
    '/auth/password-reset/request',
    {
      config: { access: 'public', rateLimit: limit },
      schema: {
        summary:
          'Ask for a link to reset a forgotten password: the same answer whether or not the address has an account',
        tags: ['auth'],
        body: passwordResetRequestSchema,
        response: { 202: passwordResetRequestedSchema },
      },
    },
    async (request, reply) => {
      const { message, queued } = await resets.request({
        email: request.body.email,
        now: auth.clock().toISOString(),
      });
      if (queued) request.server.alcove.mailer.kick();
      return reply.code(202).send({ message });
    },
  );

  app.post(
    '/auth/password-reset/preview',
    {
      config: { access: 'public', rateLimit: limit },
      schema: {
        summary: 'Whether a password reset link still works, and until when',
        tags: ['auth'],
        body: passwordResetTokenSchema,
        response: { 200: passwordResetPreviewSchema },
      },
    },
    async (request) => resets.preview(request.body.token, auth.clock().toISOString()),
  );

  app.post(
    '/auth/password-reset',
    {
      config: { access: 'public', rateLimit: limit },
      schema: {
        summary:
          'Set a new password with a reset link: every session and API token ends, then the second factor as at sign-in',
        tags: ['auth'],
        body: passwordResetSchema,
        response: { 200: signInResultSchema },
      },
    },
    async (request, reply) => {
      const result = await resets.reset({
        token: request.body.token,
        password: request.body.password,
        now: auth.clock().toISOString(),
        source: auditSourceOf(request),
      });
      setSessionCookie(request, reply, result.cookie);
      return { stage: result.stage, csrfToken: result.csrfToken };
    },
  );

  app.post(
    '/people/:userId/password-reset',
    {
      schema: {
        summary:
          'Reset a staff member’s password: e-mailed to them, or, where the practice’s e-mail is captured or not set up, the link shown once in this answer',
        tags: ['people'],
        params: z.strictObject({ userId: z.uuid() }),
        body: z.strictObject({}).optional(),
        response: { 200: issuedPasswordResetSchema },
      },
    },
    async (request) => {
      const issued = await contextOf(request)
        .as(PasswordResetContext)
        .issue(request.params.userId, `${request.protocol}://${request.host}`);
      if (issued.delivery === 'sent') request.server.alcove.mailer.kick();
      return issued;
    },
  );
};
