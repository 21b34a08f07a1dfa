import { createHmac } from 'node:crypto';
import { Confidential, type ConnectionRelation, type KnownPerson, newId, normaliseName } from '@alcove/core';
import type { Kysely, Transaction } from 'kysely';
import { openAccountField, sealAccountField } from './accounts.ts';
import { deriveKey } from './crypto/kdf.ts';
import type { Keyring } from './keyring.ts';
import type { Database } from './schema.ts';

/**
 * Keyed blind indexes for the intake conflict check (GT-28, GT-32): the HMAC of a
 * normalised name, and of name with date of birth. Equal people give equal indexes; the
 * indexes reveal nothing without the keyring.
 */
export async function matchKeysFor(
  db: Kysely<Database>,
  keyring: Keyring,
  name: string,
  dateOfBirth: string | undefined,
): Promise<{ nameIndex: string; dobIndex?: string }> {
  const key = deriveKey(await keyring.secret(db, 'email-index'), Buffer.alloc(0), 'alcove/match-index/v1');
  const hmac = (value: string) => createHmac('sha256', key).update(value).digest('hex');
  const normalised = normaliseName(name);
  return {
    nameIndex: hmac(normalised),
    ...(dateOfBirth === undefined ? {} : { dobIndex: hmac(`${normalised}|${dateOfBirth}`) }),
  };
}

export async function addConnection(
  trx: Transaction<Database>,
  keyring: Keyring,
  input: {
    practiceId: string;
    userId: string;
    relation: ConnectionRelation;
    name: string;
    dateOfBirth?: string | undefined;
    now: string;
  },
): Promise<{ id: string }> {
  const id = newId();
  const keys = await matchKeysFor(trx, keyring, input.name, input.dateOfBirth);
  await trx
    .insertInto('personal_connection')
    .values({
      id,
      practice_id: input.practiceId,
      user_id: input.userId,
      relation: input.relation,
      name_sealed: await sealAccountField(trx, keyring, id, 'connection-name', input.name),
      name_index: keys.nameIndex,
      dob_index: keys.dobIndex ?? null,
      created_at: input.now,
    })
    .execute();
  return { id };
}

export async function listConnections(
  db: Kysely<Database>,
  keyring: Keyring,
  practiceId: string,
  userId: string,
) {
  const rows = await db
    .selectFrom('personal_connection')
    .selectAll()
    .where('practice_id', '=', practiceId)
    .where('user_id', '=', userId)
    .orderBy('created_at')
    .execute();
  return Promise.all(
    rows.map(async (r) => ({
      id: r.id,
      relation: r.relation as ConnectionRelation,
      name: new Confidential(await openAccountField(db, keyring, r.id, 'connection-name', r.name_sealed)),
      createdAt: r.created_at,
    })),
  );
}

export async function removeConnection(
  trx: Transaction<Database>,
  practiceId: string,
  userId: string,
  id: string,
): Promise<boolean> {
  const result = await trx
    .deleteFrom('personal_connection')
    .where('id', '=', id)
    .where('practice_id', '=', practiceId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}

/** Everyone a new client must be checked against: the practitioner's connections and their own clients, current and past. */
export async function knownPeopleFor(
  db: Kysely<Database>,
  practiceId: string,
  userId: string,
): Promise<KnownPerson[]> {
  const connections = await db
    .selectFrom('personal_connection')
    .select(['id', 'relation', 'name_index', 'dob_index'])
    .where('practice_id', '=', practiceId)
    .where('user_id', '=', userId)
    .execute();
  const treated = db
    .selectFrom('participant')
    .innerJoin('care_case', 'care_case.id', 'participant.case_id')
    .select('participant.client_id')
    .where('care_case.practitioner_id', '=', userId);
  const clients = await db
    .selectFrom('client')
    .select(['id', 'name_index', 'dob_index'])
    .where('practice_id', '=', practiceId)
    .where('name_index', 'is not', null)
    .where((eb) => eb.or([eb('created_by', '=', userId), eb('id', 'in', treated)]))
    .execute();
  return [
    ...connections.map((c) => ({
      kind: 'connection' as const,
      id: c.id,
      relation: c.relation as ConnectionRelation,
      nameIndex: c.name_index,
      ...(c.dob_index === null ? {} : { dobIndex: c.dob_index }),
    })),
    ...clients.map((c) => ({
      kind: 'client' as const,
      id: c.id,
      nameIndex: c.name_index ?? '',
      ...(c.dob_index === null ? {} : { dobIndex: c.dob_index }),
    })),
  ];
}

/** The reason may describe people: it is sealed, never kept in clear. */
export async function recordIntakeDecision(
  trx: Transaction<Database>,
  keyring: Keyring,
  input: {
    practiceId: string;
    userId: string;
    clientId: string;
    matchKind: string;
    matchId: string;
    clause: string;
    decision: string;
    reason: string;
    now: string;
  },
): Promise<void> {
  const id = newId();
  await trx
    .insertInto('intake_decision')
    .values({
      id,
      practice_id: input.practiceId,
      user_id: input.userId,
      client_id: input.clientId,
      match_kind: input.matchKind,
      match_id: input.matchId,
      clause: input.clause,
      decision: input.decision,
      reason: await sealAccountField(trx, keyring, id, 'intake-reason', input.reason),
      created_at: input.now,
    })
    .execute();
}
