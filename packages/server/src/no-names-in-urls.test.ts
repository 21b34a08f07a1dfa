import { Writable } from 'node:stream';
import { testEngines } from '@alcove/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addStaff, bearer, startTestApp, type TestApp, type TestStaff } from './testing/app.ts';

/**
 * Issue 16, finding 10: no name, e-mail address, date of birth or other contact detail in
 * any URL (a URL is kept in access logs, proxies and the browser's history), and the
 * request log never holds a query string or a body.
 */
const PERSONAL = /name|e-?mail|birth|dob|phone|mobile|address|postcode|post-code/i;

interface OpenApiParameter {
  name: string;
  in: string;
}
interface OpenApiDocument {
  paths: Record<string, Record<string, { parameters?: OpenApiParameter[] }>>;
}

const engine = testEngines[0];
if (engine === undefined) throw new Error('no engine');

describe('no personal detail in any URL', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(engine);
  });
  afterAll(async () => {
    await t.close();
  });

  it('names no path or query parameter in the OpenAPI document after a personal detail', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    expect(response.statusCode).toBe(200);
    const document = response.json() as OpenApiDocument;
    const offending: string[] = [];
    let parameters = 0;
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const variable of path.matchAll(/\{([^}]+)\}/g)) {
        if (PERSONAL.test(variable[1] ?? '')) offending.push(`${path}: path variable ${variable[1]}`);
      }
      for (const [method, operation] of Object.entries(operations)) {
        for (const parameter of operation.parameters ?? []) {
          parameters += 1;
          if (parameter.in !== 'path' && parameter.in !== 'query') continue;
          if (PERSONAL.test(parameter.name)) {
            offending.push(`${method.toUpperCase()} ${path}: ${parameter.in} parameter ${parameter.name}`);
          }
        }
      }
    }
    // The walk saw the document's parameters (ids in paths at least), so an empty result means something.
    expect(parameters).toBeGreaterThan(20);
    expect(offending).toEqual([]);
  });

  it('names no route parameter after a personal detail, hidden routes included', () => {
    const offending = t.app.alcove.routes
      .flatMap((route) => [...route.url.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => `${route.url}: ${m[1]}`))
      .filter((entry) => PERSONAL.test(entry.split(': ')[1] ?? ''));
    expect(t.app.alcove.routes.some((route) => route.url.includes(':clientId'))).toBe(true);
    expect(offending).toEqual([]);
  });

  it('the walk would catch a name in a query (the rule bites)', () => {
    expect(PERSONAL.test('name')).toBe(true);
    expect(PERSONAL.test('email')).toBe(true);
    expect(PERSONAL.test('dateOfBirth')).toBe(true);
    expect(PERSONAL.test('clientId')).toBe(false);
  });
});

describe.each(testEngines)('the request log on $name', (engine) => {
  let t: TestApp;
  let staff: TestStaff;
  const lines: string[] = [];
  const CANARY_NAME = 'Ysolde Farthingale-Pennock';
  const CANARY_EMAIL = 'ysolde.farthingale@example.test';
  const CANARY_PASSWORD = 'marmalade-kestrel-93 passphrase';

  beforeAll(async () => {
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    t = await startTestApp(engine, { logger: { level: 'trace', stream } });
    staff = await addStaff(t.vault, {
      email: 'logged@example.test',
      name: 'Logged Practitioner (fictional)',
      roles: ['practitioner'],
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it('logs each request by its path only: never a query string, a body or a password', async () => {
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/sign-in',
      payload: { email: CANARY_EMAIL, password: CANARY_PASSWORD },
    });
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/clients',
      headers: bearer(staff),
      payload: { identity: { name: CANARY_NAME, email: CANARY_EMAIL, dateOfBirth: '1990-02-03' } },
    });
    expect(created.statusCode).toBe(201);
    const found = await t.app.inject({
      method: 'POST',
      url: '/api/v1/clients/search',
      headers: bearer(staff),
      payload: { name: CANARY_NAME },
    });
    expect(found.json().clients).toHaveLength(1);
    // A caller that still puts a name in the URL is refused, and the log keeps only the path.
    const inUrl = await t.app.inject({
      method: 'GET',
      url: `/api/v1/clients?name=${encodeURIComponent(CANARY_NAME)}&email=${encodeURIComponent(CANARY_EMAIL)}`,
      headers: bearer(staff),
    });
    expect(inUrl.statusCode).toBe(400);

    const log = lines.join('');
    const entries = lines.flatMap((chunk) => chunk.split('\n').filter((line) => line !== ''));
    const urls = entries
      .map((line) => (JSON.parse(line) as { req?: { url?: string } }).req?.url)
      .filter(Boolean);
    // The log is on, and says which paths were asked for.
    expect(urls).toEqual(
      expect.arrayContaining(['/api/v1/auth/sign-in', '/api/v1/clients/search', '/api/v1/clients']),
    );
    const needles = [
      CANARY_NAME,
      encodeURIComponent(CANARY_NAME),
      'Farthingale',
      CANARY_EMAIL,
      encodeURIComponent(CANARY_EMAIL),
      CANARY_PASSWORD,
      'marmalade',
      '1990-02-03',
    ];
    expect(needles.filter((needle) => log.includes(needle))).toEqual([]);
    expect(urls.filter((url) => url?.includes('?'))).toEqual([]);
  });
});
