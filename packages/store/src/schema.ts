import type { Generated } from 'kysely';

/**
 * The tables, as Kysely sees them. Conventions that hold on both engines:
 * - ids are text (random UUIDs made by the application);
 * - instants are text, ISO 8601 in UTC with milliseconds ("2026-11-22T21:16:10.123Z"), so
 *   they compare and sort the same on SQLite and PostgreSQL;
 * - flags are integers 0/1, because SQLite has no boolean type;
 * - `*_sealed` and `wrapped*` columns hold AES-256-GCM ciphertext as base64 text.
 */
export interface PracticeTable {
  id: string;
  name: string;
  created_at: string;
  is_demo: Generated<number>;
}

export type UnlockMethod = 'passphrase' | 'key-file' | 'recovery-kit';

export interface KeyringUnlockTable {
  id: string;
  method: UnlockMethod;
  params: string;
  wrapped_master: string;
  master_version: number;
  created_at: string;
}

export interface KeyringSecretTable {
  name: string;
  wrapped: string;
  created_at: string;
}

export interface PracticeKeyTable {
  practice_id: string;
  version: number;
  wrapped: string;
  created_at: string;
}

export type DataKeyKind = 'client' | 'participant' | 'case' | 'person';

export interface DataKeyTable {
  id: string;
  practice_id: string;
  kind: DataKeyKind;
  owner_id: string;
  epoch: number;
  practice_key_version: number;
  wrapped: string | null;
  created_at: string;
  destroyed_at: string | null;
}

export interface AppUserTable {
  id: string;
  email_index: string;
  email_sealed: string;
  name_sealed: string;
  password_hash: string;
  totp_secret_sealed: string | null;
  totp_enabled_at: string | null;
  totp_last_step: number | null;
  created_at: string;
  disabled_at: string | null;
}

export interface MembershipTable {
  id: string;
  user_id: string;
  practice_id: string;
  role: string;
  client_id: string | null;
  created_at: string;
  /** Set while the person is suspended from this practice (issue 16): every role here refuses them. */
  suspended_at: Generated<string | null>;
}

/** An invitation to join a practice's staff (issue 16): the token is kept only as its SHA-256. */
export interface StaffInvitationTable {
  id: string;
  practice_id: string;
  /** Staff roles, comma-separated. */
  roles: string;
  /** The invitee's address and name (JSON), sealed under the accounts key. */
  invitee_sealed: string;
  token_hash: string;
  /** Null: made with the `alcove people invite` command on the server. */
  created_by: string | null;
  created_at: string;
  expires_at: string;
  accepted_at: string | null;
  accepted_by: string | null;
  withdrawn_at: string | null;
}

/** A reset of a forgotten password (issue 16, V6.4.3): the token is kept only as its SHA-256. */
export interface PasswordResetTable {
  id: string;
  user_id: string;
  token_hash: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
  /** The administrator who issued it; null when the holder asked, or made on the server. */
  created_by: string | null;
}

export interface RecoveryCodeTable {
  id: string;
  user_id: string;
  /** An argon2id string; rows made before issue 16 hold the code's unsalted SHA-256 (hex). */
  code_hash: string;
  used_at: string | null;
}

export interface UserSessionTable {
  id_hash: string;
  user_id: string;
  practice_id: string | null;
  csrf_token: string;
  /** 'mfa-enrol' | 'mfa-challenge' | 'active' */
  stage: string;
  created_at: string;
  last_seen_at: string;
  ended_at: string | null;
  /** Set while the session is a signing kiosk: the one case, client and contract it reaches. */
  kiosk_case_id: string | null;
  kiosk_client_id: string | null;
  kiosk_contract_id: string | null;
  kiosk_started_at: string | null;
  /** Where the session signed in from (the request's address and User-Agent, truncated). */
  source_address: string | null;
  user_agent: string | null;
  /** When it last proved password and authenticator code together (issue 16; not carried to a new practice). */
  reauthenticated_at: string | null;
}

