import { newKey } from '../crypto/aead.ts';
import { createKeyring, type Keyring } from '../keyring.ts';
import { migrateToLatest } from '../migrate.ts';
import { createPractice, type Practice } from '../practices.ts';
import { openStore, type Store } from '../store.ts';
import type { TestDatabase, TestEngine } from './engines.ts';

/** A migrated database with keys, one practice, and the key file that unlocks it. */
export interface TestVault {
  readonly store: Store;
  readonly db: Store['db'];
  readonly keyring: Keyring;
  readonly keyFile: Buffer;
  readonly recoveryKit: string;
  readonly practice: Practice;
  readonly database: TestDatabase;
  close(): Promise<void>;
}

export async function createTestVault(
  engine: TestEngine,
  practiceName = 'Test Practice (fictional)',
): Promise<TestVault> {
  const database = await engine.create();
  const store = await openStore(database.config);
  await migrateToLatest(store.db);
  const keyFile = newKey();
  const { keyring, recoveryKit } = await store.db
    .transaction()
    .execute((trx) => createKeyring(trx, [{ method: 'key-file', key: keyFile }]));
  const practice = await createPractice(store.db, { name: practiceName }, keyring);
  return {
    store,
    db: store.db,
    keyring,
    keyFile,
    recoveryKit,
    practice,
    database,
    async close() {
      await store.close();
      await database.dispose();
    },
  };
}
