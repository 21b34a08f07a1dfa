import { type ClientIdentity, Confidential, clientIdentitySchema, newId } from '@alcove/core';
import type { Kysely, Transaction } from 'kysely';
import { type Binding, openText, sealText } from './crypto/aead.ts';
import type { Keyring } from './keyring.ts';
import type { Database } from './schema.ts';
import { type Opened, openSealedText, readableOrThrow } from './sealed.ts';
import type { Vault } from './vault.ts';

/**
 * Clients: a client's identity and contact details, sealed under the client's own key, and
 * who may see them (the practitioners who created or treat them). The caller has decided
 * access (vault.ts).
 */

export interface ClientFacts {
  readonly clientId: string;
  readonly practiceId: string;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly treatingPractitionerIds: readonly string[];
}

function clientBinding(practiceId: string, clientId: string, keyId: string): Binding {
  return { practiceId, record: `client/${clientId}`, field: 'identity', keyId };
}

/** A client's identity sealed under their key, bound to the client (also used by bulk writers). */
export function sealClientIdentity(
  key: Buffer,
  practiceId: string,
  clientId: string,
  keyId: string,
  identity: ClientIdentity,
): string {
  return sealText(key, JSON.stringify(identity), clientBinding(practiceId, clientId, keyId));
}

export async function createClient(
  trx: Transaction<Database>,
  keyring: Keyring,
  input: {
    practiceId: string;
    createdBy: string;
    identity: Confidential<ClientIdentity>;
    now?: string;
    /** The blind match indexes of the intake check, when it ran. */
    matchKeys?: { nameIndex: string; dobIndex?: string | undefined };
  },
): Promise<{ id: string }> {
  const now = input.now ?? new Date().toISOString();
  const id = newId();
  const key = await keyring.createDataKey(trx, input.practiceId, 'client', id, now);
  await trx
    .insertInto('client')
    .values({
      id,
      practice_id: input.practiceId,
      key_id: key.id,
      identity_sealed: sealClientIdentity(key.key, input.practiceId, id, key.id, input.identity.reveal()),
      created_by: input.createdBy,
      created_at: now,
      name_index: input.matchKeys?.nameIndex ?? null,
      dob_index: input.matchKeys?.dobIndex ?? null,
    })
    .execute();
  return { id };
}

/**
 * Replaces a client's identity and contact details (the name and date of birth are kept
 * as they were: the match indexes of the intake check were made from them).
 */
export async function updateClientContact(
  trx: Transaction<Database>,
  keyring: Keyring,
  input: {
    practiceId: string;
    clientId: string;
    change: Pick<ClientIdentity, 'contactChannels' | 'safetyFlag'>;
  },
): Promise<void> {
  const row = await trx
    .selectFrom('client')
    .select(['key_id', 'identity_sealed'])
    .where('practice_id', '=', input.practiceId)
    .where('id', '=', input.clientId)
    .executeTakeFirstOrThrow();
  const key = await keyring.dataKey(trx, input.practiceId, row.key_id);
  const binding = clientBinding(input.practiceId, input.clientId, row.key_id);
  const identity = clientIdentitySchema.parse(JSON.parse(openText(key, row.identity_sealed, binding)));
  const next: ClientIdentity = { ...identity };
  if ('contactChannels' in input.change) {
    if (input.change.contactChannels === undefined) delete next.contactChannels;
    else next.contactChannels = input.change.contactChannels;
  }
  if ('safetyFlag' in input.change) {
    if (input.change.safetyFlag === true) next.safetyFlag = true;
    else delete next.safetyFlag;
  }
  await trx
    .updateTable('client')
    .set({ identity_sealed: sealText(key, JSON.stringify(clientIdentitySchema.parse(next)), binding) })
    .where('id', '=', input.clientId)
    .execute();
}

