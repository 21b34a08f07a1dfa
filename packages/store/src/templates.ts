import { newId } from '@alcove/core';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.ts';

/**
 * The practice's contract templates: each save of a name is a new version; earlier
 * versions stay, because contracts name the version they were generated from. Templates
 * hold no client data, so they are kept in clear.
 */
export interface ContractTemplate {
  readonly id: string;
  readonly name: string;
  readonly version: number;
  readonly body: string;
  readonly createdAt: string;
}

function toTemplate(r: { id: string; name: string; version: number; body: string; created_at: string }) {
  return { id: r.id, name: r.name, version: r.version, body: r.body, createdAt: r.created_at };
}

export async function saveTemplate(
  trx: Transaction<Database>,
  input: { practiceId: string; name: string; body: string; userId: string; now: string },
): Promise<{ id: string; version: number }> {
  const latest = await trx
    .selectFrom('contract_template')
    .select((eb) => eb.fn.max('version').as('version'))
    .where('practice_id', '=', input.practiceId)
    .where('name', '=', input.name)
    .executeTakeFirst();
  const version = Number(latest?.version ?? 0) + 1;
  const id = newId();
  await trx
    .insertInto('contract_template')
    .values({
      id,
      practice_id: input.practiceId,
      name: input.name,
      version,
      body: input.body,
      created_by: input.userId,
      created_at: input.now,
    })
    .execute();
  return { id, version };
}

/** The newest version of each template, by name. */
export async function currentTemplates(
  db: Kysely<Database>,
  practiceId: string,
): Promise<ContractTemplate[]> {
  const rows = await db
    .selectFrom('contract_template')
    .selectAll()
    .where('practice_id', '=', practiceId)
    .orderBy('name')
    .orderBy('version', 'desc')
    .execute();
  const seen = new Set<string>();
  return rows.filter((r) => !seen.has(r.name) && seen.add(r.name)).map(toTemplate);
}

export async function templateById(
  db: Kysely<Database>,
  practiceId: string,
  id: string,
): Promise<ContractTemplate | undefined> {
  const row = await db
    .selectFrom('contract_template')
    .selectAll()
    .where('practice_id', '=', practiceId)
    .where('id', '=', id)
    .executeTakeFirst();
  return row === undefined ? undefined : toTemplate(row);
}
