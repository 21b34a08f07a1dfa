import { findPasswordReset, openStore } from '@alcove/store';
import { tempDir } from '@alcove/store/testing';
import { describe, expect, it } from 'vitest';
import { main } from './main.ts';
import { captureIo } from './testing/io.ts';

/** `alcove people reset-password` (issue 16, V6.4.3): a staff member's reset link, printed once. */
describe('alcove people reset-password', () => {
  it('prints a reset link once for a staff member, keeps only its hash, and refuses an unknown address', async () => {
    const dataDir = tempDir();
    const keyFile = `${dataDir}.key`;
    expect(
      await main(
        [
          'init',
          '--data',
          dataDir,
          '--practice-name',
          'CLI Reset Practice (fictional)',
          '--email',
          'reset-owner@example.test',
          '--name',
          'Owner (fictional)',
          '--key-file',
          keyFile,
        ],
        captureIo({ ALCOVE_INIT_PASSWORD: 'a long fictional passphrase' }),
      ),
    ).toBe(0);
    const run = async (...args: string[]) => {
      const io = captureIo({ ALCOVE_KEY_FILE: keyFile });
      const code = await main(['people', 'reset-password', ...args, '--data', dataDir], io);
      return { code, said: [...io.stdout, ...io.stderr].join('\n') };
    };
    const noSite = await run('--email', 'reset-owner@example.test');
    expect(noSite.code).toBe(2);
    expect(noSite.said).toContain('--site-url');
    const unknown = await run('--email', 'nobody@example.test', '--site-url', 'https://alcove.example.test');
    expect(unknown.code).toBe(1);
    expect(unknown.said).not.toContain('nobody@example.test');
    const made = await run(
      '--email',
      'Reset-Owner@example.test',
      '--site-url',
      'https://alcove.example.test/',
    );
    expect(made.code, made.said).toBe(0);
    const token = made.said.match(/https:\/\/alcove\.example\.test\/reset-password#([A-Za-z0-9_-]{43})/)?.[1];
    expect(token).toBeDefined();
    const store = await openStore({ engine: 'sqlite', dataDir }, { lock: false });
    try {
      const rows = await store.db.selectFrom('password_reset').selectAll().execute();
      expect(rows).toHaveLength(1);
      expect(JSON.stringify(rows)).not.toContain(token ?? '');
      const found = await findPasswordReset(store.db, token ?? '', new Date().toISOString());
      expect(found?.state).toBe('valid');
      const events = await store.db
        .selectFrom('audit_event')
        .select(['action', 'record_id'])
        .where('action', '=', 'people.password-reset')
        .execute();
      expect(events).toEqual([{ action: 'people.password-reset', record_id: rows[0]?.id }]);
    } finally {
      await store.close();
    }
  });
});
