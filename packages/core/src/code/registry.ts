import { type CatalogueEntry, catalogue } from './catalogue.ts';
import { updateDetailsCommand } from './commands.ts';
import { offerContractCommand, saveTemplateCommand, signContractCommand } from './contracts.ts';
import { createClientCommand } from './intake.ts';
import { type Command, isOverridable } from './pipeline.ts';
import { rules as findingRules } from './rules.ts';
import {
  deleteNoteCommand,
  editNoteCommand,
  recordSessionCommand,
  signNoteCommand,
  writeNoteCommand,
} from './sessions.ts';
import {
  declareDualRelationshipCommand,
  exportResearchCommand,
  logSupervisionCommand,
  presentCaseCommand,
  releaseToThirdPartyCommand,
  writeReferralCommand,
} from './sharing.ts';

/**
 * Everything in Alcove that enforces or checks a clause of the Code, in one list: the
 * commands (a refusal), the findings (the obligations page), and the safeguards that hold
 * everywhere (access, sealing, the audit witness, release assembly). The catalogue's
 * "enforced" and "checked" are proven against this list: `alcove clauses` shows each
 * clause's rules from here, and the clause report (test-results/clauses.json) which tests
 * ran them.
 */
export const commands: readonly Command<never>[] = [
  createClientCommand,
  updateDetailsCommand,
  saveTemplateCommand,
  offerContractCommand,
  signContractCommand,
  recordSessionCommand,
  writeNoteCommand,
  editNoteCommand,
  deleteNoteCommand,
  signNoteCommand,
  presentCaseCommand,
  declareDualRelationshipCommand,
  writeReferralCommand,
  releaseToThirdPartyCommand,
  logSupervisionCommand,
  exportResearchCommand,
] as readonly Command<never>[];

export interface Safeguard {
  readonly id: string;
  readonly clauses: readonly string[];
  readonly what: string;
}

/** Rules that hold on every path rather than refusing one command; each reports itself to trace.ts. */
export const safeguards: readonly Safeguard[] = [
  {
    id: 'access.can',
    clauses: ['GT-39', 'GT-74', 'PG5-3', 'PG5-5', 'PG5-7'],
    what: 'Who may do what to which record (core/access.ts): a client’s record is their practitioner’s; a supervisor sees pseudonyms only.',
  },
  {
    id: 'aead.seal',
    clauses: ['GT-39', 'PG5-7'],
    what: 'Every clinical field is sealed with AES-256-GCM under its client, participant or case key (store/crypto/aead.ts).',
  },
  {
    id: 'audit-witness',
    clauses: ['GT-39'],
    what: 'The audit log is checked against its witness outside the database; a cut or change is a finding.',
  },
  {
    id: 'release-assembly',
    clauses: ['PG5-1'],
    what: 'A release for one client holds their own material, joint material only with every other client’s consent, and never another client’s identifiers.',
  },
  {
    id: 'research-consent',
    clauses: ['PG5-4'],
    what: 'A research export holds only clients whose consent covers research, with no identifier, date or free text.',
  },
];

/**
 * What Alcove keeps for a "recorded" clause: the record the catalogue's note names. A
 * recorded clause is proven by a passing test, tagged with it, that the record is kept,
 * reachable by the practitioner and in the client's release where they have a right to it
 * (server/src/recorded-clauses.test.ts).
 */
export const records: readonly Safeguard[] = [
  { id: 'cpd-log', clauses: ['GT-13', 'GT-14'], what: 'The CPD log in the professional record.' },
  {
    id: 'structured-assessment',
    clauses: ['GT-21', 'GT-21a', 'GT-22g'],
    what: 'A client’s assessment, a field for each factor GT-21a names and other treatments (GT-22g).',
  },
  { id: 'referral-letter', clauses: ['GT-21c'], what: 'A referral letter, kept with the client’s material.' },
  {
    id: 'consent-register',
    clauses: ['GT-25', 'GT-37'],
    what: 'Written consents by type: physical examination, explicit material.',
  },
  {
    id: 'dual-relationship',
    clauses: ['GT-34', 'GT-35'],
    what: 'A declared dual relationship: presented to supervision, the day fees stop, the case to its ending, the referral to make.',
  },
  {
    id: 'session-note',
    clauses: ['GT-40', 'GT-40a', 'GT-40b', 'GT-40c', 'GT-40d'],
    what: 'A session note in the sections GT-40a–c name, with its author and when it was written.',
  },
  {
    id: 'risk-assessment',
    clauses: ['GT-47', 'GT-48', 'GT-49'],
    what: 'A risk assessment: the level and to whom, who was told and when, the steps taken.',
  },
  {
    id: 'planned-ending',
    clauses: ['GT-84', 'GT-84d'],
    what: 'A planned ending: summary, outcomes and next steps; the case closed and the day kept.',
  },
  {
    id: 'research-export',
    clauses: ['GT-114'],
    what: 'A research export of structured fields only, for clients whose consent covers it.',
  },
  {
    id: 'disclosure-register',
    clauses: ['PG5-2'],
    what: 'Each disclosure without consent, with its legal basis and justification.',
  },
  {
    id: 'formal-accusation-release',
    clauses: ['PG5-6a'],
    what: 'A release for a formal accusation: only the passages selected.',
  },
  {
    id: 'insurance-retention',
    clauses: ['PG5-8'],
    what: 'The insurer’s retention period, kept with each policy.',
  },
];

export interface RegisteredRule {
  readonly id: string;
  readonly kind: 'command' | 'finding' | 'safeguard' | 'record';
  /** The command a command rule guards. */
  readonly command?: string;
  readonly clauses: readonly string[];
  /** A command rule's refusal: never, or with a recorded reason. */
  readonly overridable?: boolean;
}

export const registeredRules: readonly RegisteredRule[] = [
  ...commands.flatMap((command) =>
    command.rules.map((rule) => ({
      id: rule.id,
      kind: 'command' as const,
      command: command.name,
      clauses: [rule.clause],
      overridable: isOverridable(rule),
    })),
  ),
  ...findingRules.map((rule) => ({
    id: rule.id,
    kind: 'finding' as const,
    clauses: rule.serves ?? [rule.clause],
  })),
  ...safeguards.map((s) => ({ id: s.id, kind: 'safeguard' as const, clauses: s.clauses })),
  ...records.map((r) => ({ id: r.id, kind: 'record' as const, clauses: r.clauses })),
];

/** The registered rules that serve a clause (for a recorded clause, the record it names). */
export function rulesForClause(clauseId: string): readonly RegisteredRule[] {
  return registeredRules.filter((rule) => rule.clauses.includes(clauseId));
}

/** The clauses the catalogue claims Alcove enforces, checks or records: each needs a passing test. */
export function claimedClauses(): readonly CatalogueEntry[] {
  return catalogue.filter(
    (c) => c.status === 'enforced' || c.status === 'checked' || c.status === 'recorded',
  );
}
