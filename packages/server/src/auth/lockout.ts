/**
 * How many failures lock a factor, and for how long (issue 16, finding 1). The counts live
 * in the database (store/auth-failures.ts); these are the rules, as data.
 *
 * - A password: five failures within 15 minutes and the account (or the unknown address)
 *   waits 15 minutes, whatever is typed. It does not grow: anyone who knows an address can
 *   cause it, and a growing lock would let them keep the holder out for days.
 * - A second factor: five wrong codes (authenticator or recovery code, at sign-in,
 *   enrolment, the signing kiosk or re-authentication) within a day lock it for 1 minute,
 *   then 5, 15, 60, then twice as long each time up to a day. Only someone who has the
 *   password gets this far, so the holder is told by e-mail. A right code resets it all.
 */
export interface LockoutPolicy {
  /** Failures that lock. */
  readonly limit: number;
  /** Failures older than this no longer count. */
  readonly windowSeconds: number;
  /** The 1st, 2nd, … lock lasts this long; after the list, each doubles up to `capSeconds`. */
  readonly delaysSeconds: readonly number[];
  readonly capSeconds: number;
}

export const PASSWORD_LOCKOUT: LockoutPolicy = {
  limit: 5,
  windowSeconds: 15 * 60,
  delaysSeconds: [15 * 60],
  capSeconds: 15 * 60,
};

export const SECOND_FACTOR_LOCKOUT: LockoutPolicy = {
  limit: 5,
  windowSeconds: 24 * 60 * 60,
  delaysSeconds: [60, 5 * 60, 15 * 60, 60 * 60],
  capSeconds: 24 * 60 * 60,
};

/** How long the `lockCount`th lock (1 for the first) lasts, in seconds. */
export function lockSeconds(policy: LockoutPolicy, lockCount: number): number {
  const listed = policy.delaysSeconds[lockCount - 1];
  if (listed !== undefined) return Math.min(listed, policy.capSeconds);
  const last = policy.delaysSeconds.at(-1) ?? policy.capSeconds;
  const doublings = lockCount - policy.delaysSeconds.length;
  // 2^doublings overflows nothing before the cap is reached: stop doubling at the cap.
  return doublings > 40 ? policy.capSeconds : Math.min(policy.capSeconds, last * 2 ** doublings);
}

/** "1 minute", "15 minutes", "2 hours": how long to wait, rounded up, as people say it. */
export function waitInWords(seconds: number): string {
  const minutes = Math.max(1, Math.ceil(seconds / 60));
  if (minutes < 120) return minutes === 1 ? '1 minute' : `${minutes} minutes`;
  const hours = Math.ceil(minutes / 60);
  return `${hours} hours`;
}
