import { testEngines } from '@alcove/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentTotp } from './auth/totp.ts';
import { addStaff, startTestApp, TEST_PASSWORD, type TestApp } from './testing/app.ts';
import { cookieFrom } from './testing/browser-session.ts';

/**
 * Finding 6 of issue 16: the session cookie is a session cookie (never written to disk by
 * the browser), named `__Host-` with Secure wherever TLS is on; the server keeps the timeouts.
 */
describe.each(testEngines)('the session cookie on $name', (engine) => {
  let t: TestApp;
  let clock = Date.parse('2026-11-22T10:00:00Z');

  beforeAll(async () => {
    // Behind the trusted proxy on loopback: X-Forwarded-Proto says whether the browser used TLS.
    t = await startTestApp(engine, { now: () => new Date(clock), signInRateLimit: 1000, behindProxy: true });
    await addStaff(t.vault, {
      email: 'cookie@example.test',
      name: 'Cookie (fictional)',
      roles: ['practitioner'],
    });
  });
  afterAll(async () => {
    await t.close();
  });

  const https = { 'x-forwarded-proto': 'https' };
  const inject = (method: 'GET' | 'POST', url: string, headers: Record<string, string>, payload?: unknown) =>
    t.app.inject({
      method,
      url: `/api/v1${url}`,
      headers,
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });

  /** Every Set-Cookie of a signing-in step, over HTTPS or plain HTTP. */
  async function signInSteps(headers: Record<string, string>) {
    const signIn = await inject('POST', '/auth/sign-in', headers, {
      email: 'cookie@example.test',
      password: TEST_PASSWORD,
    });
    expect(signIn.statusCode).toBe(200);
    const first = cookieFrom(signIn.headers['set-cookie']);
    const enrolment = await inject('GET', '/auth/mfa/enrolment', { ...headers, cookie: first });
    const secret = enrolment.json().secret as string;
    const enrol = await inject(
      'POST',
      '/auth/mfa/enrol',
      { ...headers, cookie: first, 'x-csrf-token': signIn.json().csrfToken as string },
      { code: currentTotp(secret, clock) },
    );
    expect(enrol.statusCode).toBe(200);
    return {
      setCookies: [String(signIn.headers['set-cookie']), String(enrol.headers['set-cookie'])],
      cookie: cookieFrom(enrol.headers['set-cookie']),
      secret,
    };
  }

  it('over HTTPS is named __Host-, Secure, Path=/, with no Domain and no Max-Age or Expires', async () => {
    const { setCookies, cookie } = await signInSteps(https);
    for (const setCookie of setCookies) {
      expect(setCookie).toMatch(/^__Host-alcove_session=als_/);
      expect(setCookie).toMatch(/; Secure/);
      expect(setCookie).toMatch(/; Path=\/(;|$)/);
      expect(setCookie).toMatch(/; HttpOnly/);
      expect(setCookie).toMatch(/; SameSite=Strict/);
      expect(setCookie).not.toMatch(/Domain=|Max-Age=|Expires=/i);
    }
    expect((await inject('GET', '/auth/session', { ...https, cookie })).statusCode).toBe(200);
    // The name is read for the protocol: the same value under the plain name is not a session
    // over HTTPS, and the __Host- cookie is not read over plain HTTP.
    const value = cookie.split('=')[1] ?? '';
    expect(
      (await inject('GET', '/auth/session', { ...https, cookie: `alcove_session=${value}` })).statusCode,
    ).toBe(401);
    expect((await inject('GET', '/auth/session', { cookie })).statusCode).toBe(401);
    // Signing out clears the __Host- cookie.
    const session = await inject('GET', '/auth/session', { ...https, cookie });
    const out = await inject(
      'POST',
      '/auth/sign-out',
      { ...https, cookie, 'x-csrf-token': session.json().csrfToken as string },
      {},
    );
    expect(out.statusCode).toBe(204);
    expect(String(out.headers['set-cookie'])).toMatch(/^__Host-alcove_session=;.*Secure/);
  });

  it('over plain HTTP keeps the plain name, without Secure, and is a session cookie too', async () => {
    const signIn = await inject(
      'POST',
      '/auth/sign-in',
      {},
      { email: 'cookie@example.test', password: TEST_PASSWORD },
    );
    expect(signIn.statusCode).toBe(200);
    const setCookie = String(signIn.headers['set-cookie']);
    expect(setCookie).toMatch(/^alcove_session=als_/);
    expect(setCookie).not.toMatch(/Secure|Domain=|Max-Age=|Expires=/i);
  });

  it('still ends on the server after the idle timeout, whatever the browser keeps', async () => {
    const signIn = await inject('POST', '/auth/sign-in', https, {
      email: 'cookie@example.test',
      password: TEST_PASSWORD,
    });
    const cookie = cookieFrom(signIn.headers['set-cookie']);
    expect((await inject('GET', '/auth/session', { ...https, cookie })).statusCode).toBe(200);
    clock += 31 * 60_000;
    const expired = await inject('GET', '/auth/session', { ...https, cookie });
    expect(expired.statusCode).toBe(401);
    expect(expired.json().code).toBe('session-expired');
  });
});
