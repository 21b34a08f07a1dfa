import { problemDocumentSchema } from '@alcove/core';
import { testEngines } from '@alcove/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentTotp } from './auth/totp.ts';
import {
  addStaff,
  bearer,
  startTestApp,
  TEST_PASSWORD,
  type TestApp,
  type TestStaff,
} from './testing/app.ts';
import { cookieFrom, signInAndEnrol } from './testing/browser-session.ts';

const engine = testEngines[0];
if (engine === undefined) throw new Error('no engine');

describe('signing in', () => {
  let t: TestApp;
  let clock = Date.parse('2026-11-22T10:00:00Z');
  const now = () => clock;
  let staff: TestStaff;
  let auditCount: () => Promise<number>;

  beforeAll(async () => {
    t = await startTestApp(engine, { now: () => new Date(clock), signInRateLimit: 1000 });
    staff = await addStaff(t.vault, {
      email: 'robin@example.test',
      name: 'Robin (fictional)',
      roles: ['practitioner'],
    });
    auditCount = async () =>
      Number(
        (
          await t.vault.db
            .selectFrom('audit_event')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
  });
  afterAll(async () => {
    await t.close();
  });

  const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
    t.app.inject({
      method: 'POST',
      url: `/api/v1${url}`,
      payload: payload as Record<string, unknown>,
      headers,
    });
  const get = (url: string, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'GET', url: `/api/v1${url}`, headers });

  it('answers an unknown e-mail and a wrong password the same way, and audits both', async () => {
    const before = await auditCount();
    const unknown = await post('/auth/sign-in', { email: 'nobody@example.test', password: TEST_PASSWORD });
    const wrong = await post('/auth/sign-in', { email: 'robin@example.test', password: 'not the password' });
    expect(unknown.statusCode).toBe(401);
    expect(wrong.statusCode).toBe(401);
    expect(unknown.json()).toEqual(wrong.json());
    expect(problemDocumentSchema.parse(wrong.json()).code).toBe('invalid-credentials');
    expect(unknown.headers['set-cookie']).toBeUndefined();
    expect(await auditCount()).toBe(before + 2);
  });

  it('refuses malformed sign-in bodies with a 400 and writes nothing', async () => {
    const before = await auditCount();
    for (const payload of [
      { email: 'robin@example.test' },
      { email: 'robin@example.test', password: 'x', remember: true },
      { email: 42, password: 'x' },
    ]) {
      const response = await post('/auth/sign-in', payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
    }
    expect(await auditCount()).toBe(before);
  });

  it('goes from password to MFA enrolment to a signed-in session, rotating the cookie', async () => {
    const signIn = await post('/auth/sign-in', { email: 'robin@example.test', password: TEST_PASSWORD });
    expect(signIn.statusCode).toBe(200);
    expect(signIn.json().stage).toBe('mfa-enrol');
    const setCookie = String(signIn.headers['set-cookie']);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).not.toMatch(/Secure/); // plain HTTP on loopback; HTTPS sets Secure
    const firstCookie = cookieFrom(signIn.headers['set-cookie']);
    const csrf = signIn.json().csrfToken as string;

    // Half signed in: records stay closed.
    const early = await get('/clients', { cookie: firstCookie });
    expect(early.statusCode).toBe(401);
    expect(early.json().code).toBe('mfa-required');

    const enrolment = await get('/auth/mfa/enrolment', { cookie: firstCookie });
    expect(enrolment.json().otpauthUri).toMatch(/^otpauth:\/\/totp\/Alcove:/);
    expect(enrolment.json().qrSvg).toMatch(/^<svg/);
    const secret = enrolment.json().secret as string;

    const noCsrf = await post(
      '/auth/mfa/enrol',
      { code: currentTotp(secret, now()) },
      { cookie: firstCookie },
    );
    expect(noCsrf.statusCode).toBe(403);
    expect(noCsrf.json().code).toBe('csrf-failed');
    const wrongCode = await post(
      '/auth/mfa/enrol',
      { code: '000000' },
      { cookie: firstCookie, 'x-csrf-token': csrf },
    );
    expect(wrongCode.statusCode).toBe(401);
    expect(wrongCode.json().code).toBe('invalid-code');

    const enrol = await post(
      '/auth/mfa/enrol',
      { code: currentTotp(secret, now()) },
      { cookie: firstCookie, 'x-csrf-token': csrf },
    );
    expect(enrol.statusCode).toBe(200);
    expect(enrol.json().recoveryCodes).toHaveLength(10);
    const cookie = cookieFrom(enrol.headers['set-cookie']);
    expect(cookie).not.toBe(firstCookie);
    expect((await get('/auth/session', { cookie: firstCookie })).statusCode).toBe(401);

    const session = await get('/auth/session', { cookie });
    expect(session.json()).toMatchObject({
      stage: 'active',
      user: { name: 'Robin (fictional)' },
      roles: ['practitioner'],
      idleTimeoutSeconds: 1800,
    });
    expect((await get('/clients', { cookie })).statusCode).toBe(200);

    // Sign out ends the session on the server: the cookie is worthless afterwards.
    const out = await post(
      '/auth/sign-out',
      {},
      { cookie, 'x-csrf-token': enrol.json().csrfToken as string },
    );
    expect(out.statusCode).toBe(204);
    expect((await get('/clients', { cookie })).statusCode).toBe(401);

    // Next time: a challenge. The code used at enrolment is not accepted again.
    const again = await post('/auth/sign-in', { email: 'robin@example.test', password: TEST_PASSWORD });
    expect(again.json().stage).toBe('mfa-challenge');
    const challengeCookie = cookieFrom(again.headers['set-cookie']);
    const challengeCsrf = again.json().csrfToken as string;
    const replay = await post(
      '/auth/mfa/challenge',
      { code: currentTotp(secret, now()) },
      { cookie: challengeCookie, 'x-csrf-token': challengeCsrf },
    );
    expect(replay.statusCode).toBe(401);
    clock += 30_000;
    const fresh = await post(
      '/auth/mfa/challenge',
      { code: currentTotp(secret, now()) },
      { cookie: challengeCookie, 'x-csrf-token': challengeCsrf },
    );
    expect(fresh.statusCode).toBe(200);
    const freshCookie = cookieFrom(fresh.headers['set-cookie']);
    expect((await get('/clients', { cookie: freshCookie })).statusCode).toBe(200);
  });

  it('accepts each recovery code once', async () => {
    const other = await addStaff(t.vault, {
      email: 'sam@example.test',
      name: 'Sam (fictional)',
      roles: ['administrator'],
    });
    const browser = await signInAndEnrol(t.app, other.email, now);
    const code = browser.recoveryCodes[0] ?? '';
    for (const expected of [200, 401]) {
      const signIn = await post('/auth/sign-in', { email: other.email, password: TEST_PASSWORD });
      const response = await post(
        '/auth/mfa/challenge',
        { recoveryCode: code.toUpperCase() },
        {
          cookie: cookieFrom(signIn.headers['set-cookie']),
          'x-csrf-token': signIn.json().csrfToken as string,
        },
      );
      expect(response.statusCode).toBe(expected);
    }
  });

  it('ends a session after the idle timeout and after its absolute lifetime', async () => {
    const other = await addStaff(t.vault, {
      email: 'idle@example.test',
      name: 'Idle (fictional)',
      roles: ['practitioner'],
    });
    const browser = await signInAndEnrol(t.app, other.email, now);
    clock += 29 * 60_000;
    expect((await get('/clients', { cookie: browser.cookie })).statusCode).toBe(200);
    clock += 31 * 60_000;
    const idle = await get('/clients', { cookie: browser.cookie });
    expect(idle.statusCode).toBe(401);
    expect(idle.json().code).toBe('session-expired');

    const second = await signInAndEnrol(
      t.app,
      (
        await addStaff(t.vault, {
          email: 'long@example.test',
          name: 'Long (fictional)',
          roles: ['practitioner'],
        })
      ).email,
      now,
    );
    // Active every 25 minutes, so never idle: 28 × 25 min is 11 h 40 min, still inside 12 hours.
    for (let i = 0; i < 28; i += 1) {
      clock += 25 * 60_000;
      expect((await get('/clients', { cookie: second.cookie })).statusCode).toBe(200);
    }
    clock += 25 * 60_000;
    expect((await get('/clients', { cookie: second.cookie })).json().code).toBe('session-expired');
  });

  it('refuses a forged session cookie and a forged token', async () => {
    expect((await get('/clients', { cookie: 'alcove_session=als_forged' })).statusCode).toBe(401);
    expect((await get('/clients', { authorization: 'Bearer alt_forged' })).statusCode).toBe(401);
    expect((await get('/clients', { authorization: 'Basic abc' })).statusCode).toBe(401);
  });

  it('authenticates before it validates: an anonymous bad body learns nothing of the schema', async () => {
    const response = await post('/clients', { nonsense: true });
    expect(response.statusCode).toBe(401);
    expect(response.json().errors).toBeUndefined();
    const big = await t.app.inject({
      method: 'POST',
      url: '/api/v1/clients',
      headers: { 'content-type': 'application/json' },
      payload: 'x'.repeat(2_000_000),
    });
    expect(big.statusCode).toBe(401);
  });

  it('lets a script in with an API token, which can be revoked', async () => {
    expect((await get('/clients', bearer(staff))).statusCode).toBe(200);
    // A token is made in a browser just signed in with both factors, never by another token.
    expect((await post('/account/tokens', { name: 'backup script' }, bearer(staff))).statusCode).toBe(401);
    const scripter = await addStaff(t.vault, {
      email: 'script@example.test',
      name: 'Script (fictional)',
      roles: ['practitioner'],
    });
    const browser = await signInAndEnrol(t.app, scripter.email, now);
    const created = await post(
      '/account/tokens',
      { name: 'backup script' },
      { cookie: browser.cookie, 'x-csrf-token': browser.csrfToken },
    );
    expect(created.statusCode).toBe(201);
    const token = created.json().token as string;
    expect((await get('/account/tokens', { authorization: `Bearer ${token}` })).json().tokens).toHaveLength(
      2,
    );
    const revoke = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/account/tokens/${created.json().id}`,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(revoke.statusCode).toBe(204);
    expect((await get('/clients', { authorization: `Bearer ${token}` })).statusCode).toBe(401);
    const again = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/account/tokens/${created.json().id}`,
      headers: { cookie: browser.cookie, 'x-csrf-token': browser.csrfToken },
    });
    expect(again.statusCode).toBe(404);
  });

  it('changes a password only with the current one, refusing a common new one', async () => {
    const changer = await addStaff(t.vault, {
      email: 'changing@example.test',
      name: 'Changing (fictional)',
      roles: ['practitioner'],
    });
    const browser = await signInAndEnrol(t.app, changer.email, now);
    const asBrowser = { cookie: browser.cookie, 'x-csrf-token': browser.csrfToken };
    const wrong = await post(
      '/account/password',
      { currentPassword: 'nope', newPassword: 'a brand new long passphrase' },
      asBrowser,
    );
    expect(wrong.statusCode).toBe(401);
    const weak = await post(
      '/account/password',
      { currentPassword: TEST_PASSWORD, newPassword: 'password1234' },
      asBrowser,
    );
    expect(weak.statusCode).toBe(400);
    const ok = await post(
      '/account/password',
      { currentPassword: TEST_PASSWORD, newPassword: 'a brand new long passphrase' },
      asBrowser,
    );
    expect(ok.statusCode).toBe(204);
    const signIn = await post('/auth/sign-in', {
      email: changer.email,
      password: 'a brand new long passphrase',
    });
    expect(signIn.statusCode).toBe(200);
  });

  it('never changes a password with an API token, and a stolen session cannot guess the current one', async () => {
    const victim = await addStaff(t.vault, {
      email: 'guessing@example.test',
      name: 'Guessing (fictional)',
      roles: ['practitioner'],
    });
    const byToken = await post(
      '/account/password',
      { currentPassword: TEST_PASSWORD, newPassword: 'a brand new long passphrase' },
      bearer(victim),
    );
    expect(byToken.statusCode).toBe(401);
    const browser = await signInAndEnrol(t.app, victim.email, now);
    const asBrowser = { cookie: browser.cookie, 'x-csrf-token': browser.csrfToken };
    const statuses: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      statuses.push(
        (
          await post(
            '/account/password',
            { currentPassword: `guess number ${i}`, newPassword: 'a brand new long passphrase' },
            asBrowser,
          )
        ).statusCode,
      );
    }
    // The fifth wrong guess locks the password; the right one is refused while it lasts.
    const right = await post(
      '/account/password',
      { currentPassword: TEST_PASSWORD, newPassword: 'a brand new long passphrase' },
      asBrowser,
    );
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    expect(right.statusCode).toBe(429);
    const events = await t.vault.db
      .selectFrom('audit_event')
      .select(['action', 'outcome'])
      .where('actor_id', '=', victim.userId)
      .where('action', 'in', ['account.password-changed', 'session.sign-in-locked'])
      .execute();
    expect(
      events.filter((e) => e.action === 'account.password-changed' && e.outcome === 'failed'),
    ).toHaveLength(5);
    expect(events.some((e) => e.action === 'session.sign-in-locked')).toBe(true);
    expect(events.some((e) => e.action === 'account.password-changed' && e.outcome === 'denied')).toBe(true);
    // Signing in is locked too: the same count.
    const signIn = await post('/auth/sign-in', { email: victim.email, password: TEST_PASSWORD });
    expect(signIn.statusCode).toBe(429);
    clock += 16 * 60 * 1000;
  });

  it('throttles an account after five failures, whatever is typed next', async () => {
    const victim = await addStaff(t.vault, {
      email: 'throttle@example.test',
      name: 'Throttle (fictional)',
      roles: ['practitioner'],
    });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      statuses.push(
        (
          await post(
            '/auth/sign-in',
            { email: victim.email, password: `wrong ${i}` },
            { 'x-forwarded-for': `10.0.0.${i}` },
          )
        ).statusCode,
      );
    }
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses[5]).toBe(429);
    expect((await post('/auth/sign-in', { email: victim.email, password: TEST_PASSWORD })).statusCode).toBe(
      429,
    );
    clock += 16 * 60_000;
    expect((await post('/auth/sign-in', { email: victim.email, password: TEST_PASSWORD })).statusCode).toBe(
      200,
    );
  });
});

describe('the sign-in rate limit', () => {
  it('answers the eleventh attempt in a minute from one address with a 429 problem document', async () => {
    const t = await startTestApp(engine);
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 11; i += 1) {
        const response = await t.app.inject({
          method: 'POST',
          url: '/api/v1/auth/sign-in',
          payload: { email: `someone${i}@example.test`, password: 'wrong' },
        });
        statuses.push(response.statusCode);
        if (i === 10) {
          expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
          expect(response.headers['retry-after']).toBeDefined();
        }
      }
      expect(statuses).toEqual([...Array(10).fill(401), 429]);
    } finally {
      await t.close();
    }
  });
});
