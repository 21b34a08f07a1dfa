import { z } from 'zod';
import { addDays, type Day } from './days.ts';

/**
 * De-identified exports for publication, training and research (PG5-4, GT-113–GT-115):
 * structured fields only, never free text; only clients whose written consent covers that
 * use; direct identifiers removed, dates shifted, and values generalised step by step until
 * every combination of the fields that remain is shared by at least k clients. If even the
 * coarsest step cannot reach k, the export fails: nothing is released.
 */
export const researchPurposes = ['research', 'training', 'publication'] as const;
export const MIN_K = 5;

export const newResearchExportSchema = z.strictObject({
  purpose: z.enum(researchPurposes),
  k: z.number().int().min(MIN_K).max(100),
});

export interface ResearchRecord {
  readonly caseKind: string;
  readonly ageAtStart: number | undefined;
  readonly firstSession: string | undefined;
  readonly sessions: number;
  readonly attended: number;
  readonly didNotAttend: number;
  readonly cancelled: number;
}

export type ExportRow = Record<string, string>;

/** The generalisation ladder: each level coarser than the one before. */
const levels = [
  { age: 10, sessions: [1, 6, 11, 21], date: 'quarter' },
  { age: 20, sessions: [1, 11, 21], date: 'year' },
  { age: 40, sessions: [1, 21], date: 'none' },
] as const;

function band(value: number | undefined, width: number): string {
  if (value === undefined) return 'unknown';
  if (value < 18) return 'under 18';
  const start = 18 + Math.floor((value - 18) / width) * width;
  return `${start}–${start + width - 1}`;
}

function sessionsBand(n: number, cuts: readonly number[]): string {
  let label = '0';
  for (const [i, cut] of cuts.entries()) {
    if (n >= cut) label = cuts[i + 1] === undefined ? `${cut}+` : `${cut}–${(cuts[i + 1] as number) - 1}`;
  }
  return label;
}

function period(day: string | undefined, granularity: string): string {
  if (day === undefined || granularity === 'none') return 'withheld';
  const [year, month] = day.split('-');
  return granularity === 'year' ? `${year}` : `${year}-Q${Math.floor((Number(month) - 1) / 3) + 1}`;
}

function rowAt(record: ResearchRecord, level: (typeof levels)[number]): ExportRow {
  return {
    caseKind: record.caseKind,
    ageBand: band(record.ageAtStart, level.age),
    started: period(record.firstSession, level.date),
    sessions: sessionsBand(record.sessions, level.sessions),
    attendance:
      record.sessions === 0
        ? 'none'
        : record.attended / record.sessions >= 0.8
          ? 'mostly attended'
          : 'often missed',
  };
}

export type AnonymisedExport =
  | { readonly ok: true; readonly level: number; readonly rows: readonly ExportRow[] }
  | { readonly ok: false; readonly smallestGroup: number };

/** The finest level at which every combination of values is shared by at least k records. */
export function anonymise(records: readonly ResearchRecord[], k: number): AnonymisedExport {
  if (k < MIN_K) throw new RangeError(`k is at least ${MIN_K}`);
  let smallest = records.length;
  for (const [index, level] of levels.entries()) {
    const rows = records.map((r) => rowAt(r, level));
    const counts = new Map<string, number>();
    for (const row of rows) {
      const key = JSON.stringify(row);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    smallest = Math.min(...counts.values(), records.length);
    if (records.length >= k && [...counts.values()].every((n) => n >= k)) {
      // Shuffled, so that the order of rows says nothing about who is who.
      return { ok: true, level: index + 1, rows: [...rows].sort(() => Math.random() - 0.5) };
    }
  }
  return { ok: false, smallestGroup: records.length < k ? records.length : smallest };
}

/** Shifts a day by a number of days (dates are shifted per client before generalising). */
export function shiftDay(day: Day, days: number): Day {
  return addDays(day, days);
}
