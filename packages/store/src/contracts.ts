import { createHash } from 'node:crypto';
import { AlcoveError, Confidential, INTEGRITY_FAILED_TEXT, newId, type Unreadable } from '@alcove/core';
import type { Kysely, Transaction } from 'kysely';
import { type Binding, openText, sealText } from './crypto/aead.ts';
import { KeyDestroyedError, type Keyring } from './keyring.ts';
import type { CaseFacts } from './records.ts';
import type { Database } from './schema.ts';
import { type Opened, openSealedText, readableOrThrow } from './sealed.ts';

/**
 * The therapy contract (GT-36): versions sealed under the case key; a version is never
 * edited once anyone has signed it, a change is a new version that everyone signs again;
 * each signature keeps who, when, how, and the SHA-256 of the exact text signed.
 */
export function contractHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function contractBinding(practiceId: string, contractId: string, keyId: string): Binding {
  return { practiceId, record: `contract/${contractId}`, field: 'text', keyId };
}

async function caseKeyId(db: Kysely<Database>, caseId: string): Promise<string> {
  return (
    await db.selectFrom('care_case').select('key_id').where('id', '=', caseId).executeTakeFirstOrThrow()
  ).key_id;
}

export async function createContractVersion(
  trx: Transaction<Database>,
  keyring: Keyring,
  input: {
    practiceId: string;
    caseId: string;
    text: Confidential<string>;
    /** The organisation's conditions, where it holds the contract (GT-36d). */
    conditions?: Confidential<string> | null | undefined;
    templateId?: string | null | undefined;
    userId: string;
    now: string;
  },
): Promise<{ id: string; version: number; textHash: string }> {
  const previous = await trx
    .selectFrom('contract')
    .select(['id', 'version'])
    .where('case_id', '=', input.caseId)
    .where('superseded_at', 'is', null)
    .executeTakeFirst();
  if (previous !== undefined) {
    await trx
      .updateTable('contract')
      .set({ superseded_at: input.now })
      .where('id', '=', previous.id)
      .execute();
  }
  const keyId = await caseKeyId(trx, input.caseId);
  const key = await keyring.dataKey(trx, input.practiceId, keyId);
  const id = newId();
  const text = input.text.reveal();
  const version = (previous?.version ?? 0) + 1;
  await trx
    .insertInto('contract')
    .values({
      id,
      case_id: input.caseId,
      version,
      text_sealed: sealText(key, text, contractBinding(input.practiceId, id, keyId)),
      text_hash: contractHash(text),
      created_by: input.userId,
      created_at: input.now,
      superseded_at: null,
      template_id: input.templateId ?? null,
      conditions_sealed:
        input.conditions == null
          ? null
          : sealText(key, input.conditions.reveal(), {
              ...contractBinding(input.practiceId, id, keyId),
              field: 'conditions',
            }),
    })
    .execute();
  return { id, version, textHash: contractHash(text) };
}

export interface ContractView {
  readonly id: string;
  readonly version: number;
  /** The text, or (where it failed its integrity check: `unreadable`) the integrity message. */
  readonly text: Confidential<string>;
  /** 'tampered': the text or conditions failed their integrity check and are not shown. */
  readonly unreadable: Unreadable | null;
  /** The text and conditions as opened, for the reader to report what was tampered. */
  readonly opened: readonly Opened<unknown>[];
  readonly textHash: string;
  readonly createdAt: string;
  /** The organisation's conditions shown with this version (GT-36d), or null. */
  readonly conditions: Confidential<string> | null;
  readonly signatures: readonly {
    signerKind: 'client' | 'practitioner';
    signerId: string;
    mode: string;
    signedAt: string;
    textHash: string;
    acknowledgedConditions: boolean;
  }[];
  /** Every client of the case and the practitioner have signed this version. */
  readonly signedByAll: boolean;
}

