import { Confidential } from '@alcove/core';
import {
  addMembership,
  claimDueMessages,
  createClient,
  createUser,
  enqueueMessage,
  messageIdOf,
  setMailSettings,
} from '@alcove/store';
import { createTestVault, type TestVault, testEngines } from '@alcove/store/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createMailer } from './mail.ts';
import { type SmtpCatcher, startSmtpCatcher } from './testing/smtp.ts';

const MINUTE = 60_000;
const messageIdIn = (raw: string) => raw.match(/^Message-ID:\s*(<[^>\r\n]+>)/im)?.[1];

describe.each(testEngines)('the sender and its claims on $name', (engine) => {
  let v: TestVault;
  let smtp: SmtpCatcher;
  let userId: string;
  let clientId: string;
  let t0 = Date.now();

  const queue = (to: string) =>
    v.db.transaction().execute(async (trx) => {
      const { id } = await enqueueMessage(trx, v.keyring, {
        practiceId: v.practice.id,
        clientId,
        purpose: 'portal-invitation',
        envelope: { to, subject: 'A fictional message', text: 'Fictional.' },
        createdBy: userId,
        now: new Date(t0).toISOString(),
      });
      return id;
    });
  const row = (id: string) =>
    v.db
      .selectFrom('outbox_message')
      .select(['status', 'attempts', 'lease_token'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
  const arrivedAt = (to: string) => smtp.received.filter((m) => m.to.includes(to));

  beforeAll(async () => {
    v = await createTestVault(engine);
    smtp = await startSmtpCatcher();
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
        settings: {
          mode: 'smtp',
          from: 'practice@example.test',
          siteUrl: 'https://alcove.example.test/',
          host: '127.0.0.1',
          port: smtp.port,
          secure: false,
        },
        userId,
        now: new Date().toISOString(),
      });
    });
  });
  afterAll(async () => {
    await v.close();
    await smtp.close();
  });
  beforeEach(() => {
    // Each test in a day of its own: nothing one leaves queued is due in the next.
    t0 += 24 * 60 * MINUTE;
  });

  it('sends a message whose sender died mid-send again once the claim runs out, with the same Message-ID', async () => {
    const id = await queue('died-mid-send@example.test');
    // A server claims it, and dies before it records anything.
    const dead = await claimDueMessages(v.store, v.keyring, { now: new Date(t0).toISOString() });
    expect(dead.messages.map((m) => m.id)).toEqual([id]);
    // While the claim holds, no other sender touches the message.
    expect(await createMailer(v.store, v.keyring, { now: () => new Date(t0 + 4 * MINUTE) }).drain()).toBe(0);
    expect(arrivedAt('died-mid-send@example.test')).toEqual([]);
    // Once it has run out, the next sender sends it, with the message's own Message-ID.
    expect(await createMailer(v.store, v.keyring, { now: () => new Date(t0 + 6 * MINUTE) }).drain()).toBe(1);
    const arrived = arrivedAt('died-mid-send@example.test');
    expect(arrived).toHaveLength(1);
    expect(messageIdIn(arrived[0]?.raw ?? '')).toBe(messageIdOf(id));
    expect(await row(id)).toMatchObject({ status: 'sent', attempts: 1, lease_token: null });
  });

  it('keeps the Message-ID from one attempt to the next', async () => {
    const id = await queue('twice@example.test');
    smtp.refuse(true);
    expect(await createMailer(v.store, v.keyring, { now: () => new Date(t0) }).drain()).toBe(0);
    expect(await row(id)).toMatchObject({ status: 'queued', attempts: 1, lease_token: null });
    smtp.refuse(false);
    // The retry a minute later.
    expect(await createMailer(v.store, v.keyring, { now: () => new Date(t0 + MINUTE) }).drain()).toBe(1);
    expect(arrivedAt('twice@example.test').map((m) => messageIdIn(m.raw))).toEqual([messageIdOf(id)]);
  });

  it('gives a message back, unsent, rather than start it with too little of its claim left', async () => {
    const id = await queue('slow-sender@example.test');
    // The claim is taken at t0; by the time the sender comes to the message, 3½ of its 5
    // minutes have gone (a slow batch before it).
    const times = [t0, t0 + 3.5 * MINUTE];
    let calls = 0;
    const mailer = createMailer(v.store, v.keyring, {
      now: () => new Date(times[Math.min(calls++, times.length - 1)] ?? t0),
    });
    expect(await mailer.drain()).toBe(0);
    expect(arrivedAt('slow-sender@example.test')).toEqual([]);
    expect(await row(id)).toMatchObject({ status: 'queued', attempts: 0, lease_token: null });
    // Given back, it is due at once: the next turn sends it.
    expect(await createMailer(v.store, v.keyring, { now: () => new Date(t0 + 4 * MINUTE) }).drain()).toBe(1);
    expect(arrivedAt('slow-sender@example.test')).toHaveLength(1);
  });
});
