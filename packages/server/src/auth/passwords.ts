import { hash, verify } from '@node-rs/argon2';
import { dictionary } from '@zxcvbn-ts/language-common';

/** argon2id with the settings of the decision record (m=19456 KiB, t=2, p=1). */
const ARGON2 = { memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 256;

const common = new Set(dictionary['passwords-common'].map((p) => p.toLowerCase()));

/**
 * Length and a deny-list of common passwords (NIST SP 800-63B); no composition rules and
 * no forced rotation. Returns what is wrong, or undefined.
 */
export function passwordProblem(password: string): string | undefined {
  if (password.length < PASSWORD_MIN_LENGTH) return `Use at least ${PASSWORD_MIN_LENGTH} characters.`;
  if (password.length > PASSWORD_MAX_LENGTH) return `Use at most ${PASSWORD_MAX_LENGTH} characters.`;
  if (common.has(password.toLowerCase()))
    return 'This password is on a list of common passwords: choose another.';
  if (new Set(password).size < 4) return 'This password repeats too few characters: choose another.';
  return undefined;
}

export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2);
}

// An unknown e-mail address is checked against this, so it costs what a real account costs.
const dummyHash = hash('not a real account: the same work as a real one', ARGON2);

/** Verifies against the account's hash, or a dummy one when there is no account: one code path. */
export async function verifyPassword(passwordHash: string | undefined, password: string): Promise<boolean> {
  const target = passwordHash ?? (await dummyHash);
  const ok = await verify(target, password).catch(() => false);
  return ok && passwordHash !== undefined;
}
