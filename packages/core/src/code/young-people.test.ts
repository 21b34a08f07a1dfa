import { describe, expect, it } from 'vitest';
import { ageOn } from '../days.ts';
import { clause } from '../testing.ts';
import { gate } from './pipeline.ts';
import { needsYoungPersonSafeguards, recordSessionCommand } from './sessions.ts';
import type { PractitionerFacts, YoungPersonFacts } from './young-people.ts';

/** The refusals of a therapy session on a signed contract, in person, with these clients. */
function youngPersonGate(clients: YoungPersonFacts[], practitioner: PractitionerFacts) {
  return gate(recordSessionCommand, {
    kind: 'therapy',
    online: false,
    onlineTrained: true,
    contract: { exists: true, signedByAll: true },
    clients: needsYoungPersonSafeguards(clients) ? clients : [],
    practitioner,
  }).refusals;
}

const ready = { dbsCurrent: true, trainedForUnder18s: true, supervisorExperienced: true };

describe('therapy with under-18s', () => {
  it('takes age on the day of the session', () => {
    expect(ageOn('2010-11-22', '2026-11-21')).toBe(15);
    expect(ageOn('2010-11-22', '2026-11-22')).toBe(16);
    expect(ageOn('2008-11-23', '2026-11-22')).toBe(17);
    expect(ageOn('2008-11-22', '2026-11-22')).toBe(18);
    expect(ageOn('2008-02-29', '2026-02-28')).toBe(17);
  });

  clause(
    'GT-27',
    'refuses a 16-year-old without an appropriate adult’s consent or a Gillick assessment (GT-27)',
    () => {
      expect(
        youngPersonGate(
          [{ clientId: 'c', age: 16, appropriateAdultConsent: false, gillickCompetent: false }],
          ready,
        ),
      ).toMatchObject([
        {
          rule: 'appropriate-adult-consent',
          clause: { id: 'GT-27', duty: 'must' },
          overridable: false,
        },
      ]);
    },
  );

  it('lets a 16-year-old start with the appropriate adult’s consent, or a Gillick assessment', () => {
    expect(
      youngPersonGate(
        [{ clientId: 'c', age: 16, appropriateAdultConsent: true, gillickCompetent: false }],
        ready,
      ),
    ).toEqual([]);
    expect(
      youngPersonGate(
        [{ clientId: 'c', age: 16, appropriateAdultConsent: false, gillickCompetent: true }],
        ready,
      ),
    ).toEqual([]);
  });

  it('asks nothing extra for adults, or where no date of birth is known', () => {
    expect(
      youngPersonGate([{ clientId: 'c', age: 18, appropriateAdultConsent: false, gillickCompetent: false }], {
        dbsCurrent: false,
        trainedForUnder18s: false,
        supervisorExperienced: false,
      }),
    ).toEqual([]);
    expect(
      youngPersonGate(
        [{ clientId: 'c', age: undefined, appropriateAdultConsent: false, gillickCompetent: false }],
        ready,
      ),
    ).toEqual([]);
  });

  clause(
    ['GT-26', 'GT-65'],
    'needs DBS and training (GT-26) and an experienced supervisor (GT-65) for under-18s',
    () => {
      const young = [{ clientId: 'c', age: 15, appropriateAdultConsent: true, gillickCompetent: false }];
      expect(youngPersonGate(young, { ...ready, dbsCurrent: false }).map((r) => r.clause.id)).toEqual([
        'GT-26',
      ]);
      expect(
        youngPersonGate(young, { ...ready, supervisorExperienced: false }).map((r) => r.clause.id),
      ).toEqual(['GT-65']);
    },
  );
});

describe('vulnerable adults (GT-26, GT-27, GT-65)', () => {
  const ready = { dbsCurrent: true, trainedForUnder18s: true, supervisorExperienced: true };
  clause(
    ['GT-26', 'GT-27'],
    'refuses therapy with a vulnerable adult without a consent or an assessment, and without training for that work',
    () => {
      const refusals = youngPersonGate(
        [
          {
            clientId: 'v',
            age: 40,
            vulnerable: true,
            appropriateAdultConsent: false,
            gillickCompetent: false,
          },
        ],
        ready,
      );
      expect(refusals.map((r) => r.clause.id)).toEqual(['GT-27', 'GT-26']);
      expect(refusals[0]?.detail).toContain('vulnerable adult');
      expect(refusals[1]?.detail).toContain('vulnerable adults');
      expect(
        youngPersonGate(
          [
            {
              clientId: 'v',
              age: 40,
              vulnerable: true,
              appropriateAdultConsent: true,
              gillickCompetent: false,
            },
          ],
          { ...ready, trainedForVulnerableAdults: true },
        ),
      ).toEqual([]);
    },
  );
});
