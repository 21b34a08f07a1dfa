import {
  catalogue,
  cpdRequirementSchema,
  daySchema,
  integrityFindingSchema,
  newProfileItemSchema,
  overrideSchema,
  profileDetailsSchema,
  profileSchema,
  rulesForClause,
} from '@alcove/core';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { contextOf } from '../auth/plugin.ts';
import { ProfileContext } from '../profile-context.ts';

const overridesSchema = z.array(
  z.strictObject({
    clause: z.string(),
    reason: z.string(),
    command: z.string(),
    createdAt: z.iso.datetime(),
  }),
);
const profileResponseSchema = z.strictObject({ profile: profileSchema, overrides: overridesSchema });
const findingSchema = z.strictObject({
  key: z.string(),
  rule: z.string(),
  clause: z.string(),
  clauseText: z.string(),
  duty: z.enum(['must', 'should', 'principle']),
  severity: z.enum(['high', 'medium', 'low']),
  title: z.string(),
  action: z.string(),
  since: daySchema,
  section: z.string(),
});
const complianceSchema = z.strictObject({
  today: daySchema,
  findings: z.array(findingSchema),
  cpd: z.strictObject({
    requirement: cpdRequirementSchema,
    year: z.strictObject({ start: daySchema, end: daySchema }),
    totals: z.strictObject({ total: z.number(), sexAndRelationship: z.number(), faceToFace: z.number() }),
  }),
  upcoming: z.array(z.strictObject({ what: z.string(), date: daySchema, clause: z.string() })),
  /** Items that failed their integrity check, in records you may see, until they are put right. */
  integrity: z.array(integrityFindingSchema),
});
const clausesSchema = z.strictObject({
  clauses: z.array(
    z.strictObject({
      id: z.string(),
      source: z.string(),
      section: z.string(),
      heading: z.string(),
      text: z.string(),
      duty: z.enum(['must', 'should', 'principle']),
      status: z.enum(['enforced', 'checked', 'recorded', 'planned', 'out-of-scope']),
      /** The registered rules that enforce or check it (core/code/registry.ts). */
      rules: z.array(z.string()),
      note: z.string().nullable(),
    }),
  ),
});
const itemParams = z.strictObject({ itemId: z.uuid() });

export const profileRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/clauses',
    {
      config: { access: 'public' },
      schema: {
        summary: 'Every clause of the Code and what Alcove does about it',
        tags: ['code'],
        response: { 200: clausesSchema },
      },
    },
    async () => ({
      clauses: catalogue.map((c) => ({
        id: c.id,
        source: c.source,
        section: c.section,
        heading: c.heading,
        text: c.text,
        duty: c.duty,
        status: c.status,
        rules: [...new Set(rulesForClause(c.id).map((r) => r.id))],
        note: c.note ?? null,
      })),
    }),
  );

  app.get(
    '/profile',
    {
      schema: {
        summary: 'Your professional record, with any recorded overrides',
        tags: ['profile'],
        response: { 200: profileResponseSchema },
      },
    },
    async (request) => {
      const { profile, overrides } = await contextOf(request).as(ProfileContext).readProfile();
      return {
        profile,
        overrides: overrides.map((o) => ({
          clause: o.clause,
          reason: o.reason,
          command: o.command,
          createdAt: o.createdAt,
        })),
      };
    },
  );

  app.post(
    '/profile/items',
    {
      schema: {
        summary:
          'Add insurance, a DBS certificate, training, a qualification, a career break, a COSRT notification or CPD',
        tags: ['profile'],
        body: newProfileItemSchema,
        response: { 201: z.strictObject({ id: z.string() }) },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await contextOf(request).as(ProfileContext).addProfileItem(request.body)),
  );

  app.delete(
    '/profile/items/:itemId',
    {
      schema: {
        summary: 'Remove an item from your record (earlier versions are kept)',
        tags: ['profile'],
        params: itemParams,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      await contextOf(request).as(ProfileContext).removeProfileItem(request.params.itemId);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/profile/notifications/:itemId/notified',
    {
      schema: {
        summary: 'Record the day COSRT was told (GT-107, GT-108)',
        tags: ['profile'],
        params: itemParams,
        body: z.strictObject({ notifiedOn: daySchema }),
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      await contextOf(request)
        .as(ProfileContext)
        .markNotified(request.params.itemId, request.body.notifiedOn);
      return reply.code(204).send(null);
    },
  );

  app.put(
    '/profile/details',
    {
      schema: {
        summary: 'Your practice details, supervisor and executor; a "should" may be overridden with a reason',
        tags: ['profile'],
        body: z.strictObject({ details: profileDetailsSchema, override: overrideSchema.optional() }),
        response: { 200: z.strictObject({ profile: profileSchema }) },
      },
    },
    async (request) => ({
      profile: await contextOf(request)
        .as(ProfileContext)
        .updateDetails(request.body.details, request.body.override),
    }),
  );

  app.get(
    '/profile/connections',
    {
      schema: {
        summary: 'Your declared personal connections, checked at every intake (GT-28)',
        tags: ['profile'],
        response: {
          200: z.strictObject({
            connections: z.array(
              z.strictObject({
                id: z.string(),
                relation: z.string(),
                name: z.string(),
                createdAt: z.iso.datetime(),
              }),
            ),
          }),
        },
      },
    },
    async (request) => ({
      connections: (await contextOf(request).as(ProfileContext).listConnections()).map((c) => ({
        id: c.id,
        relation: c.relation,
        name: c.name.reveal(),
        createdAt: c.createdAt,
      })),
    }),
  );

  app.post(
    '/profile/connections',
    {
      schema: {
        summary: 'Declare a partner, relative, friend or associate',
        tags: ['profile'],
        body: z.strictObject({
          relation: z.enum(['partner', 'relative', 'friend', 'associate']),
          name: z.string().trim().min(1).max(200),
          dateOfBirth: daySchema.optional(),
        }),
        response: { 201: z.strictObject({ id: z.string() }) },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await contextOf(request).as(ProfileContext).addConnection(request.body)),
  );

  app.delete(
    '/profile/connections/:connectionId',
    {
      schema: {
        summary: 'Remove a declared connection',
        tags: ['profile'],
        params: z.strictObject({ connectionId: z.uuid() }),
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      await contextOf(request).as(ProfileContext).removeConnection(request.params.connectionId);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/compliance',
    {
      schema: {
        summary: 'Your open findings, CPD year and upcoming deadlines',
        tags: ['profile'],
        response: { 200: complianceSchema },
      },
    },
    async (request) => {
      const result = await contextOf(request).as(ProfileContext).compliance();
      return {
        ...result,
        findings: result.findings.map((f) => {
          const entry = catalogue.find((c) => c.id === f.clause);
          return { ...f, clauseText: entry?.quote ?? '', duty: entry?.duty ?? 'must' };
        }),
      };
    },
  );

  app.get(
    '/settings/cpd',
    {
      schema: {
        summary: 'The practice’s CPD requirement, with its source',
        tags: ['settings'],
        response: { 200: cpdRequirementSchema },
      },
    },
    async (request) => contextOf(request).as(ProfileContext).readCpdRequirement(),
  );

  app.put(
    '/settings/cpd',
    {
      schema: {
        summary: 'Set the CPD requirement (administrators)',
        tags: ['settings'],
        body: cpdRequirementSchema,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      await contextOf(request).as(ProfileContext).setCpdRequirement(request.body);
      return reply.code(204).send(null);
    },
  );
};
