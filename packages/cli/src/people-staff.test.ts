import fs from 'node:fs';
import {
  addMembership,
  createApiToken,
  createSession,
  createUser,
  findUserByEmail,
  insertPractice,
  openStore,
  unlockKeyring,
} from '@alcove/store';
import { tempDir } from '@alcove/store/testing';
import { describe, expect, it } from 'vitest';
import { main } from './main.ts';
import { captureIo } from './testing/io.ts';

const OWNER = 'owner@example.test';
const COLLEAGUE = 'colleague@example.test';

/** `alcove people list|invite|role|suspend|reinstate|remove` (issue 16): the practice's staff from the command line. */
describe('alcove people: the practice’s staff', () => {
  async function installation() {
    const dataDir = tempDir();
    const keyFile = `${dataDir}.key`;
    expect(
      await main(
        [
          'init',
          '--data',
          dataDir,
          '--practice-name',
          'CLI Staff Practice (fictional)',
          '--email',
          OWNER,
          '--name',
          'Owner (fictional)',
          '--key-file',
          keyFile,
        ],
        captureIo({ ALCOVE_INIT_PASSWORD: 'a long fictional passphrase' }),
      ),
    ).toBe(0);
    const env = { ALCOVE_KEY_FILE: keyFile };
    const run = async (...args: string[]) => {
      const io = captureIo(env);
      const code = await main(['people', ...args, '--data', dataDir], io);
      return { code, said: [...io.stdout, ...io.stderr].join('\n') };
    };
    const withStore = async <T>(
      work: (
        store: Awaited<ReturnType<typeof openStore>>,
        keyring: Awaited<ReturnType<typeof unlockKeyring>>,
      ) => Promise<T>,
    ) => {
      const store = await openStore({ engine: 'sqlite', dataDir }, { lock: false });
      try {
        const key = Buffer.from(fs.readFileSync(keyFile, 'utf8').trim(), 'base64');
        return await work(store, await unlockKeyring(store.db, { method: 'key-file', key }));
      } finally {
        await store.close();
      }
    };
    return { run, withStore };
  }

  it('invites with the link printed once, lists, and changes roles, suspends, reinstates and removes — ending sessions', async () => {
    const { run, withStore } = await installation();
    // No e-mail set up and no site address: the command says what it needs.
    const noSite = await run(
      'invite',
      '--email',
      'new@example.test',
      '--name',
      'New (fictional)',
      '--role',
      'supervisor',
    );
    expect(noSite.code).toBe(2);
    expect(noSite.said).toContain('--site-url');
    expect(
      (await run('invite', '--email', 'new@example.test', '--name', 'New (fictional)', '--role', 'client'))
        .code,
    ).toBe(2);
    const invited = await run(
      'invite',
      '--email',
      'new@example.test',
      '--name',
      'New Person (fictional)',
      '--role',
      'supervisor',
      'executor',
      '--site-url',
      'https://alcove.example.test/',
    );
    expect(invited.code, invited.said).toBe(0);
    const link = invited.said.match(/https:\/\/alcove\.example\.test\/join#([A-Za-z0-9_-]{43})/);
    expect(link).not.toBeNull();
    const token = link?.[1] ?? '';
    const stored = await withStore((store) => store.db.selectFrom('staff_invitation').selectAll().execute());
    expect(stored).toHaveLength(1);
    expect(JSON.stringify(stored)).not.toContain(token);
    expect(JSON.stringify(stored)).not.toContain('new@example.test');
    expect(stored[0]).toMatchObject({ roles: 'supervisor,executor', created_by: null });

    // A colleague with a session and a token, as a running server would have written them.
    const colleagueId = await withStore(async (store, keyring) =>
      store.db.transaction().execute(async (trx) => {
        const practice = await trx.selectFrom('practice').select('id').executeTakeFirstOrThrow();
        const { id } = await createUser(trx, keyring, {
          email: COLLEAGUE,
          name: 'Colleague (fictional)',
          passwordHash: 'x',
        });
        await addMembership(trx, { userId: id, practiceId: practice.id, role: 'practitioner' });
        const now = new Date().toISOString();
        await createSession(trx, {
          idHash: 'd'.repeat(64),
          userId: id,
          practiceId: practice.id,
          csrfToken: 'x',
          stage: 'active',
          now,
        });
        await createApiToken(trx, {
          userId: id,
          practiceId: practice.id,
          name: 'script',
          tokenHash: 'e'.repeat(64),
          now,
          scope: 'read',
          expiresAt: '2100-01-01T00:00:00.000Z',
        });
        return id;
      }),
    );
    const listed = await run('list');
    expect(listed.code).toBe(0);
    expect(listed.said).toContain('Owner (fictional) <owner@example.test>  practitioner, administrator');
    expect(listed.said).toContain('Colleague (fictional) <colleague@example.test>  practitioner  (active');
    expect(listed.said).toContain('new@example.test  supervisor, executor');
    expect(listed.said).not.toContain(token);

    const suspended = await run('suspend', '--email', COLLEAGUE);
    expect(suspended.code, suspended.said).toBe(0);
    const access = () =>
      withStore(async (store) => ({
        sessions: await store.db
          .selectFrom('user_session')
          .select('id_hash')
          .where('user_id', '=', colleagueId)
          .where('ended_at', 'is', null)
          .execute(),
        tokens: await store.db
          .selectFrom('api_token')
          .select('id')
          .where('user_id', '=', colleagueId)
          .where('revoked_at', 'is', null)
          .execute(),
      }));
    expect(await access()).toEqual({ sessions: [], tokens: [] });
    expect((await run('list')).said).toContain('practitioner  (SUSPENDED');
    expect((await run('reinstate', '--email', COLLEAGUE)).code).toBe(0);
    expect((await run('role', '--email', COLLEAGUE, '--role', 'practitioner,administrator')).code).toBe(0);
    expect((await run('list')).said).toContain(
      'Colleague (fictional) <colleague@example.test>  practitioner, administrator  (active',
    );
    // Two administrators: the owner may step down; then the colleague is the last one.
    expect((await run('role', '--email', OWNER, '--role', 'practitioner')).code).toBe(0);
    const last = await run('remove', '--email', COLLEAGUE);
    expect(last.code).toBe(1);
    expect(last.said).toContain('without an active administrator');
    expect((await run('role', '--email', OWNER, '--role', 'practitioner', 'administrator')).code).toBe(0);
    expect((await run('remove', '--email', COLLEAGUE)).code).toBe(0);
    expect((await run('list')).said).not.toContain(COLLEAGUE);
    const unknown = await run('suspend', '--email', 'nobody@example.test');
    expect(unknown.code).toBe(1);
    expect(unknown.said).toContain('No account has that e-mail address.');
    expect(unknown.said).not.toContain('nobody@example.test');

    const actions = await withStore((store) =>
      store.db
        .selectFrom('audit_event')
        .select(['action', 'record_id', 'actor_id'])
        .where('action', 'like', 'people.%')
        .execute(),
    );
    for (const action of [
      'people.invite',
      'people.read',
      'people.suspend',
      'people.reinstate',
      'people.roles',
      'people.remove',
      'people.access-ended',
    ]) {
      expect(
        actions.map((a) => a.action),
        action,
      ).toContain(action);
    }
    expect(actions.filter((a) => a.action === 'people.suspend').map((a) => a.record_id)).toEqual([
      colleagueId,
    ]);
    expect(JSON.stringify(actions)).not.toMatch(/example\.test|fictional/);
  });

  it('asks which practice, where the installation has several', async () => {
    const { run, withStore } = await installation();
    const second = await withStore((store, keyring) =>
      store.db.transaction().execute((trx) => insertPractice(trx, { name: 'Second (fictional)' }, keyring)),
    );
    const asked = await run('list');
    expect(asked.code).toBe(2);
    expect(asked.said).toContain('--practice <id>');
    expect(asked.said).toContain(second.id);
    const there = await run('list', '--practice', second.id);
    expect(there.code).toBe(0);
    expect(there.said).not.toContain(OWNER);
    // The owner is not on the second practice's staff: "no such person" there.
    const notThere = await run('suspend', '--email', OWNER, '--practice', second.id);
    expect(notThere.code).toBe(1);
    expect(notThere.said).toContain('no such person');
    expect(
      await withStore(async (store, keyring) => (await findUserByEmail(store.db, keyring, OWNER))?.id),
    ).toBeDefined();
  });
});
