import { describe, expect, it } from 'vitest';
import { clause } from '../testing.ts';
import { conflictMatches, createClientCommand, normaliseName, unresolvedConflicts } from './intake.ts';
import { gate } from './pipeline.ts';

const person = (nameIndex: string, dobIndex?: string) => ({
  nameIndex,
  ...(dobIndex === undefined ? {} : { dobIndex }),
});

describe('the intake conflict check', () => {
  clause('GT-28', 'refuses a declared relative under GT-28, and no "proceed" opens it', () => {
    const matches = conflictMatches(person('n1', 'd1'), [
      { kind: 'connection', id: 'c1', relation: 'relative', ...person('n1', 'd1') },
    ]);
    expect(matches).toMatchObject([
      { matchId: 'c1', overridable: false, clause: { id: 'GT-28', duty: 'must' } },
    ]);
    expect(unresolvedConflicts(matches, new Map([['c1', 'proceed']]))).toHaveLength(1);
    expect(unresolvedConflicts(matches, new Map([['c1', 'different-person']]))).toEqual([]);
    const unresolved = unresolvedConflicts(matches, new Map([['c1', 'proceed']]));
    expect(gate(createClientCommand, { matches, unresolved }, new Set(['GT-28'])).refusals).toMatchObject([
      { rule: 'conflict-with-connection', overridable: false, clause: { id: 'GT-28' } },
    ]);
  });

  clause('GT-32', 'asks for a recorded decision when the candidate matches a client (GT-32)', () => {
    const matches = conflictMatches(person('n2'), [{ kind: 'client', id: 'k1', ...person('n2', 'd9') }]);
    expect(matches).toMatchObject([{ overridable: true, clause: { id: 'GT-32', duty: 'should' } }]);
    expect(unresolvedConflicts(matches, new Map([['k1', 'proceed']]))).toEqual([]);
    expect(gate(createClientCommand, { matches, unresolved: matches }).refusals).toMatchObject([
      { rule: 'conflict-with-client', overridable: true, clause: { id: 'GT-32' } },
    ]);
  });

  it('does not match the same name with a different date of birth, or a different name', () => {
    expect(
      conflictMatches(person('n1', 'd1'), [{ kind: 'connection', id: 'c1', ...person('n1', 'd2') }]),
    ).toEqual([]);
    expect(conflictMatches(person('n1'), [{ kind: 'connection', id: 'c1', ...person('n3') }])).toEqual([]);
  });

  it('folds case, accents, punctuation and spacing in names', () => {
    expect(normaliseName('  Zoë  O’Brien-Smith ')).toBe(
      normaliseName('zoe obrien smith'.replace('obrien', 'o brien')),
    );
    expect(normaliseName('ZOË')).toBe('zoe');
  });
});
