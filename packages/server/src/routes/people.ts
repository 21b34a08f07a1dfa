import {
  AlcoveError,
  accountPracticesSchema,
  choosePracticeSchema,
  createdStaffInvitationSchema,
  joinPreviewSchema,
  joinSchema,
  joinTokenSchema,
  newStaffInvitationSchema,
  peopleSchema,
  personSchema,
  setRolesSchema,
  signInResultSchema,
} from '@alcove/core';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { auditSourceOf } from '../audit-source.ts';
import { contextOf, principalOf, setSessionCookie } from '../auth/plugin.ts';
import type { AuthService } from '../auth/service.ts';
import { PeopleContext } from '../people-context.ts';
import type { RouteServices } from '../route-services.ts';

/**
 * The practice's people (issue 16): administrators invite, list, change roles, suspend,
 * reinstate and remove staff; an invited person joins by the link. Ending an account's
 * sessions alone is `POST /people/:userId/sessions/end` (routes of the account's sessions).
 */
export const peopleRoutes: FastifyPluginAsyncZod<{
  staff: RouteServices['staff'];
  auth: AuthService;
  joinRateLimit: number;
}> = async (app, { staff, auth, joinRateLimit }) => {
  const people = (request: Parameters<typeof contextOf>[0]) => contextOf(request).as(PeopleContext);
  const userParams = z.strictObject({ userId: z.uuid() });
  const joinLimit = { max: joinRateLimit, timeWindow: '1 minute' };

  app.get(
    '/people',
    {
      schema: {
        summary: 'The practice’s staff and the invitations waiting (administrators)',
        tags: ['people'],
        response: { 200: peopleSchema },
      },
    },
    async (request) => people(request).list(),
  );

  app.post(
    '/people/invitations',
    {
      schema: {
        summary:
          'Invite someone to the practice’s staff with roles: e-mailed, or, where the practice’s e-mail is captured or not set up, the link shown once in this answer',
        tags: ['people'],
        body: newStaffInvitationSchema,
        response: { 201: createdStaffInvitationSchema },
      },
    },
    async (request, reply) => {
      const created = await people(request).invite(request.body, `${request.protocol}://${request.host}`);
      if (created.delivery === 'sent') request.server.alcove.mailer.kick();
      return reply.code(201).send(created);
    },
  );

  app.delete(
    '/people/invitations/:invitationId',
    {
      schema: {
        summary: 'Withdraw an invitation not yet taken up',
        tags: ['people'],
        params: z.strictObject({ invitationId: z.uuid() }),
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      await people(request).withdraw(request.params.invitationId);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/people/join/preview',
    {
      config: { access: 'public', rateLimit: joinLimit },
      schema: {
        summary: 'What an invitation is for: the practice, the roles, and whether the address has an account',
        tags: ['people'],
        body: joinTokenSchema,
        response: { 200: joinPreviewSchema },
      },
    },
    async (request) => staff.preview(request.body.token, auth.clock().toISOString()),
  );

  app.post(
    '/people/join',
    {
      config: { access: 'public', rateLimit: joinLimit },
      schema: {
        summary:
          'Take up an invitation: choose a password (or give your account’s own), then go on to the second factor as at sign-in',
        tags: ['people'],
        body: joinSchema,
        response: { 200: signInResultSchema },
      },
    },
    async (request, reply) => {
      const joined = await staff.join({
        token: request.body.token,
        name: request.body.name,
        password: request.body.password,
        now: auth.clock().toISOString(),
        source: auditSourceOf(request),
      });
      setSessionCookie(request, reply, joined.cookie);
      return { stage: joined.stage, csrfToken: joined.csrfToken };
    },
  );

  app.put(
    '/people/:userId/roles',
    {
      schema: {
        summary:
          'Set a staff member’s roles: their sessions and API tokens end; refused if no active administrator would be left',
        tags: ['people'],
        params: userParams,
        body: setRolesSchema,
        response: { 200: personSchema },
      },
    },
    async (request) => people(request).setRoles(request.params.userId, request.body.roles),
  );

  app.post(
    '/people/:userId/suspend',
    {
      schema: {
        summary: 'Suspend a staff member from this practice: their sessions and API tokens end at once',
        tags: ['people'],
        params: userParams,
        body: z.strictObject({}).optional(),
        response: { 200: personSchema },
      },
    },
    async (request) => people(request).suspend(request.params.userId),
  );

  app.post(
    '/people/:userId/reinstate',
    {
      schema: {
        summary: 'Reinstate a suspended staff member',
        tags: ['people'],
        params: userParams,
        body: z.strictObject({}).optional(),
        response: { 200: personSchema },
      },
    },
    async (request) => people(request).reinstate(request.params.userId),
  );

  app.delete(
    '/people/:userId',
    {
      schema: {
        summary:
          'Remove a staff member from this practice (their account and other practices stay); their sessions and API tokens end',
        tags: ['people'],
        params: userParams,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      await people(request).remove(request.params.userId);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/auth/practices',
    {
      // Also before a practice is chosen: that is what it is for.
      config: { access: 'signing-in' },
      schema: {
        summary: 'The practices the signed-in account is an active member of, with its roles in each',
        tags: ['auth'],
        response: { 200: accountPracticesSchema },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      if (principal.kind !== 'session') throw new Error('unreachable: signing-in routes have sessions');
      if (principal.session.stage !== 'active')
        throw new AlcoveError(
          'mfa-required',
          'Enter the code from your authenticator app to finish signing in.',
        );
      const practices = await auth.practicesOf(principal.session.user_id);
      return { practices: practices.map((p) => ({ ...p, roles: [...p.roles] })) };
    },
  );

  app.post(
    '/auth/practice',
    {
      config: { access: 'signing-in' },
      schema: {
        summary:
          'Choose, or switch to, one of your practices: the session moves on under a new id and CSRF token, without signing in again',
        tags: ['auth'],
        body: choosePracticeSchema,
        response: { 200: signInResultSchema },
      },
    },
    async (request, reply) => {
      const chosen = await staff.choosePractice(
        principalOf(request),
        request.body.practiceId,
        auth.clock().toISOString(),
      );
      setSessionCookie(request, reply, chosen.cookie);
      return { stage: chosen.stage, csrfToken: chosen.csrfToken };
    },
  );
};
