import { auditEventContext, verifyAuditLog } from '@alcove/store';
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
import { signInAndEnrol } from './testing/browser-session.ts';

const SAFARI =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15';

/**
 * Security events with their context (issue 16, finding 8): every audit event a request
 * causes has the request's address and user agent beside it, outside the hash chain; rate-limit
 * refusals and API token use are audited.
 */
describe.each(testEngines)('security events with their context on $name', (engine) => {
  let t: TestApp;
  let clock = Date.parse('2026-11-22T14:05:00Z');
  let robin: TestStaff;

  beforeAll(async () => {
    t = await startTestApp(engine, { now: () => new Date(clock), signInRateLimit: 3 });
    robin = await addStaff(t.vault, {
      email: 'robin@example.test',
      name: 'Robin (fictional)',
      roles: ['practitioner'],
    });
  });
  afterAll(async () => {
    await t.close();
  });

  const newest = async (action: string) =>
    (
      await t.vault.db
        .selectFrom('audit_event')
        .selectAll()
        .where('action', '=', action)
        .orderBy('seq', 'desc')
        .limit(1)
        .execute()
    )[0];
  const count = async (action: string) =>
    (await t.vault.db.selectFrom('audit_event').select('seq').where('action', '=', action).execute()).length;
  const signIn = (password: string, remoteAddress: string) =>
    t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/sign-in',
      remoteAddress,
      headers: { 'user-agent': SAFARI },
      payload: { email: robin.email, password },
    });

  it('keeps a sign-in’s address and user agent beside its events, and out of the events themselves', async () => {
    const failed = await signIn('not the password', '198.51.100.21');
    expect(failed.statusCode).toBe(401);
    const failure = await newest('session.sign-in');
    expect(failure?.outcome).toBe('failed');
    expect(await auditEventContext(t.vault.db, failure?.seq ?? 0)).toMatchObject({
      source_address: '198.51.100.21',
      user_agent: SAFARI,
    });

    const ok = await signIn(TEST_PASSWORD, '198.51.100.22');
    expect(ok.statusCode).toBe(200);
    const accepted = await newest('session.password-accepted');
    expect(accepted?.actor_id).toBe(robin.userId);
    expect(await auditEventContext(t.vault.db, accepted?.seq ?? 0)).toEqual({
      event_seq: accepted?.seq,
      at: accepted?.at,
      source_address: '198.51.100.22',
      user_agent: SAFARI,
    });
    // The session keeps where it signed in from, too.
    const session = await t.vault.db
      .selectFrom('user_session')
      .select(['source_address', 'user_agent'])
      .where('user_id', '=', robin.userId)
      .where('ended_at', 'is', null)
      .executeTakeFirstOrThrow();
    expect(session).toEqual({ source_address: '198.51.100.22', user_agent: SAFARI });
    const events = await t.vault.db.selectFrom('audit_event').selectAll().execute();
    expect(JSON.stringify(events)).not.toMatch(/198\.51\.100|Safari/);
    expect((await verifyAuditLog(t.vault.db, t.vault.keyring)).ok).toBe(true);
  });

  it('audits a rate-limit refusal, with the address beside the event and not in it', async () => {
    const before = await count('security.rate-limited');
    const answers: number[] = [];
    for (let i = 0; i < 5; i += 1) answers.push((await signIn('not the password', '192.0.2.77')).statusCode);
    expect(answers.slice(0, 3)).toEqual([401, 401, 401]);
    expect(answers.slice(3)).toEqual([429, 429]);
    // Once per address and route a minute: a flood of refusals is not a flood of writes.
    expect(await count('security.rate-limited')).toBe(before + 1);
    const event = await newest('security.rate-limited');
    expect(event).toMatchObject({
      outcome: 'denied',
      actor_id: null,
      record_type: 'route',
      record_id: 'POST /api/v1/auth/sign-in',
      purpose: 'security',
    });
    expect(JSON.stringify(event)).not.toContain('192.0.2.77');
    expect(await auditEventContext(t.vault.db, event?.seq ?? 0)).toMatchObject({
      source_address: '192.0.2.77',
      user_agent: SAFARI,
    });
  });

  it('audits API token use at most every 15 seconds, with where it came from', async () => {
    const use = () =>
      t.app.inject({
        method: 'GET',
        url: '/api/v1/account/tokens',
        remoteAddress: '203.0.113.40',
        headers: { ...bearer(robin), 'user-agent': 'fictional-backup-script/1.0' },
      });
    const before = await count('api-token.used');
    expect((await use()).statusCode).toBe(200);
    expect((await use()).statusCode).toBe(200);
    expect(await count('api-token.used')).toBe(before + 1);
    clock += 16_000;
    expect((await use()).statusCode).toBe(200);
    expect(await count('api-token.used')).toBe(before + 2);
    const event = await newest('api-token.used');
    expect(event).toMatchObject({ actor_id: robin.userId, record_type: 'api-token', outcome: 'ok' });
    expect(await auditEventContext(t.vault.db, event?.seq ?? 0)).toMatchObject({
      source_address: '203.0.113.40',
      user_agent: 'fictional-backup-script/1.0',
    });
    const token = await t.vault.db
      .selectFrom('api_token')
      .select('last_used_at')
      .where('id', '=', event?.record_id ?? '')
      .executeTakeFirstOrThrow();
    expect(token.last_used_at).toBe(new Date(clock).toISOString());
  });

  it('gives re-authentications their context, failed and successful; every event a request caused has one', async () => {
    await addStaff(t.vault, {
      email: 'sage@example.test',
      name: 'Sage (fictional)',
      roles: ['practitioner'],
    });
    const browser = await signInAndEnrol(t.app, 'sage@example.test', () => clock);
    const reauthenticate = (password: string, code: string) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/account/reauthenticate',
        remoteAddress: '203.0.113.61',
        headers: { cookie: browser.cookie, 'x-csrf-token': browser.csrfToken, 'user-agent': SAFARI },
        payload: { password, code },
      });
    clock += 30_000;
    expect(
      (await reauthenticate('not the password', currentTotp(browser.totpSecret, clock))).statusCode,
    ).toBe(401);
    const failed = await newest('session.reauthenticate');
    expect(failed?.outcome).toBe('failed');
    expect(await auditEventContext(t.vault.db, failed?.seq ?? 0)).toMatchObject({
      source_address: '203.0.113.61',
      user_agent: SAFARI,
    });
    clock += 30_000;
    expect((await reauthenticate(TEST_PASSWORD, currentTotp(browser.totpSecret, clock))).statusCode).toBe(
      200,
    );
    const ok = await newest('session.reauthenticate');
    expect(ok?.outcome).toBe('ok');
    expect((await auditEventContext(t.vault.db, ok?.seq ?? 0))?.source_address).toBe('203.0.113.61');

    // Every event in this log was caused by a request: none is without its context.
    const without = await t.vault.db
      .selectFrom('audit_event')
      .leftJoin('audit_event_context', 'audit_event_context.event_seq', 'audit_event.seq')
      .select(['audit_event.seq', 'audit_event.action'])
      .where('audit_event_context.event_seq', 'is', null)
      .execute();
    expect(without).toEqual([]);
  });
});
