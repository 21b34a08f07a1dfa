import { testEngines } from '@alcove/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserSaysCrossSite } from './auth/cross-site.ts';
import {
  addStaff,
  bearer,
  startTestApp,
  TEST_PASSWORD,
  type TestApp,
  type TestStaff,
} from './testing/app.ts';
import { type BrowserSession, signInAndEnrol } from './testing/browser-session.ts';

/**
 * Issue 16, finding 9 (ASVS V3.5): a state-changing request a browser marks as coming from
 * another site is refused even with the session cookie and a valid CSRF token; a script's
 * bearer token is not affected; a caller that sends neither header keeps the CSRF rule.
 */
describe('which requests a browser marks as from another site', () => {
  const own = 'https://alcove.example.test';
  const cases: ReadonlyArray<[string, { secFetchSite?: string; origin?: string }, boolean]> = [
    ['no header at all (a script)', {}, false],
    ['Sec-Fetch-Site: same-origin', { secFetchSite: 'same-origin' }, false],
    ['Sec-Fetch-Site: none (typed in, a bookmark)', { secFetchSite: 'none' }, false],
    ['Sec-Fetch-Site: same-site (a sibling subdomain)', { secFetchSite: 'same-site' }, true],
    ['Sec-Fetch-Site: cross-site', { secFetchSite: 'cross-site' }, true],
    ['Sec-Fetch-Site: cross-site with our Origin', { secFetchSite: 'cross-site', origin: own }, true],
    ['Sec-Fetch-Site: something unknown', { secFetchSite: 'elsewhere' }, true],
    ['our Origin, no Sec-Fetch-Site (an older browser)', { origin: own }, false],
    ['our Origin with the default port written out', { origin: 'https://alcove.example.test:443' }, false],
    ['a foreign Origin', { origin: 'https://attacker.example.test' }, true],
    ['a sibling subdomain', { origin: 'https://mail.alcove.example.test' }, true],
    ['our host over plain HTTP', { origin: 'http://alcove.example.test' }, true],
    ['our host on another port', { origin: 'https://alcove.example.test:8443' }, true],
    ['Origin: null (a sandboxed frame, a file, a redirect)', { origin: 'null' }, true],
    ['an Origin that is not one', { origin: 'https://alcove.example.test/path' }, true],
    ['two Origins', { origin: `${own}, https://attacker.example.test` }, true],
  ];
  it.each(cases)('%s', (_name, headers, crossSite) => {
    expect(browserSaysCrossSite(headers, own)).toBe(crossSite);
  });
  it('is foreign when this server cannot say what its own origin is', () => {
    expect(browserSaysCrossSite({ origin: own }, 'https://')).toBe(true);
  });
});

