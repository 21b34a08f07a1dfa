import type { Kysely } from 'kysely';
import type { Binding } from './crypto/aead.ts';
import { type Keyring, TamperedKey } from './keyring.ts';
import type { Database } from './schema.ts';
import { openSealed, type SealedPlace } from './sealed.ts';

/**
 * Every kind of sealed field, found again by its place (sealed.ts: a record type, an id and a
 * field, never its content): where it is stored, under which key, and whose record it is
 * in. integrity.ts uses it to know whom a finding concerns and whether it still stands.
 */
/** Where a sealed field is stored: its ciphertext, its key, and whose record it is in. */
interface SealedRow {
  readonly sealed: string | null;
  /** The data key's id, or (for what is sealed under the practice key) its binding's key id. */
  readonly keyId: string;
  /** The key itself, where it is not a data key (the practice key). */
  readonly key?: Buffer;
  readonly clientIds: readonly string[];
  /** Its binding, where it is not `{ practiceId, record: '<type>/<id>', field, keyId }`. */
  readonly binding?: Binding;
}

async function clientsOfCase(db: Kysely<Database>, caseId: string): Promise<string[]> {
  const rows = await db.selectFrom('participant').select('client_id').where('case_id', '=', caseId).execute();
  return [...new Set(rows.map((r) => r.client_id))];
}

/**
 * How to find each kind of sealed field again, by the record type its binding names. Every
 * binding is `{ record: '<type>/<id>', field, keyId }` under the practice.
 */
const sealedRows: Record<
  string,
  (
    db: Kysely<Database>,
    practiceId: string,
    id: string,
    keyring: Keyring | undefined,
    field?: string,
  ) => Promise<SealedRow | undefined>