/** The current version of the case's contract, or undefined when there is none. */
export async function currentContract(
  db: Kysely<Database>,
  keyring: Keyring,
  practiceId: string,
  theCase: CaseFacts,
): Promise<ContractView | undefined> {
  const row = await db
    .selectFrom('contract')
    .selectAll()
    .where('case_id', '=', theCase.caseId)
    .where('superseded_at', 'is', null)
    .executeTakeFirst();
  if (row === undefined) return undefined;
  const keyId = await caseKeyId(db, theCase.caseId);
  // A tampered text (or key) is shown as such with the rest of the case; a destroyed key
  // is refused as before.
  const key = (await keyring.dataKeysOrTampered(db, practiceId, [keyId])).get(keyId);
  if (key === undefined) throw new KeyDestroyedError(keyId);
  const text = openSealedText(
    key,
    row.text_sealed,
    contractBinding(practiceId, row.id, keyId),
    (t) => new Confidential(t),
  );
  const conditions =
    row.conditions_sealed === null
      ? null
      : openSealedText(
          key,
          row.conditions_sealed,
          { ...contractBinding(practiceId, row.id, keyId), field: 'conditions' },
          (t) => new Confidential(t),
        );
  const failed = !text.ok || (conditions !== null && !conditions.ok);
  const signatures = await db
    .selectFrom('contract_signature')
    .selectAll()
    .where('contract_id', '=', row.id)
    .orderBy('signed_at')
    .execute();
  const signed = new Set(signatures.map((s) => `${s.signer_kind}:${s.signer_id}`));
  const parties = [
    `practitioner:${theCase.practitionerId}`,
    ...theCase.participants.map((p) => `client:${p.clientId}`),
  ];
  return {
    id: row.id,
    version: row.version,
    text: text.ok ? text.value : new Confidential(INTEGRITY_FAILED_TEXT),
    unreadable: failed ? 'tampered' : null,
    opened: conditions === null ? [text] : [text, conditions],
    textHash: row.text_hash,
    createdAt: row.created_at,
    conditions:
      conditions === null ? null : conditions.ok ? conditions.value : new Confidential(INTEGRITY_FAILED_TEXT),
    signatures: signatures.map((s) => ({
      signerKind: s.signer_kind as 'client' | 'practitioner',
      signerId: s.signer_id,
      mode: s.mode,
      signedAt: s.signed_at,
      textHash: s.text_hash,
      acknowledgedConditions: s.acknowledged_conditions === 1,
    })),
    signedByAll: parties.every((p) => signed.has(p)),
  };
}

/**
 * The contract's text and conditions for a caller that cannot go on without them (a
 * signature, a PDF): one that failed its integrity check is refused (TamperedError).
 */
export function readableContract(contract: ContractView): ContractView {
  for (const opened of contract.opened) readableOrThrow(opened);
  return contract;
}

export interface ContractVersionView {
  readonly id: string;
  readonly version: number;
  /** null: the case key was destroyed. */
  readonly text: Confidential<string> | null;
  readonly textHash: string;
  readonly createdAt: string;
  /** When a newer version replaced it; null for the current version. */
  readonly supersededAt: string | null;
  readonly conditions: Confidential<string> | null;
  readonly signatures: ContractView['signatures'];
}

/**
 * Every version of the case's contract, oldest first, each with its signatures: what each
 * party was asked to sign and what they signed, and when (a release lists them all).
 */
export async function contractVersions(
  db: Kysely<Database>,
  keyring: Keyring,
  practiceId: string,
  caseId: string,
): Promise<ContractVersionView[]> {
  const rows = await db
    .selectFrom('contract')
    .selectAll()
    .where('case_id', '=', caseId)
    .orderBy('version')
    .execute();
  if (rows.length === 0) return [];
  const keyId = await caseKeyId(db, caseId);
  const key = (await keyring.dataKeys(db, practiceId, [keyId])).get(keyId);
  const signatures = await db
    .selectFrom('contract_signature')
    .selectAll()
    .where(
      'contract_id',
      'in',
      rows.map((r) => r.id),
    )
    .orderBy('signed_at')
    .execute();
  return rows.map((row) => ({
    id: row.id,
    version: row.version,
    text:
      key === undefined
        ? null
        : new Confidential(openText(key, row.text_sealed, contractBinding(practiceId, row.id, keyId))),
    textHash: row.text_hash,
    createdAt: row.created_at,
    supersededAt: row.superseded_at,
    conditions:
      key === undefined || row.conditions_sealed === null
        ? null
        : new Confidential(
            openText(key, row.conditions_sealed, {
              ...contractBinding(practiceId, row.id, keyId),
              field: 'conditions',
            }),
          ),
    signatures: signatures
      .filter((s) => s.contract_id === row.id)
      .map((s) => ({
        signerKind: s.signer_kind as 'client' | 'practitioner',
        signerId: s.signer_id,
        mode: s.mode,
        signedAt: s.signed_at,
        textHash: s.text_hash,
        acknowledgedConditions: s.acknowledged_conditions === 1,
      })),
  }));
}

export async function contractExists(db: Kysely<Database>, caseId: string): Promise<boolean> {
  return (
    (await db
      .selectFrom('contract')
      .select('id')
      .where('case_id', '=', caseId)
      .limit(1)
      .executeTakeFirst()) !== undefined
  );
}

/**
 * Signs a contract version for one party. Refused: a superseded version, a text that is
 * not the one shown (hash), a signer who is not a party, a second signature.
 */
