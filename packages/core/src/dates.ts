import { TZDate } from '@date-fns/tz';
import { format } from 'date-fns/format';

/** Alcove shows every date and time in the practice's time zone: UK practices only. */
export const PRACTICE_TIME_ZONE = 'Europe/London';

function inLondon(value: Date | string): TZDate {
  const date = typeof value === 'string' ? new Date(value) : value;
  if (Number.isNaN(date.getTime())) {
    throw new RangeError('Not a valid date');
  }
  return new TZDate(date, PRACTICE_TIME_ZONE);
}

/** 22 Nov 2026 */
export function formatDate(value: Date | string): string {
  return format(inLondon(value), 'd MMM yyyy');
}

/** 22 Nov 2026, 14:05 (24-hour clock, UK local time) */
export function formatDateTime(value: Date | string): string {
  return format(inLondon(value), 'd MMM yyyy, HH:mm');
}

/** The calendar day in the UK for an instant, as yyyy-MM-dd. */
export function londonDay(value: Date | string): string {
  return format(inLondon(value), 'yyyy-MM-dd');
}

/** A calendar day (yyyy-MM-dd, no time) as 22 Nov 2026: read at midday so no zone moves it. */
export function formatDay(day: string): string {
  return formatDate(`${day}T12:00:00Z`);
}
