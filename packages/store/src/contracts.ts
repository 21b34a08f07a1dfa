import { createHash } from 'node:crypto';
import { AlcoveError, Confidential, INTEGRITY_FAILED_TEXT, newId, type Unreadable } from '@alcove/core';
import type { Kysely, Transaction } from 'kysely';
import type { CaseFacts } from './cases.ts';
import { type Binding, openText, sealText } from './crypto/aead.ts';
import { KeyDestroyedError, type Keyring } from './keyring.ts';
import type { Database } from './schema.ts';
import { type Opened, openSealedText, readableOrThrow } from './sealed.ts';

/**
 * The therapy contract (GT-36): versions sealed under the case key; a version is never
 * edited once anyone has signed it, a change is a new version that everyone signs again;
 * each signature keeps who, when, how, and the SHA-256 of the exact text signed. Writing a
 * version offers it for signature (the command `contract.offer`, core/code/contracts.ts);
 * the practitioner may withdraw it before every party has signed it: it keeps its text and
 * signatures, and no other version becomes current in its place.
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
    /** Why it is offered without one of the Code's sections (GT-36b, GT-36c), kept with it. */
    overrides?: Confidential<readonly ContractOverride[]> | undefined;
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
  // Numbered after every version, a withdrawn one too (none is current after a withdrawal).
  const latest = await trx
    .selectFrom('contract')
    .select((eb) => eb.fn.max('version').as('version'))
    .where('case_id', '=', input.caseId)
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
  const version = Number(latest?.version ?? 0) + 1;
  const overrides = input.overrides?.reveal() ?? [];
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
      withdrawn_at: null,
      withdrawn_by: null,
      overrides_sealed:
        overrides.length === 0
          ? null
          : sealText(key, JSON.stringify(overrides), {
              ...contractBinding(input.practiceId, id, keyId),
              field: 'overrides',
            }),
    })
    .execute();
  return { id, version, textHash: contractHash(text) };
}

/** A "should" of the Code a version was offered without, and the practitioner's reason (GT-5). */
export interface ContractOverride {
  readonly clause: string;
  readonly reason: string;
}

/**
 * Withdraws the case's current version before every party has signed it: it is no longer
 * current (superseded at the same instant) and can no longer be signed, in person, in the
 * portal or on the signing screen. Its text and any signature stay, as every version's do.
 * Refused: a version that is not the current one (withdrawn, or replaced by a newer
 * version), and one every party has signed.
 */
export async function withdrawContractVersion(
  trx: Transaction<Database>,
  input: { theCase: CaseFacts; contractId: string; userId: string; now: string },
): Promise<{ version: number }> {
  const row = await trx
    .selectFrom('contract')
    .select(['id', 'version', 'superseded_at', 'withdrawn_at'])
    .where('id', '=', input.contractId)
    .where('case_id', '=', input.theCase.caseId)
    .executeTakeFirst();
  if (row === undefined) throw new AlcoveError('not-found', 'There is no such contract on this case.');
  if (row.withdrawn_at !== null)
    throw new AlcoveError('conflict', `Version ${row.version} is withdrawn already.`);
  if (row.superseded_at !== null) {
    throw new AlcoveError('conflict', `Version ${row.version} has been replaced by a newer version already.`);
  }
  // The row first (a row lock on PostgreSQL, which a signature takes too), then the signatures.
  const updated = await trx
    .updateTable('contract')
    .set({ superseded_at: input.now, withdrawn_at: input.now, withdrawn_by: input.userId })
    .where('id', '=', row.id)
    .where('superseded_at', 'is', null)
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) !== 1)
    throw new AlcoveError('conflict', 'The contract changed: try again.');
  if (await signedByAll(trx, input.theCase, row.id)) {
    throw new AlcoveError(
      'conflict',
      'Every party has signed this version: it is the agreement, and is kept. Write a new version to change it.',
    );
  }
  return { version: row.version };
}

/** Every client of the case and the practitioner have signed this version. */
async function signedByAll(db: Kysely<Database>, theCase: CaseFacts, contractId: string): Promise<boolean> {
  const signatures = await db
    .selectFrom('contract_signature')
    .select(['signer_kind', 'signer_id'])
    .where('contract_id', '=', contractId)
    .execute();
  return everyPartySigned(theCase, signatures);
}

