import { randomBytes } from 'node:crypto';
import { newId } from '@alcove/core';
import type { Insertable, Kysely, Transaction } from 'kysely';
import { type Binding, newKey, open, seal, TamperedError } from './crypto/aead.ts';
import { deriveKey } from './crypto/kdf.ts';
import { resealPracticeMessages } from './outbox.ts';
import type { Database, DataKeyKind, DataKeyTable } from './schema.ts';
import {
  formatRecoveryKit,
  INSTALLATION,
  keyEncryptionKey,
  newUnlockRow,
  UnlockError,
  type UnlockParams,
  type UnlockSource,
  unlockBinding,
} from './unlock.ts';

/**
 * The key model (docs/decisions/2026-11-22-key-model.md):
 *
 *   unlock secret ──▶ master key (one per installation, never stored in clear)
 *                       ├─▶ keyring secrets (e-mail index, account fields, audit signing)
 *                       └─▶ practice key (one per practice; rotatable)
 *                             └─▶ data keys: client, participant (client × case), case, person
 *
 * Each arrow is an AES-256-GCM wrap bound to its place. Destroying a data key destroys
 * what it encrypted, and nothing else. The unlock secrets and the recovery kit are in
 * unlock.ts; this file holds the keyring they unlock.
 */

export type KeyringSecretName = 'email-index' | 'accounts' | 'audit-signing';
const SECRET_NAMES: readonly KeyringSecretName[] = ['email-index', 'accounts', 'audit-signing'];

export class NotInitialisedError extends Error {
  constructor() {
    super('This Alcove has no keys yet: run alcove init first.');
    this.name = 'NotInitialisedError';
  }
}

/** The material a destroyed key protected is gone: this is expected after crypto-shredding. */
export class KeyDestroyedError extends Error {
  readonly keyId: string;
  constructor(keyId: string) {
    super(`Key ${keyId} has been destroyed; what it protected can no longer be read`);
    this.name = 'KeyDestroyedError';
    this.keyId = keyId;
  }
}

export interface CreatedKeyring {
  readonly keyring: Keyring;
  /** Print it once, for the practice to keep offline; it is never stored in clear. */
  readonly recoveryKit: string;
}

/** Sets up the keys of a new installation, in the transaction that creates it. */
export async function createKeyring(
  trx: Transaction<Database>,
  sources: readonly UnlockSource[],
  now = new Date().toISOString(),
): Promise<CreatedKeyring> {
  const existing = await trx.selectFrom('keyring_unlock').select('id').limit(1).executeTakeFirst();
  if (existing !== undefined) throw new Error('This Alcove already has keys');
  const master = newKey();
  const recoveryKit = formatRecoveryKit(randomBytes(32));
  for (const source of [...sources, { method: 'recovery-kit', kit: recoveryKit } as const]) {
    await trx
      .insertInto('keyring_unlock')
      .values(await newUnlockRow(master, 1, source, now))
      .execute();
  }
  for (const name of SECRET_NAMES) {
    await trx
      .insertInto('keyring_secret')
      .values({
        name,
        wrapped: seal(master, newKey(), {
          practiceId: INSTALLATION,
          record: `keyring-secret/${name}`,
          field: 'key',
          keyId: 'master',
        }),
        created_at: now,
      })
      .execute();
  }
  return { keyring: new Keyring(master), recoveryKit };
}

export async function hasKeyring(db: Kysely<Database>): Promise<boolean> {
  return (await db.selectFrom('keyring_unlock').select('id').limit(1).executeTakeFirst()) !== undefined;
}

/** Unlocks the installation's master key with one of the ways it was set up with. */
export async function unlockKeyring(db: Kysely<Database>, source: UnlockSource): Promise<Keyring> {
  const rows = await db.selectFrom('keyring_unlock').selectAll().execute();
  if (rows.length === 0) throw new NotInitialisedError();
  for (const row of rows.filter((r) => r.method === source.method)) {
    const kek = await keyEncryptionKey(source, JSON.parse(row.params) as UnlockParams);
    try {
      return new Keyring(open(kek, row.wrapped_master, unlockBinding(row.id, row.method)));
    } catch (error) {
      if (!(error instanceof TamperedError)) throw error;
    }
  }
  throw new UnlockError();
}

// ---------------------------------------------------------------- the unlocked keyring

export interface DataKey {
  readonly id: string;
  readonly key: Buffer;
}

/** A data key whose wrap failed its integrity check: where it is, never what it held. */
export class TamperedKey {
  readonly binding: Binding;
  constructor(binding: Binding) {
    this.binding = binding;
  }
}

/** How many unwrapped data keys a keyring remembers (a key is 32 bytes; a busy caseload's worth). */
const DATA_KEY_CACHE = 20_000;

export class Keyring {
  readonly #master: Buffer;
  readonly #secrets = new Map<KeyringSecretName, Buffer>();
  readonly #practiceKeys = new Map<string, { version: number; key: Buffer }>();
  /** Unwrapped data keys by id, with the wrapped form they came from (bounded; oldest out first). */
  readonly #dataKeys = new Map<string, { wrapped: string; key: Buffer }>();

