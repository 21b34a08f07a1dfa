import { Confidential } from '@alcove/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addMembership, createUser } from './accounts.ts';
import { createClient } from './clients.ts';
import { enqueueMessage, listOutbox } from './outbox.ts';
import {
  type Claim,
  claimDueMessages,
  markAttemptFailed,
  markDelivered,
  messageIdOf,
  releaseClaim,
} from './outbox-sending.ts';
import { createPractice } from './practices.ts';
import { setMailSettings } from './settings.ts';
import { openStore, type Store } from './store.ts';
import { testEngines } from './testing/engines.ts';
import { createTestVault, type TestVault } from './testing/vault.ts';

const T0 = '2026-03-02T09:00:00.000Z';
const at = (seconds: number) => new Date(Date.parse(T0) + seconds * 1000).toISOString();
const MINUTE = 60_000;

describe.each(testEngines)('claiming the outbox on $name', (engine) => {
  let v: TestVault;
  let userId: string;
  let clientId: string;

  async function queue(count: number, practiceId = v.practice.id, client = clientId): Promise<string[]> {
    const ids: string[] = [];
    await v.db.transaction().execute(async (trx) => {
      for (let i = 0; i < count; i += 1) {
        const { id } = await enqueueMessage(trx, v.keyring, {
          practiceId,
          clientId: client,
          purpose: 'portal-invitation',
          envelope: { to: `reader-${i}@example.test`, subject: `Message ${i}`, text: 'Fictional.' },
          createdBy: userId,
          // In order, a millisecond apart: oldest first is then well defined.
          now: new Date(Date.parse(T0) - (count - i)).toISOString(),
        });
        ids.push(id);
      }
    });
    return ids;
  }

  const claim = (now: string, limit = 20, leaseMs = 5 * MINUTE, store: Store = v.store) =>
    claimDueMessages(store, v.keyring, { now, limit, leaseMs });
  const ids = (c: Claim) => c.messages.map((m) => m.id);
  const row = (id: string) =>
    v.db
      .selectFrom('outbox_message')
      .select(['status', 'attempts', 'lease_token', 'lease_until', 'last_error', 'next_attempt_at'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();

  beforeEach(async () => {
    v = await createTestVault(engine);
    await v.db.transaction().execute(async (trx) => {
      userId = (
        await createUser(trx, v.keyring, {
          email: 'therapist@example.test',
          name: 'Dr Test (fictional)',
          passwordHash: 'x',
        })
      ).id;
      await addMembership(trx, { userId, practiceId: v.practice.id, role: 'practitioner' });
      clientId = (
        await createClient(trx, v.keyring, {
          practiceId: v.practice.id,
          createdBy: userId,
          identity: new Confidential({ name: 'Avery Fictional' }),
        })
      ).id;
      await setMailSettings(trx, v.keyring, {
        practiceId: v.practice.id,
        settings: { mode: 'capture', from: 'practice@example.test', siteUrl: 'https://alcove.example.test/' },
        userId,
        now: T0,
      });
    });
  });
  afterEach(async () => {
    await v.close();
  });

  it('never gives two claimers at once the same message, and between them they take every one', async () => {
    const queued = await queue(30);
    // Several claimers at once on this store (on PostgreSQL they run on different writer
    // connections), and on PostgreSQL a second store too: another server on the same database.
    const stores = [v.store];
    if (engine.name === 'postgres') stores.push(await openStore(v.database.config));
    try {
      const taken: string[][] = [];
      const claimer = async (store: Store) => {
        const mine: string[] = [];
        for (;;) {
          const c = await claim(T0, 3, 5 * MINUTE, store);
          if (c.messages.length === 0) break;
          mine.push(...ids(c));
        }
        taken.push(mine);
      };
      await Promise.all(stores.flatMap((store) => [claimer(store), claimer(store), claimer(store)]));
      const all = taken.flat();
      expect(all).toHaveLength(30);
      expect(new Set(all).size).toBe(30);
      expect(new Set(all)).toEqual(new Set(queued));
      expect(taken.filter((mine) => mine.length > 0).length).toBeGreaterThan(1);
    } finally {
      for (const store of stores.slice(1)) await store.close();
    }
  });

  it('claims the oldest first, opened for sending, and holds them until the claim runs out', async () => {
    const queued = await queue(5);
    const first = await claim(T0, 3, MINUTE);
    expect(ids(first)).toEqual(queued.slice(0, 3));
    expect(first.messages[0]?.envelope).toEqual({
      to: 'reader-0@example.test',
      subject: 'Message 0',
      text: 'Fictional.',
    });
    expect(first.until).toBe(at(60));
    expect(await row(queued[0] ?? '')).toMatchObject({ lease_token: first.token, lease_until: at(60) });
    // Still held half a minute on: only the two nobody holds.
    expect(ids(await claim(at(30), 20, MINUTE))).toEqual(queued.slice(3));
    expect(ids(await claim(at(59), 20, MINUTE))).toEqual([]);
    // The claim has run out (its sender died mid-send): due again, to a claim of its own.
    const again = await claim(at(61), 20, MINUTE);
    expect(ids(again)).toEqual(queued.slice(0, 3));
    expect(again.token).not.toBe(first.token);
  });

  it('ignores the outcome a sender records after it lost its claim to another', async () => {
    const [id = ''] = await queue(1);
    const a = await claim(T0, 20, MINUTE);
    const b = await claim(at(90), 20, MINUTE);
    expect(ids(a)).toEqual([id]);
    expect(ids(b)).toEqual([id]);
    // A comes back late: neither its success nor its failure is recorded.
    expect(await markDelivered(v.db, a.token, id, 'sent', at(91))).toBe(false);
    expect(await markAttemptFailed(v.db, a.token, id, 'Could not connect to the mail server', at(91))).toBe(
      undefined,
    );
    await releaseClaim(v.db, a.token, [id]);
    expect(await row(id)).toMatchObject({
      status: 'queued',
      attempts: 0,
      lease_token: b.token,
      last_error: null,
    });
    // B, which holds it, records it once.
    expect(await markDelivered(v.db, b.token, id, 'sent', at(92))).toBe(true);
    expect(await row(id)).toMatchObject({
      status: 'sent',
      attempts: 1,
      lease_token: null,
      lease_until: null,
    });
    expect(await markDelivered(v.db, b.token, id, 'sent', at(93))).toBe(false);
  });

  it('records the outcome of a claim that ran out if nobody took the message since', async () => {
    const [id = ''] = await queue(1);
    const a = await claim(T0, 20, MINUTE);
    expect(await markDelivered(v.db, a.token, id, 'sent', at(120))).toBe(true);
    expect(ids(await claim(at(121), 20, MINUTE))).toEqual([]);
  });

  it('records a failure under the claim with the retry schedule, and frees the message for its retry', async () => {
    const [id = ''] = await queue(1);
    const a = await claim(T0, 20, 5 * MINUTE);
    expect(
      await markAttemptFailed(v.db, a.token, id, 'The mail server refused the message (SMTP 451)', at(5)),
    ).toBe('queued');
    expect(await row(id)).toMatchObject({
      status: 'queued',
      attempts: 1,
      lease_token: null,
      last_error: 'The mail server refused the message (SMTP 451)',
      next_attempt_at: at(65),
    });
    // Not before the retry is due (a minute after the first failure), whatever the claim.
    expect(ids(await claim(at(64)))).toEqual([]);
    expect(ids(await claim(at(65)))).toEqual([id]);
  });

  it('gives released messages back at once, and never claims withheld messages or a practice without e-mail', async () => {
    const queued = await queue(2);
    const a = await claim(T0);
    await releaseClaim(v.db, a.token, [queued[1] ?? '']);
    expect(ids(await claim(T0))).toEqual([queued[1]]);

    const withheld = await v.db.transaction().execute((trx) =>
      enqueueMessage(trx, v.keyring, {
        practiceId: v.practice.id,
        clientId,
        purpose: 'portal-invitation',
        envelope: { to: 'kept@example.test', subject: 'Kept', text: 'Fictional.' },
        withheld: 'channel-unsafe',
        createdBy: userId,
        now: T0,
      }),
    );
    expect(withheld.status).toBe('withheld');
    const other = await createPractice(v.db, { name: 'Other Practice (fictional)' }, v.keyring);
    const otherClient = await v.db.transaction().execute((trx) =>
      createClient(trx, v.keyring, {
        practiceId: other.id,
        createdBy: userId,
        identity: new Confidential({ name: 'Blair Fictional' }),
      }),
    );
    const [waiting = ''] = await queue(1, other.id, otherClient.id);
    expect(ids(await claim(at(10)))).toEqual([]);
    expect((await listOutbox(v.db, other.id)).find((m) => m.id === waiting)?.status).toBe('queued');
  });

  it('gives each message a Message-ID made of its outbox id alone', async () => {
    const [id = ''] = await queue(1);
    expect(messageIdOf(id)).toBe(`<${id}@alcove.invalid>`);
    expect(messageIdOf(id)).toMatch(/^<[0-9a-f-]{36}@alcove\.invalid>$/);
  });
});
