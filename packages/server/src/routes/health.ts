import { healthSchema } from '@alcove/core';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ALCOVE_VERSION } from '../version.ts';

export const healthRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/health',
    {
      config: { access: 'public' },
      schema: {
        summary: 'Is Alcove up, and on which database',
        tags: ['system'],
        response: { 200: healthSchema },
      },
    },
    async () => ({
      status: 'ok' as const,
      version: ALCOVE_VERSION,
      engine: app.alcove.engine,
      schemaVersion: await app.alcove.schemaVersion(),
    }),
  );
};
