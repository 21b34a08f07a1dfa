import { type CatalogueEntry, clause } from './catalogue.ts';
import { ruleRan } from './trace.ts';

/**
 * The Code's commands, declared once. A command is something a person asks Alcove to do
 * that a clause of the Code can stand in the way of; it names the rules that guard it,
 * each citing the one clause it serves. A rule is a pure function of the facts the command
 * needs: it returns what is wrong, or nothing. Whether a refusal can be overridden is
 * decided here alone, from the clause's duty: a "must" never, a "should" with a recorded
 * reason, and Alcove's own safeguards (confidentiality the product promises, whatever the
 * clause's wording) never.
 *
 * The server runs every command through one pipeline (server/src/code/run-command.ts):
 * facts, gate, then in one transaction the re-check, the audit event and the work.
 */
export interface CommandRule<F> {
  /** Stable and unique across every command (the catalogue and the audit name it). */
  readonly id: string;
  /** The clause the rule serves (a catalogue id). */
  readonly clause: string;
  /** One of Alcove's own confidentiality safeguards: never overridable, whatever the duty. */
  readonly safeguard?: true;
  /** What is wrong with these facts, said to the person asking; undefined when they keep the rule. */
  readonly check: (facts: F) => string | undefined;
}

export interface Command<F> {
  /** The command, as the audit log and the catalogue name it: `session.record`. */
  readonly name: string;
  readonly summary: string;
  readonly rules: readonly CommandRule<F>[];
}

export interface Refusal {
  readonly command: string;
  readonly rule: string;
  readonly clause: CatalogueEntry;
  readonly overridable: boolean;
  readonly detail: string;
}

/** A command with its rules, checked once when the module loads: every clause exists. */
export function defineCommand<F>(command: Command<F>): Command<F> {
  for (const rule of command.rules) {
    if (clause(rule.clause) === undefined) throw new Error(`${command.name}: unknown clause ${rule.clause}`);
  }
  return command;
}

/** The one place overridability is decided: a "should" with a reason, never a safeguard or a "must". */
export function isOverridable(rule: Pick<CommandRule<unknown>, 'clause' | 'safeguard'>): boolean {
  if (rule.safeguard === true) return false;
  return clause(rule.clause)?.duty === 'should';
}

export interface GateResult {
  /** What stands in the way, in the command's order: the first is the answer. */
  readonly refusals: readonly Refusal[];
  /** Refusals the practitioner's overrides answered: each is recorded with its reason. */
  readonly overridden: readonly Refusal[];
}

/**
 * Runs every rule of the command over the facts. An override (by clause id) answers an
 * overridable refusal of that clause and nothing else.
 */
export function gate<F>(
  command: Command<F>,
  facts: F,
  overrides: ReadonlySet<string> = new Set(),
): GateResult {
  const refusals: Refusal[] = [];
  const overridden: Refusal[] = [];
  for (const rule of command.rules) {
    const detail = rule.check(facts);
    ruleRan(rule.id, detail === undefined ? [] : [rule.clause]);
    if (detail === undefined) continue;
    const entry = clause(rule.clause);
    if (entry === undefined) throw new Error(`unknown clause ${rule.clause}`);
    const refusal: Refusal = {
      command: command.name,
      rule: rule.id,
      clause: entry,
      overridable: isOverridable(rule),
      detail,
    };
    if (refusal.overridable && overrides.has(entry.id)) overridden.push(refusal);
    else refusals.push(refusal);
  }
  return { refusals, overridden };
}
