import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendAuditEvent, auditEventContext, deleteAuditContextBefore } from './audit.ts';
import { writeCheckpoint } from './audit-checkpoints.ts';
import { auditSource, USER_AGENT_MAX, withAuditSource } from './audit-source.ts';
import { verifyAuditLog } from './audit-verify.ts';
import { createPractice } from './practices.ts';
import { testEngines } from './testing/engines.ts';
import { createTestVault, type TestVault } from './testing/vault.ts';

/**
 * Security events with their context (issue 16, finding 8): each event's source address and
 * user agent are kept beside it, outside the hash chain, written in the same transaction,
 * and deleted when log retention ends without the chain noticing.
 */
describe.each(testEngines)('audit event context on $name', (engine) => {
  let v: TestVault;
  beforeEach(async () => {
    v = await createTestVault(engine);
  });
  afterEach(async () => {
    await v.close();
  });

  const FIREFOX = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0';
  const append = (at: string, practiceId: string | null = v.practice.id) =>
    v.db.transaction().execute((trx) =>
      appendAuditEvent(trx, {
        actorId: 'user-1',
        practiceId,
        action: 'session.sign-in',
        outcome: 'ok',
        purpose: 'security',
        at,
      }),
    );
  const head = async () =>
    (await v.db.selectFrom('audit_head').select('seq').where('id', '=', 1).executeTakeFirstOrThrow()).seq;

  it('keeps the source of an event appended inside withAuditSource beside it, and none outside', async () => {
    await withAuditSource(auditSource('192.0.2.10', FIREFOX), () => append('2026-11-22T09:00:00.000Z'));
    const inside = await head();
    await append('2026-11-22T09:01:00.000Z');
    const outside = await head();
    expect(await auditEventContext(v.db, inside)).toEqual({
      event_seq: inside,
      at: '2026-11-22T09:00:00.000Z',
      source_address: '192.0.2.10',
      user_agent: FIREFOX,
    });
    expect(await auditEventContext(v.db, outside)).toBeUndefined();
    // The event itself holds no address: the chain's fields are what they always were.
    const event = await v.db
      .selectFrom('audit_event')
      .selectAll()
      .where('seq', '=', inside)
      .executeTakeFirstOrThrow();
    expect(JSON.stringify(event)).not.toContain('192.0.2.10');
    expect((await verifyAuditLog(v.db, v.keyring)).ok).toBe(true);
  });

  it('writes the context in the same transaction as the event: a rolled-back act leaves neither', async () => {
    const before = await head();
    await expect(
      withAuditSource(auditSource('192.0.2.11', FIREFOX), () =>
        v.db.transaction().execute(async (trx) => {
          await appendAuditEvent(trx, { action: 'session.sign-in', outcome: 'ok' });
          throw new Error('the act failed');
        }),
      ),
    ).rejects.toThrow('the act failed');
    expect(await head()).toBe(before);
    const rows = await v.db.selectFrom('audit_event_context').selectAll().execute();
    expect(rows).toEqual([]);
  });

  it('takes each event’s source when it is appended, not when a group-commit batch writes it', async () => {
    const before = v.store.committed();
    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        withAuditSource(auditSource(`192.0.2.${100 + i}`, `Agent ${i} (fictional)`), () =>
          v.db.transaction().execute((trx) =>
            appendAuditEvent(trx, {
              action: 'gc.write',
              outcome: 'ok',
              recordType: 'n',
              recordId: `n${i}`,
            }),
          ),
        ),
      ),
    );
    expect(v.store.committed().batches - before.batches).toBeLessThan(12);
    const rows = await v.db
      .selectFrom('audit_event')
      .innerJoin('audit_event_context', 'audit_event_context.event_seq', 'audit_event.seq')
      .select([
        'audit_event.record_id',
        'audit_event_context.source_address',
        'audit_event_context.user_agent',
      ])
      .execute();
    expect(rows).toHaveLength(12);
    for (const row of rows) {
      const i = Number(row.record_id?.slice(1));
      expect(row.source_address).toBe(`192.0.2.${100 + i}`);
      expect(row.user_agent).toBe(`Agent ${i} (fictional)`);
    }
    expect((await verifyAuditLog(v.db, v.keyring)).ok).toBe(true);
  });

  it('deletes context older than the retention date; the chain and its checkpoints still verify', async () => {
    const other = await createPractice(v.db, { name: 'Other Practice (fictional)' }, v.keyring);
    await withAuditSource(auditSource('192.0.2.20', FIREFOX), async () => {
      await append('2025-01-10T09:00:00.000Z');
      await append('2025-02-10T09:00:00.000Z', other.id);
      await writeCheckpoint(v.db, v.keyring, '2025-03-01T00:00:00.000Z');
      await append('2026-11-22T09:00:00.000Z');
    });
    const count = async () => (await v.db.selectFrom('audit_event_context').selectAll().execute()).length;
    expect(await count()).toBe(3);
    // One practice's retention first: the other practice's old context stays.
    expect(await deleteAuditContextBefore(v.db, '2026-01-01T00:00:00.000Z', v.practice.id)).toBe(1);
    expect(await count()).toBe(2);
    expect(await deleteAuditContextBefore(v.db, '2026-01-01T00:00:00.000Z')).toBe(1);
    const left = await v.db.selectFrom('audit_event_context').select('at').execute();
    expect(left).toEqual([{ at: '2026-11-22T09:00:00.000Z' }]);
    const verified = await verifyAuditLog(v.db, v.keyring);
    expect(verified.problems).toEqual([]);
    expect(verified.ok).toBe(true);
    expect(verified.events).toBe(3);
  });

  it('trims a user agent and an address to their limits, and keeps an empty one as nothing', () => {
    const long = auditSource(' 192.0.2.30 ', 'x'.repeat(5000));
    expect(long.address).toBe('192.0.2.30');
    expect(long.userAgent).toHaveLength(USER_AGENT_MAX);
    expect(auditSource('', '   ')).toEqual({ address: null, userAgent: null });
    expect(auditSource(undefined, undefined)).toEqual({ address: null, userAgent: null });
  });
});
