import { clause } from '@alcove/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newKey, open, openText, sealText, TamperedError } from './crypto/aead.ts';
import { createKeyring, KeyDestroyedError, type Keyring, unlockKeyring } from './keyring.ts';
import { migrateToLatest } from './migrate.ts';
import { createPractice } from './practices.ts';
import { openStore, type Store } from './store.ts';
import { type TestDatabase, testEngines } from './testing/engines.ts';
import { formatRecoveryKit, parseRecoveryKit, UnlockError } from './unlock.ts';

describe('sealing', () => {
  const key = newKey();
  const binding = { practiceId: 'p1', record: 'passage/e1', field: 'body', keyId: 'k1' };

  it('opens what it sealed, with a fresh IV every time', () => {
    const a = sealText(key, 'Fictional clinical text', binding);
    const b = sealText(key, 'Fictional clinical text', binding);
    expect(a).not.toBe(b);
    expect(openText(key, a, binding)).toBe('Fictional clinical text');
  });

  clause('GT-39', 'detects a change to any one byte', () => {
    const sealed = Buffer.from(sealText(key, 'Fictional clinical text', binding), 'base64');
    for (let i = 0; i < sealed.length; i += 1) {
      const tampered = Buffer.from(sealed);
      tampered[i] = (tampered[i] ?? 0) ^ 0x01;
      expect(() => open(key, tampered.toString('base64'), binding), `byte ${i}`).toThrow(TamperedError);
    }
  });

  it('refuses a ciphertext moved to another record, field, practice or key', () => {
    const sealed = sealText(key, 'Fictional clinical text', binding);
    for (const moved of [
      { ...binding, record: 'passage/e2' },
      { ...binding, field: 'title' },
      { ...binding, practiceId: 'p2' },
      { ...binding, keyId: 'k2' },
    ]) {
      expect(() => openText(key, sealed, moved)).toThrow(TamperedError);
    }
    expect(() => openText(newKey(), sealed, binding)).toThrow(TamperedError);
  });
});

describe('recovery kits', () => {
  it('round-trips, ignoring case, spaces and dashes', () => {
    const secret = newKey();
    const kit = formatRecoveryKit(secret);
    expect(kit).toMatch(/^ALCOVE-RK1 ([0-9a-f]{4}-){16}[0-9a-f]{4}$/);
    expect(parseRecoveryKit(kit.toUpperCase().replaceAll('-', ' '))).toEqual(secret);
  });

  it('refuses a mistyped kit (checksum)', () => {
    const kit = formatRecoveryKit(newKey());
    const typo = kit.slice(0, 12) + (kit[12] === '0' ? '1' : '0') + kit.slice(13);
    expect(() => parseRecoveryKit(typo)).toThrow(UnlockError);
  });
});

