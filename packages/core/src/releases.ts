import { addMonths } from 'date-fns/addMonths';
import { parseISO } from 'date-fns/parseISO';
import { z } from 'zod';
import { nameTokens } from './identifiers.ts';

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
  return addMonths(parseISO(receivedOn), 1).toISOString().slice(0, 10);
}

export const newReleaseRequestSchema = z.strictObject({
  clientId: z.uuid(),
  basis: releaseBasisSchema,
  /** Who asked, where it is not the client themself (a solicitor, a court). */
  requester: z.string().trim().min(2).max(300).optional(),
  receivedOn: z.iso.date(),
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
  | { readonly ref: string; readonly included: false; readonly clause: string; readonly reason: string };

/**
 * Which passages a release for `clientId` holds. `jointConsent(clientId)` says whether that
 * client has consented, on the release's day, to their joint material being released.
 * `withheldByPractitioner` maps refs to the practitioner's reasons.
 */
export function decidePassages(input: {
  readonly clientId: string;
  readonly participants: readonly ReleaseParticipant[];
  readonly passages: readonly ReleasePassage[];
  readonly jointConsent: (clientId: string) => boolean;
  readonly withheldByPractitioner?: ReadonlyMap<string, string>;
}): PassageDecision[] {
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
      };
    }
    const others = inCase.filter((p) => p.id !== subject.id && about.includes(p.id));
    if (others.length === 0) return { ref: passage.ref, included: true, joint: false };
    const refusing = others.filter((p) => !input.jointConsent(p.clientId));
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

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Replaces every identifier of another client in a text (their names outside brackets,
 * e-mail address, phone number, date of birth) with their place in the case ("[Partner B]").
 */
export function redactIdentifiers(text: string, people: readonly PersonToHide[]): string {
  let out = text;
  for (const person of people) {
    const tokens = nameTokens(person);
    const marker = `[${person.label}]`;
    // Whole identifiers first, so that a name inside an e-mail address goes with the address.
    if (person.email !== undefined) out = out.replace(new RegExp(escapeRegExp(person.email), 'gi'), marker);
    if (person.dateOfBirth !== undefined) out = out.replaceAll(person.dateOfBirth, marker);
    const digits = person.phone?.replace(/\D/g, '') ?? '';
    if (digits.length >= 6) {
      out = out.replace(new RegExp(digits.split('').join('[\\s-]*'), 'g'), marker);
    }
    for (const token of [...tokens].sort((a, b) => b.length - a.length)) {
      out = out.replace(
        new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegExp(token)}(?![\\p{L}\\p{N}])`, 'giu'),
        marker,
      );
    }
    // A full name becomes one marker, not one per part.
    out = out.replace(new RegExp(`${escapeRegExp(marker)}(?:\\s+${escapeRegExp(marker)})+`, 'g'), marker);
  }
  return out;
}
