import { z } from 'zod';
import { daySchema } from './days.ts';

/**
 * The two classes of field, fixed for every feature:
 * - identity and contact (names, date of birth, pronouns, contact details): sealed under
 *   the client's own key; an administrator may read them;
 * - clinical (everything else): sealed under participant or case keys; only the treating
 *   practitioner reads them.
 */
export const fieldClasses = ['identity', 'clinical'] as const;
export type FieldClass = (typeof fieldClasses)[number];

const text = (max: number) => z.string().trim().min(1).max(max);

const contactChannels = ['email', 'phone', 'text-message', 'post'] as const;

export const clientIdentitySchema = z.strictObject({
  name: text(200),
  preferredName: text(200).optional(),
  dateOfBirth: daySchema.optional(),
  pronouns: text(60).optional(),
  email: z.email().max(320).optional(),
  phone: text(40).optional(),
  address: text(500).optional(),
  /** How the client may be contacted, and which of those are safe (a shared inbox or phone is not). */
  contactChannels: z
    .array(z.strictObject({ channel: z.enum(contactChannels), safe: z.boolean() }))
    .max(4)
    .optional(),
  /** GT-58: language and communication needs. */
  languageNeeds: text(1000).optional(),
  /** GT-82: reasonable adjustments. */
  accessNeeds: text(1000).optional(),
  gp: text(500).optional(),
  emergencyContact: text(500).optional(),
  /** UK GDPR: the lawful basis and the special-category condition for holding the client's data, apart from any clinical consent. */
  lawfulBasis: z
    .enum([
      'contract',
      'legitimate-interests',
      'consent',
      'legal-obligation',
      'vital-interests',
      'public-task',
    ])
    .optional(),
  specialCategoryCondition: z
    .enum(['health-or-social-care', 'explicit-consent', 'vital-interests', 'legal-claims'])
    .optional(),
  /**
   * Raised by the practitioner where there is coercive control or abuse: Alcove then uses
   * no channel the client shares with anyone else in their cases, and none not marked safe.
   */
  safetyFlag: z.boolean().optional(),
  /** Classified as a person with special needs or vulnerabilities: GT-26, GT-27 and GT-65 apply as for under-18s. */
  vulnerableAdult: z.boolean().optional(),
});
export type ClientIdentity = z.infer<typeof clientIdentitySchema>;

/**
 * The kinds of identifier that redaction (`redaction.ts`) finds in free text and replaces
 * with the person's place in the case: a name becomes "[Partner B]", the others
 * "[Partner B’s address]" and so on.
 */
export const identifierKinds = [
  'name',
  'email',
  'phone',
  'date-of-birth',
  'address',
  'gp',
  'emergency-contact',
] as const;
export type IdentifierKind = (typeof identifierKinds)[number];

export type IdentityFieldRedaction =
  | { readonly redact: IdentifierKind }
  /** Why the field names nobody in text (an enum, a flag, or a description shared by many). */
  | { readonly notAnIdentifier: string };

/**
 * How every identity field is treated when a text about someone is released to someone
 * else (PG5-1): which kind of identifier it is, or why it is not one. Every field of
 * `clientIdentitySchema` is listed; a field added without saying fails the type check and
 * `redaction.test.ts`, and a field listed with `redact` is redacted with no other change.
 */
export const identityFieldRedaction = {
  name: { redact: 'name' },
  preferredName: { redact: 'name' },
  dateOfBirth: { redact: 'date-of-birth' },
  pronouns: {
    notAnIdentifier:
      'Pronouns are shared by many people: taking them out would take every “she” or “they” out of the text.',
  },
  email: { redact: 'email' },
  phone: { redact: 'phone' },
  address: { redact: 'address' },
  contactChannels: { notAnIdentifier: 'Which channels may be used: a fixed list, and flags.' },
  languageNeeds: {
    notAnIdentifier: 'A description of needs, not a way of naming the person; never released to another.',
  },
  accessNeeds: {
    notAnIdentifier: 'A description of needs, not a way of naming the person; never released to another.',
  },
  gp: { redact: 'gp' },
  emergencyContact: { redact: 'emergency-contact' },
  lawfulBasis: { notAnIdentifier: 'One of a fixed list of lawful bases.' },
  specialCategoryCondition: { notAnIdentifier: 'One of a fixed list of conditions.' },
  safetyFlag: { notAnIdentifier: 'A flag.' },
  vulnerableAdult: { notAnIdentifier: 'A flag.' },
} as const satisfies { readonly [K in keyof Required<ClientIdentity>]: IdentityFieldRedaction };

export const caseKinds = ['individual', 'couple', 'family', 'group'] as const;
export const caseKindSchema = z.enum(caseKinds);
export type CaseKind = z.infer<typeof caseKindSchema>;

export const entryKinds = [
  'session-note',
  'contact-note',
  'assessment',
  'addendum',
  'risk',
  'ending',
] as const;
export const entryKindSchema = z.enum(entryKinds);
export type EntryKind = z.infer<typeof entryKindSchema>;

/**
 * Whose information a passage is: a set of the case's participants. The empty set is the
 * practitioner's own formulation, which counts as joint.
 */
export const attributionSchema = z.array(z.uuid()).max(50);
export type Attribution = readonly string[];

export const passageInputSchema = z.strictObject({
  text: z.string().min(1).max(50_000),
  attribution: attributionSchema,
});

export const newEntrySchema = z.strictObject({
  kind: entryKindSchema,
  occurredAt: z.iso.datetime({ offset: true }),
  passages: z.array(passageInputSchema).min(1).max(500),
});
export type NewEntry = z.infer<typeof newEntrySchema>;

export const newClientSchema = z.strictObject({ identity: clientIdentitySchema });

export const caseFormats = ['in-person', 'online', 'phone'] as const;
export const caseFormatSchema = z.enum(caseFormats);
export type CaseFormat = z.infer<typeof caseFormatSchema>;

/** A case's life, in order. */
export const caseStatuses = ['enquiry', 'assessment', 'contracted', 'active', 'ending', 'closed'] as const;
export const caseStatusSchema = z.enum(caseStatuses);
export type CaseStatus = z.infer<typeof caseStatusSchema>;

/**
 * Where a case may go from `from`: forward only, one or more steps (an enquiry may go
 * straight to contracted), and to closed from anywhere. Closed is final.
 */
export function caseStatusMoves(from: CaseStatus): CaseStatus[] {
  if (from === 'closed') return [];
  const at = caseStatuses.indexOf(from);
  return caseStatuses.filter((_, i) => i > at);
}

export const newCaseSchema = z.strictObject({
  kind: caseKindSchema,
  clientIds: z.array(z.uuid()).min(1).max(20),
  format: caseFormatSchema.optional(),
});

/** Which key a passage is sealed under (PRODUCT.md, the key model). */
export type PassageKey =
  | { readonly kind: 'participant'; readonly participantId: string }
  | { readonly kind: 'case' };

export function passageKeyFor(attribution: Attribution): PassageKey {
  const unique = [...new Set(attribution)];
  return unique.length === 1 && unique[0] !== undefined
    ? { kind: 'participant', participantId: unique[0] }
    : { kind: 'case' };
}

/** Normalised for storage: unique, sorted. */
export function normaliseAttribution(attribution: Attribution): string[] {
  return [...new Set(attribution)].sort();
}

export function participantLabel(index: number): string {
  return `Partner ${String.fromCharCode(65 + index)}`;
}
