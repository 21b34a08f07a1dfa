import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import {
  type AuditWitnessCheck,
  type AuditWitnessResult,
  auditDigestMessage,
  auditWitnessResults,
  formatDay,
  londonDay,
} from '@alcove/core';
import type { Kysely, Transaction } from 'kysely';
import { appendAuditEvent, appendAuditEvents } from './audit.ts';
import { type AuditVerification, verifyAuditLog } from './audit-verify.ts';
import type { Keyring } from './keyring.ts';
import { enqueuePracticeMessage, practiceRecipientAddress } from './outbox.ts';
import type { Database } from './schema.ts';
import { readWitness, witnessKey } from './witness.ts';

/**
 * The daily check of the audit log against its witness, and the daily digest (issue 15).
 *
 * The check is `alcove audit verify` with the witness (`verifyAuditLog`), run by each
 * server against its own witness file. Its outcome is kept for every practice as a
 * `practice_setting` row (`audit-witness-check:<id>`, one per witness: servers that keep a
 * witness each keep a row each), so the obligations page can show it, and audited (ids and
 * verbs only). A row not refreshed for STALE_CHECK_DAYS (a server no longer running) is
 * not shown.
 *
 * The digest e-mails the newest checkpoint's event number and the start of its hash to the
 * practice (its first administrator), through the outbox, at most once per practice per
 * London day: the outbox's unique (practice, once_key) holds across restarts and servers.
 */
const CHECK_PREFIX = 'audit-witness-check:';
const CHECK_PREFIX_END = 'audit-witness-check;';
/** The practice's choice to receive the daily digest: 'on', or no row (off, the default). */
export const AUDIT_DIGEST_SETTING = 'audit-digest';
/** A check not made again for this many days is of a server that has stopped: not shown. */
export const STALE_CHECK_DAYS = 3;

/**
 * Which witness a check was made against: the same for one server's file from run to run,
 * different for another server's. Derived from the host and the path; reveals neither.
 */
export function witnessCheckId(file: string): string {
  return createHash('sha256')
    .update(`alcove/witness-check\n${os.hostname()}\n${path.resolve(file)}`)
    .digest('hex')
    .slice(0, 16);
}

/** What a verification with the witness found, in the check's words. */
export function witnessResultOf(verification: AuditVerification): AuditWitnessResult {
  if (verification.problems.length > 0) return 'tampered';
  if (verification.warnings.length === 0) return 'ok';
  return verification.witness?.exists === false ? 'witness-missing' : 'witness-behind';
}

/**
 * The cheaper check, for when a server starts: the witness's own lines (signatures and
 * chain), then only the event at the newest witnessed checkpoint (since the last restore)
 * and the log's head, instead of every event. The log must reach that event and agree with
 * it; the witness must reach the database's newest checkpoint.
 */
export async function quickWitnessResult(
  db: Kysely<Database>,
  keyring: Keyring,
  file: string,
): Promise<AuditWitnessResult> {
  const reading = readWitness(file, await witnessKey(db, keyring));
  if (reading.problems.length > 0) return 'tampered';
  const newestCheckpoint = await db
    .selectFrom('audit_checkpoint')
    .select('seq')
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  const witnessed = reading.newest;
  if (witnessed !== undefined && witnessed.seq > 0) {
    const head = await db
      .selectFrom('audit_head')
      .select('seq')
      .where('id', '=', 1)
      .executeTakeFirstOrThrow();
    const event = await db
      .selectFrom('audit_event')
      .select('hash')
      .where('seq', '=', witnessed.seq)
      .executeTakeFirst();
    if (head.seq < witnessed.seq || event?.hash !== witnessed.head) return 'tampered';
  }
  if (!reading.exists) return newestCheckpoint === undefined ? 'ok' : 'witness-missing';
  // Alcove never leaves a witness empty: it was emptied.
  if (reading.entries.length === 0) return 'witness-missing';
  if (newestCheckpoint !== undefined && (witnessed?.seq ?? 0) < newestCheckpoint.seq) return 'witness-behind';
  return 'ok';
}

/**
 * Compares the log with the witness as `alcove audit verify` does (or, `quick`, as
 * `quickWitnessResult` does), and records the outcome for every practice, audited as
 * `audit.witness-check` (failed when it found a problem).
 */
export async function checkAuditWitness(
  db: Kysely<Database>,
  keyring: Keyring,
  input: { witness: string; now: string; quick?: boolean },
): Promise<{ check: AuditWitnessCheck; verification: AuditVerification | undefined }> {
  const verification =
    input.quick === true
      ? undefined
      : await verifyAuditLog(db, keyring, undefined, { witness: input.witness });
  const result =
    verification === undefined
      ? await quickWitnessResult(db, keyring, input.witness)
      : witnessResultOf(verification);
  const id = witnessCheckId(input.witness);
  const key = `${CHECK_PREFIX}${id}`;
  const practices = await db.selectFrom('practice').select('id').execute();
  let check: AuditWitnessCheck | undefined;
  await db.transaction().execute(async (trx) => {
    for (const practice of practices) {
      const before = await readCheck(trx, practice.id, key);
      const row: AuditWitnessCheck = {
        id,
        result,
        witnessFile: path.resolve(input.witness),
        checkedAt: input.now,
        // A problem found again is the same problem: it keeps the day it was first found.
        since: before?.result === result ? before.since : input.now,
      };
      check = row;
      await trx
        .insertInto('practice_setting')
        .values({
          practice_id: practice.id,
          key,
          value: JSON.stringify(row),
          updated_at: input.now,
          updated_by: null,
        })
        .onConflict((oc) =>
          oc
            .columns(['practice_id', 'key'])
            .doUpdateSet({ value: JSON.stringify(row), updated_at: input.now }),
        )
        .execute();
    }
    await appendAuditEvent(trx, {
      actorId: null,
      practiceId: null,
      action: 'audit.witness-check',
      outcome: result === 'ok' ? 'ok' : 'failed',
      recordType: 'audit-witness',
      recordId: id,
      purpose: 'security',
      at: input.now,
    });
  });
  return {
    check: check ?? {
      id,
      result,
      witnessFile: path.resolve(input.witness),
      checkedAt: input.now,
      since: input.now,
    },
    verification,
  };
}