describe.each(testEngines)('the keyring on $name', (engine) => {
  let database: TestDatabase;
  let store: Store;
  const secretKey = newKey();
  const keyFile = newKey();

  beforeEach(async () => {
    database = await engine.create();
    store = await openStore(database.config);
    await migrateToLatest(store.db);
  });
  afterEach(async () => {
    await store.close();
    await database.dispose();
  });

  async function setUp(): Promise<{ keyring: Keyring; kit: string; practiceId: string }> {
    const practice = await createPractice(store.db, { name: 'Keyring Practice (fictional)' });
    return store.db.transaction().execute(async (trx) => {
      const { keyring, recoveryKit } = await createKeyring(trx, [
        { method: 'passphrase', passphrase: 'correct horse battery staple', secretKey },
        { method: 'key-file', key: keyFile },
      ]);
      await keyring.createPracticeKey(trx, practice.id);
      return { keyring, kit: recoveryKit, practiceId: practice.id };
    });
  }

  it('unlocks with the passphrase and secret key, the key file, or the recovery kit', async () => {
    const { keyring, kit, practiceId } = await setUp();
    const dataKey = await store.db
      .transaction()
      .execute((trx) => keyring.createDataKey(trx, practiceId, 'case', 'case-1'));
    for (const source of [
      { method: 'passphrase', passphrase: 'correct horse battery staple', secretKey } as const,
      { method: 'key-file', key: keyFile } as const,
      { method: 'recovery-kit', kit } as const,
    ]) {
      const unlocked = await unlockKeyring(store.db, source);
      expect(await unlocked.dataKey(store.db, practiceId, dataKey.id), source.method).toEqual(dataKey.key);
    }
  });

  it('refuses a wrong passphrase, a wrong secret-key file, a wrong key file', async () => {
    await setUp();
    for (const source of [
      { method: 'passphrase', passphrase: 'correct horse battery stapler', secretKey } as const,
      { method: 'passphrase', passphrase: 'correct horse battery staple', secretKey: newKey() } as const,
      { method: 'key-file', key: newKey() } as const,
      { method: 'recovery-kit', kit: formatRecoveryKit(newKey()) } as const,
    ]) {
      await expect(unlockKeyring(store.db, source)).rejects.toThrow(UnlockError);
    }
  });

  it('recovers a forgotten passphrase with the recovery kit, losing nothing', async () => {
    const { keyring, kit, practiceId } = await setUp();
    const dataKey = await store.db
      .transaction()
      .execute((trx) => keyring.createDataKey(trx, practiceId, 'client', 'client-1'));
    const sealed = sealText(dataKey.key, 'Fictional note kept across recovery', {
      practiceId,
      record: 'passage/x',
      field: 'body',
      keyId: dataKey.id,
    });

    // The passphrase is forgotten; the kit unlocks, and a new passphrase is set.
    const recovered = await unlockKeyring(store.db, { method: 'recovery-kit', kit });
    await store.db.transaction().execute((trx) =>
      recovered.replaceUnlock(trx, {
        method: 'passphrase',
        passphrase: 'a brand new passphrase',
        secretKey,
      }),
    );

    await expect(
      unlockKeyring(store.db, {
        method: 'passphrase',
        passphrase: 'correct horse battery staple',
        secretKey,
      }),
    ).rejects.toThrow(UnlockError);
    const unlocked = await unlockKeyring(store.db, {
      method: 'passphrase',
      passphrase: 'a brand new passphrase',
      secretKey,
    });
    const key = await unlocked.dataKey(store.db, practiceId, dataKey.id);
    expect(openText(key, sealed, { practiceId, record: 'passage/x', field: 'body', keyId: dataKey.id })).toBe(
      'Fictional note kept across recovery',
    );
  });

  it('rotates the practice key without touching what the data keys encrypt', async () => {
    const { keyring, practiceId } = await setUp();
    const keys = await store.db
      .transaction()
      .execute(async (trx) => [
        await keyring.createDataKey(trx, practiceId, 'client', 'c1'),
        await keyring.createDataKey(trx, practiceId, 'case', 'k1'),
      ]);
    const result = await store.db.transaction().execute((trx) => keyring.rotatePracticeKey(trx, practiceId));
    expect(result).toEqual({ version: 2, rewrapped: 2 });
    const fresh = await unlockKeyring(store.db, { method: 'key-file', key: keyFile });
    for (const { id, key } of keys) expect(await fresh.dataKey(store.db, practiceId, id)).toEqual(key);
  });

  it('destroys one data key and leaves the others', async () => {
    const { keyring, practiceId } = await setUp();
    const [a, b] = await store.db
      .transaction()
      .execute(async (trx) => [
        await keyring.createDataKey(trx, practiceId, 'participant', 'p1'),
        await keyring.createDataKey(trx, practiceId, 'participant', 'p2'),
      ]);
    if (a === undefined || b === undefined) throw new Error('keys');
    await store.db.transaction().execute((trx) => keyring.destroyDataKey(trx, practiceId, a.id));
    await expect(keyring.dataKey(store.db, practiceId, a.id)).rejects.toThrow(KeyDestroyedError);
    expect(await keyring.dataKey(store.db, practiceId, b.id)).toEqual(b.key);
  });
});
