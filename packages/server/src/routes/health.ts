import { healthSchema } from '@alcove/core';
import { currentMigration } from '@alcove/store';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ALCOVE_VERSION } from '../version.ts';

export const healthRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/health',
    {
      schema: {
        summary: 'Is Alcove up, and on which database',
        tags: ['system'],
        response: { 200: healthSchema },
      },
    },
    async () => {
      const store = app.alcove.store;
      return {
        status: 'ok' as const,
        version: ALCOVE_VERSION,
        engine: store.engine,
        schemaVersion: (await currentMigration(store.db)) ?? 'none',
      };
    },
  );
};
