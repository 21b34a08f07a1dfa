import { Confidential, type Role } from '@alcove/core';
import {
  createClient,
  createContractVersion,
  insertPractice,
  openCase,
  setMailSettings,
} from '@alcove/store';
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
import { startSmtpCatcher } from './testing/smtp.ts';

/**
 * The practice's people (issue 16): invitations shown once or e-mailed, joining (a new
 * account, or an existing one from another practice), roles, suspension, removal, the
 * last administrator, and choosing between several practices.
 */
const NEW_PASSWORD = 'quartz lantern ferry oboe 58';
const UNKNOWN_ID = '6f1c2a4e-0000-4000-8000-000000000000';

interface Browser {
  cookie: string;
  csrfToken: string;
}

describe.each(testEngines)('the practice’s people on $name', (engine) => {
  let t: TestApp;
  let clock = Date.parse('2026-12-01T09:00:00.000Z');
  /** Each authenticator code is accepted once: the clock moves on a step before the next. */
  const tick = () => {
    clock += 31_000;
  };
  let admin: TestStaff;
  let colleague: TestStaff;
  let otherPractice: string;
  let otherAdmin: TestStaff;

  const call = (
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
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
  const tokenOf = (link: string) => link.split('#')[1] ?? '';
  const invite = async (who: TestStaff, email: string, roles: Role[], name = 'Invitee (fictional)') => {
    const response = await call('POST', '/people/invitations', { who, payload: { email, name, roles } });
    expect(response.statusCode, response.body).toBe(201);
    return response.json() as { id: string; delivery: string; link: string | null; expiresAt: string };
  };
  const join = async (token: string, password: string, name?: string) => {
    const response = await call('POST', '/people/join', {
      payload: { token, password, ...(name === undefined ? {} : { name }) },
    });
    return response;
  };
  const browserFrom = (response: Awaited<ReturnType<typeof call>>): Browser => ({
    cookie: cookieFrom(response.headers['set-cookie']),
    csrfToken: response.json().csrfToken as string,
  });
  /** Enrols an authenticator on a session at 'mfa-enrol'; returns the signed-in browser and its secret. */
  const enrol = async (browser: Browser) => {
    const enrolment = await call('GET', '/auth/mfa/enrolment', { who: browser });
    const secret = enrolment.json().secret as string;
    tick();
    const done = await call('POST', '/auth/mfa/enrol', {
      who: browser,
      payload: { code: currentTotp(secret, clock) },
    });
    expect(done.statusCode, done.body).toBe(200);
    return { browser: browserFrom(done), secret };
  };
  const challenge = async (browser: Browser, secret: string) => {
    tick();
    const done = await call('POST', '/auth/mfa/challenge', {
      who: browser,
      payload: { code: currentTotp(secret, clock) },
    });
    expect(done.statusCode, done.body).toBe(200);
    return browserFrom(done);
  };
  const signIn = async (email: string, password: string, secret: string) => {
    const response = await call('POST', '/auth/sign-in', { payload: { email, password } });
    expect(response.statusCode, response.body).toBe(200);
    return challenge(browserFrom(response), secret);
  };
  const auditActions = async (action: string) =>
    t.vault.db.selectFrom('audit_event').selectAll().where('action', '=', action).execute();

  beforeAll(async () => {
    t = await startTestApp(engine, { now: () => new Date(clock), signInRateLimit: 1000 });
    admin = await addStaff(t.vault, {
      email: 'owner@example.test',
      name: 'Owner Practitioner (fictional)',
      roles: ['practitioner', 'administrator'],
    });
    colleague = await addStaff(t.vault, {
      email: 'colleague@example.test',
      name: 'Colleague Practitioner (fictional)',
      roles: ['practitioner'],
    });
    const other = await t.vault.db
      .transaction()
      .execute((trx) => insertPractice(trx, { name: 'Second Practice (fictional)' }, t.vault.keyring));
    otherPractice = other.id;
    otherAdmin = await addStaff(t.vault, {
      email: 'second-owner@example.test',
      name: 'Second Owner (fictional)',
      roles: ['practitioner', 'administrator'],
      practiceId: otherPractice,
    });
    // The second practice keeps its e-mail in the outbox; the first has not set e-mail up.
    await t.vault.db.transaction().execute((trx) =>
      setMailSettings(trx, t.vault.keyring, {
        practiceId: otherPractice,
        settings: { mode: 'capture', from: 'second@example.test', siteUrl: 'https://second.example.test/' },
        userId: otherAdmin.userId,
        now: new Date(clock).toISOString(),
      }),
    );
  });
  afterAll(async () => {
    await t.close();
  });

  it('refuses bad input, anonymous callers, non-administrators and another practice’s people on every route', async () => {
    const good = { email: 'nobody@example.test', name: 'Nobody (fictional)', roles: ['practitioner'] };
    // 401: no session, no token.
    for (const [method, url, payload] of [
      ['GET', '/people', undefined],
      ['POST', '/people/invitations', good],
      ['DELETE', `/people/invitations/${UNKNOWN_ID}`, undefined],
      ['PUT', `/people/${colleague.userId}/roles`, { roles: ['practitioner'] }],
      ['POST', `/people/${colleague.userId}/suspend`, {}],
      ['POST', `/people/${colleague.userId}/reinstate`, {}],
      ['DELETE', `/people/${colleague.userId}`, undefined],
      ['GET', '/auth/practices', undefined],
      ['POST', '/auth/practice', { practiceId: t.vault.practice.id }],
    ] as const) {
      expect((await call(method, url, { payload })).statusCode, `${method} ${url}`).toBe(401);
    }
    // A script's token has no browser session to choose a practice for.
    expect((await call('GET', '/auth/practices', { who: admin })).statusCode).toBe(401);
    expect(
      (await call('POST', '/auth/practice', { who: admin, payload: { practiceId: otherPractice } }))
        .statusCode,
    ).toBe(401);
    // 400: bad input, from an administrator.
    for (const [method, url, payload] of [
      ['POST', '/people/invitations', { ...good, email: 'not an address' }],
      ['POST', '/people/invitations', { ...good, roles: ['client'] }],
      ['POST', '/people/invitations', { ...good, roles: [] }],
      ['POST', '/people/invitations', { ...good, roles: ['practitioner', 'practitioner'] }],
      ['POST', '/people/invitations', { ...good, extra: true }],
      ['DELETE', '/people/invitations/not-an-id', undefined],
      ['PUT', `/people/${colleague.userId}/roles`, { roles: ['appropriate-adult'] }],
      ['PUT', '/people/not-an-id/roles', { roles: ['practitioner'] }],
      ['POST', '/people/not-an-id/suspend', {}],
      ['POST', '/people/not-an-id/reinstate', {}],
      ['DELETE', '/people/not-an-id', undefined],
    ] as const) {
      const response = await call(method, url, { who: admin, payload });
      expect(response.statusCode, `${method} ${url}`).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
    }
    for (const payload of [{ token: 'short' }, { token: 'x'.repeat(30), password: '' }, {}]) {
      expect((await call('POST', '/people/join', { payload })).statusCode).toBe(400);
    }
    expect((await call('POST', '/people/join/preview', { payload: { token: 'short' } })).statusCode).toBe(
      400,
    );
    // 404: a practitioner who is not an administrator, for everything.
    for (const [method, url, payload] of [
      ['GET', '/people', undefined],
      ['POST', '/people/invitations', good],
      ['DELETE', `/people/invitations/${UNKNOWN_ID}`, undefined],
      ['PUT', `/people/${admin.userId}/roles`, { roles: ['practitioner'] }],
      ['POST', `/people/${admin.userId}/suspend`, {}],
      ['POST', `/people/${admin.userId}/reinstate`, {}],
      ['DELETE', `/people/${admin.userId}`, undefined],
    ] as const) {
      expect((await call(method, url, { who: colleague, payload })).statusCode, `${method} ${url}`).toBe(404);
    }
    // 404: an administrator reaching for another practice's person or invitation.
    const theirs = await invite(otherAdmin, 'theirs@example.test', ['executor']);
    for (const [method, url, payload] of [
      ['DELETE', `/people/invitations/${theirs.id}`, undefined],
      ['PUT', `/people/${otherAdmin.userId}/roles`, { roles: ['practitioner'] }],
      ['POST', `/people/${otherAdmin.userId}/suspend`, {}],
      ['POST', `/people/${otherAdmin.userId}/reinstate`, {}],
      ['DELETE', `/people/${otherAdmin.userId}`, undefined],
    ] as const) {
      expect((await call(method, url, { who: admin, payload })).statusCode, `${method} ${url}`).toBe(404);
    }
    // An unknown invitation token is "not found".
    for (const url of ['/people/join', '/people/join/preview']) {
      const response = await call('POST', url, {
        payload: { token: 'y'.repeat(43), ...(url === '/people/join' ? { password: NEW_PASSWORD } : {}) },
      });
      expect(response.statusCode, url).toBe(404);
    }
    // Nothing changed for the other practice's administrator.
    const list = await call('GET', '/people', { who: otherAdmin });
    expect(list.json().people).toEqual([
      expect.objectContaining({
        userId: otherAdmin.userId,
        status: 'active',
        roles: ['practitioner', 'administrator'],
      }),
    ]);
  });

  it('invites a colleague with the link shown once, who joins, enrols and is signed in with the roles', async () => {
    const created = await invite(
      admin,
      'New.Supervisor@example.test',
      ['supervisor', 'executor'],
      'Sage Newcomer (fictional)',
    );
    // The practice has no e-mail set up: the link is shown once, on this address.
    expect(created.delivery).toBe('shown-once');
    expect(created.link).toMatch(/^http:\/\/localhost(:\d+)?\/join#[A-Za-z0-9_-]{43}$/);
    const token = tokenOf(created.link ?? '');
    // Never again: not in the list, not in the database, not in the audit log.
    const list = await call('GET', '/people', { who: admin });
    expect(list.statusCode).toBe(200);
    expect(list.json().invitations).toEqual([
      {
        id: created.id,
        email: 'new.supervisor@example.test',
        roles: ['supervisor', 'executor'],
        createdAt: new Date(clock).toISOString(),
        expiresAt: created.expiresAt,
      },
    ]);
    expect(list.body).not.toContain(token);
    const stored = await t.vault.db
      .selectFrom('staff_invitation')
      .selectAll()
      .where('id', '=', created.id)
      .execute();
    expect(JSON.stringify(stored)).not.toContain(token);
    expect(JSON.stringify(stored).toLowerCase()).not.toContain('new.supervisor');
    expect(JSON.stringify(stored)).not.toContain('Sage');
    expect(Date.parse(created.expiresAt) - clock).toBe(7 * 86_400_000);
    const invited = await auditActions('people.invite');
    expect(invited.some((e) => e.record_id === created.id && e.actor_id === admin.userId)).toBe(true);

    const preview = await call('POST', '/people/join/preview', { payload: { token } });
    expect(preview.json()).toEqual({
      practiceName: t.vault.practice.name,
      roles: ['supervisor', 'executor'],
      existingAccount: false,
      name: 'Sage Newcomer (fictional)',
      expiresAt: created.expiresAt,
    });
    // A weak password is refused, and the invitation is still there to use.
    const weak = await join(token, 'letmein12345');
    expect(weak.statusCode).toBe(400);
    expect(weak.json().errors[0].pointer).toBe('/password');
    const joined = await join(token, NEW_PASSWORD, 'Sage Newcomer (fictional)');
    expect(joined.statusCode, joined.body).toBe(200);
    expect(joined.json().stage).toBe('mfa-enrol');
    const { browser } = await enrol(browserFrom(joined));
    const session = await call('GET', '/auth/session', { who: browser });
    expect(session.json()).toMatchObject({
      stage: 'active',
      practice: { id: t.vault.practice.id },
      roles: expect.arrayContaining(['supervisor', 'executor']),
      choosePractice: false,
      user: { name: 'Sage Newcomer (fictional)' },
    });
    // Used once.
    const again = await join(token, NEW_PASSWORD);
    expect(again.statusCode).toBe(410);
    expect(again.json()).toMatchObject({ code: 'invitation-ended' });
    expect(again.json().detail).toContain('used already');
    const people = (await call('GET', '/people', { who: admin })).json();
    expect(people.invitations).toEqual([]);
    expect(people.people).toContainEqual({
      userId: session.json().user.id,
      name: 'Sage Newcomer (fictional)',
      email: 'new.supervisor@example.test',
      roles: ['supervisor', 'executor'],
      status: 'active',
      mfaEnrolled: true,
      lastSignInAt: expect.any(String),
    });
    // Ids and verbs only: no address or name in the audit log.
    const joins = await auditActions('people.join');
    expect(joins.map((e) => e.record_id)).toContain(created.id);
    const all = await t.vault.db.selectFrom('audit_event').selectAll().execute();
    expect(JSON.stringify(all)).not.toMatch(/new\.supervisor|Sage/i);
  });

  it('e-mails the invitation where the practice sends e-mail, and never shows the link', async () => {
    const smtp = await startSmtpCatcher();
    try {
      const mailing = await t.vault.db
        .transaction()
        .execute((trx) => insertPractice(trx, { name: 'Mailing Practice (fictional)' }, t.vault.keyring));
      const owner = await addStaff(t.vault, {
        email: 'mailing-owner@example.test',
        name: 'Mailing Owner (fictional)',
        roles: ['administrator'],
        practiceId: mailing.id,
      });
      await t.vault.db.transaction().execute((trx) =>
        setMailSettings(trx, t.vault.keyring, {
          practiceId: mailing.id,
          settings: {
            mode: 'smtp',
            from: 'mailing@example.test',
            siteUrl: 'https://mailing.example.test/',
            host: '127.0.0.1',
            port: smtp.port,
            secure: false,
          },
          userId: owner.userId,
          now: new Date(clock).toISOString(),
        }),
      );
      const created = await invite(
        owner,
        'mailed.person@example.test',
        ['practitioner'],
        'Mailed Person (fictional)',
      );
      expect(created).toMatchObject({ delivery: 'sent', link: null });
      await t.app.alcove.mailer.drain();
      const mail = smtp.received.find((m) => m.to.includes('mailed.person@example.test'));
      expect(mail?.text).toContain('Dear Mailed Person (fictional)');
      expect(mail?.text).toContain('Mailing Practice (fictional)');
      const token = mail?.text.match(/https:\/\/mailing\.example\.test\/join#([A-Za-z0-9_-]{43})/)?.[1] ?? '';
      expect(token).not.toBe('');
      const joined = await join(token, NEW_PASSWORD);
      expect(joined.statusCode, joined.body).toBe(200);
      expect(joined.json().stage).toBe('mfa-enrol');
      expect((await auditActions('message.queue:staff-invitation')).map((e) => e.record_id)).toContain(
        created.id,
      );
    } finally {
      await smtp.close();
    }
  });

  it('limits joining and previewing like signing in, per address, with a problem document', async () => {
    const limited = await startTestApp(engine, { signInRateLimit: 2 });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i += 1) {
        const response = await limited.app.inject({
          method: 'POST',
          url: '/api/v1/people/join',
          payload: { token: 'z'.repeat(43), password: NEW_PASSWORD },
        });
        statuses.push(response.statusCode);
      }
      expect(statuses).toEqual([404, 404, 429]);
      const preview = await limited.app.inject({
        method: 'POST',
        url: '/api/v1/people/join/preview',
        payload: { token: 'z'.repeat(43) },
      });
      expect([404, 429]).toContain(preview.statusCode);
      expect(preview.headers['content-type']).toContain('application/problem+json');
    } finally {
      await limited.close();
    }
  });

  it('refuses a withdrawn or expired invitation with a problem that says which', async () => {
    const withdrawn = await invite(admin, 'withdrawn@example.test', ['practitioner']);
    expect((await call('DELETE', `/people/invitations/${withdrawn.id}`, { who: admin })).statusCode).toBe(
      204,
    );
    expect((await call('DELETE', `/people/invitations/${withdrawn.id}`, { who: admin })).statusCode).toBe(
      404,
    );
    const refused = await join(tokenOf(withdrawn.link ?? ''), NEW_PASSWORD);
    expect(refused.statusCode).toBe(410);
    expect(refused.json().detail).toContain('withdrawn');
    const expired = await invite(admin, 'expired@example.test', ['practitioner']);
    await t.vault.db
      .updateTable('staff_invitation')
      .set({ expires_at: new Date(clock - 1000).toISOString() })
      .where('id', '=', expired.id)
      .execute();
    for (const url of ['/people/join/preview', '/people/join']) {
      const response = await call('POST', url, {
        payload: {
          token: tokenOf(expired.link ?? ''),
          ...(url === '/people/join' ? { password: NEW_PASSWORD } : {}),
        },
      });
      expect(response.statusCode, url).toBe(410);
      expect(response.json().detail).toContain('expired');
    }
    expect((await auditActions('people.invitation-withdraw')).map((e) => e.record_id)).toContain(
      withdrawn.id,
    );
  });

  it('lets a supervisor invited by a second practice join with their own password and switch practices without signing in again', async () => {
    const supervisor = await addStaff(t.vault, {
      email: 'roaming.supervisor@example.test',
      name: 'Roaming Supervisor (fictional)',
      roles: ['supervisor'],
    });
    // Their first practice: enrolled, with a presentation made to them there.
    const first = await signInAndEnrol(t.app, supervisor.email, () => clock);
    const client = (
      await call('POST', '/clients', {
        who: admin,
        payload: { identity: { name: 'Fern Client (fictional)' } },
      })
    ).json().id;
    const caseId = (
      await call('POST', '/cases', { who: admin, payload: { kind: 'individual', clientIds: [client] } })
    ).json().id;
    expect(
      (
        await call('POST', `/cases/${caseId}/presentations`, {
          who: admin,
          payload: {
            supervisorId: supervisor.userId,
            presentedOn: '2026-11-20',
            material: '<p>First practice material.</p>',
          },
        })
      ).statusCode,
    ).toBe(201);

    // The second practice invites the same address: e-mail captured, so the link is shown once.
    const created = await invite(otherAdmin, 'Roaming.Supervisor@example.test', ['supervisor']);
    expect(created.delivery).toBe('shown-once');
    expect(created.link).toMatch(/^https:\/\/second\.example\.test\/join#/);
    const token = tokenOf(created.link ?? '');
    expect((await call('POST', '/people/join/preview', { payload: { token } })).json()).toMatchObject({
      practiceName: 'Second Practice (fictional)',
      existingAccount: true,
    });
    // Their own current password, not a new one.
    const wrong = await join(token, NEW_PASSWORD);
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().code).toBe('invalid-credentials');
    const joined = await join(token, TEST_PASSWORD);
    expect(joined.statusCode, joined.body).toBe(200);
    expect(joined.json().stage).toBe('mfa-challenge');
    const inSecond = await challenge(browserFrom(joined), first.totpSecret);
    expect((await call('GET', '/auth/session', { who: inSecond })).json()).toMatchObject({
      practice: { id: otherPractice },
      roles: ['supervisor'],
    });
    const otherClient = (
      await call('POST', '/clients', {
        who: otherAdmin,
        payload: { identity: { name: 'Moss Client (fictional)' } },
      })
    ).json().id;
    const otherCase = (
      await call('POST', '/cases', {
        who: otherAdmin,
        payload: { kind: 'individual', clientIds: [otherClient] },
      })
    ).json().id;
    expect(
      (
        await call('POST', `/cases/${otherCase}/presentations`, {
          who: otherAdmin,
          payload: {
            supervisorId: supervisor.userId,
            presentedOn: '2026-11-21',
            material: '<p>Second practice material.</p>',
          },
        })
      ).statusCode,
    ).toBe(201);
    const materials = async (browser: Browser) =>
      (
        (await call('GET', '/supervision/presentations', { who: browser })).json().presentations as {
          material: string;
        }[]
      ).map((p) => p.material);
    expect(await materials(inSecond)).toEqual(['<p>Second practice material.</p>']);

    // Signing in again: two practices, so the session has none until they choose.
    const fresh = await signIn(supervisor.email, TEST_PASSWORD, first.totpSecret);
    const info = (await call('GET', '/auth/session', { who: fresh })).json();
    expect(info).toMatchObject({ practice: null, choosePractice: true, roles: [] });
    expect(info.practices.map((p: { id: string }) => p.id).sort()).toEqual(
      [t.vault.practice.id, otherPractice].sort(),
    );
    const needs = await call('GET', '/supervision/presentations', { who: fresh });
    expect(needs.statusCode).toBe(409);
    expect(needs.json().code).toBe('practice-required');
    const listed = await call('GET', '/auth/practices', { who: fresh });
    expect(listed.json().practices).toHaveLength(2);
    // A practice they are not in: not found, and the session stays as it was.
    const elsewhere = await call('POST', '/auth/practice', {
      who: fresh,
      payload: { practiceId: UNKNOWN_ID },
    });
    expect(elsewhere.statusCode).toBe(404);
    expect((await call('POST', '/auth/practice', { who: fresh, payload: {} })).statusCode).toBe(400);
    // Choose the first: a new session id and CSRF token; the old id no longer works.
    const chosen = await call('POST', '/auth/practice', {
      who: fresh,
      payload: { practiceId: t.vault.practice.id },
    });
    expect(chosen.statusCode, chosen.body).toBe(200);
    const inFirst = browserFrom(chosen);
    expect(inFirst.cookie).not.toBe(fresh.cookie);
    expect(inFirst.csrfToken).not.toBe(fresh.csrfToken);
    expect((await call('GET', '/auth/session', { who: fresh })).statusCode).toBe(401);
    expect(await materials(inFirst)).toEqual(['<p>First practice material.</p>']);
    // And switch to the second, without a password or a code.
    const switched = await call('POST', '/auth/practice', {
      who: inFirst,
      payload: { practiceId: otherPractice },
    });
    expect(switched.statusCode).toBe(200);
    const back = browserFrom(switched);
    expect(await materials(back)).toEqual(['<p>Second practice material.</p>']);
    expect((await call('GET', '/auth/session', { who: back })).json()).toMatchObject({
      practice: { id: otherPractice, name: 'Second Practice (fictional)' },
      choosePractice: false,
    });
    // The old session's CSRF token does not work with the new id either.
    expect(
      (
        await call('POST', '/auth/practice', {
          who: { cookie: back.cookie, csrfToken: inFirst.csrfToken },
          payload: { practiceId: t.vault.practice.id },
        })
      ).statusCode,
    ).toBe(403);
    const chosenEvents = await auditActions('session.practice-chosen');
    expect(chosenEvents.filter((e) => e.actor_id === supervisor.userId && e.outcome === 'ok')).toHaveLength(
      2,
    );
    expect(
      chosenEvents.filter((e) => e.actor_id === supervisor.userId && e.outcome === 'denied'),
    ).toHaveLength(1);

    // Suspended in the second practice: that session ends, and signing in goes straight to the first.
    expect(
      (await call('POST', `/people/${supervisor.userId}/suspend`, { who: otherAdmin, payload: {} }))
        .statusCode,
    ).toBe(200);
    expect((await call('GET', '/auth/session', { who: back })).statusCode).toBe(401);
    const only = await signIn(supervisor.email, TEST_PASSWORD, first.totpSecret);
    expect((await call('GET', '/auth/session', { who: only })).json()).toMatchObject({
      practice: { id: t.vault.practice.id },
      choosePractice: false,
      practices: [{ id: t.vault.practice.id, roles: ['supervisor'] }],
    });
    expect(
      (await call('POST', '/auth/practice', { who: only, payload: { practiceId: otherPractice } }))
        .statusCode,
    ).toBe(404);
  });

  it('suspends a person at once — their session and tokens end — and reinstates them', async () => {
    const person = await addStaff(t.vault, {
      email: 'suspend.me@example.test',
      name: 'Suspended Person (fictional)',
      roles: ['practitioner'],
    });
    const browser = await signInAndEnrol(t.app, person.email, () => clock);
    expect((await call('GET', '/practices', { who: browser })).statusCode).toBe(200);
    expect((await call('GET', '/practices', { who: person })).statusCode).toBe(200);
    const suspended = await call('POST', `/people/${person.userId}/suspend`, { who: admin, payload: {} });
    expect(suspended.statusCode).toBe(200);
    expect(suspended.json()).toMatchObject({
      userId: person.userId,
      status: 'suspended',
      roles: ['practitioner'],
    });
    // The very next request with the old cookie, and with the token, is refused.
    expect((await call('GET', '/practices', { who: browser })).statusCode).toBe(401);
    expect((await call('GET', '/practices', { who: person })).statusCode).toBe(401);
    const row = await t.vault.db
      .selectFrom('api_token')
      .select('revoked_at')
      .where('user_id', '=', person.userId)
      .executeTakeFirstOrThrow();
    expect(row.revoked_at).not.toBeNull();
    // No way back in while suspended.
    expect(
      (await call('POST', '/auth/sign-in', { payload: { email: person.email, password: TEST_PASSWORD } }))
        .statusCode,
    ).toBe(401);
    const reinstated = await call('POST', `/people/${person.userId}/reinstate`, { who: admin, payload: {} });
    expect(reinstated.json()).toMatchObject({ status: 'active' });
    const again = await signIn(person.email, TEST_PASSWORD, browser.totpSecret);
    expect((await call('GET', '/practices', { who: again })).statusCode).toBe(200);
    for (const action of ['people.suspend', 'people.reinstate', 'people.access-ended']) {
      const events = await auditActions(action);
      expect(
        events.some((e) => e.record_id === person.userId && e.actor_id === admin.userId),
        action,
      ).toBe(true);
    }
  });

  it('ends every session and token when roles change, and removes a person from this practice only', async () => {
    const person = await addStaff(t.vault, {
      email: 'roles.change@example.test',
      name: 'Changing Roles (fictional)',
      roles: ['practitioner'],
    });
    const browser = await signInAndEnrol(t.app, person.email, () => clock);
    const changed = await call('PUT', `/people/${person.userId}/roles`, {
      who: admin,
      payload: { roles: ['practitioner', 'executor'] },
    });
    expect(changed.statusCode).toBe(200);
    expect(changed.json().roles).toEqual(['practitioner', 'executor']);
    expect((await call('GET', '/practices', { who: browser })).statusCode).toBe(401);
    expect((await call('GET', '/practices', { who: person })).statusCode).toBe(401);
    const again = await signIn(person.email, TEST_PASSWORD, browser.totpSecret);
    expect((await call('GET', '/auth/session', { who: again })).json().roles.sort()).toEqual([
      'executor',
      'practitioner',
    ]);
    const removed = await call('DELETE', `/people/${person.userId}`, { who: admin });
    expect(removed.statusCode).toBe(204);
    expect((await call('GET', '/auth/session', { who: again })).statusCode).toBe(401);
    const list = (await call('GET', '/people', { who: admin })).json();
    expect(list.people.map((p: { userId: string }) => p.userId)).not.toContain(person.userId);
    expect((await call('DELETE', `/people/${person.userId}`, { who: admin })).statusCode).toBe(404);
    // The account stays (the records it wrote name it); it has no practice to sign in to.
    expect(
      await t.vault.db.selectFrom('app_user').select('id').where('id', '=', person.userId).executeTakeFirst(),
    ).toBeDefined();
    expect(
      (await call('POST', '/auth/sign-in', { payload: { email: person.email, password: TEST_PASSWORD } }))
        .statusCode,
    ).toBe(401);
    expect((await auditActions('people.remove')).map((e) => e.record_id)).toContain(person.userId);
    expect((await auditActions('people.roles')).map((e) => e.record_id)).toContain(person.userId);
  });

  it('never leaves the practice without an active administrator, and nobody suspends or removes themself', async () => {
    const sole = (await call('GET', '/people', { who: admin }))
      .json()
      .people.filter(
        (p: { roles: string[]; status: string }) =>
          p.roles.includes('administrator') && p.status === 'active',
      );
    expect(sole.map((p: { userId: string }) => p.userId)).toEqual([admin.userId]);
    const demote = await call('PUT', `/people/${admin.userId}/roles`, {
      who: admin,
      payload: { roles: ['practitioner'] },
    });
    expect(demote.statusCode).toBe(409);
    expect(demote.json().detail).toContain('without an active administrator');
    const self = await call('POST', `/people/${admin.userId}/suspend`, { who: admin, payload: {} });
    expect(self.statusCode).toBe(409);
    expect(self.json().detail).toContain('yourself');
    expect((await call('DELETE', `/people/${admin.userId}`, { who: admin })).statusCode).toBe(409);
    // A second administrator who is suspended does not count.
    const deputy = await addStaff(t.vault, {
      email: 'deputy@example.test',
      name: 'Deputy Administrator (fictional)',
      roles: ['administrator'],
    });
    expect(
      (await call('POST', `/people/${deputy.userId}/suspend`, { who: admin, payload: {} })).statusCode,
    ).toBe(200);
    expect(
      (
        await call('PUT', `/people/${admin.userId}/roles`, {
          who: admin,
          payload: { roles: ['practitioner'] },
        })
      ).statusCode,
    ).toBe(409);
    // Reinstated, the deputy is one: now the owner may step down as administrator.
    expect(
      (await call('POST', `/people/${deputy.userId}/reinstate`, { who: deputy, payload: {} })).statusCode,
    ).toBe(401);
    expect(
      (await call('POST', `/people/${deputy.userId}/reinstate`, { who: admin, payload: {} })).statusCode,
    ).toBe(200);
    // Nothing was changed by the refusals.
    const me = (await call('GET', '/people', { who: admin }))
      .json()
      .people.find((p: { userId: string }) => p.userId === admin.userId);
    expect(me).toMatchObject({ roles: ['practitioner', 'administrator'], status: 'active' });
  });

  it('shows a client’s portal link once when the practice’s e-mail is captured, and it works', async () => {
    const practitioner = await addStaff(t.vault, {
      email: 'captured.practitioner@example.test',
      name: 'Captured Practitioner (fictional)',
      roles: ['practitioner'],
      practiceId: otherPractice,
    });
    const setup = await t.vault.db.transaction().execute(async (trx) => {
      const client = await createClient(trx, t.vault.keyring, {
        practiceId: otherPractice,
        createdBy: practitioner.userId,
        identity: new Confidential({
          name: 'Hazel Client (fictional)',
          email: 'hazel@example.test',
          vulnerableAdult: true,
        }),
      });
      const opened = await openCase(trx, t.vault.keyring, {
        practiceId: otherPractice,
        practitionerId: practitioner.userId,
        kind: 'individual',
        clientIds: [client.id],
      });
      await createContractVersion(trx, t.vault.keyring, {
        practiceId: otherPractice,
        caseId: opened.caseId,
        text: new Confidential('A contract (fictional), long enough to be one.'),
        userId: practitioner.userId,
        now: new Date(clock).toISOString(),
      });
      return { clientId: client.id, caseId: opened.caseId };
    });
    const sent = await call('POST', `/cases/${setup.caseId}/send-contract`, {
      who: practitioner,
      payload: {},
    });
    expect(sent.statusCode, sent.body).toBe(200);
    const [outcome] = sent.json().sent;
    expect(outcome).toMatchObject({ outcome: 'invited', delivery: 'shown-once' });
    expect(outcome.link).toMatch(/^https:\/\/second\.example\.test\/portal\/join#[A-Za-z0-9_-]{43}$/);
    const joined = await call('POST', '/portal/join', {
      payload: { token: tokenOf(outcome.link), password: NEW_PASSWORD },
    });
    expect(joined.statusCode, joined.body).toBe(201);
    // The appropriate adult's invitation answers the same way.
    const adult = await call('POST', `/clients/${setup.clientId}/appropriate-adult-invitations`, {
      who: practitioner,
      payload: { name: 'Adult Helper (fictional)', email: 'adult.helper@example.test' },
    });
    expect(adult.statusCode, adult.body).toBe(201);
    expect(adult.json()).toMatchObject({ outcome: 'invited', delivery: 'shown-once' });
    expect(adult.json().link).toMatch(/\/portal\/join#/);
    // Shown in that answer: the outbox keeps the message sealed, and no list shows a link.
    const outbox = await call('GET', '/outbox', { who: practitioner });
    expect(outbox.body).not.toContain(tokenOf(outcome.link));
    expect(outbox.body).not.toContain(tokenOf(adult.json().link));
    const stored = await t.vault.db
      .selectFrom('outbox_message')
      .select('envelope_sealed')
      .where('practice_id', '=', otherPractice)
      .execute();
    expect(JSON.stringify(stored)).not.toContain(tokenOf(outcome.link));
    // The client's portal account is no one of the practice's people.
    const people = await call('GET', '/people', { who: otherAdmin });
    expect(people.statusCode).toBe(200);
    expect(people.body).not.toContain('hazel@example.test');
    expect(people.json().people.every((p: { roles: string[] }) => p.roles.length > 0)).toBe(true);
  });
});
