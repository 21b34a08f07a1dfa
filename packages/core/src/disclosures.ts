import { z } from 'zod';
import { daySchema } from './days.ts';

/**
 * Disclosures without consent (PG5-2): who was told, what, when, under which law or duty,
 * why consent was not sought, and the practitioner's justification. A disclosure may be
 * withheld from the client where the law forbids telling them (tipping off); it is then
 * left out of everything the client can reach, and each such omission is audited.
 *
 * The legal bases are a list the practice keeps. Alcove starts it with current law, not
 * the seed's list, which is partly out of date (the Children Act is of 1989; the Drug
 * Trafficking Act 1994 is largely replaced by the Proceeds of Crime Act 2002; Terrorism Act
 * 2000 s39 is the offence of prejudicing an investigation, not a duty to disclose).
 */
export const legalBasisSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9-]{2,60}$/, 'Lower-case letters, digits and hyphens'),
  label: z.string().trim().min(3).max(200),
});
export type LegalBasis = z.infer<typeof legalBasisSchema>;

export const DEFAULT_LEGAL_BASES: readonly LegalBasis[] = [
  { id: 'serious-harm', label: 'Serious risk of harm to the client or others (public interest)' },
  { id: 'children-act-1989-s47', label: 'Children Act 1989, s47: child protection enquiries' },
  { id: 'care-act-2014-s42', label: 'Care Act 2014, s42: adult safeguarding enquiries' },
  { id: 'terrorism-act-2000-s38b', label: 'Terrorism Act 2000, s38B: information about acts of terrorism' },
  { id: 'poca-2002-part-7', label: 'Proceeds of Crime Act 2002, Part 7: money laundering disclosures' },
  { id: 'court-order', label: 'A court order or witness summons' },
];

/** Where the law forbids telling the client, for the withholding itself. */
export const DEFAULT_WITHHOLD_BASES: readonly LegalBasis[] = [
  { id: 'terrorism-act-2000-s39', label: 'Terrorism Act 2000, s39: disclosure prejudicing an investigation' },
  { id: 'poca-2002-s333a', label: 'Proceeds of Crime Act 2002, s333A: tipping off' },
  {
    id: 'police-request',
    label: 'A request from the police not to inform the client, while an investigation runs',
  },
];

const text = (max: number) => z.string().trim().min(1).max(max);

export const newDisclosureSchema = z.strictObject({
  clientId: z.uuid(),
  disclosedOn: daySchema,
  recipient: text(300),
  what: text(5000),
  /** One of the practice's legal bases, or "other" with legalBasisDetail. */
  legalBasis: z.string().min(2).max(60),
  legalBasisDetail: text(2000).optional(),
  whyNoConsent: text(5000),
  justification: text(5000),
  withholdFromClient: z.boolean(),
  /** Required when withheld: the law or duty that forbids telling the client. */
  withholdBasis: text(2000).optional(),
});
export type NewDisclosure = z.infer<typeof newDisclosureSchema>;
