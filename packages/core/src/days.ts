import { Temporal } from 'temporal-polyfill';
import { z } from 'zod';

/**
 * Calendar days: the one module that knows what a day is.
 *
 * A day-valued field (a date of birth, a request's received and due dates, a CPD year, an
 * insurance or DBS expiry, a consent's "on" date, a session's day) is a `Day`: the ISO
 * calendar date `yyyy-MM-dd`, with no time and no zone. It is never a JavaScript `Date` at
 * midnight: a `Date` is an instant, and "midnight" in the process's zone moves the day
 * (in British Summer Time, 10 June at local midnight is 9 June in UTC). Day arithmetic is
 * the Temporal polyfill's `PlainDate`, which has no zone to move it.
 *
 * Instants stay instants (ISO strings with an offset, or `Date`s). The day of an instant is
 * its day in Europe/London: a session at 23:30 BST on 30 June is a 30 June session.
 *
 * Outside this module, nothing parses a day string as a `Date`, and nothing cuts a day out
 * of `toISOString()`: `test/boundaries.test.ts` refuses both.
 */

/** Alcove shows every date and time in the practice's time zone: UK practices only. */
export const PRACTICE_TIME_ZONE = 'Europe/London';

/** A calendar day, `yyyy-MM-dd`. */
export type Day = string;

/** The one schema for a day-valued field: a real calendar day, `yyyy-MM-dd`. */
export const daySchema = z.iso.date();

function plain(day: Day): Temporal.PlainDate {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) throw new RangeError('Not a calendar day (yyyy-MM-dd)');
  // 'reject': 2026-02-30 is not a day, rather than quietly 2 March or 28 February.
  return Temporal.PlainDate.from(day, { overflow: 'reject' });
}

const asDay = (date: Temporal.PlainDate): Day => date.toString();

/** Whether a string is a real calendar day (`2026-02-29` is not). */
export function isDay(value: string): boolean {
  try {
    plain(value);
    return true;
  } catch {
    return false;
  }
}

/** The day `days` days after `day` (before, when negative). */
export function addDays(day: Day, days: number): Day {
  return asDay(plain(day).add({ days }));
}

/**
 * Calendar months: 10 June + 1 month is 10 July; 31 January + 1 month is the last day of
 * February (28th, or 29th in a leap year).
 */
export function addMonths(day: Day, months: number): Day {
  return asDay(plain(day).add({ months }, { overflow: 'constrain' }));
}

/** Calendar years: 29 February + 1 year is 28 February. */
export function addYears(day: Day, years: number): Day {
  return asDay(plain(day).add({ years }, { overflow: 'constrain' }));
}

/** Whole days from `from` to `to`: negative when `to` is earlier. */
export function daysBetween(from: Day, to: Day): number {
  return plain(from).until(plain(to), { largestUnit: 'days' }).days;
}

/**
 * A person's age in whole years on a day. Someone born on 29 February is a year older on
 * 1 March in a common year (as in English law), not on 28 February.
 */
export function ageOn(dateOfBirth: Day, day: Day): number {
  const born = plain(dateOfBirth);
  const on = plain(day);
  let age = on.year - born.year;
  if (on.month < born.month || (on.month === born.month && on.day < born.day)) age -= 1;
  return age;
}

/** The later of two days. */
export function laterDay(a: Day, b: Day): Day {
  return Temporal.PlainDate.compare(plain(a), plain(b)) >= 0 ? a : b;
}

/** The year of a day, and a day of the same month and day in another year (constrained). */
export function yearOf(day: Day): number {
  return plain(day).year;
}

/** The day `monthDay` (`MM-dd`) in `year`; 29 February in a common year is 28 February. */
export function dayInYear(year: number, monthDay: string): Day {
  const [month, dayOfMonth] = monthDay.split('-').map(Number);
  if (month === undefined || dayOfMonth === undefined || Number.isNaN(month) || Number.isNaN(dayOfMonth))
    throw new RangeError('Not a month and day (MM-dd)');
  return asDay(Temporal.PlainDate.from({ year, month, day: dayOfMonth }, { overflow: 'constrain' }));
}

function instant(value: Date | string): Temporal.Instant {
  const ms = typeof value === 'string' ? Date.parse(value) : value.getTime();
  if (Number.isNaN(ms)) throw new RangeError('Not a valid date');
  return Temporal.Instant.fromEpochMilliseconds(ms);
}

/** The calendar day of an instant in Europe/London. */
export function dayOf(value: Date | string): Day {
  return asDay(instant(value).toZonedDateTimeISO(PRACTICE_TIME_ZONE).toPlainDate());
}

/** The instant a day begins in Europe/London (midnight, GMT or BST as the day has it). */
export function startOfDay(day: Day): string {
  return plain(day).toZonedDateTime({ timeZone: PRACTICE_TIME_ZONE }).toInstant().toString();
}

const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;
const longMonths = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
] as const;

/** A day as people read it: 22 Nov 2026. No zone can move it. */
export function formatDay(day: Day): string {
  const d = plain(day);
  return `${d.day} ${months[d.month - 1]} ${d.year}`;
}

/** A day in full: 22 November 2026. */
export function formatDayLong(day: Day): string {
  const d = plain(day);
  return `${d.day} ${longMonths[d.month - 1]} ${d.year}`;
}

/**
 * A wall-clock time as typed in the UK (`2026-07-15T10:00`, a form's `datetime-local`) as the
 * instant it names in Europe/London, whatever zone the browser or server is in. In the hour
 * the clocks go forward the time is read as the one after; in the hour they go back, as the
 * first.
 */
export function londonInstant(localDateTime: string): string {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(localDateTime))
    throw new RangeError('Not a date and time (yyyy-MM-ddTHH:mm)');
  return Temporal.PlainDateTime.from(localDateTime, { overflow: 'reject' })
    .toZonedDateTime(PRACTICE_TIME_ZONE, { disambiguation: 'compatible' })
    .toInstant()
    .toString();
}
