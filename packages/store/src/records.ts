import { randomInt } from 'node:crypto';
import {
  AlcoveError,
  type Attribution,
  type CaseFormat,
  type CaseKind,
  type CaseStatus,
  type ClientIdentity,
  Confidential,
  caseStatusMoves,
  clientIdentitySchema,
  type EntryKind,
  newId,
  normaliseAttribution,
  passageKeyFor,
} from '@alcove/core';
import type { Insertable, Kysely, Transaction } from 'kysely';
import { type Binding, openText, sealText } from './crypto/aead.ts';
import type { Keyring } from './keyring.ts';
import type { Database } from './schema.ts';
import { type Opened, openSealedText, readableOrThrow } from './sealed.ts';

/**
 * The records and their encryption. Every function here trusts its caller to have
 * decided access (the server's request context does, through `can`); none of them is
 * reachable from a route handler directly.
 */

export interface Vault {
  readonly db: Kysely<Database>;
  readonly keyring: Keyring;
}

// ---------------------------------------------------------------- clients

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

// ---------------------------------------------------------------- cases

export interface CaseFacts {
  readonly caseId: string;
  readonly practiceId: string;
  readonly practitionerId: string;
  readonly kind: CaseKind;
  readonly format: CaseFormat;
  readonly status: CaseStatus;
  readonly participants: readonly { id: string; clientId: string; label: string; keyId?: string }[];
  /**
   * The ids of the case's data keys, when they were read with it (ids never change; whether a
   * key still exists is asked of the keyring when it is used).
   */
  readonly caseKeyId?: string;
}

function labelFor(kind: CaseKind, index: number): string {
  if (kind === 'individual') return 'Client';
  if (kind === 'couple') return `Partner ${String.fromCharCode(65 + index)}`;
  return `Member ${index + 1}`;
}

const PSEUDONYM_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

function newPseudonym(): string {
  let code = '';
  for (let i = 0; i < 6; i += 1) code += PSEUDONYM_ALPHABET[randomInt(PSEUDONYM_ALPHABET.length)];
  return `Case ${code}`;
}

export async function openCase(
  trx: Transaction<Database>,
  keyring: Keyring,
  input: {
    practiceId: string;
    practitionerId: string;
    kind: CaseKind;
    clientIds: readonly string[];
    format?: CaseFormat;
    now?: string;
  },
): Promise<CaseFacts> {
  const now = input.now ?? new Date().toISOString();
  const clientIds = [...new Set(input.clientIds)];
  const expected: Record<CaseKind, (n: number) => boolean> = {
    individual: (n) => n === 1,
    couple: (n) => n === 2,
    family: (n) => n >= 2,
    group: (n) => n >= 2,
  };
  if (!expected[input.kind](clientIds.length)) {
    throw new AlcoveError('validation-failed', 'The number of clients does not fit the kind of case.', [
      {
        location: 'body',
        pointer: '/clientIds',
        detail:
          input.kind === 'individual'
            ? 'An individual case has one client'
            : input.kind === 'couple'
              ? 'A couple case has two clients'
              : 'A family or group case has two clients or more',
      },
    ]);
  }
  const id = newId();
  const caseKey = await keyring.createDataKey(trx, input.practiceId, 'case', id, now);
  await trx
    .insertInto('care_case')
    .values({
      id,
      practice_id: input.practiceId,
      kind: input.kind,
      practitioner_id: input.practitionerId,
      status: 'enquiry',
      format: input.format ?? 'in-person',
      key_id: caseKey.id,
      pseudonym: newPseudonym(),
      opened_at: now,
      closed_at: null,
    })
    .execute();
  const participants: { id: string; clientId: string; label: string; keyId: string }[] = [];
  for (const [index, clientId] of clientIds.entries()) {
    const participantId = newId();
    const key = await keyring.createDataKey(trx, input.practiceId, 'participant', participantId, now);
    const label = labelFor(input.kind, index);
    await trx
      .insertInto('participant')
      .values({ id: participantId, case_id: id, client_id: clientId, label, key_id: key.id, joined_at: now })
      .execute();
    participants.push({ id: participantId, clientId, label, keyId: key.id });
  }
  return {
    caseId: id,
    practiceId: input.practiceId,
    practitionerId: input.practitionerId,
    kind: input.kind,
    format: input.format ?? 'in-person',
    status: 'enquiry',
    participants,
    caseKeyId: caseKey.id,
  };
}

/**
 * Moves a case along its life (enquiry → … → closed): forward only, and never out of
 * closed. `auto` moves (made by Alcove when a session or a signature shows the case has
 * moved on) are silently skipped when the case is already there or beyond.
 */
