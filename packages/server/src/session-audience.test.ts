import { testEngines } from '@alcove/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addStaff, bearer, startTestApp, TEST_PASSWORD, type TestApp } from './testing/app.ts';
import { cookieFrom } from './testing/browser-session.ts';

/**
 * Issue 16: the authenticator set-up page speaks to a client as a client. Before the second
 * factor, the session says whose account it is (its roles in the session's practice), and
 * nothing more: every other route still needs the second factor.
 */
describe.each(testEngines)('whose account a half-signed-in session is, on $name', (engine) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(engine, { signInRateLimit: 1000 });
    const practitioner = await addStaff(t.vault, {
      email: 'audience-practitioner@example.test',
      name: 'Practitioner Vetch (fictional)',
      roles: ['practitioner'],
    });
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/clients',
      headers: bearer(practitioner),
      payload: { identity: { name: 'Client Tansy (fictional)', email: 'tansy@example.test' } },
    });
    expect(created.statusCode).toBe(201);
    await addStaff(t.vault, {
      email: 'tansy@example.test',
      name: 'Client Tansy (fictional)',
      roles: ['client'],
      clientId: created.json().id as string,
    });
  });
  afterAll(async () => {
    await t.close();
  });

  const signIn = async (email: string) => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/sign-in',
      payload: { email, password: TEST_PASSWORD },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json().stage).toBe('mfa-enrol');
    return cookieFrom(response.headers['set-cookie']);
  };
  const get = (url: string, cookie: string) =>
    t.app.inject({ method: 'GET', url: `/api/v1${url}`, headers: { cookie } });

  it('refuses the session without a cookie', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/auth/session' })).statusCode).toBe(401);
  });

  it('names a client’s roles before the second factor, and a member of staff’s, and opens nothing else', async () => {
    const client = await signIn('tansy@example.test');
    const clientSession = await get('/auth/session', client);
    expect(clientSession.statusCode).toBe(200);
    expect(clientSession.json()).toMatchObject({ stage: 'mfa-enrol', roles: ['client'], practices: [] });
    expect((await get('/portal', client)).statusCode).toBe(401);

    const staff = await signIn('audience-practitioner@example.test');
    const staffSession = await get('/auth/session', staff);
    expect(staffSession.json()).toMatchObject({ stage: 'mfa-enrol', roles: ['practitioner'] });
    expect((await get('/settings/contract-templates', staff)).statusCode).toBe(401);
  });
});
