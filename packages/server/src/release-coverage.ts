import type { ConsentType, EntryKind } from '@alcove/core';
import type { Database } from '@alcove/store';

/**
 * What a release holds, declared for every kind of record Alcove keeps. A subject access
 * release must hold everything the client is entitled to; a table added to the schema, a
 * new kind of entry or consent, fails `release-coverage.test.ts` until it says here whether
 * and how it is released, so nothing new is silently left out of a release (or silently
 * put in one).
 */

/** The sections of a release, in the order the PDF and the FHIR Composition hold them. */
export const RELEASE_SECTIONS = {
  details: 'Details',
  /** One section per case, headed by the therapy and the day it began ("Couple therapy, from 3 Nov 2026"). */
  sessions: 'Therapy and its sessions',
  record: 'Your record',
  contracts: 'Your contracts',
  consents: 'Your consents',
  disclosures: 'Information shared without your consent',
  referrals: 'Referral letters',
  releases: 'Earlier requests for your records',
  withheld: 'What was withheld, and why',
} as const;
export type ReleaseSection = keyof typeof RELEASE_SECTIONS;

export type ReleaseTreatment =
  | {
      readonly released: true;
      readonly section: ReleaseSection;
      /** What of it is released, and through which rule. */
      readonly how: string;
    }
  | { readonly released: false; readonly reason: string };

const released = (section: ReleaseSection, how: string): ReleaseTreatment => ({
  released: true,
  section,
  how,
});
const notReleased = (reason: string): ReleaseTreatment => ({ released: false, reason });

/** The migrator's own bookkeeping tables, which exist in every migrated database. */
export type MigratorTable = 'kysely_migration' | 'kysely_migration_lock';