/**
 * Failed sign-ins and second-factor codes of one subject (`user:<id>`, or `email:<blind
 * index>` for an address with no account) and factor ('password' or 'second-factor').
 */
export interface AuthFailureTable {
  subject: string;
  factor: string;
  failures: Generated<number>;
  window_started_at: string | null;
  lock_count: Generated<number>;
  locked_until: string | null;
  last_failed_at: string | null;
}

export interface ApiTokenTable {
  id: string;
  user_id: string;
  practice_id: string;
  name: string;
  token_hash: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
  /** 'read' | 'read-write' */
  scope: string;
  /** When it stops working (null only if a row escaped the migration: treated as ended). */
  expires_at: string | null;
}

export interface ClientTable {
  id: string;
  practice_id: string;
  key_id: string;
  identity_sealed: string;
  /** Keyed blind indexes of the normalised name, and of name + date of birth (intake checks). */
  name_index: string | null;
  dob_index: string | null;
  created_by: string;
  created_at: string;
}

export interface PersonTable {
  id: string;
  practice_id: string;
  key_id: string;
  identity_sealed: string;
  created_at: string;
}

export interface CareCaseTable {
  id: string;
  practice_id: string;
  kind: string;
  practitioner_id: string;
  status: string;
  key_id: string;
  pseudonym: string;
  /** 'in-person' | 'online' | 'phone' */
  format: Generated<string>;
  opened_at: string;
  closed_at: string | null;
}

export interface ParticipantTable {
  id: string;
  case_id: string;
  client_id: string;
  label: string;
  key_id: string;
  joined_at: string;
}

export interface EntryTable {
  id: string;
  case_id: string;
  author_id: string;
  kind: string;
  occurred_at: string;
  /** When it was written; for a draft, when it was last saved. */
  written_at: string;
  session_id: string | null;
  /** 'draft' (private to its author) | 'signed' (never edited again) */
  status: Generated<string>;
  signed_at: string | null;
  late: Generated<number>;
  /** An addendum: the entry it corrects, and the reason, sealed under the case key (GT-98). */
  amends_id: string | null;
  amend_reason_sealed: string | null;
}

export interface PassageTable {
  id: string;
  entry_id: string;
  position: number;
  attribution: string;
  key_id: string;
  body_sealed: string;
  /** A session note's section (GT-40): 'findings' | 'decisions' | 'information'. */
  section: string | null;
}

export interface AuditEventTable {
  seq: number;
  at: string;
  actor_id: string | null;
  practice_id: string | null;
  action: string;
  outcome: string;
  record_type: string | null;
  record_id: string | null;
  purpose: string | null;
  prev_hash: string;
  hash: string;
}

/**
 * An audit event's source address and user agent, beside the event and outside its hash
 * chain: deleted when the practice's log retention ends without breaking the chain.
 */
export interface AuditEventContextTable {
  event_seq: number;
  /** The event's time, copied so retention can delete by age. */
  at: string;
  source_address: string | null;
  user_agent: string | null;
}

export interface AuditHeadTable {
  id: number;
  seq: number;
  hash: string;
}

export interface AuditCheckpointTable {
  seq: number;
  at: string;
  head_hash: string;
  signature: string;
}

export interface ProfileVersionTable {
  id: string;
  practice_id: string;
  user_id: string;
  data: string;
  created_at: string;
}

export interface ClauseOverrideTable {
  id: string;
  practice_id: string;
  user_id: string;
  clause: string;
  reason: string;
  command: string;
  created_at: string;
}

export interface PracticeSettingTable {
  practice_id: string;
  key: string;
  value: string;
  updated_at: string;
  updated_by: string | null;
}

export interface PersonalConnectionTable {
  id: string;
  practice_id: string;
  user_id: string;
  relation: string;
  name_sealed: string;
  name_index: string;
  dob_index: string | null;
  created_at: string;
}

