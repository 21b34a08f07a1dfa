import fs from 'node:fs';
import {
  auditEventContext,
  createApiToken,
  createSession,
  findUserByEmail,
  openStore,
  unlockKeyring,
} from '@alcove/store';
import { tempDir } from '@alcove/store/testing';
import { describe, expect, it } from 'vitest';
import { main } from './main.ts';
import { captureIo } from './testing/io.ts';

const EMAIL = 'first@example.test';

/** `alcove people end-sessions` (issue 16, finding 7): an account's access ended from the command line. */
describe('alcove people end-sessions', () => {
  it('ends every session and token of the account, audited; the log still verifies once its context is deleted', async () => {
    const dataDir = tempDir();
    const keyFile = `${dataDir}.key`;
    const init = captureIo({ ALCOVE_INIT_PASSWORD: 'a long fictional passphrase' });
    expect(
      await main(
        [
          'init',
          '--data',
          dataDir,
          '--practice-name',
          'CLI Practice (fictional)',
          '--email',
          EMAIL,
          '--name',
          'First (fictional)',
          '--key-file',
          keyFile,
        ],
        init,
      ),
    ).toBe(0);
    const env = { ALCOVE_KEY_FILE: keyFile };

    // Two browser sessions and a token, as a running server would have written them.
    const store = await openStore({ engine: 'sqlite', dataDir }, { lock: false });
    let userId: string;
    try {
      const key = Buffer.from(fs.readFileSync(keyFile, 'utf8').trim(), 'base64');
      const keyring = await unlockKeyring(store.db, { method: 'key-file', key });
      const user = await findUserByEmail(store.db, keyring, EMAIL);
      if (user === undefined) throw new Error('no account');
      userId = user.id;
      const now = new Date().toISOString();
      await store.db.transaction().execute(async (trx) => {
        for (const idHash of ['a'.repeat(64), 'b'.repeat(64)]) {
          await createSession(trx, {
            idHash,
            userId: user.id,
            practiceId: null,
            csrfToken: 'x',
            stage: 'active',
            now,
          });
        }
        const practice = await trx.selectFrom('practice').select('id').executeTakeFirstOrThrow();
        await createApiToken(trx, {
          userId: user.id,
          practiceId: practice.id,
          name: 'script',
          tokenHash: 'c'.repeat(64),
          now,
          scope: 'read',
          expiresAt: '2100-01-01T00:00:00.000Z',
        });
      });
    } finally {
      await store.close();
    }

    const io = captureIo(env);
    expect(await main(['people', 'end-sessions', '--email', EMAIL, '--data', dataDir], io)).toBe(0);
    expect(io.stdout.join('\n')).toContain('Ended 2 sessions and revoked 1 API token of that account.');

    const after = await openStore({ engine: 'sqlite', dataDir }, { lock: false });
    try {
      const open = await after.db
        .selectFrom('user_session')
        .select('id_hash')
        .where('ended_at', 'is', null)
        .execute();
      expect(open).toEqual([]);
      const live = await after.db
        .selectFrom('api_token')
        .select('id')
        .where('revoked_at', 'is', null)
        .execute();
      expect(live).toEqual([]);
      const event = await after.db
        .selectFrom('audit_event')
        .selectAll()
        .where('action', '=', 'people.sessions-ended')
        .executeTakeFirstOrThrow();
      expect(event).toMatchObject({ actor_id: null, record_type: 'user', record_id: userId, outcome: 'ok' });
      expect((await auditEventContext(after.db, event.seq))?.user_agent).toMatch(/^alcove-cli\//);
    } finally {
      await after.close();
    }
    // The practice's log retention ends: every event's context goes; the chain does not notice.
    const forget = captureIo(env);
    expect(await main(['audit', 'forget-context', '--before', '2999-01-01', '--data', dataDir], forget)).toBe(
      0,
    );
    expect(forget.stdout.join('\n')).toMatch(
      /^Deleted the address and browser of \d+ audit events? from before 2999-01-01/,
    );
    const gone = await openStore({ engine: 'sqlite', dataDir }, { lock: false });
    try {
      expect(await gone.db.selectFrom('audit_event_context').selectAll().execute()).toEqual([]);
    } finally {
      await gone.close();
    }
    const verify = captureIo(env);
    expect(await main(['audit', 'verify', '--data', dataDir], verify)).toBe(0);
    expect(
      await main(['audit', 'forget-context', '--before', 'last year', '--data', dataDir], captureIo(env)),
    ).toBe(2);
  });

  it('says when no account has the address, without repeating it, and changes nothing', async () => {
    const dataDir = tempDir();
    const keyFile = `${dataDir}.key`;
    expect(
      await main(
        [
          'init',
          '--data',
          dataDir,
          '--practice-name',
          'CLI Practice (fictional)',
          '--email',
          EMAIL,
          '--name',
          'First (fictional)',
          '--key-file',
          keyFile,
        ],
        captureIo({ ALCOVE_INIT_PASSWORD: 'a long fictional passphrase' }),
      ),
    ).toBe(0);
    const io = captureIo({ ALCOVE_KEY_FILE: keyFile });
    expect(
      await main(['people', 'end-sessions', '--email', 'nobody@example.test', '--data', dataDir], io),
    ).toBe(1);
    const said = [...io.stdout, ...io.stderr].join('\n');
    expect(said).toContain('No account has that e-mail address.');
    expect(said).not.toContain('nobody@example.test');
  });
});
