import { describe, expect, it } from 'vitest';
import { anonymise, type ResearchRecord, shiftDay } from './research.ts';
import { clause } from './testing.ts';

const record = (over: Partial<ResearchRecord> = {}): ResearchRecord => ({
  caseKind: 'couple',
  ageAtStart: 34,
  firstSession: '2026-03-10',
  sessions: 8,
  attended: 8,
  didNotAttend: 0,
  cancelled: 0,
  ...over,
});

describe('de-identified exports', () => {
  it('releases at the finest level where every combination is shared by k clients', () => {
    const records = Array.from({ length: 5 }, (_, i) => record({ ageAtStart: 30 + i }));
    const result = anonymise(records, 5);
    expect(result).toMatchObject({ ok: true, level: 1 });
    if (result.ok) {
      expect(result.rows[0]).toEqual({
        caseKind: 'couple',
        ageBand: '28–37',
        started: '2026-Q1',
        sessions: '6–10',
        attendance: 'mostly attended',
      });
      expect(JSON.stringify(result.rows)).not.toMatch(/2026-03-10|\b3[0-4]\b/);
    }
  });

  it('generalises further where a value is rare', () => {
    const records = [
      ...Array.from({ length: 5 }, () => record()),
      record({ ageAtStart: 52, firstSession: '2026-11-01' }),
    ];
    const result = anonymise(records, 5);
    expect(result.ok ? result.level : 0).toBeGreaterThan(1);
  });

  clause('GT-115', 'fails rather than leaking when k cannot be met', () => {
    expect(anonymise([record(), record(), record()], 5)).toEqual({ ok: false, smallestGroup: 3 });
    const mixed = [...Array.from({ length: 5 }, () => record()), record({ caseKind: 'individual' })];
    expect(anonymise(mixed, 5)).toEqual({ ok: false, smallestGroup: 1 });
    expect(() => anonymise(mixed, 4)).toThrow(RangeError);
  });

  it('shifts dates by whole days', () => {
    expect(shiftDay('2026-03-10', -12)).toBe('2026-02-26');
  });
});
