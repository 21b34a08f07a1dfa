import { randomInt } from 'node:crypto';
import type { RecoveryCodeRow } from '@alcove/store';
import { hashPassword, verifyPassword } from './passwords.ts';
import { safeEqual, sha256Hex } from './secrets.ts';

/**
 * One-time recovery codes (issue 16, finding 3; docs/decisions/2026-12-02-api-tokens.md).
 * Ten codes of 16 characters from a 31-letter alphabet with no look-alikes (0/o, 1/l/i):
 * 79 bits each, typed in four groups of four. Each is stored as argon2id with its own
 * random salt, with the settings passwords use, so a copy of the database does not give
 * them up. Codes made before issue 16 (10 characters, unsalted SHA-256) are still accepted
 * until replaced.
 */
const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
const LENGTH = 16;
const COUNT = 10;

export function newRecoveryCodes(): string[] {
  return Array.from({ length: COUNT }, () => {
    const chars = Array.from({ length: LENGTH }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
    return chars.match(/.{4}/g)?.join('-') ?? chars;
  });
}

/** What is compared: lower case, without spaces or dashes. */
export function normaliseRecoveryCode(code: string): string {
  return code
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
}

/** The hashes to store for new codes: argon2id, each with its own salt. */
export function hashRecoveryCodes(codes: readonly string[]): Promise<string[]> {
  return Promise.all(codes.map((code) => hashPassword(normaliseRecoveryCode(code))));
}

const LEGACY_SHA256 = /^[0-9a-f]{64}$/;

/**
 * The unused code a typed code matches, if any. Every row is checked (at most ten), so the
 * time taken does not say which one matched.
 */
export async function matchRecoveryCode(
  rows: readonly RecoveryCodeRow[],
  typed: string,
): Promise<RecoveryCodeRow | undefined> {
  const code = normaliseRecoveryCode(typed);
  if (code.length === 0) return undefined;
  let found: RecoveryCodeRow | undefined;
  for (const row of rows) {
    const ok = LEGACY_SHA256.test(row.code_hash)
      ? safeEqual(sha256Hex(code), row.code_hash)
      : await verifyPassword(row.code_hash, code);
    if (ok && found === undefined) found = row;
  }
  return found;
}
