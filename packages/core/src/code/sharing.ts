import { Parser } from 'htmlparser2';
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

/** Letters as a name is compared: NFKD, accents and invisible format characters (a soft hyphen) gone, lower case. */
function fold(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\p{M}\p{Cf}]/gu, '')
    .toLowerCase();
}

/** The material's text, entities decoded, with inline tags joined (`Ro<em>wan</em>`) or spaced. */
function materialTexts(material: string): string[] {
  const texts = ['', ''];
  const parser = new Parser(
    {
      ontext(text) {
        texts[0] += text;
        texts[1] += text;
      },
      onopentag() {
        texts[1] += ' ';
      },
      onclosetag(name) {
        texts[1] += ' ';
        if (blockTags.has(name)) texts[0] += ' ';
      },
    },
    { decodeEntities: true, lowerCaseTags: true },
  );
  parser.write(material);
  parser.end();
  return texts.map(fold);
}

const blockTags = new Set([
  'p',
  'br',
  'li',
  'ul',
  'ol',
  'div',
  'blockquote',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
]);

/** Every word of the text, and each as a name might hide in it: "Rowan’s", "Ashby-Smith", "O'Neil". */
function wordsOf(text: string): Set<string> {
  const words = new Set<string>();
  for (const word of text.split(/[^\p{L}\p{N}'’-]+/u)) {
    if (word === '') continue;
    words.add(word);
    words.add(word.replace(/['’]s$/u, ''));
    for (const part of word.split(/['’-]+/u)) if (part !== '') words.add(part);
  }
  return words;
}

/**
 * Whether the material names one of these clients: a name (outside Alcove's own labels),
 * their e-mail address or their phone number, however the markup, entities, possessives,
 * hyphens or invisible characters dress it.
 */
export function namesAClient(material: string, clients: readonly NamedClient[]): boolean {
  const texts = materialTexts(material);
  const words = new Set(texts.flatMap((t) => [...wordsOf(t)]));
  const digits = texts.map((t) => t.replace(/\D/g, ''));
  return clients.some((c) => {
    const tokens = nameTokens(c)
      .flatMap((t) => [fold(t), ...fold(t).split(/['’-]+/u)])
      .filter((t) => t.length >= 3);
    const phone = c.phone?.replace(/\D/g, '') ?? '';
    const email = c.email === undefined ? '' : fold(c.email);
    return (
      tokens.some((t) => words.has(t)) ||
      (email !== '' && texts.some((t) => t.includes(email))) ||
      (phone.length >= 6 && digits.some((d) => d.includes(phone)))
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
