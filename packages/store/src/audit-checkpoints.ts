import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { lockHeadQuery } from './audit.ts';
import type { Keyring } from './keyring.ts';
import type { Database } from './schema.ts';
import { appendWitnessEntry, lastWitnessEntry, type WitnessEntry } from './witness.ts';

/**
 * Checkpoints of the audit log (audit.ts): the chain's head signed with the keyring's
 * audit-signing secret, every CHECKPOINT_EVERY events and when Alcove stops, and the newest
 * appended to the witness file kept outside the data folder (witness.ts).
 */

/** A checkpoint is signed after this many events (and when Alcove stops). */
export const CHECKPOINT_EVERY = 50;

async function lockHead(trx: Transaction<Database>) {
  return lockHeadQuery(trx).executeTakeFirstOrThrow();
}

function signature(key: Buffer, seq: number, headHash: string, at: string): string {
  return createHmac('sha256', key)
    .update(JSON.stringify([seq, headHash, at]))
    .digest('hex');
}

/** Whether a checkpoint's signature is this keyring's (also asked by audit-verify.ts). */
export function signatureIsGood(
  key: Buffer,
  seq: number,
  headHash: string,
  at: string,
  given: string,
): boolean {
  const expected = Buffer.from(signature(key, seq, headHash, at), 'hex');
  const actual = Buffer.from(given, 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/**
 * Signs the chain's head, if anything was appended since the last checkpoint. With a
 * witness file (witness.ts), the newest checkpoint (this one, or one another server
 * signed) is then appended to it, unless it is there already.
 */
export async function writeCheckpoint(
  db: Kysely<Database>,
  keyring: Keyring,
  now = new Date().toISOString(),
  witness?: string,
): Promise<number | undefined> {
  const key = await keyring.secret(db, 'audit-signing');
  const seq = await signHead(db, key, now);
  if (witness !== undefined) await witnessNewestCheckpoint(db, key, witness);
  return seq;
}

/**
 * Appends the database's newest checkpoint to the witness unless its last line holds it
 * already. A checkpoint whose signature is not good is never witnessed.
 */
export async function witnessNewestCheckpoint(
  db: Kysely<Database>,
  key: Buffer,
  file: string,
): Promise<WitnessEntry | undefined> {
  const checkpoint = await db
    .selectFrom('audit_checkpoint')
    .selectAll()
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (checkpoint === undefined) return undefined;
  if (!signatureIsGood(key, checkpoint.seq, checkpoint.head_hash, checkpoint.at, checkpoint.signature))
    return undefined;
  const last = lastWitnessEntry(file);
  if (last?.seq === checkpoint.seq && last.head === checkpoint.head_hash) return undefined;
  return appendWitnessEntry(file, key, {
    kind: 'checkpoint',
    seq: checkpoint.seq,
    head: checkpoint.head_hash,
    at: checkpoint.at,
  });
}

async function signHead(db: Kysely<Database>, key: Buffer, now: string): Promise<number | undefined> {
  // A transaction of its own, not a member of a batch: it holds the chain's head only for
  // as long as it takes to sign it.
  return db
    .transaction()
    .setAccessMode('read write')
    .execute(async (trx) => {
      const head = await lockHead(trx);
      const last = await trx
        .selectFrom('audit_checkpoint')
        .select('seq')
        .orderBy('seq', 'desc')
        .limit(1)
        .executeTakeFirst();
      if (head.seq === 0 || last?.seq === head.seq) return undefined;
      await trx
        .insertInto('audit_checkpoint')
        .values({
          seq: head.seq,
          at: now,
          head_hash: head.hash,
          signature: signature(key, head.seq, head.hash, now),
        })
        .execute();
      return head.seq;
    });
}

/** Signs a checkpoint when CHECKPOINT_EVERY events have gone by since the last one. */
export async function checkpointIfDue(
  db: Kysely<Database>,
  keyring: Keyring,
  witness?: string,
): Promise<void> {
  const head = await db.selectFrom('audit_head').select('seq').where('id', '=', 1).executeTakeFirstOrThrow();
  const last = await db
    .selectFrom('audit_checkpoint')
    .select('seq')
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (head.seq - (last?.seq ?? 0) >= CHECKPOINT_EVERY) await writeCheckpoint(db, keyring, undefined, witness);
}
