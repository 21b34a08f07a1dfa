import { clause } from '@alcove/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendAuditEvent, eventHash, GENESIS_HASH } from './audit.ts';
import { writeCheckpoint } from './audit-checkpoints.ts';
import { verifyAuditLog } from './audit-verify.ts';
import { testEngines } from './testing/engines.ts';
import { createTestVault, type TestVault } from './testing/vault.ts';

describe.each(testEngines)('the audit log on $name', (engine) => {
  let v: TestVault;

  beforeEach(async () => {
    v = await createTestVault(engine);
    // 30 events, a checkpoint at 20, and 10 more after it.
    for (let i = 1; i <= 30; i += 1) {
      await v.db.transaction().execute((trx) =>
        appendAuditEvent(
          trx,
          {
            actorId: 'user-1',
            practiceId: v.practice.id,
            action: i % 2 === 0 ? 'client.read' : 'entry.create',
            outcome: 'ok',
            recordType: 'client',
            recordId: `client-${i % 3}`,
            purpose: 'care',
          },
          new Date(Date.UTC(2026, 10, 22, 9, 0, i)).toISOString(),
        ),
      );
      if (i === 20) await writeCheckpoint(v.db, v.keyring);
    }
  });
  afterEach(async () => {
    await v.close();
  });

  const verify = () => verifyAuditLog(v.db, v.keyring);
  const events = () => v.db.selectFrom('audit_event').selectAll().orderBy('seq').execute();

  /** What an attacker who can write to the database but lacks the keys would do: recompute the chain. */
  async function rechain(): Promise<void> {
    let prev = GENESIS_HASH;
    for (const event of await events()) {
      const hash = eventHash(prev, event);
      await v.db
        .updateTable('audit_event')
        .set({ prev_hash: prev, hash })
        .where('seq', '=', event.seq)
        .execute();
      prev = hash;
    }
  }

  it('verifies an untouched log, and says how much is not yet signed', async () => {
    const result = await verify();
    expect(result).toMatchObject({
      ok: true,
      events: 30,
      checkpoints: 1,
      newestCheckpoint: 20,
      unsignedTail: 10,
      problems: [],
    });
  });

  clause('GT-39', 'detects a change to any one byte of any field, over a sample of events', async () => {
    const fields = [
      'at',
      'actor_id',
      'practice_id',
      'action',
      'outcome',
      'record_type',
      'record_id',
      'purpose',
      'hash',
      'prev_hash',
    ] as const;
    for (const seq of [1, 15, 20, 27]) {
      const original = (await events()).find((e) => e.seq === seq);
      if (original === undefined) throw new Error('event');
      for (const field of fields) {
        const value = String(original[field]);
        for (const position of [0, Math.floor(value.length / 2), value.length - 1]) {
          const flipped =
            value.slice(0, position) +
            String.fromCharCode(value.charCodeAt(position) ^ 1) +
            value.slice(position + 1);
          await v.db
            .updateTable('audit_event')
            .set({ [field]: flipped })
            .where('seq', '=', seq)
            .execute();
          const result = await verify();
          expect(result.ok, `${field}[${position}] of event ${seq}`).toBe(false);
          await v.db
            .updateTable('audit_event')
            .set({ [field]: original[field] })
            .where('seq', '=', seq)
            .execute();
        }
      }
    }
    expect((await verify()).ok).toBe(true);
  });

  it('detects a deleted event', async () => {
    await v.db.deleteFrom('audit_event').where('seq', '=', 7).execute();
    expect((await verify()).problems).toContain('events 7–7 are missing');
  });

  it('detects a changed event even when the attacker recomputes the chain', async () => {
    await v.db.updateTable('audit_event').set({ record_id: 'client-999' }).where('seq', '=', 5).execute();
    await rechain();
    const result = await verify();
    expect(result.ok).toBe(false);
    expect(result.problems).toContain('event 20 does not match the checkpoint signed for it');
  });

  it('detects an inserted event (renumbered and rechained)', async () => {
    const all = await events();
    for (const e of all.filter((x) => x.seq >= 10).reverse()) {
      await v.db
        .updateTable('audit_event')
        .set({ seq: e.seq + 1 })
        .where('seq', '=', e.seq)
        .execute();
    }
    const template = all[8];
    if (template === undefined) throw new Error('event');
    await v.db
      .insertInto('audit_event')
      .values({ ...template, seq: 10, action: 'client.read', record_id: 'client-forged' })
      .execute();
    await rechain();
    expect((await verify()).ok).toBe(false);
  });

  it('detects reordered events (rechained)', async () => {
    const all = await events();
    const [a, b] = [all[3], all[4]];
    if (a === undefined || b === undefined) throw new Error('events');
    await v.db.updateTable('audit_event').set({ seq: -1 }).where('seq', '=', a.seq).execute();
    await v.db.updateTable('audit_event').set({ seq: a.seq }).where('seq', '=', b.seq).execute();
    await v.db.updateTable('audit_event').set({ seq: b.seq }).where('seq', '=', -1).execute();
    await rechain();
    expect((await verify()).ok).toBe(false);
  });

  it('detects a log cut short before its newest checkpoint', async () => {
    await v.db.deleteFrom('audit_event').where('seq', '>', 15).execute();
    const result = await verify();
    expect(result.problems).toContain(
      'the log ends at event 15, before the checkpoint signed at event 20: it has been cut short',
    );
  });

  it('detects a forged checkpoint', async () => {
    await v.db
      .updateTable('audit_checkpoint')
      .set({ signature: 'ab'.repeat(32) })
      .execute();
    expect((await verify()).problems).toContain('checkpoint at event 20: the signature is not valid');
  });

  it('detects a cut in the unsigned tail by the head record', async () => {
    await v.db.deleteFrom('audit_event').where('seq', '>', 25).execute();
    expect((await verify()).problems).toContain('the log ends at event 25, but its head records event 30');
  });

  it('cannot detect a cut within the unsigned tail when the head is rewritten too: the documented window', async () => {
    await v.db.deleteFrom('audit_event').where('seq', '>', 25).execute();
    const last = (await events()).at(-1);
    if (last === undefined) throw new Error('event');
    await v.db.updateTable('audit_head').set({ seq: last.seq, hash: last.hash }).execute();
    expect((await verify()).ok).toBe(true);
  });
});
