import { newId } from '@alcove/core';
import type { Vault } from '@alcove/store';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import { z } from 'zod';

/**
 * The benchmarks' storage ceiling (`npm run bench`): one durable insert of a given size, committed
 * on its own, with nothing else — no session, no access check, no encryption, no audit. It
 * exists only when `alcove serve` is started with ALCOVE_BENCH_ROUTES=1 on a demo practice,
 * and writes only to its own table, `bench_insert`, which nothing else reads.
 */
export const benchRoutes: FastifyPluginAsyncZod<{ vault: Vault }> = async (app, { vault }) => {
  await vault.db.schema
    .createTable('bench_insert')
    .ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .execute();

  app.post(
    '/bench/durable-insert',
    {
      config: { access: 'public' },
      schema: {
        summary: 'Benchmarks only: one durable insert of the body, and nothing else',
        tags: ['system'],
        body: z.strictObject({ body: z.string().max(100_000) }),
        response: { 201: z.strictObject({ id: z.string() }) },
      },
    },
    async (request, reply) => {
      const id = newId();
      // One statement outside any transaction: the engine commits it on its own, with its own
      // fsync (not in a batch of other requests' transactions): the serial-commit ceiling.
      await sql`insert into bench_insert (id, body, at) values (${id}, ${request.body.body}, ${new Date().toISOString()})`.execute(
        vault.db,
      );
      return reply.code(201).send({ id });
    },
  );
};
