import { problemType } from '@alcove/core';
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
import { type BrowserSession, cookieFrom, signInAndEnrol } from './testing/browser-session.ts';
import { contractText } from './testing/contracts.ts';

const CONTRACT = contractText(
  'Our contract (fictional): weekly sessions of 50 minutes; confidentiality and its limits; how therapy ends.',
);
const PARTNER_A = 'Partner Sorrel (fictional)';
const PARTNER_B = 'Partner Tamsin (fictional)';

/**
 * The signing screen as a kiosk (issue 14): a session handed to a client reaches that one
 * contract, signs it as that client, and nothing else, until the practitioner ends it with
 * their password and a current authenticator code.
 */
describe.each(testEngines)('the signing kiosk on $name', (engine) => {
  let t: TestApp;
  let clock = Date.parse('2026-12-01T10:00:00Z');
  const now = () => clock;
  let me: TestStaff;
  let colleague: TestStaff;
  let browser: BrowserSession;
  let caseId: string;
  let partnerA: string;
  let partnerB: string;
  let contract: { id: string; textHash: string };
  let colleagueCase: { caseId: string; clientId: string; contractId: string };

  interface Call {
    cookie?: string;
    csrf?: string;
    staff?: TestStaff;
    payload?: unknown;
  }
  const call = (method: 'GET' | 'POST', url: string, options: Call = {}) =>
    t.app.inject({
      method,
      url: `/api/v1${url}`,
      headers: {
        ...(options.cookie === undefined ? {} : { cookie: options.cookie }),
        ...(options.csrf === undefined ? {} : { 'x-csrf-token': options.csrf }),
        ...(options.staff === undefined ? {} : bearer(options.staff)),
      },
      ...(options.payload === undefined ? {} : { payload: options.payload as Record<string, unknown> }),
    });
  /** As the practitioner's browser: its cookie, and its CSRF token on writes. */
  const asBrowser = (method: 'GET' | 'POST', url: string, payload?: unknown) =>
    call(method, url, {
      cookie: browser.cookie,
      ...(method === 'POST' ? { csrf: browser.csrfToken } : {}),
      ...(payload === undefined ? {} : { payload }),
    });
  const audited = async (action: string, outcome?: string) => {
    let query = t.vault.db.selectFrom('audit_event').select('record_id').where('action', '=', action);
    if (outcome !== undefined) query = query.where('outcome', '=', outcome);
    return query.execute();
  };
  /** A fresh code: each authenticator step is accepted once. */
  const nextCode = () => {
    clock += 30_000;
    return currentTotp(browser.totpSecret, clock);
  };
  const signInAgain = async () => {
    const signIn = await call('POST', '/auth/sign-in', {
      payload: { email: me.email, password: TEST_PASSWORD },
    });
    expect(signIn.statusCode).toBe(200);
    const challenge = await call('POST', '/auth/mfa/challenge', {
      cookie: cookieFrom(signIn.headers['set-cookie']),
      csrf: signIn.json().csrfToken as string,
      payload: { code: nextCode() },
    });
    expect(challenge.statusCode).toBe(200);
    browser = {
      ...browser,
      cookie: cookieFrom(challenge.headers['set-cookie']),
      csrfToken: challenge.json().csrfToken as string,
    };
  };
  const handOver = (body: unknown = { caseId, clientId: partnerA, contractId: contract.id }) =>
    asBrowser('POST', '/session/kiosk', body);

  beforeAll(async () => {
    t = await startTestApp(engine, { now: () => new Date(clock), signInRateLimit: 1000 });
    me = await addStaff(t.vault, {
      email: 'kiosk@example.test',
      name: 'Me (fictional)',
      roles: ['practitioner'],
    });
    colleague = await addStaff(t.vault, {
      email: 'kiosk-colleague@example.test',
      name: 'Colleague (fictional)',
      roles: ['practitioner'],
    });
    browser = await signInAndEnrol(t.app, me.email, now);

    const make = async (staff: TestStaff, names: readonly string[]) => {
      const ids: string[] = [];
      for (const name of names) {
        const created = await call('POST', '/clients', { staff, payload: { identity: { name } } });
        expect(created.statusCode).toBe(201);
        ids.push(created.json().id as string);
      }
      const opened = await call('POST', '/cases', {
        staff,
        payload: { kind: names.length === 2 ? 'couple' : 'individual', clientIds: ids },
      });
      expect(opened.statusCode).toBe(201);
      const id = opened.json().id as string;
      const written = await call('POST', `/cases/${id}/contracts`, { staff, payload: { text: CONTRACT } });
      expect(written.statusCode).toBe(201);
      const read = (await call('GET', `/cases/${id}`, { staff })).json();
      return {
        caseId: id,
        participants: read.participants as { clientId: string; label: string }[],
        contract: { id: read.contract.id as string, textHash: read.contract.textHash as string },
      };
    };
    const couple = await make(me, [PARTNER_A, PARTNER_B]);
    caseId = couple.caseId;
    contract = couple.contract;
    const byName = async (name: string) =>
      (
        await Promise.all(
          couple.participants.map(async (p) => ({
            p,
            name: (await call('GET', `/clients/${p.clientId}`, { staff: me })).json().identity.name,
          })),
        )
      ).find((x) => x.name === name)?.p.clientId ?? '';
    partnerA = await byName(PARTNER_A);
    partnerB = await byName(PARTNER_B);
    const theirs = await make(colleague, ['Their Client (fictional)']);
    colleagueCase = {
      caseId: theirs.caseId,
      clientId: theirs.participants[0]?.clientId ?? '',
      contractId: theirs.contract.id,
    };
  });
  afterAll(async () => {
    await t.close();
  });

  it('refuses to hand over without a browser session, without its CSRF token, on a bad body, or on a record that is not the practitioner’s', async () => {
    const body = { caseId, clientId: partnerA, contractId: contract.id };
    expect((await call('POST', '/session/kiosk', { payload: body })).statusCode).toBe(401);
    // A script's token has no screen to lock.
    expect((await call('POST', '/session/kiosk', { staff: me, payload: body })).statusCode).toBe(401);
    const noCsrf = await call('POST', '/session/kiosk', { cookie: browser.cookie, payload: body });
    expect(noCsrf.statusCode).toBe(403);
    expect(noCsrf.json().code).toBe('csrf-failed');
    for (const bad of [
      {},
      { ...body, note: 'x' },
      { ...body, clientId: 'not-an-id' },
      { caseId, clientId: partnerA },
    ]) {
      const response = await handOver(bad);
      expect(response.statusCode, JSON.stringify(bad)).toBe(400);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    // A colleague's case is "not found", exactly as if it did not exist, and the refusal is audited.
    const deniedBefore = (await audited('case.manage', 'denied')).length;
    expect((await handOver(colleagueCase)).statusCode).toBe(404);
    expect((await audited('case.manage', 'denied')).length).toBe(deniedBefore + 1);
    // Someone who is not a client of this case, and a contract that is not its current one.
    expect((await handOver({ ...body, clientId: colleagueCase.clientId })).statusCode).toBe(400);
    expect((await handOver({ ...body, contractId: colleagueCase.contractId })).statusCode).toBe(409);
    // None of these locked the session.
    expect((await asBrowser('GET', '/auth/session')).json().kiosk).toBeNull();
    expect((await asBrowser('GET', `/cases/${caseId}`)).statusCode).toBe(200);
    expect(await audited('session.kiosk-start')).toHaveLength(0);
  });

  it('finds no signing screen on a session that is not a kiosk', async () => {
    expect((await asBrowser('GET', '/session/kiosk')).statusCode).toBe(404);
    expect((await call('GET', '/session/kiosk', { staff: me })).statusCode).toBe(401);
    expect((await call('GET', '/session/kiosk')).statusCode).toBe(401);
    const sign = await asBrowser('POST', '/session/kiosk/signature', { textHash: contract.textHash });
    expect(sign.statusCode).toBe(404);
    const end = await asBrowser('POST', '/session/kiosk/end', { password: TEST_PASSWORD, code: nextCode() });
    expect(end.statusCode).toBe(409);
  });

  it('locks the session to partner A’s contract: the record, the other partner and every other route are refused and audited', async () => {
    const handed = await handOver();
    expect(handed.statusCode).toBe(204);
    expect(await audited('session.kiosk-start', 'ok')).toEqual([{ record_id: partnerA }]);

    const status = await asBrowser('GET', '/auth/session');
    expect(status.statusCode).toBe(200);
    expect(status.json().kiosk).toEqual({ caseId, clientId: partnerA, contractId: contract.id });

    // The signing screen: the contract and partner A's own label and name, nothing of partner B.
    const view = await asBrowser('GET', '/session/kiosk');
    expect(view.statusCode).toBe(200);
    expect(view.json()).toEqual({
      signer: { clientId: partnerA, label: expect.stringMatching(/^Partner [AB]$/), name: PARTNER_A },
      contract: {
        id: contract.id,
        version: 1,
        text: CONTRACT,
        textHash: contract.textHash,
        conditions: null,
      },
      signed: false,
    });
    expect(view.body).not.toContain(PARTNER_B);
    expect(view.body).not.toContain(partnerB);
    expect(await audited('contract.kiosk-read', 'ok')).toEqual([{ record_id: partnerA }]);

    const refusedBefore = (await audited('session.kiosk-refused', 'denied')).length;
    const refused: [method: 'GET' | 'POST', url: string, payload?: unknown][] = [
      ['GET', `/cases/${caseId}`],
      ['GET', `/clients/${partnerA}`],
      ['GET', `/clients/${partnerB}`],
      ['GET', `/clients/${partnerB}/record`],
      ['GET', `/clients/${partnerB}/consents`],
      ['GET', '/clients'],
      ['GET', `/cases/${caseId}/contracts/${contract.id}/pdf`],
      ['GET', '/account/tokens'],
      [
        'POST',
        `/cases/${caseId}/contracts/${contract.id}/signatures`,
        { signer: { kind: 'client', clientId: partnerB }, textHash: contract.textHash },
      ],
      // Even partner A's own signature goes only through the kiosk's route.
      [
        'POST',
        `/cases/${caseId}/contracts/${contract.id}/signatures`,
        { signer: { kind: 'client', clientId: partnerA }, textHash: contract.textHash },
      ],
      ['POST', '/session/kiosk', { caseId, clientId: partnerB, contractId: contract.id }],
      ['POST', '/account/tokens', { name: 'a way out' }],
      ['GET', '/auth/mfa/enrolment'],
      // Public routes too: the kiosk's cookie opens nothing.
      ['POST', '/auth/sign-in', { email: me.email, password: TEST_PASSWORD }],
    ];
    for (const [method, url, payload] of refused) {
      const response = await asBrowser(method, url, payload);
      expect(response.statusCode, `${method} ${url}`).toBe(403);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.json()).toMatchObject({
        type: problemType('kiosk-locked'),
        code: 'kiosk-locked',
        status: 403,
      });
      expect(response.body).not.toContain(PARTNER_B);
    }
    // The same without the CSRF token, and with a body that would not even validate.
    expect((await call('POST', '/clients', { cookie: browser.cookie, payload: { x: 1 } })).statusCode).toBe(
      403,
    );
    const refusals = await audited('session.kiosk-refused', 'denied');
    expect(refusals.length).toBe(refusedBefore + refused.length + 1);
    expect(new Set(refusals.map((r) => r.record_id))).toEqual(new Set([partnerA]));
    // Nothing was signed by those attempts.
    expect(
      await t.vault.db
        .selectFrom('contract_signature')
        .select('signer_id')
        .where('contract_id', '=', contract.id)
        .execute(),
    ).toEqual([]);

    // The kiosk locks this session only: the practitioner's API token still works.
    expect((await call('GET', `/cases/${caseId}`, { staff: me })).statusCode).toBe(200);
  });

  it('signs the contract as partner A only, on the text shown, once', async () => {
    const noCsrf = await call('POST', '/session/kiosk/signature', {
      cookie: browser.cookie,
      payload: { textHash: contract.textHash },
    });
    expect(noCsrf.statusCode).toBe(403);
    expect(noCsrf.json().code).toBe('csrf-failed');
    for (const bad of [
      {},
      { textHash: 'abc' },
      { textHash: contract.textHash, signer: { kind: 'client', clientId: partnerB } },
    ]) {
      expect((await asBrowser('POST', '/session/kiosk/signature', bad)).statusCode, JSON.stringify(bad)).toBe(
        400,
      );
    }
    // A text that is not the one shown.
    expect(
      (await asBrowser('POST', '/session/kiosk/signature', { textHash: 'a'.repeat(64) })).statusCode,
    ).toBe(400);
    const signed = await asBrowser('POST', '/session/kiosk/signature', { textHash: contract.textHash });
    expect(signed.statusCode).toBe(201);
    expect(
      await t.vault.db
        .selectFrom('contract_signature')
        .select(['signer_kind', 'signer_id', 'mode', 'recorded_by'])
        .where('contract_id', '=', contract.id)
        .execute(),
    ).toEqual([{ signer_kind: 'client', signer_id: partnerA, mode: 'in-person', recorded_by: me.userId }]);
    expect((await asBrowser('GET', '/session/kiosk')).json().signed).toBe(true);
    expect(
      (await asBrowser('POST', '/session/kiosk/signature', { textHash: contract.textHash })).statusCode,
    ).toBe(409);
    // Signed, the session is still a kiosk.
    expect((await asBrowser('GET', `/cases/${caseId}`)).statusCode).toBe(403);
  });

  it('ends only with the practitioner’s password and a current code, both', async () => {
    const end = (payload: unknown, csrf = true) =>
      call('POST', '/session/kiosk/end', {
        cookie: browser.cookie,
        ...(csrf ? { csrf: browser.csrfToken } : {}),
        payload,
      });
    expect((await end({ password: TEST_PASSWORD, code: nextCode() }, false)).statusCode).toBe(403);
    for (const bad of [
      { password: TEST_PASSWORD },
      { code: '123456' },
      { password: TEST_PASSWORD, code: 'abcdef' },
      { password: TEST_PASSWORD, code: '123456', remember: true },
    ]) {
      expect((await end(bad)).statusCode, JSON.stringify(bad)).toBe(400);
    }
    const code = nextCode();
    const wrongPassword = await end({ password: 'not the password at all', code });
    expect(wrongPassword.statusCode).toBe(401);
    expect(wrongPassword.json().code).toBe('invalid-credentials');
    const wrongCode = await end({ password: TEST_PASSWORD, code: code === '000000' ? '111111' : '000000' });
    expect(wrongCode.statusCode).toBe(401);
    // The same answer whichever was wrong.
    expect(wrongCode.json()).toEqual(wrongPassword.json());
    expect(await audited('session.kiosk-end', 'failed')).toHaveLength(2);
    // Still locked.
    expect((await asBrowser('GET', `/cases/${caseId}`)).statusCode).toBe(403);

    const ended = await end({ password: TEST_PASSWORD, code });
    expect(ended.statusCode).toBe(200);
    expect(await audited('session.kiosk-end', 'ok')).toEqual([{ record_id: partnerA }]);
    // The session moves on under a new id: the kiosk's cookie is worthless now.
    const oldCookie = browser.cookie;
    browser = {
      ...browser,
      cookie: cookieFrom(ended.headers['set-cookie']),
      csrfToken: ended.json().csrfToken as string,
    };
    expect(browser.cookie).not.toBe(oldCookie);
    expect((await call('GET', `/cases/${caseId}`, { cookie: oldCookie })).statusCode).toBe(401);
    expect((await asBrowser('GET', '/auth/session')).json().kiosk).toBeNull();
    expect((await asBrowser('GET', `/cases/${caseId}`)).statusCode).toBe(200);
    // The code just used is not accepted again.
    expect((await handOver({ caseId, clientId: partnerB, contractId: contract.id })).statusCode).toBe(204);
    const replay = await end({ password: TEST_PASSWORD, code });
    expect(replay.statusCode).toBe(401);
  });

  it('ends the practitioner’s session when the kiosk chooses "End my session"', async () => {
    // Still the kiosk for partner B from the test before.
    expect((await asBrowser('GET', '/auth/session')).json().kiosk.clientId).toBe(partnerB);
    const out = await asBrowser('POST', '/auth/sign-out', {});
    expect(out.statusCode).toBe(204);
    expect((await asBrowser('GET', '/auth/session')).statusCode).toBe(401);
    expect((await asBrowser('GET', `/cases/${caseId}`)).statusCode).toBe(401);
  });

  it('ends the practitioner’s session after too many wrong codes, and the account’s second factor stays locked', async () => {
    await signInAgain();
    expect((await handOver({ caseId, clientId: partnerB, contractId: contract.id })).statusCode).toBe(204);
    const statuses: { status: number; code: string }[] = [];
    for (let i = 0; i < 5; i += 1) {
      const response = await asBrowser('POST', '/session/kiosk/end', {
        password: TEST_PASSWORD,
        code: '000000',
      });
      statuses.push({ status: response.statusCode, code: response.json().code as string });
      if (i === 4) expect(String(response.headers['set-cookie'])).toMatch(/alcove_session=;/);
    }
    // Every earlier failure above was forgiven by the right password and code.
    expect(statuses).toEqual([
      ...Array(4).fill({ status: 401, code: 'invalid-credentials' }),
      { status: 401, code: 'unauthenticated' },
    ]);
    expect(await audited('session.kiosk-locked-out', 'denied')).toEqual([{ record_id: partnerB }]);
    expect((await asBrowser('GET', '/auth/session')).statusCode).toBe(401);
    expect((await asBrowser('GET', `/clients/${partnerA}`)).statusCode).toBe(401);
    // The wrong codes locked the account's second factor (issue 16): the password still
    // opens a session at the challenge, but no code, even the right one, until the lock ends.
    const signIn = await call('POST', '/auth/sign-in', {
      payload: { email: me.email, password: TEST_PASSWORD },
    });
    expect(signIn.statusCode).toBe(200);
    const refused = await call('POST', '/auth/mfa/challenge', {
      cookie: cookieFrom(signIn.headers['set-cookie']),
      csrf: signIn.json().csrfToken as string,
      payload: { code: nextCode() },
    });
    expect(refused.statusCode).toBe(429);
    expect(await audited('mfa.locked', 'denied')).toHaveLength(1);
    clock += 16 * 60_000;
    await signInAgain();
    expect((await asBrowser('GET', '/auth/session')).json().kiosk).toBeNull();
  });
});
