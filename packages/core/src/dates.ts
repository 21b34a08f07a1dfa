import { TZDate } from '@date-fns/tz';
import { format } from 'date-fns/format';
import { dayOf, formatDay, isDay, PRACTICE_TIME_ZONE } from './days.ts';

/**
 * Instants as people read them, in Europe/London. Calendar days (yyyy-MM-dd) are the
 * `days.ts` module's: a day is never an instant at midnight.
 */

function inLondon(value: Date | string): TZDate {
  const date = typeof value === 'string' ? new Date(value) : value;
  if (Number.isNaN(date.getTime())) {
    throw new RangeError('Not a valid date');
  }
  return new TZDate(date, PRACTICE_TIME_ZONE);
}

/** 22 Nov 2026: the London day of an instant (a calendar day given here is shown as it is). */
export function formatDate(value: Date | string): string {
  if (typeof value === 'string' && isDay(value)) return formatDay(value);
  return format(inLondon(value), 'd MMM yyyy');
}

/** 22 Nov 2026, 14:05 (24-hour clock, UK local time) */
export function formatDateTime(value: Date | string): string {
  return format(inLondon(value), 'd MMM yyyy, HH:mm');
}

/** The calendar day in the UK for an instant, as yyyy-MM-dd (the same as `dayOf`). */
export function londonDay(value: Date | string): string {
  return dayOf(value);
}
