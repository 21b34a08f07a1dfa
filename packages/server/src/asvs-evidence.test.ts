import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { testEngines } from '@alcove/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentTotp } from './auth/totp.ts';
import { addStaff, startTestApp, TEST_PASSWORD, type TestApp } from './testing/app.ts';
import { type BrowserSession, cookieFrom, signInAndEnrol } from './testing/browser-session.ts';

/**
 * Tests for ASVS 5.0 requirements (docs/security/asvs.md) that no other test shows on its
 * own: the password policy as the HTTP API applies it, the randomness and lifetime of
 * secrets, and what the logs hold. Each title is named there as a requirement's evidence.
 */
const engine = testEngines[0];
if (engine === undefined) throw new Error('no engine');

describe('accounts, as ASVS 5.0 Level 2 asks', () => {
  let t: TestApp;
  let clock = Date.parse('2026-11-22T10:00:00Z');
  const now = () => clock;
  const logLines: string[] = [];
  let accounts = 0;

  beforeAll(async () => {
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(
          ...chunk
            .toString('utf8')
            .split('\n')
            .filter((line) => line !== ''),
        );
        done();
      },
    });
    t = await startTestApp(engine, {
      now: () => new Date(clock),
      signInRateLimit: 1000,
      logger: { level: 'info', stream },
    });
  });
  afterAll(async () => {
    await t.close();
  });

  const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'POST', url: `/api/v1${url}`, payload: payload as object, headers });

  /** A new staff account, signed in and enrolled in a browser session. */
  async function newAccount(): Promise<{ email: string; browser: BrowserSession }> {
    accounts += 1;
    const email = `asvs-${accounts}@example.test`;
    await addStaff(t.vault, { email, name: `ASVS ${accounts} (fictional)`, roles: ['practitioner'] });
    return { email, browser: await signInAndEnrol(t.app, email, now) };
  }

  const changePassword = (browser: BrowserSession, currentPassword: string, newPassword: string) =>
    post(
      '/account/password',
      { currentPassword, newPassword },
      { cookie: browser.cookie, 'x-csrf-token': browser.csrfToken },
    );

  const signIn = (email: string, password: string) => post('/auth/sign-in', { email, password });

  it('refuses a new password shorter than 12 characters, and takes one of 12', async () => {
    const { browser } = await newAccount();
    const short = await changePassword(browser, TEST_PASSWORD, 'Kx9#vQ2m!pL');
    expect(short.statusCode).toBe(400);
    expect(short.json().detail).toMatch(/12 characters/);
    expect(short.body).not.toContain('Kx9#vQ2m!pL');
    expect((await changePassword(browser, TEST_PASSWORD, 'Kx9#vQ2m!pL7')).statusCode).toBe(204);
  });

  it('takes a password of any composition: lower case only, spaces, accents, symbols, emoji', async () => {
    const { email, browser } = await newAccount();
    let current = TEST_PASSWORD;
    for (const next of [
      'lowercase words only make a fine long passphrase',
      'ünïcödé pässwörd über die straße, señor',
      '🦊🌲 the fox sleeps under nine pines 🌅',
      '  ~!@#$%^&*()_+{}|:"<>? ][\';/.,`-= spaced  ',
      'ДЛИННЫЙ ПАРОЛЬ ИЗ КИРИЛЛИЦЫ И ЦИФР 4096',
    ]) {
      const changed = await changePassword(browser, current, next);
      expect(changed.statusCode, next).toBe(204);
      expect((await signIn(email, next)).statusCode, next).toBe(200);
      current = next;
    }
  });

  it('checks a password exactly as typed: no case folding, no truncation, no trimming', async () => {
    // Wrong guesses are spread over accounts: each stays under the lockout's five failures.
    const cased = await newAccount();
    const mixed = 'Correct Horse Battery Staple On Tuesday';
    expect((await changePassword(cased.browser, TEST_PASSWORD, mixed)).statusCode).toBe(204);
    expect((await signIn(cased.email, mixed.toLowerCase())).statusCode).toBe(401);
    expect((await signIn(cased.email, mixed.toUpperCase())).statusCode).toBe(401);
    expect((await signIn(cased.email, mixed)).statusCode).toBe(200);

    const long = await newAccount();
    const password = `${'seventy-two bytes is where bcrypt stops reading, '.repeat(3)}and here it differs`;
    expect(password.length).toBeGreaterThan(150);
    expect((await changePassword(long.browser, TEST_PASSWORD, password)).statusCode).toBe(204);
    expect((await signIn(long.email, password.slice(0, 72))).statusCode).toBe(401);
    expect((await signIn(long.email, `${password.slice(0, -1)}X`)).statusCode).toBe(401);
    expect((await signIn(long.email, password)).statusCode).toBe(200);

    const padded = await newAccount();
    const spaced = '  spaces at both ends are part of it  ';
    expect((await changePassword(padded.browser, TEST_PASSWORD, spaced)).statusCode).toBe(204);
    expect((await signIn(padded.email, spaced.trim())).statusCode).toBe(401);
    expect((await signIn(padded.email, spaced)).statusCode).toBe(200);
  });

  it('takes a password of 200 characters, and signs in with it', async () => {
    const { email, browser } = await newAccount();
    const password = Array.from({ length: 20 }, (_, i) => `word${i}-zq${(i * 7919) % 1000}`)
      .join(' ')
      .padEnd(200, '!')
      .slice(0, 200);
    expect(password).toHaveLength(200);
    expect((await changePassword(browser, TEST_PASSWORD, password)).statusCode).toBe(204);
    expect((await signIn(email, password)).statusCode).toBe(200);
  });

  it('never makes a password expire: it still signs in two years later', async () => {
    const { email, browser } = await newAccount();
    clock += 2 * 366 * 86_400_000;
    const later = await signIn(email, TEST_PASSWORD);
    expect(later.statusCode).toBe(200);
    expect(later.json().stage).toBe('mfa-challenge');
    const done = await post(
      '/auth/mfa/challenge',
      { code: currentTotp(browser.totpSecret, now()) },
      { cookie: cookieFrom(later.headers['set-cookie']), 'x-csrf-token': later.json().csrfToken as string },
    );
    expect(done.statusCode).toBe(200);
    expect(done.json().stage).toBe('active');
  });

  it('refuses a TOTP code two steps old or two steps ahead', async () => {
    const { email, browser } = await newAccount();
    clock += 5 * 60_000;
    const attempt = async (at: number) => {
      const started = await signIn(email, TEST_PASSWORD);
      return post(
        '/auth/mfa/challenge',
        { code: currentTotp(browser.totpSecret, at) },
        {
          cookie: cookieFrom(started.headers['set-cookie']),
          'x-csrf-token': started.json().csrfToken as string,
        },
      );
    };
    expect((await attempt(clock - 60_000)).statusCode).toBe(401);
    expect((await attempt(clock + 60_000)).statusCode).toBe(401);
    // One step back is allowed for a phone's clock drift (documented beside V6.5.5).
    expect((await attempt(clock - 30_000)).statusCode).toBe(200);
  });

  it('makes a new session id of 256 random bits at every sign-in', async () => {
    const { email } = await newAccount();
    const ids = new Set<string>();
    for (let i = 0; i < 5; i += 1) {
      const response = await signIn(email, TEST_PASSWORD);
      expect(response.statusCode).toBe(200);
      const value = cookieFrom(response.headers['set-cookie']).split('=').slice(1).join('=');
      // A prefix, then 32 random bytes in base64url: 43 characters.
      expect(value).toMatch(/^[a-z]+_[A-Za-z0-9_-]{43}$/);
      ids.add(value);
    }
    expect(ids.size).toBe(5);
  });

  it("makes TOTP seeds of 160 bits and recovery codes of over 20 bits from the system's secure random generator", async () => {
    const first = await newAccount();
    const second = await newAccount();
    for (const { browser } of [first, second]) {
      // Base32: 32 characters are 160 bits.
      expect(browser.totpSecret).toMatch(/^[A-Z2-7]{32}$/);
      expect(browser.recoveryCodes.length).toBeGreaterThanOrEqual(8);
      for (const code of browser.recoveryCodes) {
        const characters = code.replace(/[^a-z0-9]/gi, '');
        // At least 8 characters of an alphabet of 31 or more: over 39 bits.
        expect(characters.length, code).toBeGreaterThanOrEqual(8);
      }
    }
    expect(first.browser.totpSecret).not.toBe(second.browser.totpSecret);
    const codes = [...first.browser.recoveryCodes, ...second.browser.recoveryCodes];
    expect(new Set(codes).size).toBe(codes.length);
    const alphabet = new Set(
      codes
        .join('')
        .replace(/[^a-z0-9]/gi, '')
        .toLowerCase(),
    );
    expect(alphabet.size).toBeGreaterThanOrEqual(20);
    // Where they come from: node:crypto (and otpauth's Secret, which uses crypto.getRandomValues),
    // never Math.random, anywhere in the server.
    const offenders = serverSources().filter((file) =>
      /\bMath\.random\b/.test(fs.readFileSync(file, 'utf8')),
    );
    expect(offenders).toEqual([]);
  });

  it('starts with no account at all: there is no default one to sign in with', async () => {
    const fresh = await startTestApp(engine);
    try {
      const users = await fresh.vault.db
        .selectFrom('app_user')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      expect(Number(users.n)).toBe(0);
      for (const [email, password] of [
        ['admin@example.test', 'admin'],
        ['root@example.test', 'root'],
        ['sa@example.test', 'sa'],
      ] as const) {
        const response = await fresh.app.inject({
          method: 'POST',
          url: '/api/v1/auth/sign-in',
          payload: { email, password },
        });
        expect(response.statusCode).toBe(401);
      }
    } finally {
      await fresh.close();
    }
  });

  it('asks for no password hint and no secret question anywhere in the API', async () => {
    const document = (await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json();
    const names = new Set<string>();
    const walk = (node: unknown) => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node !== null && typeof node === 'object') {
        for (const [key, value] of Object.entries(node)) {
          if (key === 'properties' && value !== null && typeof value === 'object')
            for (const name of Object.keys(value)) names.add(name);
          walk(value);
        }
      }
    };
    walk(document);
    expect(names.has('password')).toBe(true);
    expect([...names].filter((name) => /hint|question|memorable|maiden|secretAnswer/i.test(name))).toEqual(
      [],
    );
  });

  it('stamps every audit event in UTC', async () => {
    await newAccount();
    const events = await t.vault.db.selectFrom('audit_event').select(['at']).execute();
    expect(events.length).toBeGreaterThan(0);
    for (const { at } of events) {
      expect(at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
      expect(new Date(at).toISOString()).toBe(at);
    }
  });

  it('audits each step of signing in, naming the factor', async () => {
    const { email, browser } = await newAccount();
    const seqBefore = await lastSeq();
    clock += 60_000;
    expect((await signIn(email, 'not the password at all')).statusCode).toBe(401);
    const withCode = await signIn(email, TEST_PASSWORD);
    const session = {
      cookie: cookieFrom(withCode.headers['set-cookie']),
      'x-csrf-token': withCode.json().csrfToken as string,
    };
    expect((await post('/auth/mfa/challenge', { code: '000000' }, session)).statusCode).toBe(401);
    expect(
      (await post('/auth/mfa/challenge', { code: currentTotp(browser.totpSecret, now()) }, session))
        .statusCode,
    ).toBe(200);
    const withRecovery = await signIn(email, TEST_PASSWORD);
    expect(
      (
        await post(
          '/auth/mfa/challenge',
          { recoveryCode: browser.recoveryCodes[0] ?? '' },
          {
            cookie: cookieFrom(withRecovery.headers['set-cookie']),
            'x-csrf-token': withRecovery.json().csrfToken as string,
          },
        )
      ).statusCode,
    ).toBe(200);
    const events = await t.vault.db
      .selectFrom('audit_event')
      .select(['action', 'outcome', 'purpose'])
      .where('seq', '>', seqBefore)
      .orderBy('seq')
      .execute();
    const steps = events.map((e) => `${e.action} ${e.outcome}`);
    // The password refused, then accepted twice; a wrong code; a right code; a recovery code.
    expect(steps).toEqual(
      expect.arrayContaining([
        'session.sign-in failed',
        'session.password-accepted ok',
        'session.sign-in ok',
        'session.sign-in-recovery-code ok',
      ]),
    );
    expect(steps.filter((s) => s === 'session.sign-in failed')).toHaveLength(2);
    expect(steps.filter((s) => s === 'session.password-accepted ok')).toHaveLength(2);
    expect(events.every((e) => e.purpose === 'security')).toBe(true);
  });

  it('writes the server log as one JSON object a line, even when a request tries to forge one', async () => {
    const forged = '{"level":60,"msg":"forged entry"}';
    for (const url of [`/api/v1/nothing\n${forged}`, `/api/v1/nothing%0A${encodeURIComponent(forged)}`]) {
      const response = await t.app.inject({ method: 'GET', url });
      expect(response.statusCode).toBe(404);
    }
    expect(logLines.length).toBeGreaterThan(0);
    const entries = logLines.map((line) => JSON.parse(line) as { msg?: string; level?: number });
    expect(entries.some((entry) => entry.msg === 'forged entry')).toBe(false);
    expect(logLines.some((line) => line.includes('nothing'))).toBe(true);
    for (const entry of entries) expect(typeof entry.level).toBe('number');
  });

  it('never logs a password, a session cookie, a CSRF token or an API token', async () => {
    // The tests above signed in, changed passwords and made requests with every kind of secret.
    const { email, browser } = await newAccount();
    const secret = 'a secret that must never reach a log 93';
    expect((await changePassword(browser, TEST_PASSWORD, secret)).statusCode).toBe(204);
    await t.app.inject({
      method: 'GET',
      url: '/api/v1/clients?token=alt_in_a_query_string',
      headers: { cookie: browser.cookie, authorization: 'Bearer alt_not_a_real_token' },
    });
    expect((await signIn(email, secret)).statusCode).toBe(200);
    const log = logLines.join('\n');
    expect(logLines.length).toBeGreaterThan(10);
    for (const value of [
      secret,
      TEST_PASSWORD,
      browser.cookie.split('=').slice(1).join('='),
      browser.csrfToken,
      'alt_',
      'als_',
      email,
    ]) {
      expect(log.includes(value), value).toBe(false);
    }
  });

  async function lastSeq(): Promise<number> {
    const row = await t.vault.db
      .selectFrom('audit_event')
      .select((eb) => eb.fn.max('seq').as('seq'))
      .executeTakeFirstOrThrow();
    return Number(row.seq ?? 0);
  }
});

/** The server's own source files (not its tests). */
function serverSources(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) out.push(full);
    }
  };
  walk(import.meta.dirname);
  return out;
}
