import { hkdfSync } from 'node:crypto';
import { hashRaw } from '@node-rs/argon2';

/**
 * argon2id settings for deriving a key from the practice passphrase. Heavier than the
 * sign-in hash (it runs once, when Alcove is unlocked); stored beside each wrap so they
 * can be raised later without locking anyone out.
 */
export interface PassphraseKdfParams {
  readonly salt: string; // base64, 16 bytes
  readonly memoryCost: number; // KiB
  readonly timeCost: number;
  readonly parallelism: number;
}

export const PASSPHRASE_KDF_DEFAULTS = { memoryCost: 65536, timeCost: 3, parallelism: 1 } as const;

export async function argon2idRaw(passphrase: string, params: PassphraseKdfParams): Promise<Buffer> {
  // @node-rs/argon2's default algorithm is argon2id.
  return hashRaw(passphrase, {
    salt: Buffer.from(params.salt, 'base64'),
    memoryCost: params.memoryCost,
    timeCost: params.timeCost,
    parallelism: params.parallelism,
    outputLen: 32,
  });
}

/** HKDF-SHA256 to a 32-byte key, with a purpose label so one secret never serves two uses. */
export function deriveKey(inputKeyMaterial: Buffer, salt: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', inputKeyMaterial, salt, Buffer.from(purpose, 'utf8'), 32));
}
