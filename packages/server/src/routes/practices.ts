import { practiceSummarySchema } from '@alcove/core';
import type { Practice } from '@alcove/store';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { contextOf } from '../auth/plugin.ts';

// Field by field: a stored record is never sent as it is.
function presentPractice(practice: Practice): z.infer<typeof practiceSummarySchema> {
  return { id: practice.id, name: practice.name, createdAt: practice.createdAt, demo: practice.demo };
}

export const practiceRoutes: FastifyPluginAsyncZod<{
  practiceOf: (practiceId: string) => Promise<Practice | undefined>;
}> = async (app, { practiceOf }) => {
  app.get(
    '/practices',
    {
      schema: {
        summary: 'The practice you are signed in to',
        tags: ['practice'],
        response: { 200: z.strictObject({ practices: z.array(practiceSummarySchema) }) },
      },
    },
    async (request) => {
      const practice = await practiceOf(contextOf(request).actor.practiceId);
      return { practices: practice === undefined ? [] : [presentPractice(practice)] };
    },
  );
};
