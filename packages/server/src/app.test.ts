import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { healthSchema, problemDocumentSchema } from '@alcove/core';
import { LATEST_MIGRATION } from '@alcove/store';
import { tempDir, testEngines } from '@alcove/store/testing';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addStaff, bearer, startTestApp, type TestApp } from './testing/app.ts';

describe.each(testEngines)('the API on $name', (engine) => {
  let t: TestApp;
  const logLines: string[] = [];

  beforeAll(async () => {
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(chunk.toString('utf8'));
        done();
      },
    });
    t = await startTestApp(engine, {
      logger: { level: 'info', stream },
      extend: (app) => {
        app.get('/api/v1/test/explode', { config: { access: 'public' } }, async () => {
          throw new Error('Fictional client Zephyrine Quillfeather disclosed something');
        });
      },
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers the health check with the engine and the schema version', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/api/v1/health' });
    expect(response.statusCode).toBe(200);
    expect(healthSchema.parse(response.json())).toEqual({
      status: 'ok',
      version: expect.any(String),
      engine: engine.name,
      schemaVersion: LATEST_MIGRATION,
    });
  });

  it('shows a signed-in user their practice, field by field, and nobody else anything', async () => {
    const anonymous = await t.app.inject({ method: 'GET', url: '/api/v1/practices' });
    expect(anonymous.statusCode).toBe(401);
    const staff = await addStaff(t.vault, {
      email: 'admin@example.test',
      name: 'Admin (fictional)',
      roles: ['administrator'],
    });
    const response = await t.app.inject({ method: 'GET', url: '/api/v1/practices', headers: bearer(staff) });
    expect(response.statusCode).toBe(200);
    const { practice } = t.vault;
    expect(response.json()).toEqual({
      practices: [{ id: practice.id, name: practice.name, createdAt: practice.createdAt, demo: false }],
    });
  });

  it('answers an unknown API address with a 404 problem document', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/api/v1/no-such-thing?name=x' });
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    const problem = problemDocumentSchema.parse(response.json());
    expect(problem).toMatchObject({ status: 404, code: 'not-found', instance: '/api/v1/no-such-thing' });
  });

  it('shows only an error id for an unexpected error, and logs the id without the message', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/api/v1/test/explode' });
    expect(response.statusCode).toBe(500);
    const problem = problemDocumentSchema.parse(response.json());
    expect(problem.code).toBe('internal');
    expect(problem.errorId).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.body).not.toContain('Zephyrine');
    expect(response.body).not.toContain('at ');
    const log = logLines.join('');
    expect(log).toContain(problem.errorId);
    expect(log).not.toContain('Zephyrine');
  });

  it('sends security headers and no-store on every API answer', async () => {
    for (const url of ['/api/v1/health', '/api/v1/no-such-thing']) {
      const response = await t.app.inject({ method: 'GET', url });
      expect(response.headers['cache-control'], url).toBe('no-store');
      expect(response.headers['x-content-type-options'], url).toBe('nosniff');
      expect(response.headers['referrer-policy'], url).toBe('no-referrer');
      expect(String(response.headers['content-security-policy']), url).toContain("frame-ancestors 'none'");
    }
  });

  it('publishes a valid OpenAPI 3.1 document generated from the route schemas', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    expect(response.statusCode).toBe(200);
    const document = response.json();
    expect(document.openapi).toBe('3.1.0');
    const result = await new Validator().validate(document);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(['/api/v1/health', '/api/v1/practices']),
    );
    // Test-only routes are there too (they are registered in this app); the document
    // itself is not described.
    expect(document.paths['/api/v1/openapi.json']).toBeUndefined();
    expect(document.paths['/api/v1/health'].get.responses['4XX'].content).toHaveProperty(
      'application/problem+json',
    );
  });
});

describe('serving the web app', () => {
  const engine = testEngines[0];
  let t: TestApp;
  beforeAll(async () => {
    if (engine === undefined) throw new Error('no engine');
    const webRoot = tempDir('alcove-web-');
    fs.writeFileSync(path.join(webRoot, 'index.html'), '<!doctype html><title>Alcove test</title>');
    fs.writeFileSync(path.join(webRoot, 'app.js'), 'export {};');
    t = await startTestApp(engine, { webRoot });
  });
  afterAll(async () => {
    await t.close();
  });

  it('serves files, and index.html for any page address', async () => {
    const file = await t.app.inject({ method: 'GET', url: '/app.js' });
    expect(file.statusCode).toBe(200);
    for (const url of ['/', '/clients/some-page']) {
      const page = await t.app.inject({ method: 'GET', url });
      expect(page.statusCode, url).toBe(200);
      expect(page.body, url).toContain('<title>Alcove test</title>');
      expect(page.headers['content-security-policy'], url).toBeDefined();
    }
  });

  it('never answers an API address or a non-GET request with the page', async () => {
    for (const [method, url] of [
      ['GET', '/api/v1/unknown'],
      ['GET', '/api/v1'],
      ['POST', '/clients/some-page'],
    ] as const) {
      const response = await t.app.inject({ method, url });
      expect(response.statusCode, `${method} ${url}`).toBe(404);
      expect(response.headers['content-type'], url).toMatch(/^application\/problem\+json/);
    }
  });

  it('refuses to start when the web app has not been built', async () => {
    if (engine === undefined) throw new Error('no engine');
    await expect(startTestApp(engine, { webRoot: tempDir('alcove-empty-web-') })).rejects.toThrow(
      /not built/,
    );
  });
});