  constructor(master: Buffer) {
    this.#master = master;
  }

  /**
   * Replaces every unlock of one method with a new one: a new passphrase (after recovery
   * with the kit, or a change), a new key file, or a new recovery kit.
   */
  async replaceUnlock(
    trx: Transaction<Database>,
    source: UnlockSource,
    now = new Date().toISOString(),
  ): Promise<void> {
    const version = await trx
      .selectFrom('keyring_unlock')
      .select('master_version')
      .limit(1)
      .executeTakeFirstOrThrow();
    await trx.deleteFrom('keyring_unlock').where('method', '=', source.method).execute();
    await trx
      .insertInto('keyring_unlock')
      .values(await newUnlockRow(this.#master, version.master_version, source, now))
      .execute();
  }

  /** Issues a new recovery kit; the previous one stops working. */
  async newRecoveryKit(trx: Transaction<Database>): Promise<string> {
    const kit = formatRecoveryKit(randomBytes(32));
    await this.replaceUnlock(trx, { method: 'recovery-kit', kit });
    return kit;
  }

  async secret(db: Kysely<Database>, name: KeyringSecretName): Promise<Buffer> {
    const cached = this.#secrets.get(name);
    if (cached !== undefined) return cached;
    const row = await db
      .selectFrom('keyring_secret')
      .selectAll()
      .where('name', '=', name)
      .executeTakeFirstOrThrow();
    const key = open(this.#master, row.wrapped, {
      practiceId: INSTALLATION,
      record: `keyring-secret/${name}`,
      field: 'key',
      keyId: 'master',
    });
    this.#secrets.set(name, key);
    return key;
  }

  /** The key of one backup: derived from the master key and the backup's own salt. */
  backupKeyFor(salt: string): Buffer {
    return deriveKey(this.#master, Buffer.from(salt, 'base64'), 'alcove/backup/v1');
  }

  /** Creates the practice's key, in the transaction that creates the practice. */
  async createPracticeKey(
    trx: Transaction<Database>,
    practiceId: string,
    now = new Date().toISOString(),
  ): Promise<void> {
    const key = newKey();
    await trx
      .insertInto('practice_key')
      .values({
        practice_id: practiceId,
        version: 1,
        wrapped: seal(this.#master, key, practiceKeyBinding(practiceId, 1)),
        created_at: now,
      })
      .execute();
    this.#practiceKeys.set(practiceId, { version: 1, key });
  }

  async practiceKey(db: Kysely<Database>, practiceId: string): Promise<{ version: number; key: Buffer }> {
    const row = await db
      .selectFrom('practice_key')
      .selectAll()
      .where('practice_id', '=', practiceId)
      .executeTakeFirst();
    if (row === undefined) throw new Error('This practice has no key');
    const cached = this.#practiceKeys.get(practiceId);
    if (cached !== undefined && cached.version === row.version) return cached;
    const unwrapped = {
      version: row.version,
      key: open(this.#master, row.wrapped, practiceKeyBinding(practiceId, row.version)),
    };
    this.#practiceKeys.set(practiceId, unwrapped);
    return unwrapped;
  }

  async createDataKey(
    trx: Transaction<Database>,
    practiceId: string,
    kind: DataKeyKind,
    ownerId: string,
    now = new Date().toISOString(),
  ): Promise<DataKey> {
    const practiceKey = await this.practiceKey(trx, practiceId);
    const { row, key } = this.newDataKeyRow(practiceKey, practiceId, kind, ownerId, now);
    await trx.insertInto('data_key').values(row).execute();
    return { id: row.id, key };
  }

  /**
   * A new data key, wrapped by the practice key, as the row that stores it: for writers that
   * insert many keys in one statement (the scale generator), on the same wrapping as above.
   */
  newDataKeyRow(
    practiceKey: { version: number; key: Buffer },
    practiceId: string,
    kind: DataKeyKind,
    ownerId: string,
    now: string,
  ): { row: Insertable<DataKeyTable>; key: Buffer } {
    const id = newId();
    const key = newKey();
    return {
      key,
      row: {
        id,
        practice_id: practiceId,
        kind,
        owner_id: ownerId,
        epoch: 1,
        practice_key_version: practiceKey.version,
        wrapped: seal(practiceKey.key, key, dataKeyBinding(practiceId, id, practiceKey.version)),
        created_at: now,
      },
    };
  }

  /**
   * Unwraps data keys by id. A destroyed key (its wrap erased, with when) is absent from the
   * result, never an error here; one that fails its integrity check (its wrap changed, or
   * erased with no record of its destruction) throws TamperedError.
   */
  async dataKeys(
    db: Kysely<Database>,
    practiceId: string,
    keyIds: readonly string[],
  ): Promise<Map<string, Buffer>> {
    const found = new Map<string, Buffer>();
    for (const [id, key] of await this.dataKeysOrTampered(db, practiceId, keyIds)) {
      if (key instanceof TamperedKey) throw new TamperedError(key.binding);
      found.set(id, key);
    }
    return found;
  }

  /**
   * `dataKeys` for a reader of many records: a key that fails its integrity check is a
   * TamperedKey in the result (what it seals reads as tampered, sealed.ts), not an error
   * for the whole batch.
   */
  async dataKeysOrTampered(
    db: Kysely<Database>,
    practiceId: string,
    keyIds: readonly string[],
  ): Promise<Map<string, Buffer | TamperedKey>> {
    const found = new Map<string, Buffer | TamperedKey>();
    if (keyIds.length === 0) return found;
    const rows = await db
      .selectFrom('data_key')
      .selectAll()
      .where('practice_id', '=', practiceId)
      .where('id', 'in', [...new Set(keyIds)])
      .execute();
    const practiceKey = await this.practiceKey(db, practiceId);
    for (const row of rows) {
      const binding = dataKeyBinding(practiceId, row.id, row.practice_key_version);
      if (row.wrapped === null) {
        // Destroyed only when its destruction was recorded with it (destroyDataKey);
        // a wrap erased without one is not taken for crypto-shredding.
        if (row.destroyed_at === null) found.set(row.id, new TamperedKey(binding));
        continue;
      }
      if (row.practice_key_version !== practiceKey.version) {
        throw new Error('A data key is wrapped by an older practice key: rotation did not finish');
      }
      // The row is read every time, so a destroyed key is never served from memory; the
      // unwrapping is remembered for as long as the wrapped form is unchanged.
      const cached = this.#dataKeys.get(row.id);
      if (cached !== undefined && cached.wrapped === row.wrapped) {
        found.set(row.id, cached.key);
        continue;
      }
      let key: Buffer;
      try {
        key = open(practiceKey.key, row.wrapped, binding);
      } catch (error) {
        if (!(error instanceof TamperedError)) throw error;
        found.set(row.id, new TamperedKey(binding));
        continue;
      }
      if (this.#dataKeys.size >= DATA_KEY_CACHE) {
        const oldest = this.#dataKeys.keys().next().value;
        if (oldest !== undefined) this.#dataKeys.delete(oldest);
      }
      this.#dataKeys.set(row.id, { wrapped: row.wrapped, key });
      found.set(row.id, key);
    }
    return found;
  }

  async dataKey(db: Kysely<Database>, practiceId: string, keyId: string): Promise<Buffer> {
    const key = (await this.dataKeys(db, practiceId, [keyId])).get(keyId);
    if (key === undefined) throw new KeyDestroyedError(keyId);
    return key;
  }

  /** Crypto-shredding: the wrapped key is erased; what it encrypted cannot be read again. */
  async destroyDataKey(
    trx: Transaction<Database>,
    practiceId: string,
    keyId: string,
    now = new Date().toISOString(),
  ): Promise<void> {
    await trx
      .updateTable('data_key')
      .set({ wrapped: null, destroyed_at: now })
      .where('id', '=', keyId)
      .where('practice_id', '=', practiceId)
      .execute();
    this.#dataKeys.delete(keyId);
  }

  /**
   * Rotates a practice key: a new key re-wraps every live data key, in one transaction.
   * No record is re-encrypted.
   */
  async rotatePracticeKey(
    trx: Transaction<Database>,
    practiceId: string,
  ): Promise<{ version: number; rewrapped: number }> {
    const current = await this.practiceKey(trx, practiceId);
    const next = { version: current.version + 1, key: newKey() };
    const rows = await trx
      .selectFrom('data_key')
      .selectAll()
      .where('practice_id', '=', practiceId)
      .where('wrapped', 'is not', null)
      .execute();
    for (const row of rows) {
      if (row.wrapped === null) continue;
      const key = open(
        current.key,
        row.wrapped,
        dataKeyBinding(practiceId, row.id, row.practice_key_version),
      );
      await trx
        .updateTable('data_key')
        .set({
          wrapped: seal(next.key, key, dataKeyBinding(practiceId, row.id, next.version)),
          practice_key_version: next.version,
        })
        .where('id', '=', row.id)
        .execute();
    }
    // Messages to staff and to the practice are sealed under the practice key itself.
    await resealPracticeMessages(trx, practiceId, current, next);
    await trx
      .updateTable('practice_key')
      .set({
        version: next.version,
        wrapped: seal(this.#master, next.key, practiceKeyBinding(practiceId, next.version)),
      })
      .where('practice_id', '=', practiceId)
      .execute();
    this.#practiceKeys.set(practiceId, next);
    return { version: next.version, rewrapped: rows.length };
  }
}

function practiceKeyBinding(practiceId: string, version: number): Binding {
  return { practiceId, record: `practice-key/${practiceId}`, field: 'key', keyId: `master/v${version}` };
}

function dataKeyBinding(practiceId: string, keyId: string, practiceKeyVersion: number): Binding {
  return { practiceId, record: `data-key/${keyId}`, field: 'key', keyId: `practice/v${practiceKeyVersion}` };
}
