import type { consentTypes } from './api.ts';
import type { SessionKind } from './code/sessions.ts';
import type { CaseFormat, CaseKind, ClientIdentity, EntryKind } from './records.ts';

/**
 * The words for every kind Alcove stores as a slug ("team-sharing", "did-not-attend"):
 * one map per vocabulary, used by the web app, the release PDF and the FHIR bundle, so a
 * person never reads a slug. Each map is total over its vocabulary (a new kind fails to
 * compile until it has words).
 */
export type ConsentType = (typeof consentTypes)[number];

export const consentTypeLabels: Record<ConsentType, string> = {
  'team-sharing': 'Sharing within the team (PG5-3)',
  'explicit-material': 'Explicit material in therapy (GT-37)',
  'share-with-appropriate-adult': 'Letting the appropriate adult see my portal (GT-27)',
  publication: 'Publication (PG5-4)',
  training: 'Use in training (PG5-4)',
  research: 'Research (PG5-4)',
  'third-party-release': 'Release to a named third party (PG5-1)',
  'joint-material-release': 'Release of joint material to the other partner (PG5-1)',
  'appropriate-adult': 'Appropriate adult’s consent to therapy (GT-27)',
  'physical-examination': 'Physical examination (GT-25)',
};

/** Who gave a consent, and how it was given. */
export const consentGivenByLabels: Record<'client' | 'appropriate-adult', string> = {
  client: 'the client',
  'appropriate-adult': 'the appropriate adult',
};
export const consentModeLabels: Record<'written-in-person' | 'written-by-post' | 'portal', string> = {
  'written-in-person': 'in writing, in person',
  'written-by-post': 'in writing, by post',
  portal: 'in the client portal',
};

export const entryKindLabels: Record<EntryKind, string> = {
  'session-note': 'Session note',
  'contact-note': 'Contact note',
  assessment: 'Assessment',
  addendum: 'Addendum',
  risk: 'Risk assessment',
  ending: 'Planned ending',
};

export const caseKindLabels: Record<CaseKind, string> = {
  individual: 'Individual therapy',
  couple: 'Couple therapy',
  family: 'Family therapy',
  group: 'Group therapy',
};

export const sessionKindLabels: Record<SessionKind, string> = {
  assessment: 'Assessment session',
  therapy: 'Therapy session',
};

export const sessionFormatLabels: Record<CaseFormat, string> = {
  'in-person': 'in person',
  online: 'online',
  phone: 'by phone',
};

export const attendances = [
  'attended',
  'did-not-attend',
  'cancelled-by-client',
  'cancelled-by-practitioner',
] as const;
export type Attendance = (typeof attendances)[number];

export const attendanceLabels: Record<Attendance, string> = {
  attended: 'attended',
  'did-not-attend': 'did not attend',
  'cancelled-by-client': 'cancelled by the client',
  'cancelled-by-practitioner': 'cancelled by the practitioner',
};

/** A client's identity record: how they may be contacted, and why the practice holds their data. */
export const contactChannelLabels: Record<
  NonNullable<ClientIdentity['contactChannels']>[number]['channel'],
  string
> = {
  email: 'e-mail',
  phone: 'phone calls',
  'text-message': 'text messages',
  post: 'post',
};
export const lawfulBasisLabels: Record<NonNullable<ClientIdentity['lawfulBasis']>, string> = {
  contract: 'a contract with you',
  'legitimate-interests': 'the practice’s legitimate interests',
  consent: 'your consent',
  'legal-obligation': 'a legal obligation',
  'vital-interests': 'someone’s vital interests',
  'public-task': 'a public task',
};
export const specialCategoryConditionLabels: Record<
  NonNullable<ClientIdentity['specialCategoryCondition']>,
  string
> = {
  'health-or-social-care': 'health or social care',
  'explicit-consent': 'your explicit consent',
  'vital-interests': 'someone’s vital interests',
  'legal-claims': 'legal claims',
};

/** How a contract was signed. */
export const signingModeLabels: Record<'in-person' | 'portal', string> = {
  'in-person': 'in person',
  portal: 'in the client portal',
};

/**
 * The words for a stored slug, from one of the maps above; a slug the map does not know
 * is shown as words (hyphens as spaces), never as the slug itself.
 */
export function labelOf(labels: Readonly<Record<string, string>>, slug: string): string {
  return Object.hasOwn(labels, slug) ? (labels[slug] as string) : slug.replaceAll('-', ' ');
}