> = {
  async user(db, _practiceId, id, keyring, field) {
    // An account's name or e-mail address, sealed under the installation's account secret.
    if (field !== 'name' && field !== 'email') return undefined;
    const row = await db
      .selectFrom('app_user')
      .select(['name_sealed', 'email_sealed'])
      .where('id', '=', id)
      .executeTakeFirst();
    if (row === undefined) return undefined;
    return {
      sealed: field === 'name' ? row.name_sealed : row.email_sealed,
      keyId: 'accounts',
      ...(keyring === undefined ? {} : { key: await keyring.secret(db, 'accounts') }),
      clientIds: [],
      binding: { practiceId: 'installation', record: `user/${id}`, field, keyId: 'accounts' },
    };
  },
  async client(db, practiceId, id) {
    const row = await db
      .selectFrom('client')
      .select(['identity_sealed', 'key_id'])
      .where('practice_id', '=', practiceId)
      .where('id', '=', id)
      .executeTakeFirst();
    return row && { sealed: row.identity_sealed, keyId: row.key_id, clientIds: [id] };
  },
  async passage(db, practiceId, id) {
    const row = await db
      .selectFrom('passage')
      .innerJoin('entry', 'entry.id', 'passage.entry_id')
      .innerJoin('care_case', 'care_case.id', 'entry.case_id')
      .select(['passage.body_sealed', 'passage.key_id', 'entry.case_id'])
      .where('care_case.practice_id', '=', practiceId)
      .where('passage.id', '=', id)
      .executeTakeFirst();
    return (
      row && { sealed: row.body_sealed, keyId: row.key_id, clientIds: await clientsOfCase(db, row.case_id) }
    );
  },
  async entry(db, practiceId, id) {
    const row = await db
      .selectFrom('entry')
      .innerJoin('care_case', 'care_case.id', 'entry.case_id')
      .select(['entry.amend_reason_sealed', 'care_case.key_id', 'entry.case_id'])
      .where('care_case.practice_id', '=', practiceId)
      .where('entry.id', '=', id)
      .executeTakeFirst();
    return (
      row && {
        sealed: row.amend_reason_sealed,
        keyId: row.key_id,
        clientIds: await clientsOfCase(db, row.case_id),
      }
    );
  },
  async consent(db, practiceId, id) {
    const row = await db
      .selectFrom('consent')
      .innerJoin('client', 'client.id', 'consent.client_id')
      .select(['consent.recipient_sealed', 'client.key_id', 'consent.client_id'])
      .where('consent.practice_id', '=', practiceId)
      .where('consent.id', '=', id)
      .executeTakeFirst();
    return row && { sealed: row.recipient_sealed, keyId: row.key_id, clientIds: [row.client_id] };
  },
  async gillick(db, practiceId, id) {
    const row = await db
      .selectFrom('gillick_assessment as g')
      .innerJoin('participant as p', (join) =>
        join.onRef('p.case_id', '=', 'g.case_id').onRef('p.client_id', '=', 'g.client_id'),
      )
      .select(['g.notes_sealed', 'p.key_id', 'g.client_id'])
      .where('g.practice_id', '=', practiceId)
      .where('g.id', '=', id)
      .executeTakeFirst();
    return row && { sealed: row.notes_sealed, keyId: row.key_id, clientIds: [row.client_id] };
  },
  async disclosure(db, practiceId, id) {
    const row = await db
      .selectFrom('disclosure')
      .innerJoin('care_case', 'care_case.id', 'disclosure.case_id')
      .select(['disclosure.details_sealed', 'care_case.key_id', 'disclosure.client_id'])
      .where('disclosure.practice_id', '=', practiceId)
      .where('disclosure.id', '=', id)
      .executeTakeFirst();
    return row && { sealed: row.details_sealed, keyId: row.key_id, clientIds: [row.client_id] };
  },
  async referral(db, practiceId, id) {
    const row = await db
      .selectFrom('referral as r')
      .innerJoin('participant as p', (join) =>
        join.onRef('p.case_id', '=', 'r.case_id').onRef('p.client_id', '=', 'r.client_id'),
      )
      .select(['r.letter_sealed', 'p.key_id', 'r.client_id'])
      .where('r.practice_id', '=', practiceId)
      .where('r.id', '=', id)
      .executeTakeFirst();
    return row && { sealed: row.letter_sealed, keyId: row.key_id, clientIds: [row.client_id] };
  },
  async 'dual-relationship'(db, practiceId, id) {
    const row = await db
      .selectFrom('dual_relationship')
      .innerJoin('care_case', 'care_case.id', 'dual_relationship.case_id')
      .select(['dual_relationship.description_sealed', 'care_case.key_id', 'dual_relationship.case_id'])
      .where('dual_relationship.practice_id', '=', practiceId)
      .where('dual_relationship.id', '=', id)
      .executeTakeFirst();
    return (
      row && {
        sealed: row.description_sealed,
        keyId: row.key_id,
        clientIds: await clientsOfCase(db, row.case_id),
      }
    );
  },
  async outbox(db, practiceId, id, keyring) {
    const row = await db
      .selectFrom('outbox_message')
      .leftJoin('client', 'client.id', 'outbox_message.client_id')
      .select([
        'outbox_message.envelope_sealed',
        'outbox_message.recipient_kind',
        'client.key_id',
        'client.id as client_id',
      ])
      .where('outbox_message.practice_id', '=', practiceId)
      .where('outbox_message.id', '=', id)
      .executeTakeFirst();
    if (row === undefined) return undefined;
    if (row.recipient_kind !== 'client') {
      // A message to staff or to the practice: sealed under the practice key (outbox.ts).
      const practiceKey = keyring === undefined ? undefined : await keyring.practiceKey(db, practiceId);
      return {
        sealed: row.envelope_sealed,
        keyId: `practice/v${practiceKey?.version ?? 0}`,
        ...(practiceKey === undefined ? {} : { key: practiceKey.key }),
        clientIds: [],
      };
    }
    if (row.client_id === null || row.key_id === null) return undefined;
    return { sealed: row.envelope_sealed, keyId: row.key_id, clientIds: [row.client_id] };
  },
  async contract(db, practiceId, id, _keyring, field) {
    const row = await db
      .selectFrom('contract')
      .innerJoin('care_case', 'care_case.id', 'contract.case_id')
      .select([
        'contract.text_sealed',
        'contract.conditions_sealed',
        'contract.overrides_sealed',
        'care_case.key_id',
        'contract.case_id',
      ])
      .where('care_case.practice_id', '=', practiceId)
      .where('contract.id', '=', id)
      .executeTakeFirst();
    return (
      row && {
        sealed:
          field === 'conditions'
            ? row.conditions_sealed
            : field === 'overrides'
              ? row.overrides_sealed
              : row.text_sealed,
        keyId: row.key_id,
        clientIds: await clientsOfCase(db, row.case_id),
      }
    );
  },
  async release(db, practiceId, id, _keyring, field) {
    // A release as issued: its PDF and its FHIR bundle, sealed under the client's key.
    const row = await db
      .selectFrom('release')
      .innerJoin('client', 'client.id', 'release.client_id')
      .select(['release.pdf_sealed', 'release.fhir_sealed', 'client.key_id', 'release.client_id'])
      .where('release.practice_id', '=', practiceId)
      .where('release.id', '=', id)
      .executeTakeFirst();
    return (
      row && {
        sealed: field === 'fhir' ? row.fhir_sealed : field === 'pdf' ? row.pdf_sealed : null,
        keyId: row.key_id,
        clientIds: [row.client_id],
      }
    );
  },
  async presentation(db, practiceId, id) {
    // What was presented in supervision, sealed under the case key.
    const row = await db
      .selectFrom('supervision_presentation as sp')
      .innerJoin('care_case', 'care_case.id', 'sp.case_id')
      .select(['sp.material_sealed', 'care_case.key_id', 'sp.case_id'])
      .where('sp.practice_id', '=', practiceId)
      .where('sp.id', '=', id)
      .executeTakeFirst();
    return (
      row && {
        sealed: row.material_sealed,
        keyId: row.key_id,
        clientIds: await clientsOfCase(db, row.case_id),
      }
    );
  },
  async session(db, practiceId, id) {
    // The reason recorded where therapy went ahead before every signature, under the case key.
    const row = await db
      .selectFrom('therapy_session')
      .innerJoin('care_case', 'care_case.id', 'therapy_session.case_id')
      .select(['therapy_session.override_reason_sealed', 'care_case.key_id', 'therapy_session.case_id'])
      .where('care_case.practice_id', '=', practiceId)
      .where('therapy_session.id', '=', id)
      .executeTakeFirst();
    return (
      row && {
        sealed: row.override_reason_sealed,
        keyId: row.key_id,
        clientIds: await clientsOfCase(db, row.case_id),
      }
    );
  },
  async invitation(db, practiceId, id) {
    // An appropriate adult's address and name, sealed under the young person's key.
    const row = await db
      .selectFrom('portal_invitation')
      .innerJoin('client', 'client.id', 'portal_invitation.client_id')
      .select(['portal_invitation.invitee_sealed', 'client.key_id', 'portal_invitation.client_id'])
      .where('client.practice_id', '=', practiceId)
      .where('portal_invitation.id', '=', id)
      .executeTakeFirst();
    return row && { sealed: row.invitee_sealed, keyId: row.key_id, clientIds: [row.client_id] };
  },
  async 'release-request'(db, practiceId, id) {
    const row = await db
      .selectFrom('release_request')
      .innerJoin('client', 'client.id', 'release_request.client_id')
      .select(['release_request.requester_sealed', 'client.key_id', 'release_request.client_id'])
      .where('release_request.practice_id', '=', practiceId)
      .where('release_request.id', '=', id)
      .executeTakeFirst();
    return row && { sealed: row.requester_sealed, keyId: row.key_id, clientIds: [row.client_id] };
  },
};

