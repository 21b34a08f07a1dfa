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

export interface RegisteredRule {
  readonly id: string;
  readonly kind: 'command' | 'finding' | 'safeguard';
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
];

/** The registered rules that serve a clause. */
export function rulesForClause(clauseId: string): readonly RegisteredRule[] {
  return registeredRules.filter((rule) => rule.clauses.includes(clauseId));
}

/** The clauses the catalogue claims Alcove enforces, checks or records: each needs a passing test. */
export function claimedClauses(): readonly CatalogueEntry[] {
  return catalogue.filter(
    (c) => c.status === 'enforced' || c.status === 'checked' || c.status === 'recorded',
  );
}