function everyPartySigned(
  theCase: CaseFacts,
  signatures: readonly { signer_kind: string; signer_id: string }[],
) {
  const signed = new Set(signatures.map((s) => `${s.signer_kind}:${s.signer_id}`));
  const parties = [
    `practitioner:${theCase.practitionerId}`,
    ...theCase.participants.map((p) => `client:${p.clientId}`),
  ];
  return parties.every((p) => signed.has(p));
}

/** The case's most recent version, where it was withdrawn and nothing has replaced it since. */
export async function withdrawnContract(
  db: Kysely<Database>,
  caseId: string,
): Promise<{ id: string; version: number; withdrawnAt: string } | undefined> {
  const latest = await db
    .selectFrom('contract')
    .select(['id', 'version', 'withdrawn_at'])
    .where('case_id', '=', caseId)
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst();
  return latest?.withdrawn_at == null
    ? undefined
    : { id: latest.id, version: latest.version, withdrawnAt: latest.withdrawn_at };
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
  /** Why it was offered without one of the Code's sections, opened; null where there was none. */
  readonly overrides: Opened<Confidential<readonly ContractOverride[]>> | null;
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
  const overrides =
    row.overrides_sealed === null
      ? null
      : openSealedText(
          key,
          row.overrides_sealed,
          { ...contractBinding(practiceId, row.id, keyId), field: 'overrides' },
          (t) => new Confidential(JSON.parse(t) as ContractOverride[]),
        );
  const failed = !text.ok || (conditions !== null && !conditions.ok);
  const signatures = await db
    .selectFrom('contract_signature')
    .selectAll()
    .where('contract_id', '=', row.id)
    .orderBy('signed_at')
    .execute();
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
    overrides,
    signatures: signatures.map((s) => ({
      signerKind: s.signer_kind as 'client' | 'practitioner',
      signerId: s.signer_id,
      mode: s.mode,
      signedAt: s.signed_at,
      textHash: s.text_hash,
      acknowledgedConditions: s.acknowledged_conditions === 1,
    })),
    signedByAll: everyPartySigned(theCase, signatures),
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
  /** When a newer version replaced it, or it was withdrawn; null for the current version. */
  readonly supersededAt: string | null;
  /** When the practitioner withdrew it before every party signed it; null where they did not. */
  readonly withdrawnAt: string | null;
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
    withdrawnAt: row.withdrawn_at,
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

/**
 * Where the case's contract stands for GT-36 and GT-36a: the version offered now, and
 * whether everyone signed it; with none offered (the last offer withdrawn), an earlier
 * version everyone signed still stands. A replaced version nobody finished signing, or a
 * withdrawn one, never counts.
 */
export async function contractStanding(
  db: Kysely<Database>,
  theCase: CaseFacts,
): Promise<{ exists: boolean; signedByAll: boolean }> {
  const versions = await db
    .selectFrom('contract')
    .select(['id', 'superseded_at', 'withdrawn_at'])
    .where('case_id', '=', theCase.caseId)
    .orderBy('version', 'desc')
    .execute();
  const current = versions.find((v) => v.superseded_at === null && v.withdrawn_at === null);
  if (current !== undefined) return { exists: true, signedByAll: await signedByAll(db, theCase, current.id) };
  for (const v of versions) {
    if (v.withdrawn_at === null && (await signedByAll(db, theCase, v.id)))
      return { exists: true, signedByAll: true };
  }
  return { exists: false, signedByAll: false };
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
  // Lock the version's row while it is still current (a withdrawal takes the same lock).
  await trx
    .updateTable('contract')
    .set({ withdrawn_at: null })
    .where('id', '=', input.contractId)
    .where('case_id', '=', input.theCase.caseId)
    .where('withdrawn_at', 'is', null)
    .where('superseded_at', 'is', null)
    .execute();
  const contract = await trx
    .selectFrom('contract')
    .selectAll()
    .where('id', '=', input.contractId)
    .where('case_id', '=', input.theCase.caseId)
    .executeTakeFirst();
  if (contract === undefined) throw new AlcoveError('not-found', 'There is no such contract on this case.');
  if (contract.withdrawn_at !== null) {
    throw new AlcoveError(
      'conflict',
      `Version ${contract.version} was withdrawn: it can no longer be signed.`,
    );
  }
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
