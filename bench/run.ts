// npm run bench: what a sign-in costs, and what encryption adds to writing a record.
// Figures come from one run on this machine, each beside the ceiling it is compared to;
// they are never asserted by a test. Writes bench/results.json as well as the table.
import fs from 'node:fs';
import path from 'node:path';
import { Confidential } from '@alcove/core';
import { hashPassword } from '@alcove/server';
import {
  addEntry,
  addMembership,
  appendAuditEvent,
  type CaseFacts,
  createClient,
  createUser,
  openCase,
  sealText,
} from '@alcove/store';
import { createTestVault, testEngines } from '@alcove/store/testing';
import { sql } from 'kysely';
import { Bench } from 'tinybench';
import { verifyPassword } from '../packages/server/src/auth/passwords.ts';
import { addStaff, startTestApp, TEST_PASSWORD } from '../packages/server/src/testing/app.ts';

const engine = testEngines[0];
if (engine === undefined) throw new Error('no engine');
const PASSAGE = 'x'.repeat(600); // a paragraph of a session note
const PASSAGES = 4;

// ------------------------------------------------------------ setting up
const v = await createTestVault(engine);
const practiceId = v.practice.id;
const setup = await v.db.transaction().execute(async (trx) => {
  const { id: userId } = await createUser(trx, v.keyring, {
    email: 'bench@example.test',
    name: 'Bench (fictional)',
    passwordHash: 'x',
  });
  await addMembership(trx, { userId, practiceId, role: 'practitioner' });
  const client = await createClient(trx, v.keyring, {
    practiceId,
    createdBy: userId,
    identity: new Confidential({ name: 'Bench Client (fictional)' }),
  });
  const theCase = await openCase(trx, v.keyring, {
    practiceId,
    practitionerId: userId,
    kind: 'individual',
    clientIds: [client.id],
  });
  return { userId, theCase };
});
await sql`create table bench_entry (id text primary key, case_id text, author_id text, kind text, occurred_at text, written_at text)`.execute(
  v.db,
);
await sql`create table bench_passage (id text primary key, entry_id text, position integer, attribution text, key_id text, body text)`.execute(
  v.db,
);

const t = await startTestApp(engine, { signInRateLimit: 1_000_000 });
await addStaff(t.vault, {
  email: 'signin@example.test',
  name: 'Sign In (fictional)',
  roles: ['practitioner'],
});
const hash = await hashPassword(TEST_PASSWORD);

const participant = setup.theCase.participants[0]?.id ?? '';
let n = 0;
async function sealedWrite(theCase: CaseFacts): Promise<void> {
  await v.db.transaction().execute(async (trx) => {
    const { id } = await addEntry(trx, v.keyring, {
      practiceId,
      theCase,
      authorId: setup.userId,
      kind: 'session-note',
      occurredAt: '2026-11-20T10:00:00Z',
      passages: Array.from({ length: PASSAGES }, () => ({
        text: new Confidential(PASSAGE),
        attribution: [participant],
      })),
    });
    await appendAuditEvent(trx, {
      actorId: setup.userId,
      practiceId,
      action: 'entry.create',
      outcome: 'ok',
      recordType: 'entry',
      recordId: id,
    });
  });
}
async function plainWrite(): Promise<void> {
  await v.db.transaction().execute(async (trx) => {
    n += 1;
    const id = `e${n}`;
    await sql`insert into bench_entry values (${id}, ${setup.theCase.caseId}, ${setup.userId}, 'session-note', '2026-11-20T10:00:00.000Z', ${new Date().toISOString()})`.execute(
      trx,
    );
    for (let i = 0; i < PASSAGES; i += 1) {
      await sql`insert into bench_passage values (${`${id}p${i}`}, ${id}, ${i}, ${JSON.stringify([participant])}, 'k', ${PASSAGE})`.execute(
        trx,
      );
    }
  });
}
const key = Buffer.alloc(32, 7);

// ------------------------------------------------------------ measuring
const bench = new Bench({ time: 3000, warmupTime: 500 });
bench
  .add('argon2id verify (m=19456, t=2, p=1)', async () => {
    await verifyPassword(hash, TEST_PASSWORD);
  })
  .add('sign-in, password step, over HTTP in-process', async () => {
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/sign-in',
      payload: { email: 'signin@example.test', password: TEST_PASSWORD },
    });
  })
  .add(`entry write, sealed + audited (${PASSAGES} × ${PASSAGE.length} chars)`, () =>
    sealedWrite(setup.theCase),
  )
  .add('entry write, same rows in clear (ceiling)', plainWrite)
  .add('AES-256-GCM seal of one passage', () => {
    sealText(key, PASSAGE, { practiceId, record: 'passage/x', field: 'body', keyId: 'k' });
  });
await bench.run();

const rows = bench.tasks.map((task) => {
  const r = task.result;
  if (r.state !== 'completed') throw new Error(`${task.name}: ${r.state}`);
  return { name: task.name, meanMs: r.latency.mean, p50Ms: r.latency.p50, opsPerSecond: r.throughput.mean };
});
const byName = (prefix: string) => rows.find((r) => r.name.startsWith(prefix));
const sealed = byName('entry write, sealed');
const plain = byName('entry write, same rows');
const ratio = sealed !== undefined && plain !== undefined ? sealed.meanMs / plain.meanMs : undefined;

const width = Math.max(...rows.map((r) => r.name.length));
process.stdout.write(`\n${'task'.padEnd(width)}  mean ms   p50 ms     ops/s\n`);
for (const r of rows) {
  process.stdout.write(
    `${r.name.padEnd(width)}  ${r.meanMs.toFixed(3).padStart(7)}  ${r.p50Ms.toFixed(3).padStart(7)}  ${r.opsPerSecond.toFixed(0).padStart(8)}\n`,
  );
}
if (ratio !== undefined) {
  process.stdout.write(
    `\nA sealed, audited entry write costs ${ratio.toFixed(2)}× the same write in clear (SQLite, synchronous=FULL).\n`,
  );
}
const out = path.join(import.meta.dirname, 'results.json');
fs.writeFileSync(
  out,
  `${JSON.stringify({ at: new Date().toISOString(), node: process.version, engine: engine.name, rows, sealedOverPlain: ratio }, null, 2)}\n`,
);
process.stdout.write(`Written to ${path.relative(process.cwd(), out)}\n`);
await t.close();
await v.close();
