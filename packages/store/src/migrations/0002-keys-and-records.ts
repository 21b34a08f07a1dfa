import type { Kysely } from 'kysely';

/**
 * The key model (issue 3) and the skeleton of the records.
 *
 * Keys: the installation's master key is never stored in clear; each row of
 * keyring_unlock wraps it under one way of unlocking (passphrase + secret-key file, key
 * file, recovery kit). Each practice's key is wrapped by the master key; every data key
 * (client, participant, case) by its practice's key. Destroying a data key (wrapped = null)
 * makes what it encrypted unreadable: crypto-shredding.
 *
 * Records: clinical and identity text is sealed (AES-256-GCM, base64) under the key its
 * class and attribution call for; ids, kinds, statuses and instants are clear.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('keyring_unlock')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('params', 'text', (c) => c.notNull())
    .addColumn('wrapped_master', 'text', (c) => c.notNull())
    .addColumn('master_version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('keyring_secret')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('wrapped', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('practice_key')
    .addColumn('practice_id', 'text', (c) => c.primaryKey().references('practice.id'))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('wrapped', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('data_key')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('practice_id', 'text', (c) => c.notNull().references('practice.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('owner_id', 'text', (c) => c.notNull())
    .addColumn('epoch', 'integer', (c) => c.notNull())
    .addColumn('practice_key_version', 'integer', (c) => c.notNull())
    .addColumn('wrapped', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('destroyed_at', 'text')
    .execute();
  await db.schema.createIndex('data_key_owner').on('data_key').columns(['kind', 'owner_id']).execute();

  await db.schema
    .createTable('app_user')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('email_index', 'text', (c) => c.notNull().unique())
    .addColumn('email_sealed', 'text', (c) => c.notNull())
    .addColumn('name_sealed', 'text', (c) => c.notNull())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('totp_secret_sealed', 'text')
    .addColumn('totp_enabled_at', 'text')
    .addColumn('totp_last_step', 'integer')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('disabled_at', 'text')
    .execute();

  await db.schema
    .createTable('membership')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('app_user.id'))
    .addColumn('practice_id', 'text', (c) => c.notNull().references('practice.id'))
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('client_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('membership_user_practice_role', ['user_id', 'practice_id', 'role'])
    .execute();

  await db.schema
    .createTable('recovery_code')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('app_user.id'))
    .addColumn('code_hash', 'text', (c) => c.notNull())
    .addColumn('used_at', 'text')
    .execute();

  await db.schema
    .createTable('user_session')
    .addColumn('id_hash', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('app_user.id'))
    .addColumn('practice_id', 'text', (c) => c.references('practice.id'))
    .addColumn('csrf_token', 'text', (c) => c.notNull())
    .addColumn('stage', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_seen_at', 'text', (c) => c.notNull())
    .addColumn('ended_at', 'text')
    .execute();

  await db.schema
    .createTable('api_token')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('app_user.id'))
    .addColumn('practice_id', 'text', (c) => c.notNull().references('practice.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_used_at', 'text')
    .addColumn('revoked_at', 'text')
    .execute();

  await db.schema
    .createTable('client')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('practice_id', 'text', (c) => c.notNull().references('practice.id'))
    .addColumn('key_id', 'text', (c) => c.notNull().references('data_key.id'))
    .addColumn('identity_sealed', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('person')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('practice_id', 'text', (c) => c.notNull().references('practice.id'))
    .addColumn('key_id', 'text', (c) => c.notNull().references('data_key.id'))
    .addColumn('identity_sealed', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('care_case')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('practice_id', 'text', (c) => c.notNull().references('practice.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('practitioner_id', 'text', (c) => c.notNull().references('app_user.id'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('key_id', 'text', (c) => c.notNull().references('data_key.id'))
    .addColumn('pseudonym', 'text', (c) => c.notNull())
    .addColumn('opened_at', 'text', (c) => c.notNull())
    .addColumn('closed_at', 'text')
    .execute();

  await db.schema
    .createTable('participant')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('case_id', 'text', (c) => c.notNull().references('care_case.id'))
    .addColumn('client_id', 'text', (c) => c.notNull().references('client.id'))
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('key_id', 'text', (c) => c.notNull().references('data_key.id'))
    .addColumn('joined_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('participant_case_client', ['case_id', 'client_id'])
    .execute();

  await db.schema
    .createTable('entry')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('case_id', 'text', (c) => c.notNull().references('care_case.id'))
    .addColumn('author_id', 'text', (c) => c.notNull().references('app_user.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('occurred_at', 'text', (c) => c.notNull())
    .addColumn('written_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('entry_case').on('entry').columns(['case_id', 'occurred_at']).execute();

  await db.schema
    .createTable('passage')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('entry_id', 'text', (c) => c.notNull().references('entry.id'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('attribution', 'text', (c) => c.notNull())
    .addColumn('key_id', 'text', (c) => c.notNull().references('data_key.id'))
    .addColumn('body_sealed', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('passage_entry').on('passage').columns(['entry_id', 'position']).execute();

  await db.schema
    .createTable('audit_event')
    .addColumn('seq', 'integer', (c) => c.primaryKey())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text')
    .addColumn('practice_id', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('record_type', 'text')
    .addColumn('record_id', 'text')
    .addColumn('purpose', 'text')
    .addColumn('prev_hash', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('audit_event_record').on('audit_event').columns(['record_id', 'seq']).execute();

  // The chain's head, one row: appending updates it, which serialises appends on both engines.
  await db.schema
    .createTable('audit_head')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .execute();
  await db
    .insertInto('audit_head' as never)
    .values({ id: 1, seq: 0, hash: '0'.repeat(64) } as never)
    .execute();

  await db.schema
    .createTable('audit_checkpoint')
    .addColumn('seq', 'integer', (c) => c.primaryKey())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('head_hash', 'text', (c) => c.notNull())
    .addColumn('signature', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'audit_checkpoint',
    'audit_head',
    'audit_event',
    'passage',
    'entry',
    'participant',
    'care_case',
    'person',
    'client',
    'api_token',
    'user_session',
    'recovery_code',
    'membership',
    'app_user',
    'data_key',
    'practice_key',
    'keyring_secret',
    'keyring_unlock',
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
