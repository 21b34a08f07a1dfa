import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clockFrom } from './clock.ts';
import {
  addDays,
  addMonths,
  addYears,
  ageOn,
  dayInYear,
  dayOf,
  daysBetween,
  formatDay,
  formatDayLong,
  isDay,
  londonInstant,
  startOfDay,
} from './days.ts';
import { releaseDueOn } from './releases.ts';

/**
 * These run in CI under UTC, Europe/London with the clock in summer, and Pacific/Auckland
 * (`scripts/test.ts`): a day must come out the same in every zone.
 */
describe('calendar days', () => {
  it('adds calendar months, keeping the day of the month, in summer as in winter', () => {
    expect(addMonths('2026-06-10', 1)).toBe('2026-07-10');
    expect(addMonths('2026-03-29', 1)).toBe('2026-04-29'); // the day the clocks go forward
    expect(addMonths('2026-10-25', 1)).toBe('2026-11-25'); // the day they go back
    expect(addMonths('2026-12-15', 1)).toBe('2027-01-15');
  });

  it('ends a month early where the next month is short: 31 January + 1 month', () => {
    expect(addMonths('2026-01-31', 1)).toBe('2026-02-28');
    expect(addMonths('2028-01-31', 1)).toBe('2028-02-29');
    expect(addMonths('2026-03-31', 1)).toBe('2026-04-30');
  });

  it('adds years without 365.25: 29 February + 1 year is 28 February', () => {
    expect(addYears('2024-02-29', 1)).toBe('2025-02-28');
    expect(addYears('2024-02-29', 4)).toBe('2028-02-29');
    expect(addYears('2026-08-14', -3)).toBe('2023-08-14');
  });

  it('adds days across the clock changes without losing one', () => {
    expect(addDays('2026-03-28', 1)).toBe('2026-03-29');
    expect(addDays('2026-03-29', 1)).toBe('2026-03-30');
    expect(addDays('2026-10-25', 1)).toBe('2026-10-26');
    expect(addDays('2026-04-01', -1)).toBe('2026-03-31');
    expect(daysBetween('2026-03-28', '2026-03-30')).toBe(2);
    expect(daysBetween('2026-10-26', '2026-10-24')).toBe(-2);
  });

  it('counts ages in whole years; a leap-day birthday comes on 1 March in a common year', () => {
    expect(ageOn('2008-08-14', '2026-08-13')).toBe(17);
    expect(ageOn('2008-08-14', '2026-08-14')).toBe(18);
    expect(ageOn('2008-02-29', '2026-02-28')).toBe(17);
    expect(ageOn('2008-02-29', '2026-03-01')).toBe(18);
  });

  it('takes the day of an instant in London: 23:30 BST on 30 June is a 30 June session', () => {
    expect(dayOf('2026-06-30T23:30:00+01:00')).toBe('2026-06-30');
    expect(dayOf('2026-06-30T22:30:00Z')).toBe('2026-06-30');
    expect(dayOf('2026-06-30T23:30:00Z')).toBe('2026-07-01');
    expect(dayOf('2026-12-31T23:30:00Z')).toBe('2026-12-31');
    expect(dayOf(new Date('2026-08-13T23:30:00Z'))).toBe('2026-08-14');
  });

  it('knows when a London day begins, GMT or BST', () => {
    expect(startOfDay('2026-07-01')).toBe('2026-06-30T23:00:00Z');
    expect(startOfDay('2026-12-01')).toBe('2026-12-01T00:00:00Z');
  });

  it('reads a time typed in a form as London time, whatever zone the browser is in', () => {
    expect(londonInstant('2026-07-15T10:00')).toBe('2026-07-15T09:00:00Z');
    expect(londonInstant('2026-07-15T23:30')).toBe('2026-07-15T22:30:00Z');
    expect(londonInstant('2026-12-15T10:00')).toBe('2026-12-15T10:00:00Z');
    expect(londonInstant('2026-03-29T01:30')).toBe('2026-03-29T01:30:00Z'); // an hour that does not exist: the one after
    expect(londonInstant('2026-10-25T01:30')).toBe('2026-10-25T00:30:00Z'); // an hour twice over: the first
    expect(dayOf(londonInstant('2026-06-30T23:30'))).toBe('2026-06-30');
    expect(() => londonInstant('15/07/2026 10:00')).toThrow(RangeError);
  });

  it('shows a day as 22 Nov 2026, whatever the zone', () => {
    expect(formatDay('2026-11-22')).toBe('22 Nov 2026');
    expect(formatDay('2026-06-01')).toBe('1 Jun 2026');
    expect(formatDay('2026-09-14')).toBe('14 Sep 2026');
    expect(formatDayLong('2026-03-02')).toBe('2 March 2026');
  });

  it('refuses what is not a calendar day', () => {
    expect(isDay('2026-02-29')).toBe(false);
    expect(isDay('2028-02-29')).toBe(true);
    expect(isDay('2026-13-01')).toBe(false);
    expect(isDay('2026-06-10T00:00:00Z')).toBe(false);
    expect(() => addDays('10/06/2026', 1)).toThrow(RangeError);
    expect(() => formatDay('2026-02-30')).toThrow(RangeError);
  });

  it('puts a month of the year into a year, constraining 29 February', () => {
    expect(dayInYear(2027, '04-01')).toBe('2027-04-01');
    expect(dayInYear(2027, '02-29')).toBe('2027-02-28');
  });

  it('agrees with a plain calendar count for any day and any shift (property)', () => {
    const day = fc
      .date({
        min: new Date('1900-01-01T12:00:00Z'),
        max: new Date('2100-12-31T12:00:00Z'),
        noInvalidDate: true,
      })
      .map((d) => d.toISOString().slice(0, 10));
    fc.assert(
      fc.property(day, fc.integer({ min: -40_000, max: 40_000 }), (d, n) => {
        const moved = addDays(d, n);
        expect(daysBetween(d, moved)).toBe(n);
        expect(addDays(moved, -n)).toBe(d);
      }),
    );
  });
});

describe('subject access deadlines (issue 14: one day early in summer)', () => {
  it('is due on the same day of the next month, whenever it was received', () => {
    expect(releaseDueOn('2026-06-10', 'subject-access')).toBe('2026-07-10');
    expect(releaseDueOn('2026-03-29', 'subject-access')).toBe('2026-04-29');
    expect(releaseDueOn('2026-01-31', 'subject-access')).toBe('2026-02-28');
    expect(releaseDueOn('2026-06-10', 'court-order')).toBeNull();
  });
});

describe('the injectable clock', () => {
  it('starts where it is told and runs on in real time', () => {
    let real = Date.parse('2026-12-01T10:00:00Z');
    const clock = clockFrom(new Date('2026-08-14T00:30:00+01:00'), () => new Date(real));
    expect(clock().toISOString()).toBe('2026-08-13T23:30:00.000Z');
    expect(dayOf(clock())).toBe('2026-08-14');
    real += 60_000;
    expect(clock().toISOString()).toBe('2026-08-13T23:31:00.000Z');
    expect(() => clockFrom(new Date('not a day'))).toThrow(RangeError);
  });
});
