import type { Kysely } from 'kysely';

/**
 * Indexes the organisation-scale dataset showed were missing (issue 8: 100,000 clients,
 * 1,000,000 sessions): without them, opening a record scanned every participant, and a
 * case's sessions every session of the practice.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('participant_client').on('participant').column('client_id').execute();
  await db.schema
    .createIndex('therapy_session_case')
    .on('therapy_session')
    .columns(['case_id', 'starts_at'])
    .execute();
  await db.schema.createIndex('care_case_practitioner').on('care_case').column('practitioner_id').execute();
  await db.schema.createIndex('client_created_by').on('client').column('created_by').execute();
  await db.schema.createIndex('client_name_index').on('client').column('name_index').execute();
  await db.schema.createIndex('entry_session').on('entry').column('session_id').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const index of [
    'entry_session',
    'client_name_index',
    'client_created_by',
    'care_case_practitioner',
    'therapy_session_case',
    'participant_client',
  ]) {
    await db.schema.dropIndex(index).execute();
  }
}
