import type { Kysely } from 'kysely';

/**
 * The signing kiosk (issue 14): a session handed to a client to sign one contract in the
 * room is bound to that case, client and contract until the practitioner ends it. One
 * column at a time: SQLite adds one column in each ALTER TABLE.
 */
const columns = [
  ['kiosk_case_id', 'care_case.id'],
  ['kiosk_client_id', 'client.id'],
  ['kiosk_contract_id', 'contract.id'],
] as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const [column, references] of columns) {
    await db.schema
      .alterTable('user_session')
      .addColumn(column, 'text', (c) => c.references(references))
      .execute();
  }
  await db.schema.alterTable('user_session').addColumn('kiosk_started_at', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const column of ['kiosk_started_at', 'kiosk_contract_id', 'kiosk_client_id', 'kiosk_case_id']) {
    await db.schema.alterTable('user_session').dropColumn(column).execute();
  }
}
