import { setMailSettings } from '@alcove/store';
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

/**
 * What a review of issue 16 found by racing requests: a session moved on (a practice
 * switch) after it was ended, one cookie switched five times at once, a browser left at the
 * enrolment step enrolling over the account's authenticator, and two browsers taking up one
 * invitation at once.
 */
interface Browser {
  cookie: string;
  csrfToken: string;
}

describe.each(testEngines)('sessions and sign-up under racing requests on $name', (engine) => {
  let t: TestApp;
  let clock = Date.parse('2026-12-01T09:00:00.000Z');
  const now = () => clock;
  let admin: TestStaff;

  const call = (method: 'GET' | 'POST', url: string, who?: Browser | TestStaff, payload?: unknown) =>
    t.app.inject({
      method,
      url: `/api/v1${url}`,
      headers:
        who === undefined
          ? {}
          : 'token' in who
            ? bearer(who)
            : { cookie: who.cookie, 'x-csrf-token': who.csrfToken },
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });
  const openSessions = async (userId: string) =>
    (
      await t.vault.db
        .selectFrom('user_session')
        .select('id_hash')
        .where('user_id', '=', userId)
        .where('ended_at', 'is', null)
        .execute()
    ).length;

  beforeAll(async () => {
    t = await startTestApp(engine, { now: () => new Date(clock), signInRateLimit: 1000 });
    admin = await addStaff(t.vault, {
      email: 'race-owner@example.test',
      name: 'Race Owner (fictional)',
      roles: ['practitioner', 'administrator'],
    });
    await t.vault.db.transaction().execute((trx) =>
      setMailSettings(trx, t.vault.keyring, {
        practiceId: t.vault.practice.id,
        settings: { mode: 'capture', from: 'race@example.test', siteUrl: 'https://race.example.test/' },
        userId: admin.userId,
        now: new Date(clock).toISOString(),
      }),
    );
  });
  afterAll(async () => {
    await t.close();
  });

  it('moves on no session that has ended, and one cookie switched five times at once leaves one session', async () => {
    const member = await addStaff(t.vault, {
      email: 'race-member@example.test',
      name: 'Race Member (fictional)',
      roles: ['practitioner'],
    });
    const browser = await signInAndEnrol(t.app, member.email, now);
    const switches = await Promise.all(
      Array.from({ length: 5 }, () =>
        call('POST', '/auth/practice', browser, { practiceId: t.vault.practice.id }),
      ),
    );
    const statuses = switches.map((r) => r.statusCode).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.every((s) => s === 200 || s === 401)).toBe(true);
    expect(await openSessions(member.userId)).toBe(1);

    // A switch that passed its checks just before an administrator ended every session
    // finds its session ended and makes no new one.
    const won = switches.find((r) => r.statusCode === 200);
    const current = { cookie: cookieFrom(won?.headers['set-cookie']), csrfToken: won?.json().csrfToken };
    const { advanceSession, endEverySessionAndToken } = await import('@alcove/store');
    const { sha256Hex } = await import('./auth/secrets.ts');
    const at = new Date(clock).toISOString();
    await t.vault.db.transaction().execute((trx) => endEverySessionAndToken(trx, member.userId, at));
    await expect(
      t.vault.db.transaction().execute((trx) =>
        advanceSession(trx, {
          oldIdHash: sha256Hex(current.cookie),
          newIdHash: sha256Hex('als_a-new-id-that-must-never-exist'),
          csrfToken: 'x',
          stage: 'active',
          now: at,
        }),
      ),
    ).rejects.toMatchObject({ code: 'unauthenticated' });
    expect(await openSessions(member.userId)).toBe(0);
    expect((await call('GET', '/account/sessions', current)).statusCode).toBe(401);
  });

  it('lets no browser left at the enrolment step read or replace the authenticator once it is set up', async () => {
    const member = await addStaff(t.vault, {
      email: 'race-enrol@example.test',
      name: 'Race Enrol (fictional)',
      roles: ['practitioner'],
    });
    const signIn = async (): Promise<Browser> => {
      const response = await call('POST', '/auth/sign-in', undefined, {
        email: member.email,
        password: TEST_PASSWORD,
      });
      expect(response.json().stage).toBe('mfa-enrol');
      return { cookie: cookieFrom(response.headers['set-cookie']), csrfToken: response.json().csrfToken };
    };
    const first = await signIn();
    const left = await signIn();
    const secret = (await call('GET', '/auth/mfa/enrolment', first)).json().secret as string;
    clock += 31_000;
    const enrolled = await call('POST', '/auth/mfa/enrol', first, { code: currentTotp(secret, clock) });
    expect(enrolled.statusCode).toBe(200);

    const peek = await call('GET', '/auth/mfa/enrolment', left);
    expect(peek.statusCode).toBe(409);
    expect(peek.body).not.toContain(secret);
    // The left-behind session is over: it cannot enrol or do anything else.
    clock += 31_000;
    const overwrite = await call('POST', '/auth/mfa/enrol', left, { code: currentTotp(secret, clock) });
    expect(overwrite.statusCode).toBe(401);
    const denied = await t.vault.db
      .selectFrom('audit_event')
      .select('outcome')
      .where('actor_id', '=', member.userId)
      .where('action', '=', 'mfa.enrol')
      .execute();
    expect(denied.map((e) => e.outcome)).toContain('denied');
    // The recovery codes given at enrolment still work.
    const codes = enrolled.json().recoveryCodes as string[];
    // Enrolled now: signing in asks for the code, not for enrolment.
    const challenge = await call('POST', '/auth/sign-in', undefined, {
      email: member.email,
      password: TEST_PASSWORD,
    });
    expect(challenge.json().stage).toBe('mfa-challenge');
    const atChallenge = {
      cookie: cookieFrom(challenge.headers['set-cookie']),
      csrfToken: challenge.json().csrfToken,
    };
    const recovered = await call('POST', '/auth/mfa/challenge', atChallenge, { recoveryCode: codes[0] });
    expect(recovered.statusCode).toBe(200);
  });

  it('answers two browsers taking up one invitation at once with one account and a problem, never a 500', async () => {
    for (let round = 0; round < 3; round += 1) {
      const invited = await call('POST', '/people/invitations', admin, {
        email: `race-join-${round}@example.test`,
        name: 'Race Joiner (fictional)',
        roles: ['supervisor'],
      });
      expect(invited.statusCode, invited.body).toBe(201);
      const token = (invited.json().link as string).split('#')[1];
      const answers = await Promise.all(
        Array.from({ length: 4 }, () =>
          call('POST', '/people/join', undefined, { token, password: 'quartz lantern ferry oboe 58' }),
        ),
      );
      const statuses = answers.map((r) => r.statusCode);
      expect(statuses.filter((s) => s === 200)).toHaveLength(1);
      expect(statuses.filter((s) => s >= 500)).toEqual([]);
      for (const answer of answers.filter((r) => r.statusCode !== 200))
        expect(answer.headers['content-type']).toContain('application/problem+json');
    }
  });
});
