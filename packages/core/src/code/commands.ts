import type { Profile, ProfileDetails } from '../profile.ts';
import { type CatalogueEntry, clause } from './catalogue.ts';

/**
 * Refusals: a command that would break a clause. A "must" is refused outright; a
 * "should" is refused unless the practitioner overrides it with a recorded reason.
 * (Alcove's own confidentiality safeguards are never overridable, whatever the wording:
 * they are enforced by access.ts, not here.)
 */
/** Every rule that refuses a command, by id (the catalogue names them; a test checks it). */
export const commandRuleIds = [
  'refuse-pending-accreditation',
  'refuse-online-without-training',
  'conflict-check',
  'contract-before-therapy',
  'contract-signed-by-all',
  'appropriate-adult-consent',
  'dbs-and-training-for-under-18s',
  'supervisor-for-under-18s',
  'online-session-without-training',
  'organisation-conditions-acknowledged',
  'contract-template-sections',
  'note-after-the-session',
  'presentation-without-identity',
  'referral-with-consent',
  'supervision-with-named-supervisor',
  'release-assembly',
  'research-consent',
  'k-anonymity',
] as const;

export interface Refusal {
  readonly rule: string;
  readonly clause: CatalogueEntry;
  readonly overridable: boolean;
  readonly detail: string;
}

function refusal(rule: string, id: string, detail: string): Refusal {
  const entry = clause(id);
  if (entry === undefined) throw new Error(`unknown clause ${id}`);
  return { rule, clause: entry, overridable: entry.duty === 'should', detail };
}

/** What stands in the way of saving these profile details, given the overrides offered. */
export function refusalsForDetails(
  next: ProfileDetails,
  profile: Profile,
  overrides: ReadonlySet<string>,
): Refusal[] {
  const refusals: Refusal[] = [];
  if (next.membership.advertisesAccreditation && next.membership.accreditation !== 'accredited') {
    refusals.push(
      refusal(
        'refuse-pending-accreditation',
        'GT-88',
        'Accreditation cannot be advertised until COSRT has granted it.',
      ),
    );
  }
  const online = next.worksWith.online && !profile.details.worksWith.online;
  if (online && !profile.training.some((t) => t.kind === 'online-work')) {
    refusals.push(
      refusal(
        'refuse-online-without-training',
        'GT-92',
        'Record your training for online work first, or give your reason for going ahead without it.',
      ),
    );
  }
  return refusals.filter((r) => !(r.overridable && overrides.has(r.clause.id)));
}