describe.each(testEngines)('cross-site requests on $name', (engine) => {
  let t: TestApp;
  let staff: TestStaff;
  let browser: BrowserSession;
  const clock = Date.parse('2026-11-22T10:00:00Z');
  // light-my-request's default Host; the app's own origin over plain HTTP.
  const OWN_ORIGIN = 'http://localhost';
  const FOREIGN_ORIGIN = 'https://attacker.example.test';

  beforeAll(async () => {
    t = await startTestApp(engine, { now: () => new Date(clock), signInRateLimit: 1000 });
    staff = await addStaff(t.vault, {
      email: 'cross-site@example.test',
      name: 'Cross Site Practitioner (fictional)',
      roles: ['practitioner'],
    });
    browser = await signInAndEnrol(t.app, staff.email, () => clock);
  });
  afterAll(async () => {
    await t.close();
  });

  const clientCount = async () =>
    Number(
      (
        await t.vault.db
          .selectFrom('client')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  // A new name each time: the same name twice would be a conflict at intake (422).
  const names = ['Ada', 'Bryn', 'Cai', 'Dilys', 'Efa', 'Ffion', 'Gwen', 'Huw', 'Iolo', 'Jac'];
  let taken = 0;
  const takeOnClient = (headers: Record<string, string>) =>
    t.app.inject({
      method: 'POST',
      url: '/api/v1/clients',
      headers,
      payload: { identity: { name: `${names[taken++ % names.length]} Crossley (fictional)` } },
    });
  const withCookie = (extra: Record<string, string> = {}) => ({
    cookie: browser.cookie,
    'x-csrf-token': browser.csrfToken,
    ...extra,
  });

  it('refuses a cookie request with a valid CSRF token but a foreign Origin, and writes nothing', async () => {
    const before = await clientCount();
    const response = await takeOnClient(withCookie({ origin: FOREIGN_ORIGIN }));
    expect(response.statusCode).toBe(403);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json().code).toBe('cross-site-request');
    expect(await clientCount()).toBe(before);
  });

  it('refuses Sec-Fetch-Site cross-site and same-site, even beside this server’s Origin', async () => {
    const before = await clientCount();
    for (const site of ['cross-site', 'same-site']) {
      const response = await takeOnClient(withCookie({ 'sec-fetch-site': site, origin: OWN_ORIGIN }));
      expect(response.statusCode, site).toBe(403);
      expect(response.json().code, site).toBe('cross-site-request');
    }
    expect(await clientCount()).toBe(before);
  });

  it('refuses Origin: null', async () => {
    const response = await takeOnClient(withCookie({ origin: 'null' }));
    expect(response.statusCode).toBe(403);
    expect(response.json().code).toBe('cross-site-request');
  });

  it('accepts a cookie request from its own origin', async () => {
    const before = await clientCount();
    expect((await takeOnClient(withCookie({ origin: OWN_ORIGIN }))).statusCode).toBe(201);
    expect(
      (await takeOnClient(withCookie({ origin: OWN_ORIGIN, 'sec-fetch-site': 'same-origin' }))).statusCode,
    ).toBe(201);
    expect(await clientCount()).toBe(before + 2);
  });

  it('still needs the CSRF token from its own origin, and from a caller that sends neither header', async () => {
    const sameOriginNoToken = await takeOnClient({ cookie: browser.cookie, origin: OWN_ORIGIN });
    expect(sameOriginNoToken.statusCode).toBe(403);
    expect(sameOriginNoToken.json().code).toBe('csrf-failed');
    const scriptNoToken = await takeOnClient({ cookie: browser.cookie });
    expect(scriptNoToken.json().code).toBe('csrf-failed');
    expect((await takeOnClient(withCookie())).statusCode).toBe(201);
  });

  it('lets a foreign page read nothing new, but does not refuse a safe method', async () => {
    const read = await t.app.inject({
      method: 'GET',
      url: '/api/v1/clients',
      headers: { cookie: browser.cookie, origin: FOREIGN_ORIGIN, 'sec-fetch-site': 'cross-site' },
    });
    // A GET changes nothing; the SameSite=Strict cookie keeps a real cross-site GET unsigned-in.
    expect(read.statusCode).toBe(200);
  });

  it('accepts a bearer-token request whatever Origin and Sec-Fetch-Site say', async () => {
    const response = await takeOnClient({
      ...bearer(staff),
      origin: FOREIGN_ORIGIN,
      'sec-fetch-site': 'cross-site',
    });
    expect(response.statusCode).toBe(201);
  });

  it('refuses a cross-site sign-in (login CSRF) before it is tried, and sets no cookie', async () => {
    const signIn = (headers: Record<string, string>) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/sign-in',
        headers,
        payload: { email: staff.email, password: TEST_PASSWORD },
      });
    for (const headers of [{ origin: FOREIGN_ORIGIN }, { 'sec-fetch-site': 'cross-site' }]) {
      const forged = await signIn(headers);
      expect(forged.statusCode).toBe(403);
      expect(forged.json().code).toBe('cross-site-request');
      expect(forged.headers['set-cookie']).toBeUndefined();
    }
    const own = await signIn({ origin: OWN_ORIGIN, 'sec-fetch-site': 'same-origin' });
    expect(own.statusCode).toBe(200);
    expect(own.headers['set-cookie']).toBeDefined();
  });
});

describe.each(testEngines)('cross-site requests behind the HTTPS proxy on $name', (engine) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(engine, { behindProxy: true, signInRateLimit: 1000 });
  });
  afterAll(async () => {
    await t.close();
  });

  // A wrong password: 401 means the request was tried; 403 that it was refused unseen.
  const signInVia = (origin: string, from = '127.0.0.1') =>
    t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/sign-in',
      remoteAddress: from,
      headers: {
        host: '127.0.0.1:8080',
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'alcove.example.test',
        origin,
      },
      payload: { email: 'nobody@example.test', password: 'not the password' },
    });

  it('takes its own origin from the trusted proxy’s X-Forwarded-Proto and -Host', async () => {
    expect((await signInVia('https://alcove.example.test')).statusCode).toBe(401);
    expect((await signInVia('http://alcove.example.test')).json().code).toBe('cross-site-request');
    expect((await signInVia('http://127.0.0.1:8080')).json().code).toBe('cross-site-request');
  });

  it('ignores X-Forwarded-* from anywhere but the proxy', async () => {
    const spoofed = await signInVia('https://alcove.example.test', '203.0.113.9');
    expect(spoofed.statusCode).toBe(403);
    expect(spoofed.json().code).toBe('cross-site-request');
  });
});