export async function setCaseStatus(
  trx: Transaction<Database>,
  input: { caseId: string; to: CaseStatus; now: string; auto?: boolean },
): Promise<{ from: CaseStatus; to: CaseStatus } | undefined> {
  const row = await trx
    .selectFrom('care_case')
    .select('status')
    .where('id', '=', input.caseId)
    .executeTakeFirstOrThrow();
  const from = row.status as CaseStatus;
  if (!caseStatusMoves(from).includes(input.to)) {
    if (input.auto === true) return undefined;
    throw new AlcoveError(
      'conflict',
      from === 'closed'
        ? 'This case is closed.'
        : `A case moves forward only: from ${from} it may go to ${caseStatusMoves(from).join(', ')}.`,
    );
  }
  await trx
    .updateTable('care_case')
    .set({ status: input.to, closed_at: input.to === 'closed' ? input.now : null })
    .where('id', '=', input.caseId)
    .execute();
  return { from, to: input.to };
}

export async function caseFacts(
  db: Kysely<Database>,
  practiceId: string,
  caseId: string,
): Promise<CaseFacts | undefined> {
  const row = await db
    .selectFrom('care_case')
    .select(['id', 'practitioner_id', 'kind', 'format', 'status', 'key_id'])
    .where('practice_id', '=', practiceId)
    .where('id', '=', caseId)
    .executeTakeFirst();
  if (row === undefined) return undefined;
  const participants = await db
    .selectFrom('participant')
    .select(['id', 'client_id', 'label', 'key_id'])
    .where('case_id', '=', caseId)
    .execute();
  // By label, sorted here: a case has a handful, and SQLite would build a sorter for every request.
  participants.sort((a, b) => (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
  return {
    caseId: row.id,
    practiceId,
    practitionerId: row.practitioner_id,
    kind: row.kind as CaseKind,
    format: row.format as CaseFormat,
    status: row.status as CaseStatus,
    participants: participants.map((p) => ({
      id: p.id,
      clientId: p.client_id,
      label: p.label,
      keyId: p.key_id,
    })),
    caseKeyId: row.key_id,
  };
}

// ---------------------------------------------------------------- entries

export interface NewPassage {
  readonly text: Confidential<string>;
  readonly attribution: Attribution;
  /** The section of a session note it belongs to (GT-40), if any. */
  readonly section?: string | undefined;
}

function passageBinding(practiceId: string, passageId: string, keyId: string): Binding {
  return { practiceId, record: `passage/${passageId}`, field: 'body', keyId };
}

/** A passage's text sealed under the key its attribution calls for (also used by bulk writers). */
export function sealPassageText(
  key: Buffer,
  practiceId: string,
  passageId: string,
  keyId: string,
  text: string,
): string {
  return sealText(key, text, passageBinding(practiceId, passageId, keyId));
}

/**
 * Adds an entry. Each passage is sealed under its attribution's key: one participant's
 * own key, or the case key for several participants or the practitioner's formulation.
 */
export async function addEntry(
  trx: Transaction<Database>,
  keyring: Keyring,
  input: {
    practiceId: string;
    theCase: CaseFacts;
    authorId: string;
    kind: EntryKind;
    occurredAt: string;
    passages: readonly NewPassage[];
    now?: string;
    /** The session a note is about. */
    sessionId?: string | undefined;
    /** A draft is private to its author until signed; an entry without a draft stage is signed as written. */
    status?: 'draft' | 'signed';
    /** Marked late when signed (GT-38). */
    late?: boolean;
    /** An addendum: the signed entry it corrects, and why (GT-98). */
    amends?: { entryId: string; reason: Confidential<string> } | undefined;
  },
): Promise<{ id: string }> {
  const now = input.now ?? new Date().toISOString();
  const id = newId();
  let amendReason: string | null = null;
  if (input.amends !== undefined) {
    const caseRow = await trx
      .selectFrom('care_case')
      .select('key_id')
      .where('id', '=', input.theCase.caseId)
      .executeTakeFirstOrThrow();
    const key = await keyring.dataKey(trx, input.practiceId, caseRow.key_id);
    amendReason = sealText(key, input.amends.reason.reveal(), {
      practiceId: input.practiceId,
      record: `entry/${id}`,
      field: 'amend-reason',
      keyId: caseRow.key_id,
    });
  }
  const status = input.status ?? 'signed';
  await trx
    .insertInto('entry')
    .values({
      id,
      case_id: input.theCase.caseId,
      author_id: input.authorId,
      kind: input.kind,
      occurred_at: new Date(input.occurredAt).toISOString(),
      written_at: now,
      session_id: input.sessionId ?? null,
      status,
      signed_at: status === 'signed' ? now : null,
      late: input.late === true ? 1 : 0,
      amends_id: input.amends?.entryId ?? null,
      amend_reason_sealed: amendReason,
    })
    .execute();
  await writePassages(trx, keyring, {
    practiceId: input.practiceId,
    theCase: input.theCase,
    entryId: id,
    passages: input.passages,
  });
  return { id };
}

/** The ids of a case's keys: from its facts when they were read with them, else from the database. */
async function keyIdsOf(
  trx: Transaction<Database>,
  theCase: CaseFacts,
): Promise<{ caseKeyId: string; participantKeyIds: ReadonlyMap<string, string> }> {
  const known = theCase.participants.every((p) => p.keyId !== undefined);
  if (theCase.caseKeyId !== undefined && known) {
    return {
      caseKeyId: theCase.caseKeyId,
      participantKeyIds: new Map(theCase.participants.map((p) => [p.id, p.keyId ?? ''])),
    };
  }
  const participants = await trx
    .selectFrom('participant')
    .select(['id', 'key_id'])
    .where('case_id', '=', theCase.caseId)
    .execute();
  const caseRow = await trx
    .selectFrom('care_case')
    .select('key_id')
    .where('id', '=', theCase.caseId)
    .executeTakeFirstOrThrow();
  return { caseKeyId: caseRow.key_id, participantKeyIds: new Map(participants.map((p) => [p.id, p.key_id])) };
}

/**
 * Seals and writes an entry's passages, each under the key its attribution calls for: one
 * participant's key, or the case key for joint material and formulations. Refuses an
 * attribution to anyone not in the case.
 */
export async function writePassages(
  trx: Transaction<Database>,
  keyring: Keyring,
  input: { practiceId: string; theCase: CaseFacts; entryId: string; passages: readonly NewPassage[] },
): Promise<void> {
  const participantIds = new Set(input.theCase.participants.map((p) => p.id));
  const issues = input.passages.flatMap((passage, i) =>
    passage.attribution
      .map((id, j) => ({ id, j }))
      .filter(({ id }) => !participantIds.has(id))
      .map(({ j }) => ({
        location: 'body' as const,
        pointer: `/passages/${i}/attribution/${j}`,
        detail: 'Not a participant in this case',
      })),
  );
  if (issues.length > 0) {
    throw new AlcoveError(
      'validation-failed',
      'A passage is attributed to someone who is not in the case.',
      issues,
    );
  }
  const { caseKeyId, participantKeyIds } = await keyIdsOf(trx, input.theCase);
  const keyIdFor = (attribution: Attribution): string => {
    const target = passageKeyFor(attribution);
    if (target.kind === 'case') return caseKeyId;
    const keyId = participantKeyIds.get(target.participantId);
    if (keyId === undefined) throw new Error('participant without a key');
    return keyId;
  };
  const needed = input.passages.map((p) => keyIdFor(p.attribution));
  const keys = await keyring.dataKeys(trx, input.practiceId, needed);

  const rows: Insertable<Database['passage']>[] = [];
  for (const [position, passage] of input.passages.entries()) {
    const keyId = needed[position] ?? '';
    const key = keys.get(keyId);
    if (key === undefined) {
      throw new AlcoveError(
        'conflict',
        'This material can no longer be written: its key has been destroyed.',
      );
    }
    const passageId = newId();
    rows.push({
      id: passageId,
      entry_id: input.entryId,
      position,
      attribution: JSON.stringify(normaliseAttribution(passage.attribution)),
      key_id: keyId,
      section: passage.section ?? null,
      body_sealed: sealPassageText(key, input.practiceId, passageId, keyId, passage.text.reveal()),
    });
  }
  // One statement for the entry's passages (7 columns a row: far inside both engines' limits).
  if (rows.length > 0) await trx.insertInto('passage').values(rows).execute();
}

// ---------------------------------------------------------------- reading a record

export interface RecordPassage {
  readonly id: string;
  readonly position: number;
  readonly attribution: readonly string[];
  readonly section: string | null;
  /** Its text; or shredded (its key has been destroyed), or tampered (it failed its integrity check). */
  readonly text: Opened<Confidential<string>>;
}

export interface RecordEntry {
  readonly id: string;
  readonly kind: EntryKind;
  readonly authorId: string;
  readonly occurredAt: string;
  readonly writtenAt: string;
  readonly passages: readonly RecordPassage[];
}

export interface RecordCase {
  readonly id: string;
  readonly kind: CaseKind;
  readonly status: string;
  readonly pseudonym: string;
  readonly practitionerId: string;
  readonly openedAt: string;
  /** When the case was closed; null while it is open. */
  readonly closedAt: string | null;
  readonly participants: readonly { id: string; clientId: string; label: string }[];
  readonly entries: readonly RecordEntry[];
}

/** Every case the client is in, with every entry, each passage opened (sealed.ts): read, shredded or tampered. */
export async function readClientCases(
  vault: Vault,
  practiceId: string,
  clientId: string,
): Promise<RecordCase[]> {
  const { db } = vault;
  const cases = await db
    .selectFrom('care_case')
    .innerJoin('participant', 'participant.case_id', 'care_case.id')
    .select([
      'care_case.id',
      'care_case.kind',
      'care_case.status',
      'care_case.pseudonym',
      'care_case.practitioner_id',
      'care_case.opened_at',
      'care_case.closed_at',
    ])
    .where('care_case.practice_id', '=', practiceId)
    .where('participant.client_id', '=', clientId)
    .orderBy('care_case.opened_at')
    .orderBy('care_case.id')
    .execute();
  if (cases.length === 0) return [];
  const caseIds = cases.map((c) => c.id);
  const participants = await db
    .selectFrom('participant')
    .selectAll()
    .where('case_id', 'in', caseIds)
    .orderBy('label')
    .execute();
  const entries = await db
    .selectFrom('entry')
    .selectAll()
    .where('case_id', 'in', caseIds)
    // Drafts are their author's until signed (notes.ts lists them to the author).
    .where('status', '=', 'signed')
    .orderBy('occurred_at')
    .orderBy('written_at')
    .execute();
  const passages =
    entries.length === 0
      ? []
      : await db
          .selectFrom('passage')
          .selectAll()
          .where(
            'entry_id',
            'in',
            entries.map((e) => e.id),
          )
          .orderBy('entry_id')
          .orderBy('position')
          .execute();
  // A key that failed its check marks only what it sealed as tampered (sealed.ts).
  const keys = await vault.keyring.dataKeysOrTampered(
    db,
    practiceId,
    passages.map((p) => p.key_id),
  );
  const passagesOf = Map.groupBy(passages, (p) => p.entry_id);

  return cases.map((c) => ({
    id: c.id,
    kind: c.kind as CaseKind,
    status: c.status,
    pseudonym: c.pseudonym,
    practitionerId: c.practitioner_id,
    openedAt: c.opened_at,
    closedAt: c.closed_at,
    participants: participants
      .filter((p) => p.case_id === c.id)
      .map((p) => ({ id: p.id, clientId: p.client_id, label: p.label })),
    entries: entries
      .filter((e) => e.case_id === c.id)
      .map((e) => ({
        id: e.id,
        kind: e.kind as EntryKind,
        authorId: e.author_id,
        occurredAt: e.occurred_at,
        writtenAt: e.written_at,
        passages: (passagesOf.get(e.id) ?? []).map((p) => ({
          id: p.id,
          position: p.position,
          attribution: JSON.parse(p.attribution) as string[],
          section: p.section,
          text: openSealedText(
            keys.get(p.key_id),
            p.body_sealed,
            passageBinding(practiceId, p.id, p.key_id),
            (text) => new Confidential(text),
          ),
        })),
      })),
  }));
}

// ---------------------------------------------------------------- crypto-shredding

/** Destroys one participant's key: that client's own material in that case, and nothing else. */
export async function destroyParticipantKey(
  trx: Transaction<Database>,
  keyring: Keyring,
  practiceId: string,
  participantId: string,
): Promise<void> {
  const row = await trx
    .selectFrom('participant')
    .select('key_id')
    .where('id', '=', participantId)
    .executeTakeFirstOrThrow();
  await keyring.destroyDataKey(trx, practiceId, row.key_id);
}

/** Destroys a case's key and all its participants' keys: the whole case, and nothing else. */
export async function destroyCaseKeys(
  trx: Transaction<Database>,
  keyring: Keyring,
  practiceId: string,
  caseId: string,
): Promise<void> {
  const theCase = await trx
    .selectFrom('care_case')
    .select('key_id')
    .where('id', '=', caseId)
    .where('practice_id', '=', practiceId)
    .executeTakeFirstOrThrow();
  await keyring.destroyDataKey(trx, practiceId, theCase.key_id);
  const participants = await trx
    .selectFrom('participant')
    .select('key_id')
    .where('case_id', '=', caseId)
    .execute();
  for (const p of participants) await keyring.destroyDataKey(trx, practiceId, p.key_id);
}