export interface IntakeDecisionTable {
  id: string;
  practice_id: string;
  user_id: string;
  client_id: string;
  match_kind: string;
  match_id: string;
  clause: string;
  decision: string;
  reason: string;
  created_at: string;
}

export interface ContractTable {
  id: string;
  case_id: string;
  version: number;
  text_sealed: string;
  text_hash: string;
  created_by: string;
  created_at: string;
  superseded_at: string | null;
  template_id: string | null;
  /** The organisation's conditions shown with this version (GT-36d), sealed under the case key. */
  conditions_sealed: string | null;
  /** Withdrawn by the practitioner before every party signed it (then also superseded). */
  withdrawn_at: string | null;
  withdrawn_by: string | null;
  /** Why it was offered without one of the Code's sections: JSON `{clause, reason}[]`, sealed under the case key. */
  overrides_sealed: string | null;
}

export interface ContractSignatureTable {
  id: string;
  contract_id: string;
  signer_kind: string;
  signer_id: string;
  mode: string;
  text_hash: string;
  recorded_by: string;
  signed_at: string;
  acknowledged_conditions: Generated<number>;
}

export interface TherapySessionTable {
  id: string;
  case_id: string;
  kind: string;
  format: string;
  starts_at: string;
  minutes: number;
  attendance: string;
  /** JSON array of the participant ids present; null for sessions recorded before it was kept. */
  present: string | null;
  override_reason_sealed: string | null;
  created_by: string;
  created_at: string;
}

export interface ConsentTable {
  id: string;
  practice_id: string;
  client_id: string;
  case_id: string | null;
  type: string;
  recipient_sealed: string | null;
  given_on: string;
  given_by: string;
  mode: string;
  withdrawn_on: string | null;
  recorded_by: string;
  created_at: string;
}

export interface GillickAssessmentTable {
  id: string;
  practice_id: string;
  client_id: string;
  case_id: string;
  assessed_on: string;
  competent: number;
  notes_sealed: string;
  recorded_by: string;
  created_at: string;
}

export interface ContractTemplateTable {
  id: string;
  practice_id: string;
  name: string;
  version: number;
  body: string;
  created_by: string;
  created_at: string;
}

export interface PortalInvitationTable {
  id: string;
  practice_id: string;
  client_id: string;
  token_hash: string;
  role: Generated<string>;
  /** For an appropriate adult: their address and name, sealed under the young person's key. */
  invitee_sealed: string | null;
  created_by: string;
  created_at: string;
  expires_at: string;
  accepted_at: string | null;
}

export interface OutboxMessageTable {
  id: string;
  practice_id: string;
  client_id: string | null;
  purpose: string;
  /** Recipient, subject and text, sealed: they hold an address and sometimes a sign-in link. */
  envelope_sealed: string;
  /** 'queued' | 'sent' | 'captured' | 'failed' | 'withheld' */
  status: string;
  withheld_reason: string | null;
  attempts: Generated<number>;
  next_attempt_at: string | null;
  last_error: string | null;
  created_by: string | null;
  created_at: string;
  sent_at: string | null;
  /** The claim of the sender sending it now (a random token per claim); null when unclaimed. */
  lease_token: string | null;
  /** When that claim runs out and the message is due again (the sender died mid-send). */
  lease_until: string | null;
  /** 'client' | 'staff' | 'practice': whom it is for; staff and practice messages are sealed under the practice key. */
  recipient_kind: Generated<string>;
  /** The staff member's account, for a message to staff. */
  recipient_user_id: string | null;
  /** A message that goes at most once per practice and key (the daily audit digest: `audit-digest/<day>`). */
  once_key: string | null;
}

export interface SupervisionPresentationTable {
  id: string;
  practice_id: string;
  case_id: string;
  practitioner_id: string;
  supervisor_id: string;
  presented_on: string;
  material_sealed: string;
  created_at: string;
}

