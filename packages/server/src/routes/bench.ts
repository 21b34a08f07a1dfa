import { newId } from '@alcove/core';
import type { Store, Vault } from '@alcove/store';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import { z } from 'zod';

/**
 * Routes for the benchmarks (`npm run bench`) only. They exist only when `alcove serve` is
 * started with ALCOVE_BENCH_ROUTES=1 on a demo practice, and touch no record:
 * - the storage ceiling: one durable insert of a given size, committed on its own, with
 *   nothing else (no session, no access check, no encryption, no audit), into a table of its
 *   own, `bench_insert`, which nothing else reads;
 * - the transfer ceiling: an answer of a given size, made of nothing;
 * - how many batches group commit has committed, and how many transactions they held.
 */
export const benchRoutes: FastifyPluginAsyncZod<{ vault: Vault; store: Store }> = async (
  app,
  { vault, store },
) => {
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

  app.get(
    '/bench/bytes/:size',
    {
      config: { access: 'public' },
      schema: {
        summary: 'Benchmarks only: an answer of about this many bytes, made of nothing',
        tags: ['system'],
        params: z.strictObject({ size: z.string().regex(/^\d{1,7}$/) }),
        response: { 200: z.strictObject({ filler: z.string() }) },
      },
    },
    async (request) => ({
      filler: 'x'.repeat(Math.max(0, Number(request.params.size) - '{"filler":""}'.length)),
    }),
  );

  app.get(
    '/bench/commits',
    {
      config: { access: 'public' },
      schema: {
        summary: 'Benchmarks only: batches committed so far, and the transactions they held',
        tags: ['system'],
        response: { 200: z.strictObject({ batches: z.number(), transactions: z.number() }) },
      },
    },
    async () => store.committed(),
  );
};
