import { z } from 'zod';
import { ruleRan } from './code/trace.ts';
import { addMonths, daySchema } from './days.ts';
import { makeRedactor, type PersonToRedact } from './redaction.ts';

/**
 * Confidential releases (PG5-1): a release holds exactly what the law and the Code allow.
 * For one client of a couple (or family, or group) it holds their own material; joint
 * material only where every other client of the case has consented to its release; never
 * another client's own material, identity or individual information. Withheld disclosures
 * (PG5-2) never appear.
 */
export const releaseBases = [
  'subject-access',
  'third-party-consent',
  'court-order',
  'formal-accusation',
] as const;
export const releaseBasisSchema = z.enum(releaseBases);
export type ReleaseBasis = z.infer<typeof releaseBasisSchema>;

export const releaseBasisLabels: Record<ReleaseBasis, string> = {
  'subject-access': 'The client’s right of access (UK GDPR, Article 15)',
  'third-party-consent': 'The client’s consent to release to a named third party (PG5-1)',
  'court-order': 'A court order',
  'formal-accusation': 'A formal accusation against the practitioner (PG5-6a)',
};

/** A subject access request is answered within one calendar month of its receipt. */
export function releaseDueOn(receivedOn: string, basis: ReleaseBasis): string | null {
  if (basis !== 'subject-access') return null;
  return addMonths(receivedOn, 1);
}

export const newReleaseRequestSchema = z.strictObject({
  clientId: z.uuid(),
  basis: releaseBasisSchema,
  /** Who asked, where it is not the client themself (a solicitor, a court). */
  requester: z.string().trim().min(2).max(300).optional(),
  receivedOn: daySchema,
});

/** One passage of the record, as the assembly sees it. */
export interface ReleasePassage {
  readonly ref: string;
  readonly caseId: string;
  /** Participant ids; empty is the practitioner's formulation, which counts as joint. */
  readonly attribution: readonly string[];
}

export interface ReleaseParticipant {
  readonly id: string;
  readonly caseId: string;
  readonly clientId: string;
  readonly label: string;
}

export type PassageDecision =
  | { readonly ref: string; readonly included: true; readonly joint: boolean }
  | {
      readonly ref: string;
      readonly included: false;
      readonly clause: string;
      readonly reason: string;
      /** Another client's own material: not even itemised in this client's copy (its date would tell them of it). */
      readonly othersOwn?: true;
    };

/**
 * Which passages a release for `clientId` holds. `jointConsent(clientId, caseId)` says whether
 * that client has consented, on the release's day, to their joint material in that case being
 * released (a consent scoped to one case covers that case only).
 * `withheldByPractitioner` maps refs to the practitioner's reasons.
 */
export function decidePassages(input: {
  readonly clientId: string;
  readonly participants: readonly ReleaseParticipant[];
  readonly passages: readonly ReleasePassage[];
  readonly jointConsent: (clientId: string, caseId: string) => boolean;
  readonly withheldByPractitioner?: ReadonlyMap<string, string>;
}): PassageDecision[] {
  const decisions = decideEach(input);
  // The safeguard acted where it left a passage out.
  ruleRan('release-assembly', decisions.some((d) => !d.included) ? ['*'] : []);
  return decisions;
}

function decideEach(input: Parameters<typeof decidePassages>[0]): PassageDecision[] {
  return input.passages.map((passage) => {
    const extra = input.withheldByPractitioner?.get(passage.ref);
    if (extra !== undefined) {
      return {
        ref: passage.ref,
        included: false,
        clause: 'PG5-1',
        reason: `Withheld by the practitioner: ${extra}`,
      };
    }
    const inCase = input.participants.filter((p) => p.caseId === passage.caseId);
    const subject = inCase.find((p) => p.clientId === input.clientId);
    if (subject === undefined) {
      return {
        ref: passage.ref,
        included: false,
        clause: 'PG5-1',
        reason: 'From a case the client is not in',
      };
    }
    const about = passage.attribution.length === 0 ? inCase.map((p) => p.id) : passage.attribution;
    if (!about.includes(subject.id)) {
      const whose = inCase.filter((p) => about.includes(p.id)).map((p) => p.label);
      return {
        ref: passage.ref,
        included: false,
        clause: 'PG5-1',
        reason: `${whose.join(' and ')}’s own material`,
        othersOwn: true,
      };
    }
    const others = inCase.filter((p) => p.id !== subject.id && about.includes(p.id));
    if (others.length === 0) return { ref: passage.ref, included: true, joint: false };
    const refusing = others.filter((p) => !input.jointConsent(p.clientId, passage.caseId));
    if (refusing.length > 0) {
      return {
        ref: passage.ref,
        included: false,
        clause: 'PG5-1',
        reason: `Joint material: ${refusing.map((p) => p.label).join(' and ')} has not consented to its release`,
      };
    }
    return { ref: passage.ref, included: true, joint: true };
  });
}

export interface PersonToHide {
  readonly label: string;
  readonly name: string;
  readonly preferredName?: string | undefined;
  readonly email?: string | undefined;
  readonly phone?: string | undefined;
  readonly dateOfBirth?: string | undefined;
}

/**
 * Replaces every identifier of other clients in a text with their place in the case and the
 * kind of identifier ("[Partner B]", "[Partner B’s phone number]"). The release assembly
 * uses `makeRedactor` (redaction.ts) itself, with every identity field, the non-client people
 * and what the requester shares; this keeps the older callers working.
 */
export function redactIdentifiers(text: string, people: readonly PersonToHide[]): string {
  const others: PersonToRedact[] = people.map((p) => ({
    label: p.label,
    identity: {
      name: p.name,
      ...(p.preferredName === undefined ? {} : { preferredName: p.preferredName }),
      ...(p.email === undefined ? {} : { email: p.email }),
      ...(p.phone === undefined ? {} : { phone: p.phone }),
      ...(p.dateOfBirth === undefined ? {} : { dateOfBirth: p.dateOfBirth }),
    },
  }));
  return makeRedactor({ others }).redact(text).text;
}
