import { describe, expect, it } from 'vitest';
import { decidePassages, redactIdentifiers, releaseDueOn } from './releases.ts';
import { clause } from './testing.ts';

const participants = [
  { id: 'pa', caseId: 'k', clientId: 'a', label: 'Partner A' },
  { id: 'pb', caseId: 'k', clientId: 'b', label: 'Partner B' },
];
const passages = [
  { ref: 'own-a', caseId: 'k', attribution: ['pa'] },
  { ref: 'own-b', caseId: 'k', attribution: ['pb'] },
  { ref: 'both', caseId: 'k', attribution: ['pa', 'pb'] },
  { ref: 'formulation', caseId: 'k', attribution: [] },
];

describe('what a release for one partner holds (PG5-1)', () => {
  clause(
    'PG5-1',
    'holds their own passages, never the other partner’s, and joint ones only with the other’s consent',
    () => {
      const without = decidePassages({ clientId: 'a', participants, passages, jointConsent: () => false });
      expect(without.map((d) => [d.ref, d.included])).toEqual([
        ['own-a', true],
        ['own-b', false],
        ['both', false],
        ['formulation', false],
      ]);
      expect(without[2]).toMatchObject({
        reason: 'Joint material: Partner B has not consented to its release',
      });
      expect(without[1]).toMatchObject({ reason: 'Partner B’s own material' });
      const withConsent = decidePassages({
        clientId: 'a',
        participants,
        passages,
        jointConsent: (c) => c === 'b',
      });
      expect(withConsent.map((d) => d.included)).toEqual([true, false, true, true]);
      // A's consent never stands in for B's.
      const ownConsentOnly = decidePassages({
        clientId: 'a',
        participants,
        passages,
        jointConsent: (c) => c === 'a',
      });
      expect(ownConsentOnly.map((d) => d.included)).toEqual([true, false, false, false]);
    },
  );

  clause('PG5-1', 'withholds more where the practitioner says so, with the reason', () => {
    const decided = decidePassages({
      clientId: 'a',
      participants,
      passages,
      jointConsent: () => true,
      withheldByPractitioner: new Map([['own-a', 'Serious harm to the client (fictional)']]),
    });
    expect(decided[0]).toMatchObject({
      included: false,
      reason: 'Withheld by the practitioner: Serious harm to the client (fictional)',
    });
  });
});

describe('hiding another client in a released text', () => {
  it('replaces names, e-mail, phone and date of birth with their place in the case and the kind of each', () => {
    const text =
      'Sky said Sky’s mother called 07700 900456; write to sky@example.test. Birch, born 1986-07-09. Skyline ok.';
    expect(
      redactIdentifiers(text, [
        {
          label: 'Partner B',
          name: 'Sky Birch (fictional)',
          email: 'sky@example.test',
          phone: '07700900456',
          dateOfBirth: '1986-07-09',
        },
      ]),
    ).toBe(
      '[Partner B] said [Partner B]’s mother called [Partner B’s phone number]; write to [Partner B’s e-mail]. [Partner B], born [Partner B’s date of birth]. Skyline ok.',
    );
  });
});

describe('deadlines', () => {
  it('gives a subject access request one calendar month', () => {
    expect(releaseDueOn('2026-11-22', 'subject-access')).toBe('2026-12-22');
    expect(releaseDueOn('2027-01-31', 'subject-access')).toBe('2027-02-28');
    expect(releaseDueOn('2026-11-22', 'court-order')).toBeNull();
  });
});
