import { z } from 'zod';
import { daySchema } from './days.ts';

/**
 * Why a sealed field could not be read (packages/store/src/sealed.ts):
 * - `tampered`: it failed its integrity check (AES-GCM authentication): its bytes were
 *   changed, or it was moved to another record, field or key. Never shown.
 * - `shredded`: the key that sealed it was destroyed (crypto-shredding), as intended.
 * A database that failed is neither: that is an error, answered as a problem document.
 */
export const unreadableReasons = ['tampered', 'shredded'] as const;
export type Unreadable = (typeof unreadableReasons)[number];

/** Beside a sealed value in an answer: null when it was read, or why it could not be. */
export const unreadableSchema = z
  .enum(unreadableReasons)
  .nullable()
  .describe(
    'null when the value was read; "tampered" when it failed its integrity check (it is never shown); "shredded" when the key that sealed it was destroyed',
  );

/** What a person reads in place of a tampered item, wherever it is shown. */
export const INTEGRITY_FAILED_TEXT = 'This entry failed its integrity check';

/**
 * The kinds of record whose sealed fields are checked, in words. The record type is the
 * first part of the ciphertext's binding ("passage/…"), so each failure names its kind.
 */
export const integrityRecordLabels: Record<string, string> = {
  client: 'A client’s identity and contact details',
  passage: 'A passage of the clinical record',
  entry: 'The reason given for an addendum',
  consent: 'The recipient named in a consent',
  gillick: 'The notes of a Gillick assessment',
  disclosure: 'The details of a disclosure without consent',
  referral: 'A referral letter',
  'dual-relationship': 'The description of a dual relationship',
  outbox: 'A message in the outbox',
  'release-request': 'Who asked for a release of records',
  'data-key': 'The key that seals part of a record (all it seals is unreadable)',
  user: 'A staff account’s name or e-mail address',
  contract: 'The text of a contract',
  release: 'A release of records as issued',
  presentation: 'Material presented in supervision',
  session: 'The reason recorded for a session before every signature',
  invitation: 'An appropriate adult’s portal invitation',
};

export function integrityRecordLabel(recordType: string): string {
  return integrityRecordLabels[recordType] ?? 'An encrypted item';
}

/** What the practice is told to do about an item that failed its integrity check. */
export const INTEGRITY_ACTION =
  'Restore the practice from a backup taken before the change (alcove restore), or contact support with this reference. Until then the item is not shown; the rest of the record is.';

/**
 * An item that failed its integrity check, as the obligations page lists it: its kind and
 * ids, when it was first found, never its content. It stays until the item reads again
 * (restored) or no longer exists.
 */
export const integrityFindingSchema = z.strictObject({
  key: z.string(),
  recordType: z.string(),
  recordId: z.string(),
  field: z.string(),
  what: z.string(),
  /** The client whose record holds it, when there is one the viewer may open. */
  clientId: z.string().nullable(),
  foundOn: daySchema,
  action: z.string(),
});
export type IntegrityFinding = z.infer<typeof integrityFindingSchema>;
