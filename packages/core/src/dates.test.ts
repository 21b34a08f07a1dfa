import { describe, expect, it } from 'vitest';
import { formatDate, formatDateTime, londonDay } from './dates.ts';

describe('UK dates', () => {
  it('formats a date as 22 Nov 2026', () => {
    expect(formatDate('2026-11-22T12:00:00Z')).toBe('22 Nov 2026');
    expect(formatDate(new Date('2026-01-05T09:00:00Z'))).toBe('5 Jan 2026');
  });

  it('uses "Sep", not "Sept"', () => {
    expect(formatDate('2026-09-14T12:00:00Z')).toBe('14 Sep 2026');
  });

  it('shows the day in Europe/London, not UTC, in British Summer Time', () => {
    // 23:30 UTC on 30 June is 00:30 on 1 July in London.
    expect(formatDate('2026-06-30T23:30:00Z')).toBe('1 Jul 2026');
    expect(formatDateTime('2026-06-30T23:30:00Z')).toBe('1 Jul 2026, 00:30');
    expect(londonDay('2026-06-30T23:30:00Z')).toBe('2026-07-01');
  });

  it('uses GMT in winter', () => {
    expect(formatDateTime('2026-12-31T23:30:00Z')).toBe('31 Dec 2026, 23:30');
  });

  it('handles the clocks going forward (29 Mar 2026, 01:00 UTC)', () => {
    expect(formatDateTime('2026-03-29T00:59:00Z')).toBe('29 Mar 2026, 00:59');
    expect(formatDateTime('2026-03-29T01:00:00Z')).toBe('29 Mar 2026, 02:00');
  });

  it('refuses a value that is not a date', () => {
    expect(() => formatDate('not a date')).toThrow(RangeError);
  });
});
