import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authFailureState,
  clearAuthFailures,
  countAuthFailure,
  lockAuthFactor,
  userSubject,
} from './auth-failures.ts';
import { testEngines } from './testing/engines.ts';
import { createTestVault, type TestVault } from './testing/vault.ts';

describe.each(testEngines)('counting failed sign-ins and codes on $name', (engine) => {
  let v: TestVault;
  beforeAll(async () => {
    v = await createTestVault(engine);
  });
  afterAll(async () => {
    await v.close();
  });

  const at = (minute: number) => new Date(Date.UTC(2026, 10, 22, 10, minute)).toISOString();

  it('loses no failure when many servers count at once, and only one of them locks', async () => {
    const subject = userSubject('concurrent');
    const counts = await Promise.all(
      Array.from({ length: 12 }, () =>
        countAuthFailure(v.db, { subject, factor: 'second-factor', now: at(0), windowStartsAfter: at(-60) }),
      ),
    );
    expect(counts.map((c) => c.failures).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 12 }, (_, i) => i + 1),
    );
    const locks = await Promise.all(
      Array.from({ length: 4 }, () =>
        v.db
          .transaction()
          .execute((trx) =>
            lockAuthFactor(trx, { subject, factor: 'second-factor', limit: 5, until: () => at(1) }),
          ),
      ),
    );
    expect(locks.filter((l) => l !== undefined)).toEqual([{ lockCount: 1, lockedUntil: at(1) }]);
    expect(await authFailureState(v.db, subject, 'second-factor')).toEqual({
      failures: 0,
      lockCount: 1,
      lockedUntil: at(1),
    });
  });

  it('starts the count again once its window has passed, and forgets it all on success', async () => {
    const subject = userSubject('window');
    const count = (now: string, windowStartsAfter: string) =>
      countAuthFailure(v.db, { subject, factor: 'password', now, windowStartsAfter });
    expect((await count(at(0), at(-15))).failures).toBe(1);
    expect((await count(at(5), at(-10))).failures).toBe(2);
    // At 10:20 the window began at 10:05: the failure at 10:00 is too old, so it starts again.
    expect((await count(at(20), at(5))).failures).toBe(1);
    // The factors are counted apart.
    expect(await authFailureState(v.db, subject, 'second-factor')).toBeUndefined();
    await clearAuthFailures(v.db, subject, 'password');
    expect(await authFailureState(v.db, subject, 'password')).toBeUndefined();
  });
});
