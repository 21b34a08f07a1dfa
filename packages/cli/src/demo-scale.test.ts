import { openStore, readClientCases, unlockKeyring, verifyAuditLog } from '@alcove/store';
import { tempDir } from '@alcove/store/testing';
import { describe, expect, it } from 'vitest';
import { BENCH_COUPLE_ENTRIES, BENCH_RECORD_NOTES, SCALES } from './commands/demo-scale.ts';
import { main } from './main.ts';
import { captureIo } from './testing/io.ts';
import { readKeyFile } from './unlock.ts';

/** Generates a scaled demo and reads back what the benchmarks and a person would see. */
async function generate(seed: number) {
  const dataDir = tempDir();
  const io = captureIo();
  expect(await main(['demo', '--scale', 'solo', '--seed', String(seed), '--data', dataDir], io)).toBe(0);
  const store = await openStore({ engine: 'sqlite', dataDir }, { lock: false });
  const keyring = await unlockKeyring(store.db, {
    method: 'key-file',
    key: readKeyFile(`${dataDir}.key`, 'key file'),
  });
  const practiceId = (await store.db.selectFrom('practice').select('id').executeTakeFirstOrThrow()).id;
  const count = async (table: 'client' | 'entry' | 'care_case') =>
    Number(
      (
        await store.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const benchCase = async (pseudonym: string) => {
    const rows = await store.db
      .selectFrom('care_case')
      .innerJoin('participant', 'participant.case_id', 'care_case.id')
      .select(['participant.client_id', 'care_case.kind'])
      .where('pseudonym', '=', pseudonym)
      .orderBy('participant.label')
      .execute();
    const first = rows[0];
    if (first === undefined) throw new Error(`no ${pseudonym}`);
    const cases = await readClientCases({ db: store.db, keyring }, practiceId, first.client_id);
    return { kind: first.kind, clients: rows.length, entries: cases[0]?.entries ?? [] };
  };
  return { dataDir, io, store, keyring, count, benchCase };
}

describe('alcove demo --scale', () => {
  it('generates the solo caseload through the same encryption, with an intact audit chain', async () => {
    const g = await generate(1);
    try {
      expect(g.io.stdout.join('\n')).toMatch(
        /Generated 1 practitioner, 300 clients, \d+ cases, 15,000 signed/,
      );
      // The demo's own clients are there as well as the generated ones.
      expect(await g.count('client')).toBeGreaterThanOrEqual(SCALES.solo.clients);
      expect(await g.count('entry')).toBeGreaterThanOrEqual(SCALES.solo.notes);
      const record = await g.benchCase('Case G000001');
      expect(record).toMatchObject({ kind: 'individual', clients: 1 });
      expect(record.entries).toHaveLength(BENCH_RECORD_NOTES);
      const opened = record.entries[0]?.passages[0]?.text;
      const text = opened?.ok === true ? opened.value.reveal() : '';
      expect(text).toMatch(/^<p>.+\(Generated, fictional\.\)<\/p>$/);
      const couple = await g.benchCase('Case G000002');
      expect(couple).toMatchObject({ kind: 'couple', clients: 2 });
      expect(couple.entries).toHaveLength(BENCH_COUPLE_ENTRIES);
      const audit = await verifyAuditLog(g.store.db, g.keyring);
      expect(audit.ok).toBe(true);
      expect(audit.events).toBeGreaterThan(SCALES.solo.notes);
      expect(audit.unsignedTail).toBe(0);
    } finally {
      await g.store.close();
    }
  }, 120_000);

  it('gives the same caseload for the same seed, and another for another seed', async () => {
    const [a, b, c] = [await generate(7), await generate(7), await generate(8)];
    try {
      const texts = async (g: typeof a) =>
        (await g.benchCase('Case G000002')).entries.slice(0, 20).map((e) => ({
          occurredAt: e.occurredAt,
          passages: e.passages.map((p) => (p.text.ok ? p.text.value.reveal() : p.text.reason)),
        }));
      expect(await texts(a)).toEqual(await texts(b));
      expect(await texts(a)).not.toEqual(await texts(c));
    } finally {
      for (const g of [a, b, c]) await g.store.close();
    }
  }, 120_000);

  it('refuses an unknown scale, a bad seed, and a folder that already has the demo', async () => {
    const dataDir = tempDir();
    const bad = captureIo();
    expect(await main(['demo', '--scale', 'huge', '--data', dataDir], bad)).toBe(2);
    expect(bad.stderr.join('\n')).toContain('solo or organisation');
    const seed = captureIo();
    expect(await main(['demo', '--scale', 'solo', '--seed', '-1', '--data', dataDir], seed)).toBe(2);
    expect(await main(['demo', '--data', dataDir], captureIo())).toBe(0);
    const again = captureIo();
    expect(await main(['demo', '--scale', 'solo', '--data', dataDir], again)).toBe(1);
    expect(again.stderr.join('\n')).toContain('needs a new --data folder');
  });
});
