import { newResearchExportSchema } from '@alcove/core';
import { stringify } from 'csv-stringify/sync';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { contextOf } from '../auth/plugin.ts';
import { ResearchContext } from '../research-context.ts';

const COLUMNS = ['caseKind', 'ageBand', 'started', 'sessions', 'attendance'];

/** De-identified exports for publication, training and research (PG5-4, GT-113–GT-115). */
export const researchRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/research-exports',
    {
      schema: {
        summary:
          'A k-anonymous export of structured fields for clients whose written consent covers the use; fails rather than leak',
        tags: ['releases'],
        body: newResearchExportSchema,
        response: {
          200: z.strictObject({
            purpose: z.string(),
            k: z.number().int(),
            level: z.number().int(),
            included: z.number().int(),
            excluded: z.number().int(),
            rows: z.array(z.record(z.string(), z.string())),
          }),
        },
      },
    },
    async (request) => {
      const result = await contextOf(request).as(ResearchContext).export(request.body);
      return { purpose: request.body.purpose, k: request.body.k, ...result, rows: [...result.rows] };
    },
  );

  app.post(
    '/research-exports/csv',
    {
      schema: {
        summary: 'The same export as CSV',
        tags: ['releases'],
        body: newResearchExportSchema,
      },
    },
    async (request, reply) => {
      const result = await contextOf(request).as(ResearchContext).export(request.body);
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${request.body.purpose}-export.csv"`)
        .send(stringify([...result.rows], { header: true, columns: COLUMNS }));
    },
  );
};
