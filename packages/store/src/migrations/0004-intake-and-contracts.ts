import type { Kysely } from 'kysely';

/**
 * Intake and the therapy contract (issue 5): the practitioner's personal connections and
 * the clients' match indexes (keyed blind indexes, never names in clear), intake decisions,
 * contracts with their versions and signatures, and sessions.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('client').addColumn('name_index', 'text').execute();
  await db.schema.alterTable('client').addColumn('dob_index', 'text').execute();

  await db.schema
    .createTable('personal_connection')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('practice_id', 'text', (c) => c.notNull().references('practice.id'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('app_user.id'))
    .addColumn('relation', 'text', (c) => c.notNull())
    .addColumn('name_sealed', 'text', (c) => c.notNull())
    .addColumn('name_index', 'text', (c) => c.notNull())
    .addColumn('dob_index', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('intake_decision')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('practice_id', 'text', (c) => c.notNull().references('practice.id'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('app_user.id'))
    .addColumn('client_id', 'text', (c) => c.notNull().references('client.id'))
    .addColumn('match_kind', 'text', (c) => c.notNull())
    .addColumn('match_id', 'text', (c) => c.notNull())
    .addColumn('clause', 'text', (c) => c.notNull())
    .addColumn('decision', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('contract')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('case_id', 'text', (c) => c.notNull().references('care_case.id'))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('text_sealed', 'text', (c) => c.notNull())
    .addColumn('text_hash', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull().references('app_user.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('superseded_at', 'text')
    .addUniqueConstraint('contract_case_version', ['case_id', 'version'])
    .execute();

  await db.schema
    .createTable('contract_signature')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('contract_id', 'text', (c) => c.notNull().references('contract.id'))
    .addColumn('signer_kind', 'text', (c) => c.notNull())
    .addColumn('signer_id', 'text', (c) => c.notNull())
    .addColumn('mode', 'text', (c) => c.notNull())
    .addColumn('text_hash', 'text', (c) => c.notNull())
    .addColumn('recorded_by', 'text', (c) => c.notNull().references('app_user.id'))
    .addColumn('signed_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('contract_signature_signer', ['contract_id', 'signer_kind', 'signer_id'])
    .execute();

  await db.schema
    .createTable('therapy_session')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('case_id', 'text', (c) => c.notNull().references('care_case.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('format', 'text', (c) => c.notNull())
    .addColumn('starts_at', 'text', (c) => c.notNull())
    .addColumn('minutes', 'integer', (c) => c.notNull())
    .addColumn('attendance', 'text', (c) => c.notNull())
    .addColumn('override_reason_sealed', 'text')
    .addColumn('created_by', 'text', (c) => c.notNull().references('app_user.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'therapy_session',
    'contract_signature',
    'contract',
    'intake_decision',
    'personal_connection',
  ]) {
    await db.schema.dropTable(table).execute();
  }
  await db.schema.alterTable('client').dropColumn('dob_index').execute();
  await db.schema.alterTable('client').dropColumn('name_index').execute();
}
