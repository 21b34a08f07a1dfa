import type { Role } from '@alcove/core';
import { addMembership, createApiToken, createUser } from '@alcove/store';
import { createTestVault, type TestEngine, type TestVault } from '@alcove/store/testing';
import { type AlcoveApp, type AppOptions, buildApp } from '../app.ts';
import { hashPassword } from '../auth/passwords.ts';
import { newBearerSecret, sha256Hex } from '../auth/secrets.ts';
import { TOKEN_PREFIX } from '../auth/service.ts';

export interface TestApp {
  readonly app: AlcoveApp;
  readonly vault: TestVault;
  close(): Promise<void>;
}

/**
 * The real app, in-process, on a fresh real database of the given engine, unlocked, with
 * one practice. `extend` runs before the app is ready, so a test can register routes
 * that inherit every setting.
 */
export async function startTestApp(
  engine: TestEngine,
  options: Omit<AppOptions, 'store' | 'keyring'> & {
    extend?: (app: AlcoveApp, vault: TestVault) => Promise<void> | void;
  } = {},
): Promise<TestApp> {
  const vault = await createTestVault(engine);
  const { extend, ...appOptions } = options;
  let app: AlcoveApp | undefined;
  try {
    app = await buildApp({ store: vault.store, keyring: vault.keyring, ...appOptions });
    await extend?.(app, vault);
    await app.ready();
  } catch (error) {
    await app?.close();
    await vault.close();
    throw error;
  }
  return {
    app,
    vault,
    async close() {
      await app.close();
      await vault.close();
    },
  };
}

export const TEST_PASSWORD = 'a long fictional passphrase';

export interface TestStaff {
  readonly userId: string;
  readonly email: string;
  /** An API token: `authorization: Bearer …` */
  readonly token: string;
}

/** Fixture tokens last past any clock a test sets (a real token lasts at most 365 days). */
export const TEST_TOKEN_EXPIRES_AT = '2100-01-01T00:00:00.000Z';

/**
 * A staff account with roles in a practice, a password (TEST_PASSWORD) and an API token,
 * written straight to the store: any role holds one here, read-write unless `tokenScope`
 * says otherwise, so every route can be tried as every role.
 */
export async function addStaff(
  vault: TestVault,
  input: {
    email: string;
    name: string;
    roles: readonly Role[];
    practiceId?: string;
    clientId?: string;
    tokenScope?: 'read' | 'read-write';
    tokenExpiresAt?: string;
  },
): Promise<TestStaff> {
  const practiceId = input.practiceId ?? vault.practice.id;
  const passwordHash = await hashPassword(TEST_PASSWORD);
  const token = newBearerSecret(TOKEN_PREFIX);
  const userId = await vault.db.transaction().execute(async (trx) => {
    const { id } = await createUser(trx, vault.keyring, {
      email: input.email,
      name: input.name,
      passwordHash,
    });
    for (const role of input.roles) {
      await addMembership(trx, {
        userId: id,
        practiceId,
        role,
        ...(input.clientId === undefined ? {} : { clientId: input.clientId }),
      });
    }
    await createApiToken(trx, {
      userId: id,
      practiceId,
      name: 'tests',
      tokenHash: sha256Hex(token),
      now: new Date().toISOString(),
      scope: input.tokenScope ?? 'read-write',
      expiresAt: input.tokenExpiresAt ?? TEST_TOKEN_EXPIRES_AT,
    });
    return id;
  });
  return { userId, email: input.email, token };
}

export function bearer(staff: TestStaff): { authorization: string } {
  return { authorization: `Bearer ${staff.token}` };
}
