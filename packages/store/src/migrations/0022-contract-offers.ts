import type { Kysely } from 'kysely';

/**
 * A contract version as it is offered for signature (issue 17, GT-36 to GT-36c). A version
 * the practitioner withdraws before everyone has signed it keeps its row, its text and any
 * signature it had: `withdrawn_at` and `withdrawn_by` say when and by whom, and it is no
 * longer current (its `superseded_at` is set at the same instant). A version offered without
 * one of the Code's sections keeps the practitioner's reasons, `overrides_sealed`: a JSON
 * list of `{clause, reason}` sealed under the case key. One column at a time: SQLite adds one
 * column in each ALTER TABLE.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('contract').addColumn('withdrawn_at', 'text').execute();
  await db.schema
    .alterTable('contract')
    .addColumn('withdrawn_by', 'text', (c) => c.references('app_user.id'))
    .execute();
  await db.schema.alterTable('contract').addColumn('overrides_sealed', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('contract').dropColumn('overrides_sealed').execute();
  await db.schema.alterTable('contract').dropColumn('withdrawn_by').execute();
  await db.schema.alterTable('contract').dropColumn('withdrawn_at').execute();
}
