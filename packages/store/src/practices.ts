import { newId } from '@alcove/core';
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Keyring } from './keyring.ts';
import type { Database, PracticeTable } from './schema.ts';

export interface Practice {
  readonly id: string;
  readonly name: string;
  readonly createdAt: string;
  readonly demo: boolean;
}

function toPractice(row: Selectable<PracticeTable>): Practice {
  return { id: row.id, name: row.name, createdAt: row.created_at, demo: row.is_demo === 1 };
}

export async function listPractices(db: Kysely<Database>): Promise<Practice[]> {
  const rows = await db.selectFrom('practice').selectAll().orderBy('created_at').orderBy('id').execute();
  return rows.map(toPractice);
}

export async function findPractice(db: Kysely<Database>, id: string): Promise<Practice | undefined> {
  const row = await db.selectFrom('practice').selectAll().where('id', '=', id).executeTakeFirst();
  return row === undefined ? undefined : toPractice(row);
}

/**
 * Creates a practice, and its key when a keyring is given (every practice that holds
 * records has one; the storage tests of the practice table alone need none).
 */
export async function createPractice(
  db: Kysely<Database>,
  input: { name: string; demo?: boolean; now?: Date },
  keyring?: Keyring,
): Promise<Practice> {
  return db.transaction().execute((trx) => insertPractice(trx, input, keyring));
}

/** The same, inside the caller's transaction. */
export async function insertPractice(
  trx: Transaction<Database>,
  input: { name: string; demo?: boolean; now?: Date },
  keyring?: Keyring,
): Promise<Practice> {
  const practice: Practice = {
    id: newId(),
    name: input.name,
    createdAt: (input.now ?? new Date()).toISOString(),
    demo: input.demo ?? false,
  };
  await trx
    .insertInto('practice')
    .values({
      id: practice.id,
      name: practice.name,
      created_at: practice.createdAt,
      is_demo: practice.demo ? 1 : 0,
    })
    .execute();
  await keyring?.createPracticeKey(trx, practice.id, practice.createdAt);
  return practice;
}
