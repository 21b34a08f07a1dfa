import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { newId } from '@alcove/core';
import { type Binding, KEY_BYTES, newKey, seal } from './crypto/aead.ts';
import { argon2idRaw, deriveKey, PASSPHRASE_KDF_DEFAULTS, type PassphraseKdfParams } from './crypto/kdf.ts';
import type { UnlockMethod } from './schema.ts';

/**
 * The ways into an installation's keys (keyring.ts): a key file, a passphrase with a
 * secret-key file, or the printed recovery kit. Each derives a key-encryption key that
 * unwraps its own copy of the master key (a `keyring_unlock` row); none of them, and not
 * the master key, is stored in clear.
 */
export type UnlockSource =
  | { readonly method: 'key-file'; readonly key: Buffer }
  | { readonly method: 'passphrase'; readonly passphrase: string; readonly secretKey: Buffer }
  | { readonly method: 'recovery-kit'; readonly kit: string };

/** Nothing this Alcove holds is unlocked by what was given. Says nothing about which part was wrong. */
export class UnlockError extends Error {
  constructor() {
    super(
      'That does not unlock this Alcove: check the passphrase and the secret-key file, the key file, or the recovery kit.',
    );
    this.name = 'UnlockError';
  }
}

/** The practice id of what belongs to the installation, not to one practice (keyring.ts too). */
export const INSTALLATION = 'installation';

// ---------------------------------------------------------------- recovery kits

const KIT_PREFIX = 'ALCOVE-RK1';

/** A printable secret: 32 random bytes as 16 groups of 4 hex digits, and a checksum group. */
export function formatRecoveryKit(secret: Buffer): string {
  const hex = secret.toString('hex');
  const groups = hex.match(/.{4}/g) ?? [];
  const check = createHash('sha256').update(secret).digest('hex').slice(0, 4);
  return `${KIT_PREFIX} ${[...groups, check].join('-')}`;
}

export function parseRecoveryKit(text: string): Buffer {
  const compact = text
    .trim()
    .toLowerCase()
    .replace(/^alcove[\s-]*rk1/, '')
    .replace(/[^0-9a-f]/g, '');
  if (compact.length !== 68) throw new UnlockError();
  const secret = Buffer.from(compact.slice(0, 64), 'hex');
  const check = createHash('sha256').update(secret).digest('hex').slice(0, 4);
  if (!timingSafeEqual(Buffer.from(check), Buffer.from(compact.slice(64)))) throw new UnlockError();
  return secret;
}

export interface UnlockParams {
  readonly salt: string;
  readonly kdf?: PassphraseKdfParams;
}

export async function keyEncryptionKey(source: UnlockSource, params: UnlockParams): Promise<Buffer> {
  const salt = Buffer.from(params.salt, 'base64');
  switch (source.method) {
    case 'key-file':
      if (source.key.length !== KEY_BYTES) throw new UnlockError();
      return deriveKey(source.key, salt, 'alcove/unlock/key-file/v1');
    case 'passphrase': {
      if (params.kdf === undefined) throw new UnlockError();
      if (source.secretKey.length !== KEY_BYTES) throw new UnlockError();
      // Two secrets: a stolen database cannot be brute-forced without the secret-key file.
      const stretched = await argon2idRaw(source.passphrase, params.kdf);
      return deriveKey(Buffer.concat([stretched, source.secretKey]), salt, 'alcove/unlock/passphrase/v1');
    }
    case 'recovery-kit':
      return deriveKey(parseRecoveryKit(source.kit), salt, 'alcove/unlock/recovery-kit/v1');
  }
}

export function unlockBinding(unlockId: string, method: UnlockMethod): Binding {
  return { practiceId: INSTALLATION, record: `keyring-unlock/${unlockId}`, field: 'master', keyId: method };
}

/** A new way in for the master key (its `keyring_unlock` row): used by keyring.ts. */
export async function newUnlockRow(master: Buffer, masterVersion: number, source: UnlockSource, now: string) {
  const params: UnlockParams = {
    salt: randomBytes(16).toString('base64'),
    ...(source.method === 'passphrase'
      ? { kdf: { salt: randomBytes(16).toString('base64'), ...PASSPHRASE_KDF_DEFAULTS } }
      : {}),
  };
  const id = newId();
  const kek = await keyEncryptionKey(source, params);
  return {
    id,
    method: source.method,
    params: JSON.stringify(params),
    wrapped_master: seal(kek, master, unlockBinding(id, source.method)),
    master_version: masterVersion,
    created_at: now,
  };
}

/** A random secret for a key file or ALCOVE_KEY (base64). */
export function newKeyFileSecret(): Buffer {
  return newKey();
}

/** Reads a key file or secret-key file: 32 bytes as base64 text. */
export function parseKeyFile(text: string): Buffer {
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== KEY_BYTES) {
    throw new Error('A key file holds 32 random bytes as base64 (as alcove init writes it)');
  }
  return key;
}
