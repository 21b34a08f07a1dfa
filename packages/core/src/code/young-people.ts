import { type CatalogueEntry, clause } from './catalogue.ts';

/**
 * Therapy with under-18s (GT-26, GT-27, GT-65): the appropriate adult's written consent
 * unless a recorded Gillick assessment finds the young person competent; a current
 * full-disclosure DBS certificate and training; a supervisor experienced with young people.
 * Age is taken on the day of the session.
 */
export const AGE_OF_MAJORITY = 18;

export interface YoungPersonFacts {
  readonly clientId: string;
  readonly age: number | undefined;
  readonly appropriateAdultConsent: boolean;
  /** A recorded assessment finds them able to consent: Gillick competence, or an adult's capacity. */
  readonly gillickCompetent: boolean;
  /** An adult classified as a person with special needs or vulnerabilities (GT-26, GT-27, GT-65). */
  readonly vulnerable?: boolean;
}

export interface PractitionerFacts {
  readonly dbsCurrent: boolean;
  readonly trainedForUnder18s: boolean;
  readonly trainedForVulnerableAdults?: boolean;
  readonly supervisorExperienced: boolean;
}

export interface YoungPersonRefusal {
  readonly rule: string;
  readonly clause: CatalogueEntry;
  readonly overridable: false;
  readonly detail: string;
  readonly clientId?: string;
}

function entry(id: string): CatalogueEntry {
  const found = clause(id);
  if (found === undefined) throw new Error(`unknown clause ${id}`);
  return found;
}

/** What stands in the way of a therapy session with these clients on that day. All are "must". */
export function youngPersonGate(
  clients: readonly YoungPersonFacts[],
  practitioner: PractitionerFacts,
): YoungPersonRefusal[] {
  const isYoung = (c: YoungPersonFacts) => c.age !== undefined && c.age < AGE_OF_MAJORITY;
  const young = clients.filter(isYoung);
  const vulnerable = clients.filter((c) => !isYoung(c) && c.vulnerable === true);
  if (young.length === 0 && vulnerable.length === 0) return [];
  const refusals: YoungPersonRefusal[] = [];
  for (const c of [...young, ...vulnerable]) {
    if (!c.appropriateAdultConsent && !c.gillickCompetent) {
      refusals.push({
        rule: 'appropriate-adult-consent',
        clause: entry('GT-27'),
        overridable: false,
        detail: isYoung(c)
          ? `A client is ${c.age} on the day of the session: record the appropriate adult’s written consent, or a Gillick assessment that finds them competent to consent.`
          : 'A client is recorded as a vulnerable adult: record the appropriate adult’s written consent, or an assessment that finds them able to consent.',
        clientId: c.clientId,
      });
    }
  }
  const groups = [
    ...(young.length > 0 ? ['under-18s'] : []),
    ...(vulnerable.length > 0 ? ['vulnerable adults'] : []),
  ].join(' and ');
  const trained =
    (young.length === 0 || practitioner.trainedForUnder18s) &&
    (vulnerable.length === 0 || practitioner.trainedForVulnerableAdults === true);
  if (!practitioner.dbsCurrent || !trained) {
    refusals.push({
      rule: 'dbs-and-training-for-under-18s',
      clause: entry('GT-26'),
      overridable: false,
      detail: `Working with ${groups} needs a current full-disclosure DBS certificate and evidenced training for that work in your professional record.`,
    });
  }
  if (!practitioner.supervisorExperienced) {
    refusals.push({
      rule: 'supervisor-for-under-18s',
      clause: entry('GT-65'),
      overridable: false,
      detail: `Working with ${groups} needs a supervisor experienced with that group, recorded in your professional record.`,
    });
  }
  return refusals;
}
