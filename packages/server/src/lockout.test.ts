import { problemDocumentSchema } from '@alcove/core';
import { listOutbox, readEnvelope } from '@alcove/store';
import { testEngines } from '@alcove/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AlcoveApp, buildApp } from './app.ts';
import { currentTotp } from './auth/totp.ts';
import { addStaff, startTestApp, TEST_PASSWORD, type TestApp } from './testing/app.ts';
import { type BrowserSession, cookieFrom, signInAndEnrol } from './testing/browser-session.ts';

/**
 * Finding 1 of issue 16: wrong second-factor codes and wrong passwords are counted per
 * account in the database, lock with growing delays, survive a restart, tell the holder
 * and are audited.
 */
describe.each(testEngines)('locking out guessers on $name', (engine) => {
  let t: TestApp;
  let clock = Date.parse('2026-11-22T10:00:00Z');
  const now = () => clock;

  beforeAll(async () => {
    t = await startTestApp(engine, { now: () => new Date(clock), signInRateLimit: 1000 });
  });
  afterAll(async () => {
    await t.close();
  });

  const post = (app: AlcoveApp, url: string, payload: unknown, headers: Record<string, string> = {}) =>
    app.inject({
      method: 'POST',
      url: `/api/v1${url}`,
      payload: payload as Record<string, unknown>,
      headers,
    });

  /** Signs in with the password: a session at the challenge, as a browser holds it. */
  async function atChallenge(app: AlcoveApp, email: string) {
    const signIn = await post(app, '/auth/sign-in', { email, password: TEST_PASSWORD });
    expect(signIn.statusCode).toBe(200);
    expect(signIn.json().stage).toBe('mfa-challenge');
    const headers = {
      cookie: cookieFrom(signIn.headers['set-cookie']),
      'x-csrf-token': signIn.json().csrfToken as string,
    };
    return (answer: { code: string } | { recoveryCode: string }) =>
      post(app, '/auth/mfa/challenge', answer, headers);
  }

  /** A code that is not the current one (nor a neighbour the window accepts). */
  function wrongCode(secret: string): string {
    const near = [-30_000, 0, 30_000].map((d) => currentTotp(secret, now() + d));
    for (let n = 0; ; n += 1) {
      const code = String(n).padStart(6, '0');
      if (!near.includes(code)) return code;
    }
  }

  async function enrolled(email: string): Promise<{ userId: string; browser: BrowserSession }> {
    const staff = await addStaff(t.vault, { email, name: 'Lockout (fictional)', roles: ['practitioner'] });
    const browser = await signInAndEnrol(t.app, email, now);
    // The enrolment code is spent: the next code is the next step's.
    clock += 30_000;
    return { userId: staff.userId, browser };
  }

  async function audited(userId: string, action: string) {
    return t.vault.db
      .selectFrom('audit_event')
      .select(['outcome', 'purpose'])
      .where('actor_id', '=', userId)
      .where('action', '=', action)
      .execute();
  }

  it('locks the second factor after five wrong codes, refusing even the right code, audited and e-mailed to the holder', async () => {
    const email = 'guessed@example.test';
    const { userId, browser } = await enrolled(email);
    const challenge = await atChallenge(t.app, email);
    const wrong = wrongCode(browser.totpSecret);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i += 1) statuses.push((await challenge({ code: wrong })).statusCode);
    expect(statuses).toEqual([401, 401, 401, 401, 429]);

    const right = await challenge({ code: currentTotp(browser.totpSecret, now()) });
    expect(right.statusCode).toBe(429);
    const problem = problemDocumentSchema.parse(right.json());
    expect(problem.code).toBe('rate-limited');
    expect(problem.retryAt).toBe(new Date(now() + 60_000).toISOString());
    expect(right.headers['retry-after']).toBe('60');
    expect(right.headers['set-cookie']).toBeUndefined();
    // A recovery code is a second factor too: refused while locked.
    expect((await challenge({ recoveryCode: browser.recoveryCodes[0] ?? '' })).statusCode).toBe(429);

    expect(await audited(userId, 'mfa.locked')).toEqual([{ outcome: 'denied', purpose: 'security' }]);
    const messages = (await listOutbox(t.vault.db, t.vault.practice.id)).filter(
      (m) => m.purpose === 'second-factor-locked' && m.recipientUserId === userId,
    );
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ recipientKind: 'staff', status: 'queued' });
    const envelope = await readEnvelope(
      t.vault.db,
      t.vault.keyring,
      t.vault.practice.id,
      messages[0]?.id ?? '',
    );
    expect(envelope?.to).toBe(email);
    expect(envelope?.text).toMatch(/5 wrong codes/);
    expect(envelope?.text).toMatch(/change your password/);
    // Nothing a guesser typed, and no code, goes into the mail.
    expect(envelope?.text).not.toContain(wrong);
    expect(envelope?.text).not.toMatch(/\b\d{6}\b/);
  });

  it('tells a portal client under their own key, and withholds the mail when e-mail is unsafe for them', async () => {
    const practitioner = await addStaff(t.vault, {
      email: 'treating@example.test',
      name: 'Treating (fictional)',
      roles: ['practitioner'],
    });
    const newClient = async (identity: Record<string, unknown>) => {
      const response = await t.app.inject({
        method: 'POST',
        url: '/api/v1/clients',
        headers: { authorization: `Bearer ${practitioner.token}` },
        payload: { identity },
      });
      expect(response.statusCode).toBe(201);
      return response.json().id as string;
    };
    const cases = [
      {
        name: 'Rowan Example (fictional)',
        email: 'rowan@example.test',
        channels: undefined,
        status: 'queued',
      },
      {
        name: 'Sorrel Sample (fictional)',
        email: 'sorrel@example.test',
        channels: [{ channel: 'email', safe: false }],
        status: 'withheld',
      },
    ] as const;
    for (const { name, email, channels, status } of cases) {
      const clientId = await newClient({
        name,
        email,
        ...(channels === undefined ? {} : { contactChannels: channels }),
      });
      const account = await addStaff(t.vault, {
        email,
        name,
        roles: ['client'],
        clientId,
      });
      const browser = await signInAndEnrol(t.app, email, now);
      clock += 30_000;
      const challenge = await atChallenge(t.app, email);
      for (let i = 0; i < 5; i += 1) await challenge({ code: wrongCode(browser.totpSecret) });
      expect(await audited(account.userId, 'mfa.locked')).toHaveLength(1);
      const messages = (await listOutbox(t.vault.db, t.vault.practice.id, [clientId])).filter(
        (m) => m.purpose === 'second-factor-locked',
      );
      expect(messages.map((m) => [m.recipientKind, m.status])).toEqual([['client', status]]);
      const envelope = await readEnvelope(
        t.vault.db,
        t.vault.keyring,
        t.vault.practice.id,
        messages[0]?.id ?? '',
      );
      expect(envelope?.to).toBe(status === 'queued' ? email : '');
    }
  });

  it('keeps the lock across a restart: a fresh app on the same database still refuses', async () => {
    const email = 'restart@example.test';
    const { browser } = await enrolled(email);
    const challenge = await atChallenge(t.app, email);
    const wrong = wrongCode(browser.totpSecret);
    for (let i = 0; i < 5; i += 1) await challenge({ code: wrong });

    const restarted = await buildApp({
      store: t.vault.store,
      keyring: t.vault.keyring,
      now: () => new Date(clock),
      signInRateLimit: 1000,
    });
    try {
      await restarted.ready();
      const again = await atChallenge(restarted, email);
      const right = await again({ code: currentTotp(browser.totpSecret, now()) });
      expect(right.statusCode).toBe(429);
      expect(right.json().code).toBe('rate-limited');
    } finally {
      await restarted.close();
    }
  });

  it('lifts the lock after its delay, and locks for longer each time', async () => {
    const email = 'patient@example.test';
    const { userId, browser } = await enrolled(email);
    const challenge = await atChallenge(t.app, email);
    const guessFive = async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i += 1)
        statuses.push((await challenge({ code: wrongCode(browser.totpSecret) })).statusCode);
      return statuses;
    };
    expect(await guessFive()).toEqual([401, 401, 401, 401, 429]);
    // The first lock: one minute.
    clock += 59_000;
    expect((await challenge({ code: wrongCode(browser.totpSecret) })).statusCode).toBe(429);
    clock += 2_000;
    // Lifted: a wrong code is only wrong again, and counts towards the next, longer lock.
    expect(await guessFive()).toEqual([401, 401, 401, 401, 429]);
    const second = await challenge({ code: currentTotp(browser.totpSecret, now()) });
    expect(second.headers['retry-after']).toBe(String(5 * 60));
    clock += 4 * 60_000 + 50_000;
    expect((await challenge({ code: currentTotp(browser.totpSecret, now()) })).statusCode).toBe(429);
    clock += 15_000;
    const lifted = await challenge({ code: currentTotp(browser.totpSecret, now()) });
    expect(lifted.statusCode).toBe(200);
    expect(await audited(userId, 'mfa.locked')).toHaveLength(2);

    // The right code started the count again: four more wrong codes do not lock.
    const next = await atChallenge(t.app, email);
    for (let i = 0; i < 4; i += 1)
      expect((await next({ code: wrongCode(browser.totpSecret) })).statusCode).toBe(401);
    clock += 30_000;
    expect((await next({ code: currentTotp(browser.totpSecret, now()) })).statusCode).toBe(200);
  });

  it('counts wrong codes when confirming enrolment too', async () => {
    const email = 'enrolling@example.test';
    await addStaff(t.vault, { email, name: 'Enrolling (fictional)', roles: ['practitioner'] });
    const signIn = await post(t.app, '/auth/sign-in', { email, password: TEST_PASSWORD });
    const headers = {
      cookie: cookieFrom(signIn.headers['set-cookie']),
      'x-csrf-token': signIn.json().csrfToken as string,
    };
    const secret = (
      await t.app.inject({
        method: 'GET',
        url: '/api/v1/auth/mfa/enrolment',
        headers: { cookie: headers.cookie },
      })
    ).json().secret as string;
    const statuses: number[] = [];
    for (let i = 0; i < 5; i += 1)
      statuses.push((await post(t.app, '/auth/mfa/enrol', { code: wrongCode(secret) }, headers)).statusCode);
    expect(statuses).toEqual([401, 401, 401, 401, 429]);
    const right = await post(t.app, '/auth/mfa/enrol', { code: currentTotp(secret, now()) }, headers);
    expect(right.statusCode).toBe(429);
    clock += 61_000;
    expect(
      (await post(t.app, '/auth/mfa/enrol', { code: currentTotp(secret, now()) }, headers)).statusCode,
    ).toBe(200);
  });

  it('keeps the password throttle in the database, and treats an unknown address the same way', async () => {
    const known = await addStaff(t.vault, {
      email: 'throttled@example.test',
      name: 'Throttled (fictional)',
      roles: ['practitioner'],
    });
    const tries = async (app: AlcoveApp, email: string) => {
      const answers = [];
      for (let i = 0; i < 6; i += 1)
        answers.push(await post(app, '/auth/sign-in', { email, password: `wrong ${i}` }));
      return answers;
    };
    const knownAnswers = await tries(t.app, known.email);
    const unknownAnswers = await tries(t.app, 'nobody-here@example.test');
    expect(knownAnswers.map((a) => a.statusCode)).toEqual([401, 401, 401, 401, 401, 429]);
    expect(unknownAnswers.map((a) => a.statusCode)).toEqual([401, 401, 401, 401, 401, 429]);
    expect(unknownAnswers[5]?.json()).toEqual(knownAnswers[5]?.json());
    expect(knownAnswers[5]?.headers['retry-after']).toBe(String(15 * 60));
    // In the database: a fresh app on the same database refuses even the right password.
    const restarted = await buildApp({
      store: t.vault.store,
      keyring: t.vault.keyring,
      now: () => new Date(clock),
      signInRateLimit: 1000,
    });
    try {
      await restarted.ready();
      const right = await post(restarted, '/auth/sign-in', { email: known.email, password: TEST_PASSWORD });
      expect(right.statusCode).toBe(429);
      clock += 15 * 60_000 + 1_000;
      expect(
        (await post(restarted, '/auth/sign-in', { email: known.email, password: TEST_PASSWORD })).statusCode,
      ).toBe(200);
    } finally {
      await restarted.close();
    }
    // No address is kept: the unknown one is counted under its keyed blind index.
    const subjects = (await t.vault.db.selectFrom('auth_failure').select('subject').execute()).map(
      (r) => r.subject,
    );
    expect(subjects.join(' ')).not.toMatch(/@|nobody/);
    expect(subjects.some((s) => s.startsWith('email:'))).toBe(true);
  });
});
