import { type Kysely, sql } from 'kysely';

/**
 * The client portal and the e-mail outbox (issue 5): a case's format and its status from
 * enquiry to closed, contract templates the practice edits, the organisation's conditions
 * a contract carries (GT-36d) and their acknowledgement on each signature, portal
 * invitations, and one outbox for every message Alcove sends.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('care_case')
    .addColumn('format', 'text', (c) => c.notNull().defaultTo('in-person'))
    .execute();
  // Cases opened before the lifecycle existed were being assessed or worked with.
  await sql`update care_case set status = 'assessment' where status = 'open'`.execute(db);

  // Who was present at a session: a JSON array of the case's participant ids.
  await db.schema.alterTable('therapy_session').addColumn('present', 'text').execute();
  await db.schema.alterTable('contract').addColumn('template_id', 'text').execute();
  await db.schema.alterTable('contract').addColumn('conditions_sealed', 'text').execute();
  await db.schema
    .alterTable('contract_signature')
    .addColumn('acknowledged_conditions', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();

  await db.schema
    .createTable('contract_template')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('practice_id', 'text', (c) => c.notNull().references('practice.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull().references('app_user.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('contract_template_version', ['practice_id', 'name', 'version'])
    .execute();

  await db.schema
    .createTable('portal_invitation')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('practice_id', 'text', (c) => c.notNull().references('practice.id'))
    .addColumn('client_id', 'text', (c) => c.notNull().references('client.id'))
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    // 'client', or 'appropriate-adult' with the adult's own address and name, sealed.
    .addColumn('role', 'text', (c) => c.notNull().defaultTo('client'))
    .addColumn('invitee_sealed', 'text')
    .addColumn('created_by', 'text', (c) => c.notNull().references('app_user.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('accepted_at', 'text')
    .execute();

  await db.schema
    .createTable('outbox_message')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('practice_id', 'text', (c) => c.notNull().references('practice.id'))
    .addColumn('client_id', 'text', (c) => c.references('client.id'))
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('envelope_sealed', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('withheld_reason', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'text')
    .addColumn('last_error', 'text')
    .addColumn('created_by', 'text', (c) => c.references('app_user.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('sent_at', 'text')
    .execute();
  await db.schema
    .createIndex('outbox_message_due')
    .on('outbox_message')
    .columns(['status', 'next_attempt_at'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('outbox_message').execute();
  await db.schema.dropTable('portal_invitation').execute();
  await db.schema.dropTable('contract_template').execute();
  await db.schema.alterTable('contract_signature').dropColumn('acknowledged_conditions').execute();
  await db.schema.alterTable('contract').dropColumn('conditions_sealed').execute();
  await db.schema.alterTable('contract').dropColumn('template_id').execute();
  await db.schema.alterTable('therapy_session').dropColumn('present').execute();
  await sql`update care_case set status = 'open' where status <> 'closed'`.execute(db);
  await db.schema.alterTable('care_case').dropColumn('format').execute();
}
