import {
  consentTypeSchema,
  daySchema,
  newConsentSchema,
  newGillickAssessmentSchema,
  unreadableSchema,
  withdrawConsentSchema,
} from '@alcove/core';
import { unreadableOf } from '@alcove/store';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { contextOf } from '../auth/plugin.ts';
import { ConsentsContext } from '../consents-context.ts';

/** A client's consents and Gillick assessments (ConsentsContext). */
const clientParams = z.strictObject({ clientId: z.uuid() });
const consentSchema = z.strictObject({
  id: z.string(),
  type: consentTypeSchema,
  caseId: z.string().nullable(),
  recipient: z.string().nullable(),
  /** Of the recipient: null when read (or there is none); "tampered" or "shredded" when it cannot be. */
  unreadable: unreadableSchema,
  givenOn: daySchema,
  givenBy: z.string(),
  mode: z.string(),
  withdrawnOn: daySchema.nullable(),
});

export const consentRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/clients/:clientId/consents',
    {
      schema: {
        summary: 'A client’s consents; with ?on=yyyy-MM-dd, those in force on that day',
        tags: ['consents'],
        params: clientParams,
        querystring: z.strictObject({ on: daySchema.optional() }),
        response: { 200: z.strictObject({ consents: z.array(consentSchema) }) },
      },
    },
    async (request) => ({
      consents: (
        await contextOf(request).as(ConsentsContext).consents(request.params.clientId, request.query.on)
      ).map((c) => ({
        id: c.id,
        type: c.type as z.infer<typeof consentTypeSchema>,
        caseId: c.caseId,
        recipient: c.recipient?.ok === true ? c.recipient.value.reveal() : null,
        unreadable: c.recipient === null ? null : unreadableOf(c.recipient),
        givenOn: c.givenOn,
        givenBy: c.givenBy,
        mode: c.mode,
        withdrawnOn: c.withdrawnOn,
      })),
    }),
  );

  app.post(
    '/clients/:clientId/consents',
    {
      schema: {
        summary: 'Record a consent the client (or their appropriate adult) has given',
        tags: ['consents'],
        params: clientParams,
        body: newConsentSchema,
        response: { 201: z.strictObject({ id: z.string() }) },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(
          await contextOf(request).as(ConsentsContext).giveConsent(request.params.clientId, request.body),
        ),
  );

  app.post(
    '/clients/:clientId/consents/:consentId/withdraw',
    {
      schema: {
        summary: 'Record the withdrawal of a consent (from that day on)',
        tags: ['consents'],
        params: z.strictObject({ clientId: z.uuid(), consentId: z.uuid() }),
        body: withdrawConsentSchema,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      await contextOf(request)
        .as(ConsentsContext)
        .withdrawConsent(request.params.clientId, request.params.consentId, request.body.withdrawnOn);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/clients/:clientId/gillick-assessments',
    {
      schema: {
        summary: 'Record a Gillick competence assessment (GT-27)',
        tags: ['consents'],
        params: clientParams,
        body: newGillickAssessmentSchema,
        response: { 201: z.strictObject({ id: z.string() }) },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(
          await contextOf(request).as(ConsentsContext).recordGillick(request.params.clientId, request.body),
        ),
  );
};
