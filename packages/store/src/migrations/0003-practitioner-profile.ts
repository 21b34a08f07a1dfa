import type { Kysely } from 'kysely';

/**
 * The practitioner's own professional record (issue 4): each save is a new version, so
 * the evidence of what was recorded when is kept; overrides of a "should" with their
 * reasons; and practice settings (the CPD requirement, with its source).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('profile_version')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('practice_id', 'text', (c) => c.notNull().references('practice.id'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('app_user.id'))
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('profile_version_user')
    .on('profile_version')
    .columns(['practice_id', 'user_id', 'created_at'])
    .execute();

  await db.schema
    .createTable('clause_override')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('practice_id', 'text', (c) => c.notNull().references('practice.id'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('app_user.id'))
    .addColumn('clause', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('command', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('practice_setting')
    .addColumn('practice_id', 'text', (c) => c.notNull().references('practice.id'))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'text')
    .addPrimaryKeyConstraint('practice_setting_pk', ['practice_id', 'key'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('practice_setting').execute();
  await db.schema.dropTable('clause_override').execute();
  await db.schema.dropTable('profile_version').execute();
}
