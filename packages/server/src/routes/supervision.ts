import { daySchema } from '@alcove/core';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { contextOf } from '../auth/plugin.ts';
import { SupervisionContext } from '../supervision-context.ts';

/** Supervision under pseudonyms (PG5-5): presenting a case, and the supervisor's view. */
export const supervisionRoutes: FastifyPluginAsyncZod = async (app) => {
  const supervision = (request: Parameters<typeof contextOf>[0]) => contextOf(request).as(SupervisionContext);

  app.get(
    '/supervision/supervisors',
    {
      schema: {
        summary: 'The practice’s supervisors, to present a case to',
        tags: ['supervision'],
        response: {
          200: z.strictObject({ supervisors: z.array(z.strictObject({ id: z.string(), name: z.string() })) }),
        },
      },
    },
    async (request) => ({ supervisors: await supervision(request).supervisors() }),
  );

  app.post(
    '/supervision/sessions',
    {
      schema: {
        summary: 'Log a supervision session with the supervisor your record names (GT-64)',
        tags: ['supervision'],
        body: z.strictObject({ heldOn: daySchema, minutes: z.number().int().min(10).max(600) }),
        response: { 201: z.strictObject({ id: z.string() }) },
      },
    },
    async (request, reply) => reply.code(201).send(await supervision(request).logSession(request.body)),
  );

  app.get(
    '/supervision/sessions',
    {
      schema: {
        summary: 'Your supervision sessions, newest first, with the hours in each year',
        tags: ['supervision'],
        response: {
          200: z.strictObject({
            sessions: z.array(
              z.strictObject({
                id: z.string(),
                heldOn: daySchema,
                minutes: z.number().int(),
                supervisorName: z.string(),
              }),
            ),
            hoursByYear: z.record(z.string(), z.number()),
          }),
        },
      },
    },
    async (request) => {
      const sessions = await supervision(request).sessions();
      const hoursByYear: Record<string, number> = {};
      for (const s of sessions) {
        const year = s.heldOn.slice(0, 4);
        hoursByYear[year] = Math.round(((hoursByYear[year] ?? 0) + s.minutes / 60) * 100) / 100;
      }
      return { sessions, hoursByYear };
    },
  );

  app.post(
    '/cases/:caseId/presentations',
    {
      schema: {
        summary:
          'Present a case to supervision under its pseudonym; material naming a client is refused (PG5-5)',
        tags: ['supervision'],
        params: z.strictObject({ caseId: z.uuid() }),
        body: z.strictObject({
          supervisorId: z.uuid(),
          presentedOn: daySchema,
          material: z.string().min(1).max(50_000),
        }),
        response: { 201: z.strictObject({ id: z.string() }) },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await supervision(request).present(request.params.caseId, request.body)),
  );

  app.get(
    '/cases/:caseId/presentations',
    {
      schema: {
        summary: 'What you have presented of this case to supervision',
        tags: ['supervision'],
        params: z.strictObject({ caseId: z.uuid() }),
        response: {
          200: z.strictObject({
            presentations: z.array(
              z.strictObject({
                id: z.string(),
                pseudonym: z.string(),
                supervisorId: z.string(),
                presentedOn: daySchema,
                material: z.string().nullable(),
              }),
            ),
          }),
        },
      },
    },
    async (request) => ({
      presentations: (await supervision(request).ofCase(request.params.caseId)).map((p) => ({
        id: p.id,
        pseudonym: p.pseudonym,
        supervisorId: p.supervisorId,
        presentedOn: p.presentedOn,
        material: p.material?.reveal() ?? null,
      })),
    }),
  );

  app.get(
    '/supervision/presentations',
    {
      schema: {
        summary: 'Cases presented to you, by pseudonym: never a name, contact detail or date of birth',
        tags: ['supervision'],
        response: {
          200: z.strictObject({
            presentations: z.array(
              z.strictObject({
                id: z.string(),
                pseudonym: z.string(),
                caseKind: z.string(),
                presentedOn: daySchema,
                presentedBy: z.string(),
                material: z.string().nullable(),
              }),
            ),
          }),
        },
      },
    },
    async (request) => ({
      presentations: (await supervision(request).presentedToMe()).map(
        ({ presentation: p, practitionerName }) => ({
          id: p.id,
          pseudonym: p.pseudonym,
          caseKind: p.caseKind,
          presentedOn: p.presentedOn,
          presentedBy: practitionerName,
          material: p.material?.reveal() ?? null,
        }),
      ),
    }),
  );
};
