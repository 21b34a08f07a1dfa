import type { CommandRule } from './pipeline.ts';

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

type Safeguarded = {
  readonly clients: readonly YoungPersonFacts[];
  readonly practitioner: PractitionerFacts;
};

const isYoung = (c: YoungPersonFacts) => c.age !== undefined && c.age < AGE_OF_MAJORITY;

/** Who the safeguards are for, and how the refusals name them. */
function groups(clients: readonly YoungPersonFacts[]) {
  const young = clients.filter(isYoung);
  const vulnerable = clients.filter((c) => !isYoung(c) && c.vulnerable === true);
  const words = [
    ...(young.length > 0 ? ['under-18s'] : []),
    ...(vulnerable.length > 0 ? ['vulnerable adults'] : []),
  ].join(' and ');
  return { young, vulnerable, words };
}

/**
 * The rules for therapy with under-18s and vulnerable adults (all "must"), over the facts
 * `of` picks from a command's facts (undefined where they do not apply, as for an
 * assessment session).
 */
export function youngPersonRules<F>(of: (facts: F) => Safeguarded | undefined): CommandRule<F>[] {
  return [
    {
      id: 'appropriate-adult-consent',
      clause: 'GT-27',
      check(facts) {
        const f = of(facts);
        if (f === undefined) return undefined;
        const { young, vulnerable } = groups(f.clients);
        const c = [...young, ...vulnerable].find((x) => !x.appropriateAdultConsent && !x.gillickCompetent);
        if (c === undefined) return undefined;
        return isYoung(c)
          ? `A client is ${c.age} on the day of the session: record the appropriate adult’s written consent, or a Gillick assessment that finds them competent to consent.`
          : 'A client is recorded as a vulnerable adult: record the appropriate adult’s written consent, or an assessment that finds them able to consent.';
      },
    },
    {
      id: 'dbs-and-training-for-under-18s',
      clause: 'GT-26',
      check(facts) {
        const f = of(facts);
        if (f === undefined) return undefined;
        const { young, vulnerable, words } = groups(f.clients);
        if (young.length === 0 && vulnerable.length === 0) return undefined;
        const trained =
          (young.length === 0 || f.practitioner.trainedForUnder18s) &&
          (vulnerable.length === 0 || f.practitioner.trainedForVulnerableAdults === true);
        if (f.practitioner.dbsCurrent && trained) return undefined;
        return `Working with ${words} needs a current full-disclosure DBS certificate and evidenced training for that work in your professional record.`;
      },
    },
    {
      id: 'supervisor-for-under-18s',
      clause: 'GT-65',
      check(facts) {
        const f = of(facts);
        if (f === undefined) return undefined;
        const { young, vulnerable, words } = groups(f.clients);
        if ((young.length === 0 && vulnerable.length === 0) || f.practitioner.supervisorExperienced)
          return undefined;
        return `Working with ${words} needs a supervisor experienced with that group, recorded in your professional record.`;
      },
    },
  ];
}