export interface DisclosureTable {
  id: string;
  practice_id: string;
  case_id: string;
  client_id: string;
  disclosed_on: string;
  legal_basis: string;
  /** Recipient, what, the basis in words, why no consent, the justification, the withholding basis. */
  details_sealed: string;
  withheld_from_client: number;
  recorded_by: string;
  created_at: string;
}

export interface ReferralTable {
  id: string;
  practice_id: string;
  case_id: string;
  client_id: string;
  consent_id: string;
  /** The letter as written, sealed under the client's participant key in the case. */
  letter_sealed: string;
  written_by: string;
  written_at: string;
}

export interface DualRelationshipTable {
  id: string;
  practice_id: string;
  case_id: string;
  declared_on: string;
  fees_stop_on: string;
  description_sealed: string;
  supervisor_id: string;
  presentation_id: string;
  declared_by: string;
  created_at: string;
}

export interface SupervisionSessionTable {
  id: string;
  practice_id: string;
  practitioner_id: string;
  held_on: string;
  minutes: number;
  supervisor_name: string;
  created_at: string;
}

export interface ReleaseRequestTable {
  id: string;
  practice_id: string;
  client_id: string;
  basis: string;
  /** Who asked, where not the client: sealed under the client's key. */
  requester_sealed: string | null;
  received_on: string;
  /** One calendar month after receipt for a subject access request; null otherwise. */
  due_on: string | null;
  /** 'received' | 'issued' */
  status: string;
  via_portal: Generated<number>;
  created_by: string;
  created_at: string;
}

export interface ReleaseTable {
  id: string;
  practice_id: string;
  request_id: string;
  client_id: string;
  /** The PDF exactly as issued, sealed under the client's key. */
  pdf_sealed: string;
  pdf_sha256: string;
  /** The FHIR R4 Bundle exactly as issued, sealed under the client's key. */
  fhir_sealed: string;
  fhir_sha256: string;
  /** JSON array of the consent ids relied on. */
  consents_relied: string;
  /** JSON array of { what, clause, reason }: labels and dates only, never content. */
  withheld: string;
  issued_by: string;
  issued_at: string;
}

export interface Database {
  practice: PracticeTable;
  keyring_unlock: KeyringUnlockTable;
  keyring_secret: KeyringSecretTable;
  practice_key: PracticeKeyTable;
  data_key: DataKeyTable;
  app_user: AppUserTable;
  membership: MembershipTable;
  recovery_code: RecoveryCodeTable;
  user_session: UserSessionTable;
  api_token: ApiTokenTable;
  staff_invitation: StaffInvitationTable;
  password_reset: PasswordResetTable;
  auth_failure: AuthFailureTable;
  client: ClientTable;
  person: PersonTable;
  care_case: CareCaseTable;
  participant: ParticipantTable;
  entry: EntryTable;
  passage: PassageTable;
  audit_event: AuditEventTable;
  audit_event_context: AuditEventContextTable;
  audit_head: AuditHeadTable;
  audit_checkpoint: AuditCheckpointTable;
  profile_version: ProfileVersionTable;
  clause_override: ClauseOverrideTable;
  practice_setting: PracticeSettingTable;
  personal_connection: PersonalConnectionTable;
  intake_decision: IntakeDecisionTable;
  contract: ContractTable;
  contract_signature: ContractSignatureTable;
  therapy_session: TherapySessionTable;
  consent: ConsentTable;
  gillick_assessment: GillickAssessmentTable;
  contract_template: ContractTemplateTable;
  portal_invitation: PortalInvitationTable;
  outbox_message: OutboxMessageTable;
  supervision_presentation: SupervisionPresentationTable;
  disclosure: DisclosureTable;
  referral: ReferralTable;
  dual_relationship: DualRelationshipTable;
  supervision_session: SupervisionSessionTable;
  release_request: ReleaseRequestTable;
  release: ReleaseTable;
}
