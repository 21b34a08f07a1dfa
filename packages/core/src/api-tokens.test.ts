import { describe, expect, it } from 'vitest';
import { apiTokenExpiry, apiTokenLastDay, mayHoldApiToken, reauthenticatedRecently } from './api-tokens.ts';

describe('who may hold an API token', () => {
  it.each([
    [['practitioner'], true],
    [['administrator'], true],
    [['practitioner', 'administrator'], true],
    [['supervisor'], false],
    [['executor'], false],
    [['client'], false],
    [['appropriate-adult'], false],
    [[], false],
  ] as const)('%j: %s', (roles, allowed) => {
    expect(mayHoldApiToken(roles)).toBe(allowed);
  });
});

describe('recent re-authentication', () => {
  const at = new Date('2026-11-22T10:00:00Z');
  it.each([
    [null, false],
    ['2026-11-22T10:00:00.000Z', true],
    ['2026-11-22T09:55:00.000Z', true],
    ['2026-11-22T09:54:59.999Z', false],
    // A stamp from the future (a clock set back) is not trusted.
    ['2026-11-22T10:00:01.000Z', false],
  ])('%s: %s', (stamp, recent) => {
    expect(reauthenticatedRecently(stamp, at)).toBe(recent);
  });
});

describe('when a token ends', () => {
  it('lasts 90 days by default, to the end of that London day', () => {
    // 23:30 on 10 June in London (BST) is 10 June, whatever the zone of the computer.
    const expiry = apiTokenExpiry(new Date('2026-06-10T22:30:00Z'), {});
    expect(expiry).toEqual({ ok: true, lastDay: '2026-09-08', expiresAt: '2026-09-08T23:00:00Z' });
  });
  it('takes a number of days or a last day, from today to 365 days ahead', () => {
    const now = new Date('2026-11-22T10:00:00Z');
    expect(apiTokenExpiry(now, { days: 1 })).toMatchObject({ ok: true, lastDay: '2026-11-23' });
    expect(apiTokenExpiry(now, { lastDay: '2026-11-22' })).toMatchObject({
      ok: true,
      expiresAt: '2026-11-23T00:00:00Z',
    });
    expect(apiTokenExpiry(now, { lastDay: '2027-11-22' })).toMatchObject({ ok: true });
    expect(apiTokenExpiry(now, { lastDay: '2027-11-23' })).toMatchObject({ ok: false });
    expect(apiTokenExpiry(now, { lastDay: '2026-11-21' })).toMatchObject({ ok: false });
    expect(apiTokenExpiry(now, { days: 366 })).toMatchObject({ ok: false });
  });
  it('shows the last day it works from when it ends', () => {
    expect(apiTokenLastDay('2026-09-08T23:00:00Z')).toBe('2026-09-08');
    expect(apiTokenLastDay('2026-11-23T00:00:00Z')).toBe('2026-11-22');
  });
});
