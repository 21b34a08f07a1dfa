import { practiceSummarySchema } from '@alcove/core';
import { listPractices, type Practice } from '@alcove/store';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';

// Field by field: a stored record is never sent as it is.
function presentPractice(practice: Practice): z.infer<typeof practiceSummarySchema> {
  return {
    id: practice.id,
    name: practice.name,
    createdAt: practice.createdAt,
    demo: practice.demo,
  };
}

export const practiceRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/practices',
    {
      schema: {
        summary: 'The practices this Alcove holds',
        tags: ['practice'],
        response: { 200: z.strictObject({ practices: z.array(practiceSummarySchema) }) },
      },
    },
    async () => ({ practices: (await listPractices(app.alcove.store.db)).map(presentPractice) }),
  );
};
