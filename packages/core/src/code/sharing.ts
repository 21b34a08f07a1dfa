import { nameTokens } from '../identifiers.ts';
import { defineCommand } from './pipeline.ts';

/**
 * The commands that send something of a case beyond the practitioner: to supervision
 * (PG5-5), in a referral letter or a release (PG5-1), or in a research export (GT-115).
 */
export interface NamedClient {
  readonly name: string;
  readonly preferredName?: string | undefined;
  readonly email?: string | undefined;
  readonly phone?: string | undefined;
}

/** Whether the material names one of these clients: a name outside brackets, their e-mail or phone. */
export function namesAClient(material: string, clients: readonly NamedClient[]): boolean {
  const text = material.replace(/<[^>]*>/g, ' ').toLowerCase();
  const words = new Set(text.split(/[^\p{L}\p{N}'’-]+/u).filter((w) => w !== ''));
  const digits = text.replace(/\D/g, '');
  return clients.some((c) => {
    const tokens = nameTokens(c);
    const phone = c.phone?.replace(/\D/g, '') ?? '';
    return (
      tokens.some((t) => words.has(t)) ||
      (c.email !== undefined && text.includes(c.email.toLowerCase())) ||
      (phone.length >= 6 && digits.includes(phone))
    );
  });
}

export interface PresentationFacts {
  readonly material: string;
  readonly clients: readonly NamedClient[];
}

/**
 * PG5-5: client confidentiality is maintained in supervision. A case goes to supervision
 * under its pseudonym; material that names a client of the case is refused before it is
 * stored. One of Alcove's own safeguards: never overridable.
 */
const presentationWithoutIdentity = {
  id: 'presentation-without-identity',
  clause: 'PG5-5',
  safeguard: true,
  check: (f: PresentationFacts) =>
    namesAClient(f.material, f.clients)
      ? 'The material names a client of this case (a name, an e-mail address or a phone number). Supervision sees the case’s pseudonym only: refer to the clients as Partner A, Partner B or the client.'
      : undefined,
} as const;

export const presentCaseCommand = defineCommand<PresentationFacts>({
  name: 'supervision.present',
  summary: 'Present a case to supervision',
  rules: [presentationWithoutIdentity],
});

/** Declaring a dual relationship (GT-34) presents it to the supervisor at once: the same safeguard. */
export const declareDualRelationshipCommand = defineCommand<PresentationFacts>({
  name: 'case.declare-dual-relationship',
  summary: 'Declare a dual relationship, presenting it to supervision',
  rules: [presentationWithoutIdentity],
});

/**
 * PG5-1: a referral letter releases a client's information to another practitioner, so it
 * is written only with that client's own consent to release to a third party, in force
 * today. One partner's consent never covers the other.
 */
export const writeReferralCommand = defineCommand<{ readonly consentInForce: boolean }>({
  name: 'referral.write',
  summary: 'Write a referral letter',
  rules: [
    {
      id: 'referral-with-consent',
      clause: 'PG5-1',
      check: (f) =>
        f.consentInForce
          ? undefined
          : 'Record the client’s consent to release their information to a third party (a consent of their own, in force today) before writing the referral.',
    },
  ],
});

/** PG5-1: a release to a third party needs the client's own consent in force today. */
export const releaseToThirdPartyCommand = defineCommand<{ readonly consentInForce: boolean }>({
  name: 'release.third-party',
  summary: 'Assemble a release to a third party',
  rules: [
    {
      id: 'release-with-consent',
      clause: 'PG5-1',
      check: (f) =>
        f.consentInForce
          ? undefined
          : 'The client has no consent in force to release their information to a third party.',
    },
  ],
});

/** GT-64: supervision is logged with the experienced, qualified supervisor the record names. */
export const logSupervisionCommand = defineCommand<{
  readonly supervisorNamed: boolean;
  readonly supervisorName: string;
}>({
  name: 'supervision.log',
  summary: 'Log a supervision session',
  rules: [
    {
      id: 'supervision-with-named-supervisor',
      clause: 'GT-64',
      check: (f) =>
        f.supervisorNamed
          ? undefined
          : 'Name your supervisor in your professional record before logging supervision with them.',
    },
  ],
});

export interface ResearchFacts {
  /** The anonymisation could keep every combination shared by at least k records. */
  readonly anonymous: boolean;
  readonly smallestGroup: number;
  readonly records: number;
  readonly k: number;
}

/** GT-115: an export keeps anonymity (k-anonymity), or nothing is exported. */
export const exportResearchCommand = defineCommand<ResearchFacts>({
  name: 'research.export',
  summary: 'Export anonymised data for research',
  rules: [
    {
      id: 'k-anonymity',
      clause: 'GT-115',
      check: (f) =>
        f.anonymous
          ? undefined
          : `Anonymity cannot be kept: even at the coarsest level a group holds only ${f.smallestGroup} of the ${f.records} records with consent, fewer than k = ${f.k}. Nothing was exported.`,
    },
  ],
});