/**
 * The clients a data key's material belongs to (a wrapped data key that failed its check
 * makes everything under it unreadable): its client, its participant's client, or every
 * client of its case.
 */
async function clientsOfDataKey(db: Kysely<Database>, practiceId: string, keyId: string): Promise<string[]> {
  const key = await db
    .selectFrom('data_key')
    .select(['kind', 'owner_id'])
    .where('practice_id', '=', practiceId)
    .where('id', '=', keyId)
    .executeTakeFirst();
  if (key === undefined) return [];
  if (key.kind === 'client') return [key.owner_id];
  if (key.kind === 'case') return clientsOfCase(db, key.owner_id);
  if (key.kind === 'participant') {
    const participant = await db
      .selectFrom('participant')
      .select('client_id')
      .where('id', '=', key.owner_id)
      .executeTakeFirst();
    return participant === undefined ? [] : [participant.client_id];
  }
  return [];
}

/** The clients whose record holds a sealed field: who may be shown a finding about it. */
export async function clientsOfSealedPlace(
  db: Kysely<Database>,
  practiceId: string,
  place: SealedPlace,
): Promise<readonly string[]> {
  return place.recordType === 'data-key'
    ? await clientsOfDataKey(db, practiceId, place.recordId)
    : ((await sealedRows[place.recordType]?.(db, practiceId, place.recordId, undefined))?.clientIds ?? []);
}

/**
 * Opens a field named by a finding again: `tampered` while it still fails, `readable` once
 * it opens (a restore put it back), `gone` when it no longer exists or its key was
 * destroyed. A kind of record this version does not know stays `tampered` (never resolved
 * unseen). A failing database throws.
 */
export async function recheckSealed(
  db: Kysely<Database>,
  keyring: Keyring,
  practiceId: string,
  place: SealedPlace,
): Promise<'readable' | 'tampered' | 'gone'> {
  if (place.recordType === 'data-key') {
    // A data key's wrap (keyring.ts): unwrapped by the keyring, which refuses a tampered one.
    const live = await db
      .selectFrom('data_key')
      .select(['wrapped', 'destroyed_at'])
      .where('practice_id', '=', practiceId)
      .where('id', '=', place.recordId)
      .executeTakeFirst();
    if (live === undefined) return 'gone';
    // Destroyed only with its destruction recorded; a wrap erased without it stays tampered.
    if (live.wrapped === null) return live.destroyed_at === null ? 'tampered' : 'gone';
    const key = (await keyring.dataKeysOrTampered(db, practiceId, [place.recordId])).get(place.recordId);
    return key instanceof TamperedKey ? 'tampered' : 'readable';
  }
  const find = sealedRows[place.recordType];
  if (find === undefined) return 'tampered';
  const row = await find(db, practiceId, place.recordId, keyring, place.field);
  if (row === undefined || row.sealed === null) return 'gone';
  const key = row.key ?? (await keyring.dataKeysOrTampered(db, practiceId, [row.keyId])).get(row.keyId);
  const opened = openSealed(
    key,
    row.sealed,
    row.binding ?? {
      practiceId,
      record: `${place.recordType}/${place.recordId}`,
      field: place.field,
      keyId: row.keyId,
    },
    () => null,
  );
  return opened.ok ? 'readable' : opened.reason === 'tampered' ? 'tampered' : 'gone';
}
