import { PASSWORD_RESET_REQUESTED } from '@alcove/core';
import { addMembership, insertPractice, setMailSettings } from '@alcove/store';
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
import { type SmtpCatcher, startSmtpCatcher } from './testing/smtp.ts';

/**
 * Resetting a forgotten password (issue 16, ASVS V6.4.3): asked for by address with one
 * answer for every address, e-mailed where the practice sends e-mail, issued by an
 * administrator and shown once where it does not; used once within the hour; every session
 * and token ends; and the new session still needs the second factor.
 */
const NEW_PASSWORD = 'juniper cobalt harbour violin 73';
const UNKNOWN_ID = '6f1c2a4e-0000-4000-8000-000000000000';

interface Browser {
  cookie: string;
  csrfToken: string;
}

describe.each(testEngines)('resetting a forgotten password on $name', (engine) => {
  let t: TestApp;
  let smtp: SmtpCatcher;
  let clock = Date.parse('2026-12-01T09:00:00.000Z');
  const tick = () => {
    clock += 31_000;
  };
  /** The main practice sends e-mail by SMTP. */
  let admin: TestStaff;
  let colleague: TestStaff;
  /** A second practice keeps its e-mail in the outbox (captured): nothing is mailed. */
  let capturedPractice: string;
  let capturedAdmin: TestStaff;
  let capturedStaff: TestStaff;

  const call = (
    method: 'GET' | 'POST',
    url: string,
    options: { who?: TestStaff | Browser; payload?: unknown } = {},
  ) => {
    const who = options.who;
    const headers =
      who === undefined
        ? {}
        : 'token' in who
          ? bearer(who)
          : { cookie: who.cookie, 'x-csrf-token': who.csrfToken };
    return t.app.inject({
      method,
      url: `/api/v1${url}`,
      headers,
      ...(options.payload === undefined ? {} : { payload: options.payload as Record<string, unknown> }),
    });
  };
  const browserFrom = (response: Awaited<ReturnType<typeof call>>): Browser => ({
    cookie: cookieFrom(response.headers['set-cookie']),
    csrfToken: response.json().csrfToken as string,
  });
  const mailedTokens = (address: string) =>
    smtp.received
      .filter((m) => m.to.includes(address))
      .map(
        (m) => m.text.match(/https:\/\/main\.example\.test\/reset-password#([A-Za-z0-9_-]{43})/)?.[1] ?? '',
      );
  const auditActions = async (action: string) =>
    t.vault.db.selectFrom('audit_event').selectAll().where('action', '=', action).execute();
  const request = (email: string) => call('POST', '/auth/password-reset/request', { payload: { email } });

  beforeAll(async () => {
    smtp = await startSmtpCatcher();
    t = await startTestApp(engine, { now: () => new Date(clock), signInRateLimit: 1000 });
    admin = await addStaff(t.vault, {
      email: 'reset-owner@example.test',
      name: 'Reset Owner (fictional)',
      roles: ['practitioner', 'administrator'],
    });
    colleague = await addStaff(t.vault, {
      email: 'forgetful@example.test',
      name: 'Forgetful Colleague (fictional)',
      roles: ['practitioner'],
    });
    await t.vault.db.transaction().execute((trx) =>
      setMailSettings(trx, t.vault.keyring, {
        practiceId: t.vault.practice.id,
        settings: {
          mode: 'smtp',
          from: 'main@example.test',
          siteUrl: 'https://main.example.test/',
          host: '127.0.0.1',
          port: smtp.port,
          secure: false,
        },
        userId: admin.userId,
        now: new Date(clock).toISOString(),
      }),
    );
    const captured = await t.vault.db
      .transaction()
      .execute((trx) => insertPractice(trx, { name: 'Captured Practice (fictional)' }, t.vault.keyring));
    capturedPractice = captured.id;
    capturedAdmin = await addStaff(t.vault, {
      email: 'captured-owner@example.test',
      name: 'Captured Owner (fictional)',
      roles: ['practitioner', 'administrator'],
      practiceId: capturedPractice,
    });
    capturedStaff = await addStaff(t.vault, {
      email: 'captured-staff@example.test',
      name: 'Captured Staff (fictional)',
      roles: ['supervisor'],
      practiceId: capturedPractice,
    });
    await t.vault.db.transaction().execute((trx) =>
      setMailSettings(trx, t.vault.keyring, {
        practiceId: capturedPractice,
        settings: {
          mode: 'capture',
          from: 'captured@example.test',
          siteUrl: 'https://captured.example.test/',
        },
        userId: capturedAdmin.userId,
        now: new Date(clock).toISOString(),
      }),
    );
  });
  afterAll(async () => {
    await t.close();
    await smtp.close();
  });

  it('refuses bad input, anonymous callers, non-administrators, another practice’s administrator and unknown links', async () => {
    // 400: bad input.
    for (const [url, payload] of [
      ['/auth/password-reset/request', { email: 'not an address' }],
      ['/auth/password-reset/request', { email: 'someone@example.test', extra: true }],
      ['/auth/password-reset/request', {}],
      ['/auth/password-reset/preview', { token: 'short' }],
      ['/auth/password-reset', { token: 'x'.repeat(43) }],
      ['/auth/password-reset', { token: 'x'.repeat(43), password: '' }],
    ] as const) {
      const response = await call('POST', url, { payload });
      expect(response.statusCode, url).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
    }
    expect(
      (await call('POST', '/people/not-an-id/password-reset', { who: admin, payload: {} })).statusCode,
    ).toBe(400);
    // 401: an administrator's reset needs a signed-in caller.
    expect(
      (await call('POST', `/people/${colleague.userId}/password-reset`, { payload: {} })).statusCode,
    ).toBe(401);
    // 404: a practitioner who is not an administrator, another practice's administrator, nobody.
    for (const [who, userId] of [
      [colleague, admin.userId],
      [capturedAdmin, colleague.userId],
      [admin, capturedStaff.userId],
      [admin, UNKNOWN_ID],
    ] as const) {
      const response = await call('POST', `/people/${userId}/password-reset`, { who, payload: {} });
      expect(response.statusCode).toBe(404);
      expect(response.json().code).toBe('not-found');
    }
    // An unknown link is "not found".
    for (const [url, payload] of [
      ['/auth/password-reset/preview', { token: 'y'.repeat(43) }],
      ['/auth/password-reset', { token: 'y'.repeat(43), password: NEW_PASSWORD }],
    ] as const) {
      expect((await call('POST', url, { payload })).statusCode, url).toBe(404);
    }
    expect(await t.vault.db.selectFrom('password_reset').selectAll().execute()).toEqual([]);
  });

  it('answers a request for an unknown address exactly as for a known one, and e-mails only the account', async () => {
    const known = await request('Forgetful@Example.test');
    const unknown = await request('nobody-here@example.test');
    const noMail = await request(capturedStaff.email);
    for (const response of [known, unknown, noMail]) {
      expect(response.statusCode).toBe(202);
      expect(response.body).toBe(known.body);
      expect(response.headers['content-type']).toBe(known.headers['content-type']);
    }
    expect(known.json()).toEqual({ message: PASSWORD_RESET_REQUESTED });
    await t.app.alcove.mailer.drain();
    expect(mailedTokens(colleague.email)).toHaveLength(1);
    expect(smtp.received.some((m) => m.to.includes('nobody-here@example.test'))).toBe(false);
    expect(smtp.received.some((m) => m.to.includes(capturedStaff.email))).toBe(false);
    // The captured practice keeps nothing for it either: no link is kept anywhere.
    const kept = await t.vault.db
      .selectFrom('outbox_message')
      .select('purpose')
      .where('practice_id', '=', capturedPractice)
      .execute();
    expect(kept.map((m) => m.purpose)).not.toContain('password-reset');
    // Audited by ids only: never an address.
    const events = await auditActions('account.password-reset-requested');
    expect(events.map((e) => e.outcome).sort()).toEqual(['failed', 'failed', 'ok']);
    expect(JSON.stringify(events)).not.toContain('example.test');
    expect(events.find((e) => e.outcome === 'ok')?.actor_id).toBe(colleague.userId);
  });

  it('resets by the e-mailed link; old sessions and tokens end; the new session still needs the authenticator code', async () => {
    tick();
    const old = await signInAndEnrol(t.app, colleague.email, () => clock);
    expect((await call('GET', '/auth/practices', { who: old })).statusCode).toBe(200);
    expect((await call('GET', '/people', { who: colleague })).statusCode).toBe(404); // token works (not an admin)
    smtp.received.length = 0;
    expect((await request(colleague.email)).statusCode).toBe(202);
    await t.app.alcove.mailer.drain();
    const [token] = mailedTokens(colleague.email);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const mail = smtp.received.find((m) => m.to.includes(colleague.email));
    expect(mail?.text).toContain('Dear Forgetful Colleague (fictional)');
    expect(mail?.text).toContain('authenticator');
    // Only the SHA-256 of the token is kept.
    const rows = await t.vault.db.selectFrom('password_reset').selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain(token);

    const preview = await call('POST', '/auth/password-reset/preview', { payload: { token } });
    expect(preview.statusCode, preview.body).toBe(200);
    expect(preview.json().expiresAt).toBe(new Date(clock + 3_600_000).toISOString());
    // A weak password, or one made of the account's own words, is refused; the link still works.
    for (const password of ['password123', 'forgetful@example.test']) {
      const weak = await call('POST', '/auth/password-reset', { payload: { token, password } });
      expect(weak.statusCode).toBe(400);
      expect(weak.json().code).toBe('validation-failed');
    }
    const reset = await call('POST', '/auth/password-reset', { payload: { token, password: NEW_PASSWORD } });
    expect(reset.statusCode, reset.body).toBe(200);
    expect(reset.json().stage).toBe('mfa-challenge');
    const fresh = browserFrom(reset);
    // Not signed in yet: the second factor is not passed by.
    const early = await call('GET', '/auth/practices', { who: fresh });
    expect(early.statusCode).toBe(401);
    expect(early.json().code).toBe('mfa-required');
    expect((await call('GET', '/auth/session', { who: fresh })).json().stage).toBe('mfa-challenge');
    // The old browser session and the API token have ended.
    expect((await call('GET', '/auth/practices', { who: old })).statusCode).toBe(401);
    expect((await call('GET', '/people', { who: colleague })).statusCode).toBe(401);
    // The old password no longer signs in; the new one does.
    expect(
      (await call('POST', '/auth/sign-in', { payload: { email: colleague.email, password: TEST_PASSWORD } }))
        .statusCode,
    ).toBe(401);
    // A wrong code counts against the second factor's lockout, in the database, as at sign-in.
    const wrong = await call('POST', '/auth/mfa/challenge', { who: fresh, payload: { code: '000000' } });
    expect(wrong.statusCode).toBe(401);
    const failures = await t.vault.db
      .selectFrom('auth_failure')
      .selectAll()
      .where('subject', 'like', `%${colleague.userId}%`)
      .where('factor', '=', 'second-factor')
      .execute();
    expect(failures.length).toBe(1);
    tick();
    const done = await call('POST', '/auth/mfa/challenge', {
      who: fresh,
      payload: { code: currentTotp(old.totpSecret, clock) },
    });
    expect(done.statusCode, done.body).toBe(200);
    expect(done.json().stage).toBe('active');
    const signedIn = browserFrom(done);
    expect((await call('GET', '/auth/practices', { who: signedIn })).statusCode).toBe(200);
    const audited = await auditActions('account.password-reset');
    expect(audited.map((e) => [e.actor_id, e.outcome])).toEqual([[colleague.userId, 'ok']]);
  });

  it('refuses a used or expired link with a problem that says which', async () => {
    smtp.received.length = 0;
    expect((await request(colleague.email)).statusCode).toBe(202);
    expect((await request(colleague.email)).statusCode).toBe(202);
    await t.app.alcove.mailer.drain();
    const [first, second] = mailedTokens(colleague.email);
    const used = await call('POST', '/auth/password-reset', {
      payload: { token: first, password: 'marble thistle canoe sonata 41' },
    });
    expect(used.statusCode, used.body).toBe(200);
    // Used once: the same link, and the other link still waiting, no longer work.
    for (const token of [first, second]) {
      const again = await call('POST', '/auth/password-reset', {
        payload: { token, password: NEW_PASSWORD },
      });
      expect(again.statusCode).toBe(410);
      expect(again.json().code).toBe('reset-ended');
      expect(again.json().detail).toContain('used');
    }
    smtp.received.length = 0;
    expect((await request(colleague.email)).statusCode).toBe(202);
    await t.app.alcove.mailer.drain();
    const [late] = mailedTokens(colleague.email);
    clock += 61 * 60_000;
    for (const [url, payload] of [
      ['/auth/password-reset/preview', { token: late }],
      ['/auth/password-reset', { token: late, password: NEW_PASSWORD }],
    ] as const) {
      const expired = await call('POST', url, { payload });
      expect(expired.statusCode, url).toBe(410);
      expect(expired.json().code).toBe('reset-ended');
      expect(expired.json().detail).toContain('expired');
    }
  });

  it('shows an administrator’s reset link once where the practice’s e-mail is captured, and it resets', async () => {
    const issued = await call('POST', `/people/${capturedStaff.userId}/password-reset`, {
      who: capturedAdmin,
      payload: {},
    });
    expect(issued.statusCode, issued.body).toBe(200);
    const body = issued.json() as { delivery: string; link: string; expiresAt: string };
    expect(body.delivery).toBe('shown-once');
    expect(body.link).toMatch(/^https:\/\/captured\.example\.test\/reset-password#[A-Za-z0-9_-]{43}$/);
    expect(body.expiresAt).toBe(new Date(clock + 3_600_000).toISOString());
    // Nothing was queued: the answer is the one place the link exists.
    const kept = await t.vault.db
      .selectFrom('outbox_message')
      .select('purpose')
      .where('practice_id', '=', capturedPractice)
      .execute();
    expect(kept.map((m) => m.purpose)).not.toContain('password-reset');
    const audited = await auditActions('people.password-reset');
    expect(audited.map((e) => [e.actor_id, e.practice_id])).toEqual([
      [capturedAdmin.userId, capturedPractice],
    ]);
    // The person has no second factor yet: the reset goes on to enrolment, never past it.
    const token = body.link.split('#')[1] ?? '';
    const reset = await call('POST', '/auth/password-reset', { payload: { token, password: NEW_PASSWORD } });
    expect(reset.statusCode, reset.body).toBe(200);
    expect(reset.json().stage).toBe('mfa-enrol');
    expect((await call('GET', '/auth/practices', { who: browserFrom(reset) })).statusCode).toBe(401);
    expect((await call('GET', '/people', { who: capturedStaff })).statusCode).toBe(401);
    // Where the practice sends e-mail, the administrator's reset is mailed and not shown.
    smtp.received.length = 0;
    const mailed = await call('POST', `/people/${colleague.userId}/password-reset`, {
      who: admin,
      payload: {},
    });
    expect(mailed.statusCode, mailed.body).toBe(200);
    expect(mailed.json()).toMatchObject({ delivery: 'sent', link: null });
    await t.app.alcove.mailer.drain();
    expect(mailedTokens(colleague.email)).toHaveLength(1);
    // A suspended person is reinstated first: a reset would not let them in.
    const suspended = await call('POST', `/people/${capturedStaff.userId}/suspend`, {
      who: capturedAdmin,
      payload: {},
    });
    expect(suspended.statusCode, suspended.body).toBe(200);
    const refused = await call('POST', `/people/${capturedStaff.userId}/password-reset`, {
      who: capturedAdmin,
      payload: {},
    });
    expect(refused.statusCode).toBe(409);
  });

  it('limits asking for and using a reset like signing in', async () => {
    const limited = await startTestApp(engine, { signInRateLimit: 2 });
    try {
      for (const [url, payload, first] of [
        ['/api/v1/auth/password-reset/request', { email: 'someone@example.test' }, 202],
        ['/api/v1/auth/password-reset', { token: 'z'.repeat(43), password: NEW_PASSWORD }, 404],
      ] as const) {
        const statuses: number[] = [];
        for (let i = 0; i < 3; i += 1) {
          statuses.push((await limited.app.inject({ method: 'POST', url, payload })).statusCode);
        }
        expect(statuses, url).toEqual([first, first, 429]);
      }
    } finally {
      await limited.close();
    }
  });

  it('never lets one practice’s administrator set the password of a person who also works in another', async () => {
    // A supervisor of both practices, with no authenticator yet: a password set by either
    // administrator would open the other practice too.
    const shared = await addStaff(t.vault, {
      email: 'shared-supervisor@example.test',
      name: 'Shared Supervisor (fictional)',
      roles: ['supervisor'],
      practiceId: capturedPractice,
    });
    await t.vault.db
      .transaction()
      .execute((trx) =>
        addMembership(trx, { userId: shared.userId, practiceId: t.vault.practice.id, role: 'supervisor' }),
      );
    for (const who of [admin, capturedAdmin]) {
      const issued = await call('POST', `/people/${shared.userId}/password-reset`, { who, payload: {} });
      expect(issued.statusCode, issued.body).toBe(409);
      expect(issued.body).not.toContain('reset-password#');
    }
    // Asked for by the person: no practice's mail server or site address carries the link.
    smtp.received.length = 0;
    expect((await request(shared.email)).statusCode).toBe(202);
    await t.app.alcove.mailer.drain();
    expect(smtp.received.some((m) => m.to.includes(shared.email))).toBe(false);
    const waiting = await t.vault.db
      .selectFrom('password_reset')
      .select('id')
      .where('user_id', '=', shared.userId)
      .execute();
    expect(waiting).toEqual([]);
  });

  it('never issues an administrator a reset of their own password, by token or by browser', async () => {
    const own = await call('POST', `/people/${capturedAdmin.userId}/password-reset`, {
      who: capturedAdmin,
      payload: {},
    });
    expect(own.statusCode).toBe(409);
    expect(own.body).not.toContain('reset-password#');
    // Nor ends their own sessions by the administrators' route: "Your sessions" asks who it is.
    const ended = await call('POST', `/people/${capturedAdmin.userId}/sessions/end`, {
      who: capturedAdmin,
      payload: {},
    });
    expect(ended.statusCode).toBe(409);
    expect((await call('GET', '/people', { who: capturedAdmin })).statusCode).toBe(200);
  });

  it('ends a link still waiting when the password is changed, access is ended or the person is suspended', async () => {
    const person = await addStaff(t.vault, {
      email: 'waiting-link@example.test',
      name: 'Waiting Link (fictional)',
      roles: ['practitioner'],
      practiceId: capturedPractice,
    });
    const issue = async () => {
      const issued = await call('POST', `/people/${person.userId}/password-reset`, {
        who: capturedAdmin,
        payload: {},
      });
      expect(issued.statusCode, issued.body).toBe(200);
      return (issued.json().link as string).split('#')[1] ?? '';
    };
    const stillWorks = async (token: string) =>
      (await call('POST', '/auth/password-reset/preview', { payload: { token } })).statusCode === 200;

    // The person changes their password another way.
    const changed = await issue();
    tick();
    const browser = await signInAndEnrol(t.app, person.email, () => clock);
    const change = await call('POST', '/account/password', {
      who: browser,
      payload: { currentPassword: TEST_PASSWORD, newPassword: NEW_PASSWORD },
    });
    expect(change.statusCode, change.body).toBe(204);
    expect(await stillWorks(changed)).toBe(false);
    const late = await call('POST', '/auth/password-reset', {
      payload: { token: changed, password: 'marble thistle canoe sonata 41' },
    });
    expect(late.statusCode).toBe(410);

    // An administrator ends all their sessions and tokens.
    const ended = await issue();
    expect(await stillWorks(ended)).toBe(true);
    const end = await call('POST', `/people/${person.userId}/sessions/end`, {
      who: capturedAdmin,
      payload: {},
    });
    expect(end.statusCode).toBe(204);
    expect(await stillWorks(ended)).toBe(false);

    // A suspension: reinstated within the hour, the old link still does nothing.
    const suspended = await issue();
    const suspend = await call('POST', `/people/${person.userId}/suspend`, {
      who: capturedAdmin,
      payload: {},
    });
    expect(suspend.statusCode, suspend.body).toBe(200);
    const reinstate = await call('POST', `/people/${person.userId}/reinstate`, {
      who: capturedAdmin,
      payload: {},
    });
    expect(reinstate.statusCode, reinstate.body).toBe(200);
    expect(await stillWorks(suspended)).toBe(false);
  });
});
