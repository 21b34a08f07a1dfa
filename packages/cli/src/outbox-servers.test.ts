import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  enqueueMessage,
  type Keyring,
  listPractices,
  messageIdOf,
  openStore,
  parseKeyFile,
  type Store,
  setMailSettings,
  unlockKeyring,
} from '@alcove/store';
import { tempDir, testDatabaseUrl } from '@alcove/store/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SmtpCatcher, startSmtpCatcher } from '../../server/src/testing/smtp.ts';
import { main } from './main.ts';
import { captureIo } from './testing/io.ts';
import {
  type Installation,
  installationEnv,
  killStrayServers,
  type Server,
  signIn,
  startServer,
  stopServer,
} from './testing/served.ts';

/**
 * Issue 15: two `alcove serve` processes on one PostgreSQL database, each told to send the
 * outbox at the same moment, with a real SMTP server on the other end. Every message must
 * arrive exactly once, carrying its own stable Message-ID.
 */
const MESSAGES = 30;

async function admin(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

describe.skipIf(testDatabaseUrl === undefined)('two servers sending one outbox on PostgreSQL', () => {
  const adminUrl = testDatabaseUrl ?? '';
  const database = `alcove_outbox_${randomBytes(5).toString('hex')}`;
  const base = tempDir('alcove-outbox-');
  let inst: Installation;
  let smtp: SmtpCatcher;
  let store: Store;
  let keyring: Keyring;
  const servers: Server[] = [];
  // Each server reads the clock from the machine, whatever this process was started with.
  const env = { ALCOVE_TEST_NOW: '' };

  beforeAll(async () => {
    await admin(adminUrl, `create database ${database}`);
    const url = new URL(adminUrl);
    url.pathname = `/${database}`;
    inst = { databaseUrl: url.toString(), keyFile: path.join(base, 'demo.key') };
    const io = captureIo(installationEnv(inst));
    if ((await main(['demo', '--key-file', inst.keyFile], io)) !== 0)
      throw new Error(`demo failed: ${io.stderr.join(' ')}`);
    smtp = await startSmtpCatcher();
    store = await openStore({ engine: 'postgres', connectionString: inst.databaseUrl ?? '' });
    keyring = await unlockKeyring(store.db, {
      method: 'key-file',
      key: parseKeyFile(fs.readFileSync(inst.keyFile, 'utf8')),
    });
    servers.push(...(await Promise.all([startServer(inst, env), startServer(inst, env)])));
  }, 120_000);

  afterAll(async () => {
    await Promise.all(servers.map((s) => stopServer(s)));
    killStrayServers();
    await store?.close();
    await smtp?.close();
    await admin(adminUrl, `drop database if exists ${database} with (force)`);
    fs.rmSync(base, { recursive: true, force: true });
  });

  it('sends every message exactly once, each with its own stable Message-ID', async () => {
    const [a, b] = servers;
    if (a === undefined || b === undefined) throw new Error('the servers did not start');
    const { cookie, csrf } = await signIn(a, inst, env);
    const tokenResponse = await fetch(`${a.url}/api/v1/account/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrf },
      body: JSON.stringify({ name: 'outbox test' }),
    });
    const token = ((await tokenResponse.json()) as { token: string }).token;
    const call = (server: Server, method: string, url: string, body?: unknown) =>
      fetch(`${server.url}/api/v1${url}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const { clients } = (await (await call(a, 'GET', '/clients')).json()) as { clients: { id: string }[] };
    const clientId = clients[0]?.id ?? '';
    const [practice] = await listPractices(store.db);
    const practiceId = practice?.id ?? '';

    // The practice's e-mail goes to the SMTP server here, and the outbox holds MESSAGES
    // queued messages and two that failed, one for each server to be asked to send again.
    const queued: { id: string; to: string }[] = [];
    const failed: string[] = [];
    const now = new Date().toISOString();
    await store.db.transaction().execute(async (trx) => {
      await setMailSettings(trx, keyring, {
        practiceId,
        settings: {
          mode: 'smtp',
          from: 'practice@example.test',
          siteUrl: 'https://alcove.example.test/',
          host: '127.0.0.1',
          port: smtp.port,
          secure: false,
        },
        userId: (await trx.selectFrom('app_user').select('id').limit(1).executeTakeFirstOrThrow()).id,
        now,
      });
      for (let i = 0; i < MESSAGES + 2; i += 1) {
        const to = `reader-${i}@example.test`;
        const { id } = await enqueueMessage(trx, keyring, {
          practiceId,
          clientId,
          purpose: 'portal-invitation',
          envelope: { to, subject: `Message ${i} (fictional)`, text: 'A fictional message.' },
          createdBy: null,
          now,
        });
        if (i < MESSAGES) queued.push({ id, to });
        else failed.push(id);
      }
      await trx
        .updateTable('outbox_message')
        .set({ status: 'failed', next_attempt_at: null, attempts: 6 })
        .where('id', 'in', failed)
        .execute();
    });
    const all = [...queued.map((q) => q.id), ...failed];

    // "Send again" on each server at once: each queues its message and starts sending.
    const retried = await Promise.all([
      call(a, 'POST', `/outbox/${failed[0]}/retry`, {}),
      call(b, 'POST', `/outbox/${failed[1]}/retry`, {}),
    ]);
    expect(retried.map((r) => r.status)).toEqual([204, 204]);

    const sentCount = async () =>
      Number(
        (
          await store.db
            .selectFrom('outbox_message')
            .select((eb) => eb.fn.countAll().as('n'))
            .where('id', 'in', all)
            .where('status', '=', 'sent')
            .executeTakeFirstOrThrow()
        ).n,
      );
    const started = Date.now();
    while ((await sentCount()) < all.length && Date.now() - started < 40_000) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // Long enough for a second copy from the other server to arrive, were one on its way.
    await new Promise((resolve) => setTimeout(resolve, 1_000));

    // Each message reached its reader once: not twice, from two servers.
    for (const message of queued) {
      expect(smtp.received.filter((m) => m.to.includes(message.to)).map((m) => m.to)).toEqual([[message.to]]);
    }
    // Each carried its own Message-ID, and no Message-ID came twice (the demo's own waiting
    // invitation is sent too, once).
    const messageIdIn = (raw: string) => raw.match(/^Message-ID:\s*(<[^>\r\n]+>)/im)?.[1];
    for (const message of queued) {
      const arrived = smtp.received.find((m) => m.to.includes(message.to));
      expect(messageIdIn(arrived?.raw ?? '')).toBe(messageIdOf(message.id));
    }
    for (const id of failed) {
      expect(smtp.received.filter((m) => messageIdIn(m.raw) === messageIdOf(id))).toHaveLength(1);
    }
    const ids = smtp.received.map((m) => messageIdIn(m.raw));
    expect(ids.every((id) => id !== undefined)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    const rows = await store.db
      .selectFrom('outbox_message')
      .select(['status', 'attempts', 'lease_token'])
      .where('id', 'in', all)
      .execute();
    expect(rows).toHaveLength(all.length);
    for (const row of rows) expect(row).toMatchObject({ status: 'sent', lease_token: null });
    expect(rows.filter((r) => r.attempts === 1)).toHaveLength(MESSAGES);
  }, 60_000);
});
