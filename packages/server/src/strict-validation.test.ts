import { type ProblemDocument, problemDocumentSchema } from '@alcove/core';
import type { TestVault } from '@alcove/store/testing';
import { testEngines } from '@alcove/store/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { AlcoveApp } from './app.ts';
import { startTestApp, type TestApp } from './testing/app.ts';

/**
 * Every route that takes a body inherits these answers from the app: the route here is
 * registered by the test, so the behaviour cannot depend on anything a feature route does.
 */
const noteBody = z.strictObject({
  title: z.string().min(1),
  minutes: z.number().int().positive(),
  tags: z.array(z.strictObject({ label: z.string() })).optional(),
});

async function registerProbeRoute(app: AlcoveApp, vault: TestVault): Promise<void> {
  await sql`create table probe_write (title text not null, minutes integer not null)`.execute(vault.db);
  app.post(
    '/api/v1/test/probe',
    {
      config: { access: 'public' },
      schema: { body: noteBody, response: { 201: z.strictObject({ ok: z.literal(true) }) } },
    },
    async (request, reply) => {
      const body = noteBody.parse(request.body);
      await vault.db.transaction().execute(async (trx) => {
        await sql`insert into probe_write (title, minutes) values (${body.title}, ${body.minutes})`.execute(
          trx,
        );
      });
      return reply.code(201).send({ ok: true });
    },
  );
}

describe.each(testEngines)('strict request bodies on $name', (engine) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(engine, { bodyLimit: 4096, extend: registerProbeRoute });
  });
  afterAll(async () => {
    await t.close();
  });

  async function rowCount(): Promise<number> {
    const result = await sql<{ n: number | string }>`select count(*) as n from probe_write`.execute(
      t.vault.db,
    );
    return Number(result.rows[0]?.n);
  }

  async function post(payload: string, contentType = 'application/json') {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/v1/test/probe',
      headers: { 'content-type': contentType },
      payload,
    });
    return response;
  }

  function problemOf(response: { headers: Record<string, unknown>; body: string }): ProblemDocument {
    expect(String(response.headers['content-type'])).toMatch(/^application\/problem\+json/);
    return problemDocumentSchema.parse(JSON.parse(response.body));
  }

  it('refuses an unknown field with a 400 naming it, and writes nothing', async () => {
    const response = await post(JSON.stringify({ title: 'A', minutes: 50, colour: 'blue' }));
    expect(response.statusCode).toBe(400);
    const problem = problemOf(response);
    expect(problem.code).toBe('validation-failed');
    expect(problem.errors).toEqual([
      expect.objectContaining({ location: 'body', detail: expect.stringContaining('colour') }),
    ]);
    expect(await rowCount()).toBe(0);
  });

  it('refuses an unknown field inside a nested object', async () => {
    const response = await post(
      JSON.stringify({ title: 'A', minutes: 50, tags: [{ label: 'x', extra: true }] }),
    );
    expect(response.statusCode).toBe(400);
    expect(problemOf(response).errors?.[0]?.pointer).toBe('/tags/0');
    expect(await rowCount()).toBe(0);
  });

  it('refuses a wrong type rather than coercing it ("50" is not 50)', async () => {
    const response = await post(JSON.stringify({ title: 'A', minutes: '50' }));
    expect(response.statusCode).toBe(400);
    const problem = problemOf(response);
    expect(problem.errors).toEqual([expect.objectContaining({ location: 'body', pointer: '/minutes' })]);
    expect(await rowCount()).toBe(0);
  });

  it('refuses a missing field', async () => {
    const response = await post(JSON.stringify({ title: 'A' }));
    expect(response.statusCode).toBe(400);
    expect(problemOf(response).errors?.[0]?.pointer).toBe('/minutes');
    expect(await rowCount()).toBe(0);
  });

  it('refuses a body that is not JSON', async () => {
    const response = await post('{"title": "A", minutes: ');
    expect(response.statusCode).toBe(400);
    expect(problemOf(response).code).toBe('malformed-body');
    expect(await rowCount()).toBe(0);
  });

  it('refuses an empty JSON body, and a JSON value that is not an object', async () => {
    const empty = await post('');
    expect(empty.statusCode).toBe(400);
    expect(problemOf(empty).code).toBe('malformed-body');
    const array = await post('[1, 2]');
    expect(array.statusCode).toBe(400);
    expect(problemOf(array).code).toBe('validation-failed');
    expect(await rowCount()).toBe(0);
  });

  it('refuses a body sent as something other than JSON with a 415', async () => {
    const response = await post('title=A&minutes=50', 'text/plain');
    expect(response.statusCode).toBe(415);
    expect(problemOf(response).code).toBe('unsupported-media-type');
    const form = await post('title=A&minutes=50', 'application/x-www-form-urlencoded');
    expect(form.statusCode).toBe(415);
    expect(await rowCount()).toBe(0);
  });

  it('refuses an oversized body with a 413', async () => {
    const response = await post(JSON.stringify({ title: 'x'.repeat(5000), minutes: 50 }));
    expect(response.statusCode).toBe(413);
    expect(problemOf(response).code).toBe('payload-too-large');
    expect(await rowCount()).toBe(0);
  });

  it('refuses prototype pollution attempts', async () => {
    const response = await post('{"title":"A","minutes":50,"__proto__":{"admin":true}}');
    expect(response.statusCode).toBe(400);
    expect(await rowCount()).toBe(0);
  });

  it('accepts a valid body and writes it once', async () => {
    const response = await post(JSON.stringify({ title: 'A', minutes: 50 }));
    expect(response.statusCode).toBe(201);
    expect(JSON.parse(response.body)).toEqual({ ok: true });
    expect(await rowCount()).toBe(1);
  });
});

describe('routes with loose schemas', () => {
  const engine = testEngines[0];
  it.each([
    ['a plain z.object', z.object({ a: z.string() })],
    ['a z.looseObject', z.looseObject({ a: z.string() })],
    ['a nested plain object', z.strictObject({ a: z.array(z.object({ b: z.string() })) })],
  ])('cannot be registered with %s', async (_label, body) => {
    if (engine === undefined) throw new Error('no engine');
    await expect(
      startTestApp(engine, {
        extend: (app) => {
          app.post('/api/v1/test/loose', { schema: { body } }, async () => ({}));
        },
      }),
    ).rejects.toThrow(/not strict/);
  });
});