export async function signContract(
  trx: Transaction<Database>,
  input: {
    theCase: CaseFacts;
    contractId: string;
    signer: { kind: 'practitioner' } | { kind: 'client'; clientId: string };
    mode: 'in-person' | 'portal';
    textHash: string;
    /** The signer acknowledged the organisation's conditions shown with the contract (GT-36d). */
    acknowledgedConditions?: boolean;
    recordedBy: string;
    now: string;
  },
): Promise<void> {
  const contract = await trx
    .selectFrom('contract')
    .selectAll()
    .where('id', '=', input.contractId)
    .where('case_id', '=', input.theCase.caseId)
    .executeTakeFirst();
  if (contract === undefined) throw new AlcoveError('not-found', 'There is no such contract on this case.');
  if (contract.superseded_at !== null) {
    throw new AlcoveError(
      'conflict',
      `Version ${contract.version} has been replaced by a newer version: sign the current one.`,
    );
  }
  if (contract.text_hash !== input.textHash) {
    throw new AlcoveError('validation-failed', 'The text signed is not the text of this version.', [
      { location: 'body', pointer: '/textHash', detail: 'Does not match this version of the contract' },
    ]);
  }
  const signerId =
    input.signer.kind === 'practitioner' ? input.theCase.practitionerId : input.signer.clientId;
  if (input.signer.kind === 'client' && !input.theCase.participants.some((p) => p.clientId === signerId)) {
    throw new AlcoveError('validation-failed', 'Only the clients of this case sign its contract.', [
      { location: 'body', pointer: '/signer/clientId', detail: 'Not a client of this case' },
    ]);
  }
  const already = await trx
    .selectFrom('contract_signature')
    .select('id')
    .where('contract_id', '=', contract.id)
    .where('signer_kind', '=', input.signer.kind)
    .where('signer_id', '=', signerId)
    .executeTakeFirst();
  if (already !== undefined) throw new AlcoveError('conflict', 'This party has signed this version already.');
  await trx
    .insertInto('contract_signature')
    .values({
      id: newId(),
      contract_id: contract.id,
      signer_kind: input.signer.kind,
      signer_id: signerId,
      mode: input.mode,
      text_hash: input.textHash,
      recorded_by: input.recordedBy,
      signed_at: input.now,
      acknowledged_conditions: input.acknowledgedConditions === true ? 1 : 0,
    })
    .execute();
}

export interface TherapySession {
  readonly id: string;
  readonly kind: 'assessment' | 'therapy';
  readonly format: string;
  readonly startsAt: string;
  readonly minutes: number;
  readonly attendance: string;
  /** The participants who were there (ids); null where it was not recorded. */
  readonly present: readonly string[] | null;
  /**
   * The recorded reason where therapy went ahead before every signature (GT-36a), opened
   * (shredded or tampered where it cannot be read); null where there is none.
   */
  readonly overrideReason: Opened<Confidential<string>> | null;
}

export async function recordSession(
  trx: Transaction<Database>,
  keyring: Keyring,
  input: {
    practiceId: string;
    caseId: string;
    kind: 'assessment' | 'therapy';
    format: string;
    startsAt: string;
    minutes: number;
    attendance: string;
    present?: readonly string[] | undefined;
    overrideReason?: Confidential<string>;
    userId: string;
    now: string;
  },
): Promise<{ id: string }> {
  const id = newId();
  let sealedReason: string | null = null;
  if (input.overrideReason !== undefined) {
    const keyId = await caseKeyId(trx, input.caseId);
    const key = await keyring.dataKey(trx, input.practiceId, keyId);
    sealedReason = sealText(key, input.overrideReason.reveal(), {
      practiceId: input.practiceId,
      record: `session/${id}`,
      field: 'override-reason',
      keyId,
    });
  }
  await trx
    .insertInto('therapy_session')
    .values({
      id,
      case_id: input.caseId,
      kind: input.kind,
      format: input.format,
      starts_at: new Date(input.startsAt).toISOString(),
      minutes: input.minutes,
      attendance: input.attendance,
      present: input.present === undefined ? null : JSON.stringify([...input.present]),
      override_reason_sealed: sealedReason,
      created_by: input.userId,
      created_at: input.now,
    })
    .execute();
  return { id };
}

export async function listSessions(
  db: Kysely<Database>,
  keyring: Keyring,
  practiceId: string,
  caseId: string,
): Promise<TherapySession[]> {
  const rows = await db
    .selectFrom('therapy_session')
    .selectAll()
    .where('case_id', '=', caseId)
    .orderBy('starts_at')
    .execute();
  const keyId = await caseKeyId(db, caseId);
  // A reason (or key) that failed its check is marked tampered, the sessions still listed.
  const key = rows.some((r) => r.override_reason_sealed !== null)
    ? (await keyring.dataKeysOrTampered(db, practiceId, [keyId])).get(keyId)
    : undefined;
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind as 'assessment' | 'therapy',
    format: r.format,
    startsAt: r.starts_at,
    minutes: r.minutes,
    attendance: r.attendance,
    present: r.present === null ? null : (JSON.parse(r.present) as string[]),
    overrideReason:
      r.override_reason_sealed === null
        ? null
        : openSealedText(
            key,
            r.override_reason_sealed,
            { practiceId, record: `session/${r.id}`, field: 'override-reason', keyId },
            (text) => new Confidential(text),
          ),
  }));
}