export async function clientFacts(
  db: Kysely<Database>,
  practiceId: string,
  clientIds: readonly string[],
): Promise<Map<string, ClientFacts>> {
  const facts = new Map<string, ClientFacts>();
  const unique = [...new Set(clientIds)];
  // A few thousand at a time: both engines bound the parameters of one statement.
  for (let i = 0; i < unique.length; i += 5000) {
    const chunk = unique.slice(i, i + 5000);
    const rows = await db
      .selectFrom('client')
      .select(['id', 'created_by', 'created_at'])
      .where('practice_id', '=', practiceId)
      .where('id', 'in', chunk)
      .execute();
    if (rows.length === 0) continue;
    const treating = await db
      .selectFrom('participant')
      .innerJoin('care_case', 'care_case.id', 'participant.case_id')
      .select(['participant.client_id', 'care_case.practitioner_id'])
      .where('care_case.practice_id', '=', practiceId)
      .where(
        'participant.client_id',
        'in',
        rows.map((r) => r.id),
      )
      .execute();
    const treatingOf = Map.groupBy(treating, (t) => t.client_id);
    for (const row of rows) {
      const practitioners = new Set([row.created_by]);
      for (const t of treatingOf.get(row.id) ?? []) practitioners.add(t.practitioner_id);
      facts.set(row.id, {
        clientId: row.id,
        practiceId,
        createdBy: row.created_by,
        createdAt: row.created_at,
        treatingPractitionerIds: [...practitioners],
      });
    }
  }
  return facts;
}

/** The clients one practitioner created or treats, oldest first: the most they may see. */
export async function clientIdsOfPractitioner(
  db: Kysely<Database>,
  practiceId: string,
  practitionerId: string,
): Promise<string[]> {
  const rows = await db
    .selectFrom('client')
    .select('id')
    .where('practice_id', '=', practiceId)
    .where((eb) =>
      eb.or([
        eb('created_by', '=', practitionerId),
        eb(
          'id',
          'in',
          eb
            .selectFrom('participant')
            .innerJoin('care_case', 'care_case.id', 'participant.case_id')
            .select('participant.client_id')
            .where('care_case.practitioner_id', '=', practitionerId),
        ),
      ]),
    )
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map((r) => r.id);
}

export async function allClientIds(db: Kysely<Database>, practiceId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('client')
    .select('id')
    .where('practice_id', '=', practiceId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map((r) => r.id);
}

/**
 * Every client's identity and contact details, opened: each one read, shredded (their key
 * was destroyed) or tampered (it failed its integrity check), so one that cannot be read
 * never keeps the others from being served. Clients not in the practice are absent.
 */
export async function openClientIdentities(
  vault: Vault,
  practiceId: string,
  clientIds: readonly string[],
): Promise<Map<string, Opened<Confidential<ClientIdentity>>>> {
  const result = new Map<string, Opened<Confidential<ClientIdentity>>>();
  const unique = [...new Set(clientIds)];
  // A few thousand at a time: both engines bound the parameters of one statement.
  for (let i = 0; i < unique.length; i += 5000) {
    const rows = await vault.db
      .selectFrom('client')
      .select(['id', 'key_id', 'identity_sealed'])
      .where('practice_id', '=', practiceId)
      .where('id', 'in', unique.slice(i, i + 5000))
      .execute();
    // A key that failed its check marks its client's identity tampered, not the whole list.
    const keys = await vault.keyring.dataKeysOrTampered(
      vault.db,
      practiceId,
      rows.map((r) => r.key_id),
    );
    for (const row of rows) {
      result.set(
        row.id,
        openSealedText(
          keys.get(row.key_id),
          row.identity_sealed,
          clientBinding(practiceId, row.id, row.key_id),
          (json) => new Confidential(clientIdentitySchema.parse(JSON.parse(json))),
        ),
      );
    }
  }
  return result;
}

/**
 * The client's identity and contact details, or undefined once their key is destroyed, for
 * callers that cannot go on without them (a letter, a release, a signing screen): one that
 * failed its integrity check is refused (TamperedError), never taken for destroyed.
 */
export async function readClientIdentities(
  vault: Vault,
  practiceId: string,
  clientIds: readonly string[],
): Promise<Map<string, Confidential<ClientIdentity>>> {
  const result = new Map<string, Confidential<ClientIdentity>>();
  for (const [id, opened] of await openClientIdentities(vault, practiceId, clientIds)) {
    const identity = readableOrThrow(opened);
    if (identity !== undefined) result.set(id, identity);
  }
  return result;
}
