import { type CatalogueEntry, clause } from './catalogue.ts';
import { defineCommand, isOverridable } from './pipeline.ts';

/**
 * The conflict check at intake (GT-28, GT-32), over keyed blind indexes: a name (and, where
 * known, a date of birth) is compared through an HMAC, never in clear.
 */
export type ConnectionRelation = 'partner' | 'relative' | 'friend' | 'associate';

export interface MatchKeys {
  readonly nameIndex: string;
  readonly dobIndex?: string | undefined;
}

export interface Candidate extends MatchKeys {}

export interface KnownPerson extends MatchKeys {
  /** A personal connection of the practitioner, or one of their clients (current or past). */
  readonly kind: 'connection' | 'client';
  readonly id: string;
  readonly relation?: ConnectionRelation;
}

export interface ConflictMatch {
  readonly matchId: string;
  readonly kind: 'connection' | 'client';
  readonly clause: CatalogueEntry;
  /** GT-28 is a must: a connection is refused. GT-32 is a should: a recorded decision answers it. */
  readonly overridable: boolean;
}

/** GT-28: never a declared intimate partner, relative, close friend or associate. */
const connectionRule = {
  id: 'conflict-with-connection',
  clause: 'GT-28',
  check: (f: IntakeFacts) =>
    f.unresolved.some((m) => m.kind === 'connection')
      ? 'This person matches one of your declared personal connections. If they are a different person, record that; otherwise they cannot be your client.'
      : undefined,
};

/** GT-32: a match with a client, current or past, needs a recorded decision. */
const clientRule = {
  id: 'conflict-with-client',
  clause: 'GT-32',
  check: (f: IntakeFacts) =>
    f.unresolved.some((m) => m.kind === 'client')
      ? 'This person matches one of your clients, current or past. Record whether they are a different person, or why you go ahead.'
      : undefined,
};

export interface IntakeFacts {
  /** Every match the conflict check found (the decisions on them are kept with the client). */
  readonly matches: readonly ConflictMatch[];
  /** The matches the practitioner's decisions leave open (`unresolvedConflicts`). */
  readonly unresolved: readonly ConflictMatch[];
}

/**
 * Taking a client on, through the conflict check. A match's decision ("different person",
 * or "proceed" with a reason for a GT-32 match) is recorded with the client; what is left
 * unresolved is refused.
 */
export const createClientCommand = defineCommand<IntakeFacts>({
  name: 'client.create',
  summary: 'Take a client on',
  rules: [connectionRule, clientRule],
});

/** The same name, and the same date of birth where both are known. */
export function samePerson(a: MatchKeys, b: MatchKeys): boolean {
  if (a.nameIndex !== b.nameIndex) return false;
  return a.dobIndex === undefined || b.dobIndex === undefined || a.dobIndex === b.dobIndex;
}

export function conflictMatches(candidate: Candidate, known: readonly KnownPerson[]): ConflictMatch[] {
  const gt28 = clause('GT-28');
  const gt32 = clause('GT-32');
  if (gt28 === undefined || gt32 === undefined) throw new Error('catalogue without GT-28 or GT-32');
  return known
    .filter((person) => samePerson(candidate, person))
    .map((person) =>
      person.kind === 'connection'
        ? { matchId: person.id, kind: 'connection', clause: gt28, overridable: isOverridable(connectionRule) }
        : { matchId: person.id, kind: 'client', clause: gt32, overridable: isOverridable(clientRule) },
    );
}

export type ConflictDecision = 'different-person' | 'proceed';

/**
 * What is left once the practitioner's decisions are applied: a "different person"
 * decision clears any match (a false match); "proceed" with a reason answers only a
 * GT-32 match. A GT-28 match that is the same person can never proceed.
 */
export function unresolvedConflicts(
  matches: readonly ConflictMatch[],
  decisions: ReadonlyMap<string, ConflictDecision>,
): ConflictMatch[] {
  return matches.filter((m) => {
    const decision = decisions.get(m.matchId);
    if (decision === 'different-person') return false;
    if (decision === 'proceed' && m.overridable) return false;
    return true;
  });
}

/** Names compared as people write them: case, accents, punctuation and spacing folded. */
export function normaliseName(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}