/** Every table of the schema, with how a release treats it. */
export const TABLE_RELEASE: Record<keyof Database | MigratorTable, ReleaseTreatment> = {
  client: released(
    'details',
    'The client’s identity and contact details as held, how they may be contacted and why the practice holds their data. Not the safety flag: a copy read by the person it protects against could put the client at risk (serious harm), so the practitioner tells the client in person.',
  ),
  care_case: released(
    'sessions',
    'Each case the client is in: its kind in words, the day therapy began (the first session held) and the day it closed.',
  ),
  participant: released(
    'sessions',
    'The client’s own place in each case ("you are Partner A"); another client only by their place, never by name.',
  ),
  therapy_session: released(
    'sessions',
    'Every session of every case the client is in: day and time, kind, format, length and attendance in words, and whether the client was present. Never whether another client was.',
  ),
  entry: released(
    'record',
    'Every signed entry of every case the client is in, passage by passage through the release rules (decidePassages). Drafts are their author’s until signed.',
  ),
  passage: released(
    'record',
    'The client’s own passages; joint passages and formulations only where every other client concerned has a joint-material consent in force; never another client’s own. Another client’s identifiers are replaced by their place in the case.',
  ),
  contract: released(
    'contracts',
    'Every version of the contract of each case the client is in: its version, the day it was made and replaced (or withdrawn before everyone signed it), and its text as signed. Not the practitioner’s reasons for offering a version without one of the Code’s sections (overrides_sealed): their own compliance record, as a session’s override reason is.',
  ),
  contract_signature: released(
    'contracts',
    'The client’s own signature and the practitioner’s, with how and when; another client’s only as "Partner B signed it on …".',
  ),
  consent: released(
    'consents',
    'Every consent of the client’s own, in words, with when and how it was given and withdrawn. Another client’s consents are not released.',
  ),
  gillick_assessment: released(
    'record',
    'Assessments of the client’s own competence to consent, through the release rules as the client’s own material.',
  ),
  supervision_presentation: released(
    'record',
    'Material about the client’s case presented to supervision, through the release rules as the practitioner’s own material about the case (joint: released only where every other client has consented).',
  ),
  dual_relationship: released(
    'record',
    'A declared dual relationship on the client’s case, through the release rules as joint material.',
  ),
  disclosure: released(
    'disclosures',
    'Disclosures about the client made without their consent: when, to whom, what, on what basis and why. A disclosure withheld from the client by law (PG5-2) is never released, listed or mentioned.',
  ),
  referral: released('referrals', 'Referral letters about the client, as written.'),
  release_request: released(
    'releases',
    'Earlier requests for the client’s records: when, by whom, on what basis, and whether and when each was answered.',
  ),
  release: released(
    'releases',
    'When each earlier release about the client was issued. The copies themselves are the client’s already (or the third party’s they consented to).',
  ),
  practice: notReleased(
    'The practice itself; its name heads the release but it holds nothing about the client.',
  ),
  keyring_unlock: notReleased('Encryption keys: security material, nothing about the client.'),
  keyring_secret: notReleased('Encryption keys: security material, nothing about the client.'),
  practice_key: notReleased('Encryption keys: security material, nothing about the client.'),
  data_key: notReleased(
    'Encryption keys (wrapped): security material; what they seal is released through its own table.',
  ),
  app_user: notReleased(
    'Sign-in accounts: credentials. A client’s own name and e-mail are released from their identity record.',
  ),
  membership: notReleased('Who may sign in to the practice, and in which role: access control.'),
  recovery_code: notReleased('Sign-in recovery codes: credentials (hashes).'),
  user_session: notReleased('Sign-in sessions: credentials (hashes) and when they were used.'),
  api_token: notReleased('API tokens: credentials (hashes).'),
  password_reset: notReleased(
    'Password reset links: one-time secrets (hashes) for an account, an hour long.',
  ),
  auth_failure: notReleased(
    'Counts of failed sign-ins and second-factor codes per account (or blind index of an unknown address), and their locks: security only.',
  ),
  person: notReleased(
    'Reserved in the key model for people who are not clients; nothing writes it. A feature that writes it declares here what a release holds of it.',
  ),
  audit_event: notReleased(
    'The security log of who did what, kept for the integrity of the record. It names staff and other clients’ records; who the client’s information was shared with is released from the disclosures and the earlier releases.',
  ),
  audit_event_context: notReleased(
    'Where each security event came from (address and browser), kept for the security log until its retention ends; like the log itself it concerns staff accounts and other records.',
  ),
  audit_head: notReleased('The audit log’s hash chain head: integrity only.'),
  audit_checkpoint: notReleased('Signed checkpoints of the audit log: integrity only.'),
  profile_version: notReleased(
    'The practitioner’s own professional record (insurance, training, supervision): not about the client.',
  ),
  clause_override: notReleased(
    'The practitioner’s record of overriding a rule of the Code, with their reason: their own compliance record, not the client’s record.',
  ),
  practice_setting: notReleased('The practice’s settings: nothing about the client.'),
  personal_connection: notReleased(
    'The practitioner’s own family and friends, for conflict-of-interest checks: third parties, not about the client.',
  ),
  intake_decision: notReleased(
    'The practitioner’s conflict-of-interest decision at intake, made by matching against their own connections and other clients: it would disclose those third parties.',
  ),
  contract_template: notReleased(
    'The practice’s contract templates; what the client was asked to sign is released from the contract itself.',
  ),
  portal_invitation: notReleased('Invitations to the client portal: sign-in secrets (hashes) only.'),
  staff_invitation: notReleased(
    'Invitations to join the practice’s staff: sign-in secrets (hashes) and the invitee’s address, sealed; about staff, never a client.',
  ),
  outbox_message: notReleased(
    'Copies of e-mails sent to the client: the client has them already, and they hold sign-in links. They say nothing clinical.',
  ),
  supervision_session: notReleased('The practitioner’s own supervision hours: not about any client.'),
  kysely_migration: notReleased('The migrator’s record of the schema’s versions.'),
  kysely_migration_lock: notReleased('The migrator’s lock.'),
};

/** Every kind of entry is released through the passage rules, headed by its kind in words. */
export const ENTRY_KIND_RELEASE: Record<EntryKind, ReleaseTreatment> = {
  'session-note': released('record', 'Passage by passage through the release rules.'),
  'contact-note': released('record', 'Passage by passage through the release rules.'),
  assessment: released('record', 'Field by field through the release rules, each under its heading.'),
  addendum: released(
    'record',
    'Passage by passage through the release rules, as a correction of the entry it amends.',
  ),
  risk: released('record', 'Field by field through the release rules, each under its heading.'),
  ending: released('record', 'Field by field through the release rules, each under its heading.'),
};

/** Every kind of consent the client gave is released in words, whatever it is for. */
export const CONSENT_TYPE_RELEASE: Record<ConsentType, ReleaseTreatment> = {
  'team-sharing': released('consents', 'In words, with its dates.'),
  'explicit-material': released('consents', 'In words, with its dates.'),
  publication: released('consents', 'In words, with its dates.'),
  training: released('consents', 'In words, with its dates.'),
  research: released('consents', 'In words, with its dates.'),
  'third-party-release': released('consents', 'In words, with its dates and who it releases to.'),
  'joint-material-release': released('consents', 'In words, with its dates.'),
  'appropriate-adult': released('consents', 'In words, with its dates.'),
  'share-with-appropriate-adult': released('consents', 'In words, with its dates.'),
  'physical-examination': released('consents', 'In words, with its dates.'),
};
