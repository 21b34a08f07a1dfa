import { problemDocumentSchema } from '@alcove/core';
import { auditEventContext, createPractice } from '@alcove/store';
import { testEngines } from '@alcove/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from './auth/secrets.ts';
import { currentTotp } from './auth/totp.ts';
import { sessionPublicId } from './sessions-context.ts';
import {
  addStaff,
  bearer,
  startTestApp,
  TEST_PASSWORD,
  type TestApp,
  type TestStaff,
} from './testing/app.ts';
import { cookieFrom, signInAndEnrol } from './testing/browser-session.ts';

const CHROME =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const FIREFOX = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0';

/**
 * Sessions you can see (issue 16, finding 7): an account lists its signed-in sessions and
 * tokens, ends one or all the others; an administrator ends every session and token of a
 * staff member of their practice. Every ending is audited.
 */
describe.each(testEngines)('sessions you can see on $name', (engine) => {
  let t: TestApp;
  let clock = Date.parse('2026-11-22T14:05:00Z');
  const now = () => clock;
  let robin: TestStaff;
  let admin: TestStaff;
  let elsewhere: TestStaff;
  let clientAccount: TestStaff;

  beforeAll(async () => {
    t = await startTestApp(engine, { now: () => new Date(clock), signInRateLimit: 1000 });
    robin = await addStaff(t.vault, {
      email: 'robin@example.test',
      name: 'Robin (fictional)',
      roles: ['practitioner'],
    });
    admin = await addStaff(t.vault, {
      email: 'admin@example.test',
      name: 'Admin (fictional)',
      roles: ['administrator'],
    });
    const other = await createPractice(t.vault.db, { name: 'Other Practice (fictional)' }, t.vault.keyring);
    elsewhere = await addStaff(t.vault, {
      email: 'elsewhere@example.test',
      name: 'Elsewhere (fictional)',
      roles: ['practitioner'],
      practiceId: other.id,
    });
    clientAccount = await addStaff(t.vault, {
      email: 'client@example.test',
      name: 'Client (fictional)',
      roles: ['client'],
    });
  });
  afterAll(async () => {
    await t.close();
  });

  type Headers = Record<string, string>;
  const call = (method: 'GET' | 'POST' | 'DELETE', url: string, headers: Headers = {}, payload?: unknown) =>
    t.app.inject({
      method,
      url: `/api/v1${url}`,
      headers,
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });
  const browser = (s: { cookie: string; csrfToken: string }): Headers => ({
    cookie: s.cookie,
    'x-csrf-token': s.csrfToken,
  });

  /** Signs an enrolled account in again from another browser and address: password, then a code. */
  async function signInAgain(email: string, secret: string, userAgent: string, remoteAddress: string) {
    clock += 30_000; // a new authenticator step: each code is accepted once
    const signIn = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/sign-in',
      remoteAddress,
      headers: { 'user-agent': userAgent },
      payload: { email, password: TEST_PASSWORD },
    });
    expect(signIn.statusCode).toBe(200);
    const first = { cookie: cookieFrom(signIn.headers['set-cookie']), csrfToken: signIn.json().csrfToken };
    const challenge = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/mfa/challenge',
      remoteAddress,
      headers: { ...browser(first), 'user-agent': userAgent },
      payload: { code: currentTotp(secret, now()) },
    });
    expect(challenge.statusCode).toBe(200);
    return {
      cookie: cookieFrom(challenge.headers['set-cookie']),
      csrfToken: challenge.json().csrfToken as string,
    };
  }

  /** Proves password and a new code again (V7.5.2): the session moves to a new cookie and CSRF token. */
  async function reauthenticate(s: { cookie: string; csrfToken: string }) {
    clock += 30_000; // a new authenticator step
    const response = await call('POST', '/account/reauthenticate', browser(s), {
      password: TEST_PASSWORD,
      code: currentTotp(secret, now()),
    });
    expect(response.statusCode).toBe(200);
    return {
      cookie: cookieFrom(response.headers['set-cookie']),
      csrfToken: response.json().csrfToken as string,
    };
  }
  /** Past the five minutes in which a sign-in (or a re-authentication) counts as just proved. */
  const staleReauthentication = () => {
    clock += 5 * 60_000 + 1_000;
  };

  const events = async (action: string) =>
    t.vault.db.selectFrom('audit_event').selectAll().where('action', '=', action).orderBy('seq').execute();

  it('refuses the routes to anyone not signed in (401)', async () => {
    expect((await call('GET', '/account/sessions')).statusCode).toBe(401);
    expect((await call('DELETE', `/account/sessions/${'a'.repeat(32)}`)).statusCode).toBe(401);
    expect((await call('POST', '/account/sessions/end-others', {}, { tokens: false })).statusCode).toBe(401);
    expect((await call('POST', `/people/${robin.userId}/sessions/end`, {}, {})).statusCode).toBe(401);
  });

  it('refuses malformed ids and bodies with a problem document (400)', async () => {
    for (const [method, url, payload] of [
      ['DELETE', '/account/sessions/not-a-session', undefined],
      ['DELETE', `/account/sessions/${'A'.repeat(32)}`, undefined],
      ['POST', '/account/sessions/end-others', {}],
      ['POST', '/account/sessions/end-others', { tokens: 'yes' }],
      ['POST', '/account/sessions/end-others', { tokens: false, everyone: true }],
      ['POST', '/people/not-a-uuid/sessions/end', {}],
      ['POST', `/people/${robin.userId}/sessions/end`, { now: true }],
    ] as const) {
      const response = await call(method, url, bearer(admin), payload);
      expect(response.statusCode, `${method} ${url}`).toBe(400);
      expect(problemDocumentSchema.parse(response.json()).code).toBe('validation-failed');
    }
  });

  let secret: string;
  /** Robin's first browser: enrols the authenticator once, for every test after. */
  let enrolled: { cookie: string; csrfToken: string };
  beforeAll(async () => {
    const first = await signInAndEnrol(t.app, robin.email, now);
    secret = first.totpSecret;
    enrolled = first;
  });

  it('lists the account’s sessions with when, where and which browser, and its tokens, never a cookie or hash', async () => {
    const second = await signInAgain(robin.email, secret, FIREFOX, '198.51.100.7');
    const listed = await call('GET', '/account/sessions', browser(second));
    expect(listed.statusCode).toBe(200);
    const body = listed.json();
    expect(body.sessions).toHaveLength(2);
    const [a, b] = body.sessions;
    expect(a).toMatchObject({ current: false, signedIn: true, address: '127.0.0.1', browser: null });
    expect(b).toMatchObject({
      current: true,
      signedIn: true,
      address: '198.51.100.7',
      browser: 'Firefox 133 on Windows',
      createdAt: new Date(clock).toISOString(),
    });
    expect(body.tokens).toEqual([expect.objectContaining({ name: 'tests', scope: 'read-write' })]);
    expect(body.tokens[0].expiresAt).toMatch(/^2100-/);
    // The public id leads back to neither the cookie nor its stored hash.
    for (const cookie of [enrolled.cookie, second.cookie]) {
      const value = cookie.slice(cookie.indexOf('=') + 1);
      expect(listed.body).not.toContain(value);
      expect(listed.body).not.toContain(sha256Hex(value));
      expect(body.sessions.map((s: { id: string }) => s.id)).toContain(sessionPublicId(sha256Hex(value)));
    }
    // The same list through an API token: no session is "this one".
    const viaToken = (await call('GET', '/account/sessions', bearer(robin))).json();
    expect(viaToken.sessions.map((s: { current: boolean }) => s.current)).toEqual([false, false]);
    // Sign the second one out for the tests after.
    expect((await call('POST', '/auth/sign-out', browser(second), {})).statusCode).toBe(204);
  });

  it('lists only the caller’s own sessions, never another account’s', async () => {
    const other = await signInAndEnrol(t.app, admin.email, now);
    const listed = (await call('GET', '/account/sessions', browser(enrolled))).json();
    const ids = listed.sessions.map((s: { id: string }) => s.id);
    const adminId = sessionPublicId(sha256Hex(other.cookie.slice(other.cookie.indexOf('=') + 1)));
    expect(ids).not.toContain(adminId);
    // Nor can it be ended by its id: not found, and the admin stays signed in.
    const refused = await call('DELETE', `/account/sessions/${adminId}`, browser(enrolled));
    expect(refused.statusCode).toBe(404);
    expect((await call('GET', '/auth/session', { cookie: other.cookie })).statusCode).toBe(200);
    await call('POST', '/auth/sign-out', browser(other), {});
  });

  it('refuses ending a session, all the others or a token without re-authenticating in the last 5 minutes (403), and nothing ends', async () => {
    const laptop = await signInAgain(robin.email, secret, CHROME, '203.0.113.30');
    let phone = await signInAgain(robin.email, secret, FIREFOX, '198.51.100.30');
    staleReauthentication(); // someone holding only the phone's cookie, long after it signed in
    const listed = (await call('GET', '/account/sessions', browser(phone))).json();
    const target = listed.sessions.find((s: { address: string | null }) => s.address === '203.0.113.30');
    const [token] = listed.tokens;
    const actions = [
      'account.session-ended',
      'account.other-sessions-ended',
      'account.other-sessions-and-tokens-ended',
      'account.token-revoked',
    ];
    const before = await Promise.all(actions.map(async (a) => (await events(a)).length));
    for (const [method, url, payload] of [
      ['DELETE', `/account/sessions/${target.id}`, undefined],
      ['POST', '/account/sessions/end-others', { tokens: false }],
      ['POST', '/account/sessions/end-others', { tokens: true }],
      ['DELETE', `/account/tokens/${token.id}`, undefined],
    ] as const) {
      const refused = await call(method, url, browser(phone), payload);
      expect(refused.statusCode, `${method} ${url}`).toBe(403);
      expect(problemDocumentSchema.parse(refused.json()).code).toBe('reauthentication-required');
    }
    // An API token can never re-authenticate: it ends no session.
    expect((await call('DELETE', `/account/sessions/${target.id}`, bearer(robin))).statusCode).toBe(401);
    expect(
      (await call('POST', '/account/sessions/end-others', bearer(robin), { tokens: true })).statusCode,
    ).toBe(401);
    // Nothing ended, and nothing was audited as ended.
    for (const s of [laptop, phone, enrolled])
      expect((await call('GET', '/auth/session', { cookie: s.cookie })).statusCode).toBe(200);
    expect((await call('GET', '/account/sessions', bearer(robin))).statusCode).toBe(200);
    expect(await Promise.all(actions.map(async (a) => (await events(a)).length))).toEqual(before);

    // Having proved password and code again, the same browser ends a token (a new one here).
    phone = await reauthenticate(phone);
    const made = await call('POST', '/account/tokens', browser(phone), { name: 'spare' });
    expect(made.statusCode).toBe(201);
    expect((await call('DELETE', `/account/tokens/${made.json().id}`, browser(phone))).statusCode).toBe(204);
    expect(
      (await call('GET', '/account/sessions', { authorization: `Bearer ${made.json().token}` })).statusCode,
    ).toBe(401);
    // Signing out the session in use stays free, re-authenticated or not.
    staleReauthentication();
    expect((await call('POST', '/auth/sign-out', browser(phone), {})).statusCode).toBe(204);
    expect((await call('POST', '/auth/sign-out', browser(laptop), {})).statusCode).toBe(204);
  });

  it('ends one other session: that browser is signed out on its next request, and it is audited with its context', async () => {
    const laptop = await signInAgain(robin.email, secret, CHROME, '203.0.113.9');
    let phone = await signInAgain(robin.email, secret, FIREFOX, '198.51.100.8');
    // Ending a session needs password and code proved in the last 5 minutes (V7.5.2).
    staleReauthentication();
    phone = await reauthenticate(phone);
    const listed = (await call('GET', '/account/sessions', browser(phone))).json();
    const target = listed.sessions.find(
      (s: { browser: string | null }) => s.browser === 'Chrome 131 on Linux',
    );
    expect(target).toMatchObject({ address: '203.0.113.9', current: false });
    // The session in use is ended by signing out, not from the list.
    const current = listed.sessions.find((s: { current: boolean }) => s.current);
    expect((await call('DELETE', `/account/sessions/${current.id}`, browser(phone))).statusCode).toBe(409);

    const ended = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/account/sessions/${target.id}`,
      remoteAddress: '198.51.100.8',
      headers: { ...browser(phone), 'user-agent': FIREFOX },
    });
    expect(ended.statusCode).toBe(204);
    const next = await call('GET', '/auth/session', { cookie: laptop.cookie });
    expect(next.statusCode).toBe(401);
    expect((await call('GET', '/auth/session', { cookie: phone.cookie })).statusCode).toBe(200);
    // Ending it again finds nothing.
    expect((await call('DELETE', `/account/sessions/${target.id}`, browser(phone))).statusCode).toBe(404);

    const [event] = (await events('account.session-ended')).slice(-1);
    expect(event).toMatchObject({ actor_id: robin.userId, record_type: 'session', record_id: target.id });
    expect(await auditEventContext(t.vault.db, event?.seq ?? 0)).toMatchObject({
      source_address: '198.51.100.8',
      user_agent: FIREFOX,
    });
    await call('POST', '/auth/sign-out', browser(phone), {});
  });

  it('ends all other sessions, keeping this one, and revokes every token only when asked', async () => {
    const a = await signInAgain(robin.email, secret, CHROME, '203.0.113.10');
    let b = await signInAgain(robin.email, secret, FIREFOX, '203.0.113.11');
    staleReauthentication();
    b = await reauthenticate(b);
    const kept = await call('POST', '/account/sessions/end-others', browser(b), { tokens: false });
    expect(kept.statusCode).toBe(200);
    expect(kept.json()).toEqual({ sessions: 2, tokens: 0 });
    expect((await call('GET', '/auth/session', { cookie: a.cookie })).statusCode).toBe(401);
    expect((await call('GET', '/auth/session', { cookie: enrolled.cookie })).statusCode).toBe(401);
    expect((await call('GET', '/account/sessions', bearer(robin))).statusCode).toBe(200);
    expect((await events('account.other-sessions-ended')).at(-1)).toMatchObject({ actor_id: robin.userId });

    const c = await signInAgain(robin.email, secret, CHROME, '203.0.113.12');
    const all = await call('POST', '/account/sessions/end-others', browser(b), { tokens: true });
    expect(all.json()).toEqual({ sessions: 1, tokens: 1 });
    expect((await call('GET', '/auth/session', { cookie: c.cookie })).statusCode).toBe(401);
    expect((await call('GET', '/account/sessions', bearer(robin))).statusCode).toBe(401);
    const listed = (await call('GET', '/account/sessions', browser(b))).json();
    expect(listed.sessions).toHaveLength(1);
    expect(listed.tokens).toEqual([]);
    expect((await events('account.other-sessions-and-tokens-ended')).length).toBe(1);
    enrolled = b;
  });

  it('refuses an administrator’s ending to anyone but an administrator, and for anyone not on their staff (404), auditing the refusal', async () => {
    const deniedBefore = (await events('people.manage')).length;
    // A practitioner may not; nor may a client.
    expect(
      (await call('POST', `/people/${admin.userId}/sessions/end`, browser(enrolled), {})).statusCode,
    ).toBe(404);
    expect(
      (await call('POST', `/people/${robin.userId}/sessions/end`, bearer(clientAccount), {})).statusCode,
    ).toBe(404);
    // An administrator, for another practice's staff, a client's account, or nobody at all.
    for (const userId of [elsewhere.userId, clientAccount.userId, '6f1c2a4e-0000-4000-8000-000000000000']) {
      const response = await call('POST', `/people/${userId}/sessions/end`, bearer(admin), {});
      expect(response.statusCode, userId).toBe(404);
      expect(problemDocumentSchema.parse(response.json()).code).toBe('not-found');
    }
    const denied = (await events('people.manage')).slice(deniedBefore);
    expect(denied).toHaveLength(5);
    expect(denied.every((e) => e.outcome === 'denied')).toBe(true);
    // The other practice's person still works.
    expect((await call('GET', '/account/sessions', bearer(elsewhere))).statusCode).toBe(200);
  });

  it('lets an administrator end every session and token of a staff member of their practice, audited', async () => {
    const phone = await signInAgain(robin.email, secret, FIREFOX, '203.0.113.20');
    const robinToken = await addStaff(t.vault, {
      email: 'robin-second@example.test',
      name: 'Robin Second (fictional)',
      roles: ['practitioner'],
    });
    const response = await t.app.inject({
      method: 'POST',
      url: `/api/v1/people/${robinToken.userId}/sessions/end`,
      headers: { ...bearer(admin), 'user-agent': CHROME },
      remoteAddress: '192.0.2.50',
      payload: {},
    });
    expect(response.statusCode).toBe(204);
    expect((await call('GET', '/account/sessions', bearer(robinToken))).statusCode).toBe(401);
    expect((await call('GET', '/auth/session', { cookie: phone.cookie })).statusCode).toBe(200);

    const ended = await call('POST', `/people/${robin.userId}/sessions/end`, bearer(admin), {});
    expect(ended.statusCode).toBe(204);
    expect((await call('GET', '/auth/session', { cookie: phone.cookie })).statusCode).toBe(401);
    expect((await call('GET', '/auth/session', { cookie: enrolled.cookie })).statusCode).toBe(401);
    const audited = await events('people.sessions-ended');
    expect(audited.map((e) => [e.actor_id, e.record_id, e.outcome])).toEqual([
      [admin.userId, robinToken.userId, 'ok'],
      [admin.userId, robin.userId, 'ok'],
    ]);
    expect(await auditEventContext(t.vault.db, audited[0]?.seq ?? 0)).toMatchObject({
      source_address: '192.0.2.50',
      user_agent: CHROME,
    });
  });
});
