import { hash, verify } from '@node-rs/argon2';
import { type MatchExtended, ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as zxcvbnCommon from '@zxcvbn-ts/language-common';
import * as zxcvbnEn from '@zxcvbn-ts/language-en';

/** argon2id with the settings of the decision record (m=19456 KiB, t=2, p=1). */
const ARGON2 = { memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 256;

/**
 * Words every Alcove password is scored against, whoever sets it (V6.1.2, and
 * docs/security/asvs.md, "Context-specific words"): the product, its roles and its trade.
 */
export const PRODUCT_WORDS: readonly string[] = [
  'alcove',
  'practitioner',
  'administrator',
  'supervisor',
  'executor',
  'client',
  'therapy',
  'therapist',
  'counselling',
  'counseling',
  'session',
  'practice',
  'couple',
];

/** The lowest zxcvbn score accepted: 3 is "safely unguessable: moderate protection from offline attack" (10^8 guesses or more). */
export const PASSWORD_MIN_SCORE = 3;

/** The breached-password list: zxcvbn's `passwords-common` (about 50,000 passwords seen in breaches). */
const BREACHED = 'passwords-common';
const breached = new Set(zxcvbnCommon.dictionary[BREACHED].map((p) => p.toLowerCase()));

let estimator: ZxcvbnFactory | undefined;

/**
 * zxcvbn-ts, offline, with its common (breached passwords, diceware) and English
 * dictionaries. Built once, on first use: ranking the dictionaries takes a moment, and a
 * process that never sets a password never pays for it.
 */
function zxcvbn(): ZxcvbnFactory {
  estimator ??= new ZxcvbnFactory({
    dictionary: { ...zxcvbnCommon.dictionary, ...zxcvbnEn.dictionary },
    graphs: zxcvbnCommon.adjacencyGraphs,
    translations: zxcvbnEn.translations,
    maxLength: PASSWORD_MAX_LENGTH,
  });
  return estimator;
}

/** Made only of breached passwords (as they are, reversed or in l33t): "iloveyou" + "1234". */
function onlyBreached(sequence: readonly MatchExtended[]): boolean {
  return (
    sequence.length > 0 &&
    sequence.every((match) => match.pattern === 'dictionary' && match.dictionaryName === BREACHED)
  );
}

/**
 * What is wrong with a new password, or undefined (NIST SP 800-63B; ASVS V6.2): at least
 * 12 characters and at most 256; not on the list of breached passwords, nor made only of
 * passwords on it; and a zxcvbn score of at least 3. No composition rules, no forced
 * rotation. `context` is words a guesser would try first (the person's e-mail address and
 * name, the practice's name), scored with PRODUCT_WORDS: a password built on them scores
 * lower. The answer says why, and never repeats the password.
 */
export function passwordProblem(password: string, context: readonly string[] = []): string | undefined {
  if (password.length < PASSWORD_MIN_LENGTH) return `Use at least ${PASSWORD_MIN_LENGTH} characters.`;
  if (password.length > PASSWORD_MAX_LENGTH) return `Use at most ${PASSWORD_MAX_LENGTH} characters.`;
  if (new Set(password).size < 4) return 'This password repeats too few characters: choose another.';
  // Each phrase whole, and each word of it ("Robin", "example" of robin@example.test).
  const words = [...PRODUCT_WORDS, ...context].flatMap((phrase) => [
    phrase,
    ...phrase.split(/[^\p{L}\p{N}]+/u).filter((word) => word.length >= 3),
  ]);
  const result = zxcvbn().check(password, words);
  if (breached.has(password.toLowerCase()) || onlyBreached(result.sequence))
    return 'This password is on a list of passwords exposed in data breaches, so attackers try it first: choose another. A few unrelated words make a strong one.';
  if (result.score < PASSWORD_MIN_SCORE) {
    // zxcvbn's own words are generic ("Add more words that are less common."): they never quote the password.
    const hints = [result.feedback.warning, ...result.feedback.suggestions].filter(
      (hint): hint is string => typeof hint === 'string' && hint.length > 0,
    );
    return ['This password is too easy to guess: choose another.', ...hints].join(' ');
  }
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
