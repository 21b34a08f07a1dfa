import { problemDocumentSchema } from '@alcove/core';
import { createInvitation } from '@alcove/store';
import { testEngines } from '@alcove/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addStaff,
  bearer,
  startTestApp,
  TEST_PASSWORD,
  type TestApp,
  type TestStaff,
} from './testing/app.ts';
import { type BrowserSession, signInAndEnrol } from './testing/browser-session.ts';

/** Finding 4 of issue 16: a breached or easily guessed new password is refused, saying why. */
describe.each(testEngines)('choosing a new password on $name', (engine) => {
  let t: TestApp;
  const clock = Date.parse('2026-11-22T10:00:00Z');
  let browser: BrowserSession;
  let me: TestStaff;
  const email = 'choosing@example.test';

  beforeAll(async () => {
    t = await startTestApp(engine, { now: () => new Date(clock), signInRateLimit: 1000 });
    me = await addStaff(t.vault, { email, name: 'Choosing (fictional)', roles: ['practitioner'] });
    browser = await signInAndEnrol(t.app, email, () => clock);
  });
  afterAll(async () => {
    await t.close();
  });

  const change = (newPassword: string) =>
    t.app.inject({
      method: 'POST',
      url: '/api/v1/account/password',
      headers: { cookie: browser.cookie, 'x-csrf-token': browser.csrfToken },
      payload: { currentPassword: TEST_PASSWORD, newPassword },
    });

  it.each([
    ['iloveyou1234', /exposed in data breaches/],
    ['letmein12345', /exposed in data breaches/],
    ['password1234', /exposed in data breaches/],
    ['qwertyuiop!!1', /too easy to guess/],
    // The words a guesser tries first (V6.2.11): the person's own address and name, the practice's name.
    [email, /too easy to guess/],
    ['Choosing (fictional)!', /too easy to guess/],
    ['Test Practice (fictional)', /too easy to guess/],
  ])('refuses %s with a problem document that says why and never repeats it', async (password, why) => {
    const response = await change(password);
    expect(response.statusCode).toBe(400);
    const problem = problemDocumentSchema.parse(response.json());
    expect(problem.code).toBe('validation-failed');
    expect(problem.detail).toMatch(why);
    expect(problem.errors).toEqual([{ location: 'body', pointer: '/newPassword', detail: problem.detail }]);
    expect(response.body).not.toContain(password);
    // Nothing changed: the old password still signs in.
    const signIn = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/sign-in',
      payload: { email, password: TEST_PASSWORD },
    });
    expect(signIn.statusCode).toBe(200);
  });

  it('refuses, when a client takes up a portal invitation, a password built on their own address, name or practice', async () => {
    const client = await t.app.inject({
      method: 'POST',
      url: '/api/v1/clients',
      headers: bearer(me),
      payload: { identity: { name: 'Juniper Example (fictional)', email: 'juniper@example.test' } },
    });
    expect(client.statusCode).toBe(201);
    const { token } = await t.vault.db.transaction().execute((trx) =>
      createInvitation(trx, {
        practiceId: t.vault.practice.id,
        clientId: client.json().id as string,
        createdBy: me.userId,
        now: new Date(clock).toISOString(),
      }),
    );
    const join = (password: string) =>
      t.app.inject({ method: 'POST', url: '/api/v1/portal/join', payload: { token, password } });
    for (const password of [
      'juniper@example.test',
      'Juniper Example (fictional)',
      'Test Practice (fictional)',
      'iloveyou1234',
    ]) {
      const refused = await join(password);
      expect(refused.statusCode, password).toBe(400);
      expect(refused.json().errors[0].pointer).toBe('/password');
      expect(refused.body).not.toContain(password);
    }
    // The invitation still works, once, with a good password.
    expect((await join(TEST_PASSWORD)).statusCode).toBe(201);
  });

  it('refuses, when a colleague takes up a staff invitation, a password built on their own address, name or practice', async () => {
    const admin = await addStaff(t.vault, {
      email: 'inviting@example.test',
      name: 'Inviting (fictional)',
      roles: ['practitioner', 'administrator'],
    });
    const invited = await t.app.inject({
      method: 'POST',
      url: '/api/v1/people/invitations',
      headers: bearer(admin),
      payload: {
        email: 'newcomer@example.test',
        name: 'Newcomer Example (fictional)',
        roles: ['supervisor'],
      },
    });
    expect(invited.statusCode, invited.body).toBe(201);
    const token = String(invited.json().link).split('#')[1] ?? '';
    const join = (password: string) =>
      t.app.inject({ method: 'POST', url: '/api/v1/people/join', payload: { token, password } });
    for (const password of [
      'newcomer@example.test',
      'Newcomer Example (fictional)',
      'Test Practice (fictional)',
      'letmein12345',
    ]) {
      const refused = await join(password);
      expect(refused.statusCode, password).toBe(400);
      expect(refused.json().errors[0].pointer).toBe('/password');
      expect(refused.body).not.toContain(password);
    }
    expect((await join(TEST_PASSWORD)).statusCode).toBe(200);
  });
});
