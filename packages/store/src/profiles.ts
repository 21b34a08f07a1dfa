import {
  type CpdRequirement,
  cpdRequirementSchema,
  DEFAULT_CPD_REQUIREMENT,
  emptyProfile,
  newId,
  type Profile,
  profileSchema,
} from '@alcove/core';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.ts';

/** The practitioner's current record, or an empty one before their first save. */
export async function currentProfile(
  db: Kysely<Database>,
  practiceId: string,
  userId: string,
): Promise<Profile> {
  const row = await db
    .selectFrom('profile_version')
    .select('data')
    .where('practice_id', '=', practiceId)
    .where('user_id', '=', userId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row === undefined ? emptyProfile : profileSchema.parse(JSON.parse(row.data));
}

/** Saves a new version; earlier versions stay as the evidence of what was recorded when. */
export async function saveProfile(
  trx: Transaction<Database>,
  practiceId: string,
  userId: string,
  profile: Profile,
  now: string,
): Promise<void> {
  await trx
    .insertInto('profile_version')
    .values({
      id: newId(),
      practice_id: practiceId,
      user_id: userId,
      data: JSON.stringify(profileSchema.parse(profile)),
      created_at: now,
    })
    .execute();
}

export interface ClauseOverride {
  readonly clause: string;
  readonly reason: string;
  readonly command: string;
  readonly createdAt: string;
}

export async function overridesOf(
  db: Kysely<Database>,
  practiceId: string,
  userId: string,
): Promise<ClauseOverride[]> {
  const rows = await db
    .selectFrom('clause_override')
    .selectAll()
    .where('practice_id', '=', practiceId)
    .where('user_id', '=', userId)
    .orderBy('created_at')
    .execute();
  return rows.map((r) => ({
    clause: r.clause,
    reason: r.reason,
    command: r.command,
    createdAt: r.created_at,
  }));
}

export async function recordOverride(
  trx: Transaction<Database>,
  input: { practiceId: string; userId: string; clause: string; reason: string; command: string; now: string },
): Promise<void> {
  await trx
    .insertInto('clause_override')
    .values({
      id: newId(),
      practice_id: input.practiceId,
      user_id: input.userId,
      clause: input.clause,
      reason: input.reason,
      command: input.command,
      created_at: input.now,
    })
    .execute();
}

const CPD_KEY = 'cpd-requirement';

export async function cpdRequirementOf(db: Kysely<Database>, practiceId: string): Promise<CpdRequirement> {
  const row = await db
    .selectFrom('practice_setting')
    .select('value')
    .where('practice_id', '=', practiceId)
    .where('key', '=', CPD_KEY)
    .executeTakeFirst();
  return row === undefined ? DEFAULT_CPD_REQUIREMENT : cpdRequirementSchema.parse(JSON.parse(row.value));
}

export async function setCpdRequirement(
  trx: Transaction<Database>,
  practiceId: string,
  value: CpdRequirement,
  userId: string,
  now: string,
): Promise<void> {
  await trx
    .deleteFrom('practice_setting')
    .where('practice_id', '=', practiceId)
    .where('key', '=', CPD_KEY)
    .execute();
  await trx
    .insertInto('practice_setting')
    .values({
      practice_id: practiceId,
      key: CPD_KEY,
      value: JSON.stringify(value),
      updated_at: now,
      updated_by: userId,
    })
    .execute();
}
