import { addDays, dayOf, problemDocumentSchema } from '@alcove/core';
import { advanceSession, replaceRecoveryCodes, resetSecondFactor } from '@alcove/store';
import { testEngines } from '@alcove/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECOND_FACTOR_LOCKOUT } from './auth/lockout.ts';
import { normaliseRecoveryCode } from './auth/recovery-codes.ts';
import { sha256Hex } from './auth/secrets.ts';
import { currentTotp } from './auth/totp.ts';
import {
  addStaff,
  bearer,
  startTestApp,
  TEST_PASSWORD,
  type TestApp,
  type TestStaff,
} from './testing/app.ts';
import { type BrowserSession, cookieFrom, signInAndEnrol } from './testing/browser-session.ts';

/**
 * Issue 16, findings 2 and 3: proving who you are again, API tokens that end, and recovery
 * codes that are salted, slow to guess and used once.
 */
describe.each(testEngines)('re-authentication, API tokens and recovery codes on $name', (engine) => {
  let t: TestApp;
  let clock = Date.parse('2026-11-22T10:00:00Z');
  const now = () => clock;
  const MINUTE = 60_000;
  let n = 0;

  beforeAll(async () => {
    t = await startTestApp(engine, { now: () => new Date(clock), signInRateLimit: 1000 });
  });
  afterAll(async () => {
    await t.close();
  });

  const inject = (
    method: 'GET' | 'POST' | 'DELETE',
    url: string,
    headers: Record<string, string>,
    payload?: unknown,
  ) =>
    t.app.inject({
      method,
      url: `/api/v1${url}`,
      headers,
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });
  const asBrowser = (browser: BrowserSession) => ({
    cookie: browser.cookie,
    'x-csrf-token': browser.csrfToken,
  });
  /** A new account of these roles, signed in and enrolled in a browser (just now: re-authenticated). */
  const person = async (roles: Parameters<typeof addStaff>[1]['roles'] = ['practitioner']) => {
    n += 1;
    const staff = await addStaff(t.vault, {
      email: `reauth-${n}@example.test`,
      name: `Person ${n} (fictional)`,
      roles,
    });
    return { staff, browser: await signInAndEnrol(t.app, staff.email, now) };
  };
  /** The next authenticator code: a step not used before. */
  const nextCode = (browser: BrowserSession) => {
    clock += 30_000;
    return currentTotp(browser.totpSecret, now());
  };
  /** Re-authenticates; on success the browser holds the session's new cookie and CSRF token. */
  const reauthenticate = async (browser: BrowserSession, password = TEST_PASSWORD) => {
    const response = await inject('POST', '/account/reauthenticate', asBrowser(browser), {
      password,
      code: nextCode(browser),
    });
    if (response.statusCode === 200) {
      browser.cookie = cookieFrom(response.headers['set-cookie']);
      browser.csrfToken = response.json().csrfToken as string;
    }
    return response;
  };
  const audits = async (userId: string, action: string) =>
    (
      await t.vault.db
        .selectFrom('audit_event')
        .select(['outcome'])
        .where('actor_id', '=', userId)
        .where('action', '=', action)
        .orderBy('seq')
        .execute()
    ).map((r) => r.outcome);

  describe('proving who you are again', () => {
    it('refuses an anonymous caller, an API token and a malformed body', async () => {
      const { staff, browser } = await person();
      expect(
        (await inject('POST', '/account/reauthenticate', {}, { password: 'x', code: '123456' })).statusCode,
      ).toBe(401);
      const byToken = await inject('POST', '/account/reauthenticate', bearer(staff), {
        password: TEST_PASSWORD,
        code: nextCode(browser),
      });
      expect(byToken.statusCode).toBe(401);
      for (const payload of [
        { password: TEST_PASSWORD },
        { password: TEST_PASSWORD, code: '12345' },
        {
          password: TEST_PASSWORD,
          code: '123456',
          remember: true,
        },
      ]) {
        const response = await inject('POST', '/account/reauthenticate', asBrowser(browser), payload);
        expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      }
    });

    it('needs the password and a current code, both; audits each attempt; uses a code once', async () => {
      const { staff, browser } = await person();
      const wrongPassword = await reauthenticate(browser, 'not the password at all');
      expect(wrongPassword.statusCode).toBe(401);
      expect(problemDocumentSchema.parse(wrongPassword.json()).code).toBe('invalid-credentials');
      const wrongCode = await inject('POST', '/account/reauthenticate', asBrowser(browser), {
        password: TEST_PASSWORD,
        code: '000000',
      });
      expect(wrongCode.statusCode).toBe(401);
      // Neither answer says which of the two was wrong.
      expect(wrongCode.json().detail).toBe(wrongPassword.json().detail);
      const code = nextCode(browser);
      const ok = await inject('POST', '/account/reauthenticate', asBrowser(browser), {
        password: TEST_PASSWORD,
        code,
      });
      expect(ok.statusCode).toBe(200);
      expect(Date.parse(ok.json().reauthenticatedUntil)).toBe(clock + 5 * MINUTE);
      // A new session id, as at sign-in: the old cookie stops working.
      const newCookie = cookieFrom(ok.headers['set-cookie']);
      expect(newCookie).not.toBe(browser.cookie);
      expect((await inject('GET', '/clients', { cookie: browser.cookie })).statusCode).toBe(401);
      expect((await inject('GET', '/clients', { cookie: newCookie })).statusCode).toBe(200);
      const replay = await inject(
        'POST',
        '/account/reauthenticate',
        { cookie: newCookie, 'x-csrf-token': ok.json().csrfToken as string },
        { password: TEST_PASSWORD, code },
      );
      expect(replay.statusCode).toBe(401);
      expect(await audits(staff.userId, 'session.reauthenticate')).toEqual([
        'failed',
        'failed',
        'ok',
        'failed',
      ]);
    });

    it('counts a wrong answer towards the second-factor lockout', async () => {
      const { browser } = await person();
      for (let i = 0; i < SECOND_FACTOR_LOCKOUT.limit - 1; i += 1)
        expect((await reauthenticate(browser, 'not the password at all')).statusCode).toBe(401);
      // The failure that reaches the limit locks the second factor: right answers wait too.
      expect((await reauthenticate(browser, 'not the password at all')).statusCode).toBe(429);
      expect((await reauthenticate(browser)).statusCode).toBe(429);
    });
  });

  describe('API tokens', () => {
    it('makes a token only in a browser session re-authenticated in the last 5 minutes', async () => {
      const { staff, browser } = await person();
      expect((await inject('POST', '/account/tokens', {}, { name: 'script' })).statusCode).toBe(401);
      // A token can never make another token.
      const byToken = await inject('POST', '/account/tokens', bearer(staff), { name: 'script' });
      expect(byToken.statusCode).toBe(401);
      for (const payload of [
        { name: '' },
        { name: 'script', days: 0 },
        { name: 'script', days: 366 },
        { name: 'script', scope: 'admin' },
        { name: 'script', days: 30, lastDay: '2026-12-01' },
        { name: 'script', lastDay: '22/11/2026' },
        { name: 'script', practiceId: staff.userId },
      ]) {
        const response = await inject('POST', '/account/tokens', asBrowser(browser), payload);
        expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      }
      // Signing in with both factors just now counts; six minutes later it does not.
      clock += 6 * MINUTE;
      const stale = await inject('POST', '/account/tokens', asBrowser(browser), { name: 'script' });
      expect(stale.statusCode).toBe(403);
      expect(problemDocumentSchema.parse(stale.json()).code).toBe('reauthentication-required');
      expect((await reauthenticate(browser)).statusCode).toBe(200);
      const made = await inject('POST', '/account/tokens', asBrowser(browser), { name: 'script' });
      expect(made.statusCode).toBe(201);
      // The default: read and write, to the end of the London day 90 days from today.
      const today = dayOf(new Date(clock));
      expect(made.json()).toMatchObject({ name: 'script', scope: 'read-write', lastDay: addDays(today, 90) });
      expect(
        (await inject('GET', '/clients', { authorization: `Bearer ${made.json().token}` })).statusCode,
      ).toBe(200);
      clock += 5 * MINUTE + 1000;
      expect(
        (await inject('POST', '/account/tokens', asBrowser(browser), { name: 'later' })).statusCode,
      ).toBe(403);
      expect(await audits(staff.userId, 'account.token-created')).toEqual(['ok']);
    });

    it('gives a token one practice, a scope and an expiry, shown in the list; refuses it once expired', async () => {
      const { staff, browser } = await person();
      const today = dayOf(new Date(clock));
      const tooLate = await inject('POST', '/account/tokens', asBrowser(browser), {
        name: 'year and a day',
        lastDay: addDays(today, 366),
      });
      expect(tooLate.statusCode).toBe(400);
      expect(tooLate.json().errors[0].pointer).toBe('/lastDay');
      const past = await inject('POST', '/account/tokens', asBrowser(browser), {
        name: 'yesterday',
        lastDay: addDays(today, -1),
      });
      expect(past.statusCode).toBe(400);
      const year = await inject('POST', '/account/tokens', asBrowser(browser), {
        name: 'a year',
        lastDay: addDays(today, 365),
        scope: 'read',
      });
      expect(year.statusCode).toBe(201);
      const short = await inject('POST', '/account/tokens', asBrowser(browser), { name: 'short', days: 1 });
      expect(short.statusCode).toBe(201);
      const token = { authorization: `Bearer ${short.json().token}` };
      const list = await inject('GET', '/account/tokens', bearer(staff));
      const byName = (tokens: { name: string }[]) => [...tokens].sort((a, b) => a.name.localeCompare(b.name));
      expect(byName(list.json().tokens)).toEqual([
        expect.objectContaining({ name: 'a year', scope: 'read', lastDay: addDays(today, 365) }),
        expect.objectContaining({ name: 'short', scope: 'read-write', lastDay: addDays(today, 1) }),
        expect.objectContaining({ name: 'tests', scope: 'read-write' }),
      ]);
      const row = await t.vault.db
        .selectFrom('api_token')
        .selectAll()
        .where('id', '=', short.json().id)
        .executeTakeFirstOrThrow();
      expect(row.practice_id).toBe(t.vault.practice.id);
      expect(row.expires_at).toBe(short.json().expiresAt);

      // Tomorrow it still works; the day after, it has ended, with a problem that says so.
      clock += 24 * 60 * MINUTE;
      expect((await inject('GET', '/clients', token)).statusCode).toBe(200);
      clock += 24 * 60 * MINUTE;
      const expired = await inject('GET', '/clients', token);
      expect(expired.statusCode).toBe(401);
      expect(problemDocumentSchema.parse(expired.json()).code).toBe('token-expired');
      expect(
        (await inject('GET', '/account/tokens', bearer(staff)))
          .json()
          .tokens.map((x: { name: string }) => x.name)
          .sort(),
      ).toEqual(['a year', 'tests']);
    });

    it('refuses a read-only token every change, and lets it read', async () => {
      const staff = await addStaff(t.vault, {
        email: 'reader@example.test',
        name: 'Reader (fictional)',
        roles: ['practitioner'],
        tokenScope: 'read',
      });
      const read = await inject('GET', '/clients', bearer(staff));
      expect(read.statusCode).toBe(200);
      const write = await inject('POST', '/clients', bearer(staff), {
        identity: { name: 'Never Made (fictional)' },
      });
      expect(write.statusCode).toBe(403);
      expect(problemDocumentSchema.parse(write.json()).code).toBe('token-read-only');
      const revoke = await inject(
        'DELETE',
        '/account/tokens/6f1c2a4e-0000-4000-8000-000000000000',
        bearer(staff),
      );
      expect(revoke.statusCode).toBe(403);
      expect((await inject('GET', '/clients', bearer(staff))).json()).toEqual(read.json());
      // A search by name is a POST (no name in a URL) that only reads: a read token may use it.
      const search = await inject('POST', '/clients/search', bearer(staff), { name: 'Nobody (fictional)' });
      expect(search.statusCode).toBe(200);
    });

    it('revokes every token of the account when its password changes', async () => {
      const { staff, browser } = await person();
      const made = await inject('POST', '/account/tokens', asBrowser(browser), { name: 'backup' });
      expect(made.statusCode).toBe(201);
      const changed = await inject('POST', '/account/password', asBrowser(browser), {
        currentPassword: TEST_PASSWORD,
        newPassword: 'a different fictional passphrase',
      });
      expect(changed.statusCode).toBe(204);
      expect(
        (await inject('GET', '/clients', { authorization: `Bearer ${made.json().token}` })).statusCode,
      ).toBe(401);
      expect((await inject('GET', '/clients', bearer(staff))).statusCode).toBe(401);
      // The browser that changed it goes on.
      expect((await inject('GET', '/clients', { cookie: browser.cookie })).statusCode).toBe(200);
    });

    it('revokes every token of the account when its second factor is reset (alcove people reset-second-factor)', async () => {
      const { staff, browser } = await person();
      const made = await inject('POST', '/account/tokens', asBrowser(browser), { name: 'diary' });
      expect(made.statusCode).toBe(201);
      await t.vault.db
        .transaction()
        .execute((trx) => resetSecondFactor(trx, staff.userId, new Date(clock).toISOString()));
      expect(
        (await inject('GET', '/clients', { authorization: `Bearer ${made.json().token}` })).statusCode,
      ).toBe(401);
      expect((await inject('GET', '/clients', bearer(staff))).statusCode).toBe(401);
      expect((await inject('GET', '/clients', { cookie: browser.cookie })).statusCode).toBe(401);
      const again = await inject(
        'POST',
        '/auth/sign-in',
        {},
        { email: staff.email, password: TEST_PASSWORD },
      );
      expect(again.json().stage).toBe('mfa-enrol');
    });

    it('lets only practitioners and administrators hold a token: never a client, supervisor or executor', async () => {
      for (const roles of [['supervisor'], ['executor'], ['client'], ['appropriate-adult']] as const) {
        const { staff, browser } = await person(roles);
        const refused = await inject('POST', '/account/tokens', asBrowser(browser), { name: 'mine' });
        expect(refused.statusCode, roles[0]).toBe(403);
        expect(problemDocumentSchema.parse(refused.json()).code).toBe('not-permitted');
        expect(await audits(staff.userId, 'account.token-created')).toEqual(['denied']);
      }
      for (const roles of [['administrator'], ['practitioner', 'administrator']] as const) {
        const { browser } = await person(roles);
        expect(
          (await inject('POST', '/account/tokens', asBrowser(browser), { name: 'mine' })).statusCode,
        ).toBe(201);
      }
    });
  });

  it('does not carry a re-authentication to a session moved on without one (a practice switch)', async () => {
    const { staff, browser } = await person();
    const before = await t.vault.db
      .selectFrom('user_session')
      .selectAll()
      .where('user_id', '=', staff.userId)
      .where('ended_at', 'is', null)
      .executeTakeFirstOrThrow();
    expect(before.reauthenticated_at).not.toBeNull();
    await t.vault.db.transaction().execute((trx) =>
      advanceSession(trx, {
        oldIdHash: before.id_hash,
        newIdHash: 'f'.repeat(64),
        csrfToken: 'x',
        stage: 'active',
        now: new Date(clock).toISOString(),
      }),
    );
    const after = await t.vault.db
      .selectFrom('user_session')
      .selectAll()
      .where('id_hash', '=', 'f'.repeat(64))
      .executeTakeFirstOrThrow();
    expect(after.reauthenticated_at).toBeNull();
    expect(browser.cookie).toBeDefined();
  });

  describe('recovery codes', () => {
    it('replaces them only in a browser session re-authenticated in the last 5 minutes', async () => {
      const { staff, browser } = await person();
      expect((await inject('POST', '/account/recovery-codes', {}, {})).statusCode).toBe(401);
      expect((await inject('POST', '/account/recovery-codes', bearer(staff), {})).statusCode).toBe(401);
      expect(
        (await inject('POST', '/account/recovery-codes', asBrowser(browser), { codes: 3 })).statusCode,
      ).toBe(400);
      clock += 6 * MINUTE;
      const stale = await inject('POST', '/account/recovery-codes', asBrowser(browser), {});
      expect(stale.statusCode).toBe(403);
      expect(stale.json().code).toBe('reauthentication-required');
      expect((await reauthenticate(browser)).statusCode).toBe(200);
      const replaced = await inject('POST', '/account/recovery-codes', asBrowser(browser), {});
      expect(replaced.statusCode).toBe(200);
      const codes = replaced.json().recoveryCodes as string[];
      expect(codes).toHaveLength(10);
      // 16 characters of a 31-letter alphabet: 79 bits each.
      for (const code of codes) expect(code).toMatch(/^[a-hjkmnp-z2-9]{4}(-[a-hjkmnp-z2-9]{4}){3}$/);
      expect(new Set(codes).size).toBe(10);
      expect(await audits(staff.userId, 'account.recovery-codes-replaced')).toEqual(['ok']);
      // The old ones stop working.
      const old = browser.recoveryCodes[0] ?? '';
      expect((await challengeWithRecoveryCode(staff, old)).statusCode).toBe(401);
      expect((await challengeWithRecoveryCode(staff, codes[0] ?? '')).statusCode).toBe(200);
    });

    it('stores each code as argon2id with its own salt, never as its SHA-256', async () => {
      const { staff, browser } = await person();
      const rows = await t.vault.db
        .selectFrom('recovery_code')
        .select('code_hash')
        .where('user_id', '=', staff.userId)
        .execute();
      expect(rows).toHaveLength(10);
      const hashes = rows.map((r) => r.code_hash);
      for (const code of browser.recoveryCodes) {
        expect(hashes).not.toContain(sha256Hex(normaliseRecoveryCode(code)));
        expect(hashes).not.toContain(sha256Hex(code));
      }
      const salts = new Set<string>();
      for (const hash of hashes) {
        expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/);
        salts.add(hash.split('$')[4] ?? '');
      }
      expect(salts.size).toBe(10);
    });

    const challengeWithRecoveryCode = async (staff: TestStaff, recoveryCode: string) => {
      const signIn = await inject(
        'POST',
        '/auth/sign-in',
        {},
        { email: staff.email, password: TEST_PASSWORD },
      );
      return inject(
        'POST',
        '/auth/mfa/challenge',
        {
          cookie: cookieFrom(signIn.headers['set-cookie']),
          'x-csrf-token': signIn.json().csrfToken as string,
        },
        { recoveryCode },
      );
    };

    it('the codes given at enrolment sign in, each once, however they are typed', async () => {
      const { staff, browser } = await person();
      const code = browser.recoveryCodes[3] ?? '';
      const typed = ` ${code.toUpperCase().replaceAll('-', ' ')} `;
      expect((await challengeWithRecoveryCode(staff, typed)).statusCode).toBe(200);
      expect((await challengeWithRecoveryCode(staff, code)).statusCode).toBe(401);
      expect((await challengeWithRecoveryCode(staff, browser.recoveryCodes[4] ?? '')).statusCode).toBe(200);
      const left = await t.vault.db
        .selectFrom('recovery_code')
        .select('id')
        .where('user_id', '=', staff.userId)
        .where('used_at', 'is', null)
        .execute();
      expect(left).toHaveLength(8);
    });

    it('lets one of two sign-ins that use the same code at once through, never both', async () => {
      const { staff, browser } = await person();
      const code = browser.recoveryCodes[0] ?? '';
      const [a, b] = await Promise.all([
        challengeWithRecoveryCode(staff, code),
        challengeWithRecoveryCode(staff, code),
      ]);
      expect([a?.statusCode, b?.statusCode].sort()).toEqual([200, 401]);
    });

    it('still accepts a code stored before issue 16 as SHA-256, once, until the codes are replaced', async () => {
      const { staff } = await person();
      const legacy = 'abcde-fghjk';
      await t.vault.db
        .transaction()
        .execute((trx) =>
          replaceRecoveryCodes(trx, staff.userId, [sha256Hex(normaliseRecoveryCode(legacy))]),
        );
      expect((await challengeWithRecoveryCode(staff, legacy)).statusCode).toBe(200);
      expect((await challengeWithRecoveryCode(staff, legacy)).statusCode).toBe(401);
    });
  });
});
