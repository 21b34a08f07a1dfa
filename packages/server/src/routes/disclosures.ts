import {
  DEFAULT_LEGAL_BASES,
  DEFAULT_WITHHOLD_BASES,
  daySchema,
  legalBasisSchema,
  newDisclosureSchema,
  unreadableSchema,
} from '@alcove/core';
import { unreadableOf } from '@alcove/store';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { contextOf } from '../auth/plugin.ts';
import { DisclosuresContext } from '../disclosures-context.ts';
import { PortalContext } from '../portal-context.ts';

const disclosureSchema = z.strictObject({
  id: z.string(),
  clientId: z.string(),
  disclosedOn: daySchema,
  legalBasis: z.string(),
  withheldFromClient: z.boolean(),
  recipient: z.string().nullable(),
  what: z.string().nullable(),
  legalBasisDetail: z.string().nullable(),
  whyNoConsent: z.string().nullable(),
  justification: z.string().nullable(),
  withholdBasis: z.string().nullable(),
  /** Of the sealed details (recipient to withholding basis): null when read. */
  unreadable: unreadableSchema,
});

/** Disclosures without consent (PG5-2), the practice's legal bases, and the client's own view. */
export const disclosureRoutes: FastifyPluginAsyncZod = async (app) => {
  const disclosures = (request: Parameters<typeof contextOf>[0]) => contextOf(request).as(DisclosuresContext);

  app.get(
    '/settings/legal-bases',
    {
      schema: {
        summary:
          'The legal bases the practice records disclosures under, and common bases for withholding them',
        tags: ['settings'],
        response: {
          200: z.strictObject({
            bases: z.array(legalBasisSchema),
            withholdBases: z.array(legalBasisSchema),
          }),
        },
      },
    },
    async (request) => ({
      bases: await disclosures(request).legalBases(),
      withholdBases: [...DEFAULT_WITHHOLD_BASES],
    }),
  );

  app.put(
    '/settings/legal-bases',
    {
      schema: {
        summary: `Set the practice's legal bases (Alcove starts with ${DEFAULT_LEGAL_BASES.length} in current law)`,
        tags: ['settings'],
        body: z.strictObject({ bases: z.array(legalBasisSchema).min(1).max(100) }),
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      await disclosures(request).setLegalBases(request.body.bases);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/cases/:caseId/disclosures',
    {
      schema: {
        summary: 'Record a disclosure made without consent (PG5-2), optionally withheld from the client',
        tags: ['disclosures'],
        params: z.strictObject({ caseId: z.uuid() }),
        body: newDisclosureSchema,
        response: { 201: z.strictObject({ id: z.string() }) },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await disclosures(request).record(request.params.caseId, request.body)),
  );

  app.get(
    '/cases/:caseId/disclosures',
    {
      schema: {
        summary: 'The case’s disclosures without consent',
        tags: ['disclosures'],
        params: z.strictObject({ caseId: z.uuid() }),
        response: { 200: z.strictObject({ disclosures: z.array(disclosureSchema) }) },
      },
    },
    async (request) => ({
      disclosures: (await disclosures(request).ofCase(request.params.caseId)).map((d) => {
        const details = d.details.ok ? d.details.value.reveal() : undefined;
        return {
          id: d.id,
          clientId: d.clientId,
          disclosedOn: d.disclosedOn,
          legalBasis: d.legalBasis,
          withheldFromClient: d.withheldFromClient,
          recipient: details?.recipient ?? null,
          what: details?.what ?? null,
          legalBasisDetail: details?.legalBasisDetail ?? null,
          whyNoConsent: details?.whyNoConsent ?? null,
          justification: details?.justification ?? null,
          withholdBasis: details?.withholdBasis ?? null,
          unreadable: unreadableOf(d.details),
        };
      }),
    }),
  );

  app.get(
    '/portal/disclosures',
    {
      schema: {
        summary: 'Disclosures made about you without your consent, where the law lets you be told (PG5-2)',
        tags: ['portal'],
        response: {
          200: z.strictObject({
            disclosures: z.array(
              z.strictObject({
                id: z.string(),
                disclosedOn: daySchema,
                recipient: z.string().nullable(),
                legalBasis: z.string(),
                unreadable: unreadableSchema,
              }),
            ),
          }),
        },
      },
    },
    async (request) => ({
      disclosures: (await contextOf(request).as(PortalContext).disclosures()).map((d) => ({
        id: d.id,
        disclosedOn: d.disclosedOn,
        recipient: d.details.ok ? d.details.value.reveal().recipient : null,
        legalBasis: d.legalBasis,
        unreadable: unreadableOf(d.details),
      })),
    }),
  );
};
