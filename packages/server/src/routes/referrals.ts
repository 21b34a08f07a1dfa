import { AlcoveError, daySchema, INTEGRITY_FAILED_TEXT, unreadableSchema } from '@alcove/core';
import { unreadableOf } from '@alcove/store';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { contextOf } from '../auth/plugin.ts';
import { letterPdf, sendPdf } from '../pdf.ts';
import { ReferralsContext } from '../referrals-context.ts';

const caseParams = z.strictObject({ caseId: z.uuid() });

/** Referral letters (GT-21c) and declared dual relationships (GT-34, GT-35). */
export const referralRoutes: FastifyPluginAsyncZod = async (app) => {
  const referrals = (request: Parameters<typeof contextOf>[0]) => contextOf(request).as(ReferralsContext);

  app.post(
    '/cases/:caseId/referrals',
    {
      schema: {
        summary:
          'Write a referral letter from the client’s own record, with their consent to release (GT-21c, PG5-1)',
        tags: ['referrals'],
        params: caseParams,
        body: z.strictObject({
          clientId: z.uuid(),
          to: z.string().trim().min(2).max(300),
          reason: z.string().trim().min(3).max(5000),
        }),
        response: { 201: z.strictObject({ id: z.string() }) },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await referrals(request).write(request.params.caseId, request.body)),
  );

  app.get(
    '/cases/:caseId/referrals',
    {
      schema: {
        summary: 'The case’s referral letters',
        tags: ['referrals'],
        params: caseParams,
        response: {
          200: z.strictObject({
            referrals: z.array(
              z.strictObject({
                id: z.string(),
                clientId: z.string(),
                writtenAt: z.iso.datetime(),
                letter: z.string().nullable().describe('null when it cannot be read: `unreadable` says why'),
                unreadable: unreadableSchema,
              }),
            ),
          }),
        },
      },
    },
    async (request) => ({
      referrals: (await referrals(request).list(request.params.caseId)).map((r) => ({
        id: r.id,
        clientId: r.clientId,
        writtenAt: r.writtenAt,
        letter: r.letter.ok ? r.letter.value.reveal() : null,
        unreadable: unreadableOf(r.letter),
      })),
    }),
  );

  app.get(
    '/cases/:caseId/referrals/:referralId/pdf',
    {
      schema: {
        summary: 'A referral letter as a PDF',
        tags: ['referrals'],
        params: z.strictObject({ caseId: z.uuid(), referralId: z.uuid() }),
      },
    },
    async (request, reply) => {
      const referral = (await referrals(request).list(request.params.caseId)).find(
        (r) => r.id === request.params.referralId,
      );
      if (referral === undefined || (!referral.letter.ok && referral.letter.reason === 'shredded'))
        throw new AlcoveError('not-found', 'There is no such referral letter.');
      if (!referral.letter.ok)
        throw new AlcoveError(
          'conflict',
          `${INTEGRITY_FAILED_TEXT}: it is not shown, in a PDF or otherwise.`,
        );
      const pdf = await letterPdf({
        title: 'Referral letter',
        author: await contextOf(request).practiceName(),
        text: referral.letter.value.reveal(),
      });
      return sendPdf(reply, pdf, 'referral.pdf');
    },
  );

  app.post(
    '/cases/:caseId/dual-relationships',
    {
      schema: {
        summary:
          'Declare a relationship other than the clinical one: the supervisor is told, fees stop, the case moves to its ending (GT-34, GT-35)',
        tags: ['referrals'],
        params: caseParams,
        body: z.strictObject({
          declaredOn: daySchema,
          description: z.string().trim().min(3).max(5000),
          supervisorId: z.uuid(),
        }),
        response: { 201: z.strictObject({ id: z.string() }) },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await referrals(request).declareDual(request.params.caseId, request.body)),
  );

  app.get(
    '/cases/:caseId/dual-relationships',
    {
      schema: {
        summary:
          'Dual relationships declared on the case, the day fees stopped, and whether a referral is made',
        tags: ['referrals'],
        params: caseParams,
        response: {
          200: z.strictObject({
            dualRelationships: z.array(
              z.strictObject({
                id: z.string(),
                declaredOn: daySchema,
                feesStopOn: daySchema,
                description: z.string().nullable(),
                unreadable: unreadableSchema,
                referralMade: z.boolean(),
              }),
            ),
          }),
        },
      },
    },
    async (request) => {
      return {
        dualRelationships: (await referrals(request).dualRelationships(request.params.caseId)).map((d) => ({
          id: d.id,
          declaredOn: d.declaredOn,
          feesStopOn: d.feesStopOn,
          description: d.description.ok ? d.description.value.reveal() : null,
          unreadable: unreadableOf(d.description),
          referralMade: d.referralMade,
        })),
      };
    },
  );
};