async function readCheck(
  db: Kysely<Database>,
  practiceId: string,
  key: string,
): Promise<AuditWitnessCheck | undefined> {
  const row = await db
    .selectFrom('practice_setting')
    .select('value')
    .where('practice_id', '=', practiceId)
    .where('key', '=', key)
    .executeTakeFirst();
  return row === undefined ? undefined : parseCheck(row.value);
}

function parseCheck(value: string): AuditWitnessCheck | undefined {
  try {
    const check = JSON.parse(value) as AuditWitnessCheck;
    return (auditWitnessResults as readonly string[]).includes(check.result) ? check : undefined;
  } catch {
    return undefined;
  }
}

/** The newest check of each witness, for one practice: those checked in the last few days. */
export async function auditWitnessChecks(
  db: Kysely<Database>,
  practiceId: string,
  now: Date,
): Promise<AuditWitnessCheck[]> {
  const rows = await db
    .selectFrom('practice_setting')
    .select('value')
    .where('practice_id', '=', practiceId)
    .where('key', '>=', CHECK_PREFIX)
    .where('key', '<', CHECK_PREFIX_END)
    .execute();
  const since = now.getTime() - STALE_CHECK_DAYS * 86_400_000;
  return rows
    .flatMap((row) => parseCheck(row.value) ?? [])
    .filter((check) => Date.parse(check.checkedAt) >= since)
    .sort((a, b) => a.id.localeCompare(b.id));
}

/** Whether the practice receives the daily digest (off unless turned on). */
export async function auditDigestEnabled(db: Kysely<Database>, practiceId: string): Promise<boolean> {
  const row = await db
    .selectFrom('practice_setting')
    .select('value')
    .where('practice_id', '=', practiceId)
    .where('key', '=', AUDIT_DIGEST_SETTING)
    .executeTakeFirst();
  return row?.value === 'on';
}

export async function setAuditDigest(
  trx: Transaction<Database>,
  input: { practiceId: string; enabled: boolean; userId: string; now: string },
): Promise<void> {
  await trx
    .deleteFrom('practice_setting')
    .where('practice_id', '=', input.practiceId)
    .where('key', '=', AUDIT_DIGEST_SETTING)
    .execute();
  if (!input.enabled) return;
  await trx
    .insertInto('practice_setting')
    .values({
      practice_id: input.practiceId,
      key: AUDIT_DIGEST_SETTING,
      value: 'on',
      updated_at: input.now,
      updated_by: input.userId,
    })
    .execute();
}

/**
 * Queues today's digest (the London day of `now`) for each practice that turned it on and
 * has an administrator to send it to, unless it was queued today already (by this server
 * or another). Returns the ids of the messages queued now.
 */
export async function queueAuditDigests(
  db: Kysely<Database>,
  keyring: Keyring,
  now: Date,
): Promise<string[]> {
  const checkpoint = await db
    .selectFrom('audit_checkpoint')
    .select(['seq', 'head_hash'])
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (checkpoint === undefined) return [];
  const practices = await db
    .selectFrom('practice')
    .innerJoin('practice_setting', 'practice_setting.practice_id', 'practice.id')
    .select(['practice.id', 'practice.name'])
    .where('practice_setting.key', '=', AUDIT_DIGEST_SETTING)
    .where('practice_setting.value', '=', 'on')
    .orderBy('practice.id')
    .execute();
  const day = londonDay(now);
  const at = now.toISOString();
  const queued: string[] = [];
  for (const practice of practices) {
    const owner = await practiceRecipientAddress(db, keyring, practice.id, { kind: 'practice' });
    if (owner === undefined) continue;
    const text = auditDigestMessage({
      recipientName: owner.name,
      practiceName: practice.name,
      day: formatDay(day),
      seq: checkpoint.seq,
      hash: checkpoint.head_hash,
    });
    const message = await db.transaction().execute(async (trx) => {
      const made = await enqueuePracticeMessage(trx, keyring, {
        practiceId: practice.id,
        recipient: { kind: 'practice' },
        purpose: 'audit-digest',
        envelope: { to: owner.email, ...text },
        onceKey: `audit-digest/${day}`,
        createdBy: null,
        now: at,
      });
      if (made !== undefined) {
        await appendAuditEvents(trx, [
          {
            actorId: null,
            practiceId: practice.id,
            action: 'audit.digest',
            outcome: 'ok',
            recordType: 'outbox',
            recordId: made.id,
            purpose: 'security',
            at,
          },
        ]);
      }
      return made;
    });
    if (message !== undefined) queued.push(message.id);
  }
  return queued;
}
