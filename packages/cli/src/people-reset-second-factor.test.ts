import fs from 'node:fs';
import {
  createApiToken,
  createSession,
  enableTotp,
  findUserByEmail,
  openStore,
  replaceRecoveryCodes,
  sealAccountField,
  setPendingTotp,
  unlockKeyring,
} from '@alcove/store';
import { tempDir } from '@alcove/store/testing';
import { describe, expect, it } from 'vitest';
import { main } from './main.ts';
import { captureIo } from './testing/io.ts';

const EMAIL = 'lost-phone@example.test';

/** `alcove people reset-second-factor` (issue 16, finding 2): a lost phone, and every token ends. */
describe('alcove people reset-second-factor', () => {
  it('removes the authenticator and recovery codes, ends every session and revokes every token, audited', async () => {
    const dataDir = tempDir();
    const keyFile = `${dataDir}.key`;
    const init = captureIo({ ALCOVE_INIT_PASSWORD: 'a long fictional passphrase' });
    const initArgs = ['init', '--data', dataDir, '--practice-name', 'CLI Practice (fictional)'];
    expect(
      await main([...initArgs, '--email', EMAIL, '--name', 'Lost (fictional)', '--key-file', keyFile], init),
    ).toBe(0);

    // Enrolled, signed in, with recovery codes and a token: as a running server would leave it.
    const store = await openStore({ engine: 'sqlite', dataDir }, { lock: false });
    let userId: string;
    try {
      const key = Buffer.from(fs.readFileSync(keyFile, 'utf8').trim(), 'base64');
      const keyring = await unlockKeyring(store.db, { method: 'key-file', key });
      const user = await findUserByEmail(store.db, keyring, EMAIL);
      if (user === undefined) throw new Error('no account');
      userId = user.id;
      const now = new Date().toISOString();
      await setPendingTotp(
        store.db,
        user.id,
        await sealAccountField(store.db, keyring, user.id, 'totp', 'JBSWY3DPEHPK3PXP'),
      );
      await store.db.transaction().execute(async (trx) => {
        await enableTotp(trx, user.id, 1, now);
        await replaceRecoveryCodes(trx, user.id, ['$argon2id$not-a-real-hash']);
        await createSession(trx, {
          idHash: 'a'.repeat(64),
          userId: user.id,
          practiceId: null,
          csrfToken: 'x',
          stage: 'active',
          now,
        });
        const practice = await trx.selectFrom('practice').select('id').executeTakeFirstOrThrow();
        await createApiToken(trx, {
          userId: user.id,
          practiceId: practice.id,
          name: 'script',
          tokenHash: 'c'.repeat(64),
          now,
          scope: 'read-write',
          expiresAt: '2100-01-01T00:00:00.000Z',
        });
      });
    } finally {
      await store.close();
    }

    const io = captureIo({ ALCOVE_KEY_FILE: keyFile });
    expect(await main(['people', 'reset-second-factor', '--email', EMAIL, '--data', dataDir], io)).toBe(0);
    const said = io.stdout.join('\n');
    expect(said).toContain('1 session(s) ended and 1 API token(s) revoked');
    expect(said).not.toContain(EMAIL);

    const after = await openStore({ engine: 'sqlite', dataDir }, { lock: false });
    try {
      const user = await after.db
        .selectFrom('app_user')
        .select(['totp_secret_sealed', 'totp_enabled_at'])
        .where('id', '=', userId)
        .executeTakeFirstOrThrow();
      expect(user).toEqual({ totp_secret_sealed: null, totp_enabled_at: null });
      expect(await after.db.selectFrom('recovery_code').select('id').execute()).toEqual([]);
      expect(
        await after.db.selectFrom('api_token').select('id').where('revoked_at', 'is', null).execute(),
      ).toEqual([]);
      expect(
        await after.db.selectFrom('user_session').select('id_hash').where('ended_at', 'is', null).execute(),
      ).toEqual([]);
      const event = await after.db
        .selectFrom('audit_event')
        .selectAll()
        .where('action', '=', 'mfa.reset')
        .executeTakeFirstOrThrow();
      expect(event).toMatchObject({ record_type: 'user', record_id: userId, outcome: 'ok' });
    } finally {
      await after.close();
    }
  });
});
