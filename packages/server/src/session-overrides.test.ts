import { clause } from '@alcove/core/testing';
import { testEngines } from '@alcove/store/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addStaff, bearer, startTestApp, type TestApp, type TestStaff } from './testing/app.ts';
import { contractText } from './testing/contracts.ts';

/**
 * Two "should"s at once: an online therapy session, by a practitioner with no online
 * training (GT-92), on a contract not yet signed by everyone (GT-36a). Each is answered by
 * its own reason; one reason never answers the other, and both are kept and audited.
 */
describe.each(testEngines)('a session two “should”s stand in the way of, on $name', (engine) => {
  let t: TestApp;
  let me: TestStaff;
  let caseId: string;
  const call = (method: 'GET' | 'POST', url: string, payload?: unknown) =>
    t.app.inject({
      method,
      url: `/api/v1${url}`,
      headers: bearer(me),
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });
  const session = (extra: Record<string, unknown>) =>
    call('POST', `/cases/${caseId}/sessions`, {
      kind: 'therapy',
      format: 'online',
      startsAt: new Date(Date.now() - 3_600_000).toISOString(),
      minutes: 50,
      attendance: 'attended',
      ...extra,
    });

  beforeAll(async () => {
    t = await startTestApp(engine);
    me = await addStaff(t.vault, {
      email: 'two@example.test',
      name: 'Two Shoulds (fictional)',
      roles: ['practitioner'],
    });
    const client = (await call('POST', '/clients', { identity: { name: 'Wren Online (fictional)' } })).json()
      .id;
    caseId = (
      await call('POST', '/cases', { kind: 'individual', clientIds: [client], format: 'online' })
    ).json().id;
    expect(
      (await call('POST', `/cases/${caseId}/contracts`, { text: contractText('Online work (fictional).') }))
        .statusCode,
    ).toBe(201);
  });
  afterAll(async () => {
    await t.close();
  });

  it('refuses a list of reasons that is empty, too long, or names no clause', async () => {
    expect((await session({ overrides: [] })).statusCode).toBe(400);
    expect(
      (await session({ overrides: [{ clause: 'GT-999', reason: 'No such clause (fictional).' }] }))
        .statusCode,
    ).toBe(400);
    const three = ['GT-92', 'GT-36a', 'GT-36'].map((c) => ({ clause: c, reason: 'Reason (fictional).' }));
    expect((await session({ overrides: three })).statusCode).toBe(400);
  });

  clause(['GT-36a', 'GT-92'], 'needs a reason for each “should”, and keeps and audits both', async () => {
    const first = await session({
      override: { clause: 'GT-92', reason: 'Training booked next month (fictional).' },
    });
    expect(first.statusCode).toBe(422);
    expect(first.json()).toMatchObject({ clause: 'GT-36a', overridable: true });
    const both = await session({
      overrides: [
        { clause: 'GT-92', reason: 'Training booked next month (fictional).' },
        { clause: 'GT-36a', reason: 'Agreed by phone (fictional).' },
      ],
    });
    expect(both.statusCode).toBe(201);
    const audited = await t.vault.db
      .selectFrom('audit_event')
      .select('action')
      .where('record_id', '=', caseId)
      .where('action', 'like', 'code.override:%')
      .execute();
    expect(audited.map((a) => a.action).sort()).toEqual(['code.override:GT-36a', 'code.override:GT-92']);
    const kept = (await call('GET', `/cases/${caseId}`)).json().sessions[0].overrideReason as string;
    expect(kept).toContain('GT-92: Training booked next month (fictional).');
    expect(kept).toContain('GT-36a: Agreed by phone (fictional).');
  });
});
