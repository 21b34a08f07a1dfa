export * from './accounts.ts';
export * from './api-tokens.ts';
export {
  type AuditEvent,
  type AuditEventContext,
  type AuditEventInput,
  type AuditOutcome,
  appendAuditEvent,
  appendAuditEvents,
  auditEventContext,
  auditEventsForRecords,
  deleteAuditContextBefore,
  eventHash,
  GENESIS_HASH,
  recordAuditEvent,
  type StampedAuditEvent,
  writeAuditEvents,
} from './audit.ts';
export {
  CHECKPOINT_EVERY,
  checkpointIfDue,
  witnessNewestCheckpoint,
  writeCheckpoint,
} from './audit-checkpoints.ts';
export * from './audit-source.ts';
export * from './audit-verify.ts';
export * from './audit-witness-check.ts';
export * from './auth-failures.ts';
export {
  BACKUP_TABLES,
  type BackupReport,
  BadBackupError,
  backupFileName,
  removeInterruptedBackups,
  writeBackup,
} from './backup.ts';
export * from './bulk-load.ts';
export * from './case-participation.ts';
export * from './case-session-lookup.ts';
export * from './cases.ts';
export * from './client-record.ts';
export * from './client-search.ts';
export * from './clients.ts';
export * from './config.ts';
export * from './consents.ts';
export * from './contracts.ts';
export * from './crash-points.ts';
export * from './credentials.ts';
export { type Binding, newKey, openText, sealText, TamperedError } from './crypto/aead.ts';
export * from './disclosures.ts';
export { addEntry, type NewPassage, sealPassageText, writePassages } from './entries.ts';
export * from './errors.ts';
export * from './fact-stamps.ts';
export { StorageFailedError } from './group-commit.ts';
export * from './intake.ts';
export * from './integrity.ts';
export * from './keyring.ts';
export { LOCK_FILE, lockDataFolder, PID_FILE } from './lock.ts';
export * from './migrate.ts';
export * from './notes.ts';
export {
  type Envelope,
  enqueueMessage,
  enqueuePracticeMessage,
  listOutbox,
  type OutboxEntry,
  type OutboxStatus,
  type PracticeRecipient,
  practiceRecipientAddress,
  readEnvelope,
  resealPracticeMessages,
  retryMessage,
  type StaffAddress,
} from './outbox.ts';
export * from './outbox-recipient.ts';
export * from './outbox-sending.ts';
export * from './password-reset.ts';
export * from './password-reset-limit.ts';
export * from './people.ts';
export * from './portal.ts';
export * from './practices.ts';
export * from './profiles.ts';
export * from './record-keys.ts';
export * from './referrals.ts';
export * from './releases.ts';
export * from './restore.ts';
export type { Database, UnlockMethod } from './schema.ts';
export * from './sealed.ts';
export { recheckSealed } from './sealed-places.ts';
export * from './sessions.ts';
export * from './settings.ts';
export * from './shredding.ts';
export * from './staff-invitations.ts';
export * from './store.ts';
export * from './supervision.ts';
export * from './templates.ts';
export * from './therapy-sessions.ts';
export {
  formatRecoveryKit,
  newKeyFileSecret,
  parseKeyFile,
  parseRecoveryKit,
  UnlockError,
  type UnlockSource,
} from './unlock.ts';
export * from './vault.ts';
export * from './witness.ts';
