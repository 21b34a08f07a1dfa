import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { CompiledQuery, Kysely, QueryResult, Selectable, Transaction } from 'kysely';
import { type AuditSource, currentAuditSource } from './audit-source.ts';
import { crashPoint } from './crash-points.ts';
import { deferAuditEvents } from './group-commit.ts';
import type { Keyring } from './keyring.ts';
import type { AuditEventContextTable, AuditEventTable, AuditHeadTable, Database } from './schema.ts';
import {
  appendWitnessEntry,
  lastWitnessEntry,
  readWitness,
  type WitnessEntry,
  witnessEntryIsSigned,
} from './witness.ts';

/**
 * The audit log: append-only and hash-chained. Each event's hash covers its own fields
 * and the previous event's hash; checkpoints sign the head of the chain with a key that
 * is not in the database in clear (the keyring's audit-signing secret, wrapped by the
 * master key). `verifyAuditLog` finds any changed, deleted, inserted or reordered event,
 * and a truncation back to the newest checkpoint. Events hold ids and verbs only: no
 * clinical text, no identity in clear.
 */
export type AuditOutcome = 'ok' | 'denied' | 'failed';

export interface AuditEventInput {
  readonly actorId?: string | null | undefined;
  readonly practiceId?: string | null | undefined;
  /** A verb: 'session.sign-in', 'client.read', 'entry.create', … */
  readonly action: string;
  readonly outcome: AuditOutcome;
  readonly recordType?: string | null | undefined;
  readonly recordId?: string | null | undefined;
  /** Why: 'care', 'administration', 'security', … */
  readonly purpose?: string | null | undefined;
  /** When it happened (an ISO instant from the caller's clock); now, when not given. */
  readonly at?: string | undefined;
}

export type AuditEvent = Selectable<AuditEventTable>;

export const GENESIS_HASH = '0'.repeat(64);
/** A checkpoint is signed after this many events (and when Alcove stops). */
export const CHECKPOINT_EVERY = 50;

type EventFields = Omit<AuditEvent, 'hash' | 'prev_hash'>;

function canonical(event: EventFields): string {
  return JSON.stringify([
    event.seq,
    event.at,
    event.actor_id,
    event.practice_id,
    event.action,
    event.outcome,
    event.record_type,
    event.record_id,
    event.purpose,
  ]);
}

export function eventHash(prevHash: string, event: EventFields): string {
  return createHash('sha256').update(prevHash).update('\n').update(canonical(event)).digest('hex');
}

/**
 * An event with the time it happened and where its request came from, as a batch keeps it
 * until it commits: both are taken when the event is appended, not when the batch writes.
 */
export interface StampedAuditEvent extends AuditEventInput {
  readonly at: string;
  /** Kept beside the event in audit_event_context, outside the hash chain. */
  readonly source?: AuditSource | undefined;
}

/**
 * Takes the head row for this transaction: a no-op update locks it on PostgreSQL (a second
 * appender waits) and makes the SQLite transaction the writer, on both with the same SQL.
 */
function lockHeadQuery(db: Kysely<Database>) {
  return db
    .updateTable('audit_head')
    .set((eb) => ({ seq: eb.ref('seq') }))
    .where('id', '=', 1)
    .returningAll();
}

async function lockHead(trx: Transaction<Database>) {
  return lockHeadQuery(trx).executeTakeFirstOrThrow();
}

/** Appends one event, in the caller's transaction: the event commits with the act it records. */
export async function appendAuditEvent(
  trx: Transaction<Database>,
  input: AuditEventInput,
  now = input.at ?? new Date().toISOString(),
): Promise<void> {
  return appendAuditEvents(trx, [{ ...input, at: now }]);
}

/**
 * Appends events in order, in the caller's transaction: the same chain as one append after
 * another, for acts that record several events and for bulk writers. In a transaction that
 * is a member of a group-commit batch (group-commit.ts) the events wait with it and are
 * appended, in order, just before the batch commits; in any other they are appended now.
 * Either way they commit with the act they record, or not at all.
 */
export async function appendAuditEvents(
  trx: Transaction<Database>,
  inputs: readonly AuditEventInput[],
): Promise<void> {
  if (inputs.length === 0) return;
  const source = currentAuditSource();
  const events = inputs.map((input) => ({ ...input, at: input.at ?? new Date().toISOString(), source }));
  const connection = await trx.getExecutor().provideConnection(async (c) => c);
  if (deferAuditEvents(connection, events)) return;
  await writeAuditEvents(trx, (query) => trx.executeQuery(query), events);
}

/**
 * Writes events to the chain: takes the head once, links each event to the one before, and
 * moves the head. `db` compiles the statements; `run` runs them on the connection whose
 * transaction they belong to.
 */
export async function writeAuditEvents(
  db: Kysely<Database>,
  run: (query: CompiledQuery) => Promise<QueryResult<unknown>>,
  events: readonly StampedAuditEvent[],
): Promise<void> {
  if (events.length === 0) return;
  const head = (await run(lockHeadQuery(db).compile())).rows[0] as Selectable<AuditHeadTable> | undefined;
  if (head === undefined) throw new Error('The audit log has no head');
  let seq = head.seq;
  let prevHash = head.hash;
  const rows: AuditEvent[] = [];
  const contexts: Selectable<AuditEventContextTable>[] = [];
  for (const input of events) {
    const fields: EventFields = {
      seq: seq + 1,
      at: input.at,
      actor_id: input.actorId ?? null,
      practice_id: input.practiceId ?? null,
      action: input.action,
      outcome: input.outcome,
      record_type: input.recordType ?? null,
      record_id: input.recordId ?? null,
      purpose: input.purpose ?? null,
    };
    const hash = eventHash(prevHash, fields);
    rows.push({ ...fields, prev_hash: prevHash, hash });
    if (input.source !== undefined && (input.source.address !== null || input.source.userAgent !== null)) {
      contexts.push({
        event_seq: fields.seq,
        at: fields.at,
        source_address: input.source.address,
        user_agent: input.source.userAgent,
      });
    }
    seq = fields.seq;
    prevHash = hash;
  }
  // 11 columns a row: well inside both engines' limits on bound parameters per statement.
  for (let i = 0; i < rows.length; i += 2000) {
    await run(
      db
        .insertInto('audit_event')
        .values(rows.slice(i, i + 2000))
        .compile(),
    );
  }
  // Beside the chain, not in it: the hash covers none of this, so it can be deleted.
  for (let i = 0; i < contexts.length; i += 2000) {
    await run(
      db
        .insertInto('audit_event_context')
        .values(contexts.slice(i, i + 2000))
        .compile(),
    );
  }
  crashPoint('audit.before-head');
  await run(db.updateTable('audit_head').set({ seq, hash: prevHash }).where('id', '=', 1).compile());
}

export async function recordAuditEvent(db: Kysely<Database>, input: AuditEventInput): Promise<void> {
  await db.transaction().execute((trx) => appendAuditEvent(trx, input));
}

function signature(key: Buffer, seq: number, headHash: string, at: string): string {
  return createHmac('sha256', key)
    .update(JSON.stringify([seq, headHash, at]))
    .digest('hex');
}

function signatureIsGood(key: Buffer, seq: number, headHash: string, at: string, given: string): boolean {
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

export interface AuditVerification {
  readonly ok: boolean;
  readonly events: number;
  readonly checkpoints: number;
  readonly newestCheckpoint: number | undefined;
  /** Events after the newest checkpoint: chained, but not yet signed. */
  readonly unsignedTail: number;
  readonly problems: readonly string[];
  /** Not proof of tampering, but worth a look: a witness that is missing or behind. */
  readonly warnings: readonly string[];
  /** The witness the log was compared with, when one was given. */
  readonly witness?: {
    readonly file: string;
    readonly exists: boolean;
    /** The witnessed entry the log had to reach: a checkpoint, or a restore. */
    readonly newest: { readonly kind: WitnessEntry['kind']; readonly seq: number } | undefined;
  };
}

export interface AuditVerifyOptions {
  /** A witness file (witness.ts): the log must reach and agree with what it holds. */
  readonly witness?: string | undefined;
  /**
   * A witnessed entry carried by other means (a backup carries the newest): the log must
   * reach and agree with it too. Its signature is checked.
   */
  readonly carried?: WitnessEntry | undefined;
}

/**
 * Reads the whole log in order and checks every link and every checkpoint, and, given a
 * witness, that the log reaches the newest checkpoint it holds and agrees with every
 * checkpoint witnessed since the last restore.
 */
export async function verifyAuditLog(
  db: Kysely<Database>,
  keyring: Keyring,
  onProgress?: (done: number, total: number) => void,
  options: AuditVerifyOptions = {},
): Promise<AuditVerification> {
  const key = await keyring.secret(db, 'audit-signing');
  const problems: string[] = [];
  const warnings: string[] = [];
  const checkpoints = await db.selectFrom('audit_checkpoint').selectAll().orderBy('seq').execute();
  const bySeq = new Map(checkpoints.map((c) => [c.seq, c]));
  let newestSigned: number | undefined;
  for (const c of checkpoints) {
    if (!signatureIsGood(key, c.seq, c.head_hash, c.at, c.signature)) {
      problems.push(`checkpoint at event ${c.seq}: the signature is not valid`);
    } else {
      newestSigned = c.seq;
    }
  }
  // What the log must reach and agree with, from outside the database: event → (hash, where).
  const witnessed = new Map<number, { head: string; where: string }>();
  let mustReach: { seq: number; where: string } | undefined;
  const expect = (entry: WitnessEntry, where: string) => {
    if (entry.seq === 0) return;
    witnessed.set(entry.seq, { head: entry.head, where });
    if (mustReach === undefined || entry.seq > mustReach.seq) mustReach = { seq: entry.seq, where };
  };
  let witness: AuditVerification['witness'];
  if (options.witness !== undefined) {
    const reading = readWitness(options.witness, key);
    const where = `the witness ${reading.file}`;
    problems.push(...reading.problems.map((p) => `${p} (${reading.file})`));
    for (const entry of reading.current) expect(entry, where);
    witness = {
      file: reading.file,
      exists: reading.exists,
      newest:
        reading.newest === undefined ? undefined : { kind: reading.newest.kind, seq: reading.newest.seq },
    };
    if (!reading.exists && checkpoints.length > 0) {
      warnings.push(
        `there is no witness at ${reading.file}, though the database holds signed checkpoints: the log could not be compared with one kept outside it (was the witness deleted, or is it elsewhere?)`,
      );
    } else if (reading.exists && reading.entries.length === 0 && reading.problems.length === 0) {
      // Alcove writes a witness whole lines at a time and never empties it.
      warnings.push(
        `the witness ${reading.file} is empty: it was emptied, so the log could not be compared with one kept outside it`,
      );
    } else if (newestSigned !== undefined && (reading.newest?.seq ?? 0) < newestSigned) {
      warnings.push(
        `the witness ${reading.file} ends ${reading.newest === undefined ? 'before any checkpoint' : `at event ${reading.newest.seq}`}, older than the database's newest checkpoint (event ${newestSigned}): it was cut short, or checkpoints were witnessed elsewhere`,
      );
    }
  }
  if (options.carried !== undefined) {
    if (witnessEntryIsSigned(key, options.carried))
      expect(options.carried, "the backup's witnessed checkpoint");
    else problems.push("the backup's witnessed checkpoint is not signed by this Alcove's audit key");
  }
  const total = Number(
    (
      await db
        .selectFrom('audit_event')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  let done = 0;
  // Pages small enough that a million events never weigh on the garbage collector at once
  // (measured: 5,000 a page verified 1.1 million events 15% faster than 20,000).
  const pageSize = 5_000;
  let after = 0;
  for (;;) {
    const page = await db
      .selectFrom('audit_event')
      .selectAll()
      .where('seq', '>', after)
      .orderBy('seq')
      .limit(pageSize)
      .execute();
    if (page.length === 0) break;
    for (const event of page) {
      if (event.seq !== expectedSeq) {
        problems.push(`events ${expectedSeq}–${event.seq - 1} are missing`);
      }
      if (event.prev_hash !== prevHash) {
        problems.push(`event ${event.seq} does not follow the event before it`);
      }
      const hash = eventHash(event.prev_hash, event);
      if (hash !== event.hash) {
        problems.push(`event ${event.seq} has been changed`);
      }
      const checkpoint = bySeq.get(event.seq);
      if (checkpoint !== undefined && checkpoint.head_hash !== hash) {
        problems.push(`event ${event.seq} does not match the checkpoint signed for it`);
      }
      const outside = witnessed.get(event.seq);
      if (outside !== undefined && outside.head !== hash) {
        problems.push(
          `event ${event.seq} does not match the checkpoint witnessed for it in ${outside.where}`,
        );
      }
      expectedSeq = event.seq + 1;
      prevHash = hash;
      done += 1;
    }
    after = page.at(-1)?.seq ?? after;
    onProgress?.(done, total);
  }
  const lastSeq = expectedSeq - 1;
  const head = await db.selectFrom('audit_head').selectAll().where('id', '=', 1).executeTakeFirstOrThrow();
  if (head.seq !== lastSeq || head.hash !== prevHash) {
    problems.push(`the log ends at event ${lastSeq}, but its head records event ${head.seq}`);
  }
  const newest = checkpoints.at(-1);
  if (newest !== undefined && lastSeq < newest.seq) {
    problems.push(
      `the log ends at event ${lastSeq}, before the checkpoint signed at event ${newest.seq}: it has been cut short`,
    );
  }
  if (mustReach !== undefined && lastSeq < mustReach.seq) {
    problems.push(
      `the log ends at event ${lastSeq}, before the checkpoint witnessed at event ${mustReach.seq} in ${mustReach.where}: it has been cut short or rolled back`,
    );
  }
  return {
    ok: problems.length === 0,
    events: done,
    checkpoints: checkpoints.length,
    newestCheckpoint: newest?.seq,
    unsignedTail: newest === undefined ? lastSeq : Math.max(0, lastSeq - newest.seq),
    problems,
    warnings,
    ...(witness === undefined ? {} : { witness }),
  };
}

/** Who did what to one record, newest first (the access history a practitioner sees). */
export async function auditEventsForRecords(
  db: Kysely<Database>,
  practiceId: string,
  recordIds: readonly string[],
  limit = 200,
): Promise<AuditEvent[]> {
  if (recordIds.length === 0) return [];
  return db
    .selectFrom('audit_event')
    .selectAll()
    .where('practice_id', '=', practiceId)
    .where('record_id', 'in', [...recordIds])
    .orderBy('seq', 'desc')
    .limit(limit)
    .execute();
}

export type AuditEventContext = Selectable<AuditEventContextTable>;

/** The source address and user agent kept beside one event, if they are still kept. */
export async function auditEventContext(
  db: Kysely<Database>,
  seq: number,
): Promise<AuditEventContext | undefined> {
  return db.selectFrom('audit_event_context').selectAll().where('event_seq', '=', seq).executeTakeFirst();
}

/**
 * Deletes the source addresses and user agents of events older than `before` (the end of
 * the practice's log retention), of one practice's events or of all. The events and their
 * chain stay whole: `verifyAuditLog` still passes. Returns how many were deleted.
 */
export async function deleteAuditContextBefore(
  db: Kysely<Database>,
  before: string,
  practiceId?: string,
): Promise<number> {
  let query = db.deleteFrom('audit_event_context').where('at', '<', before);
  if (practiceId !== undefined) {
    query = query.where('event_seq', 'in', (eb) =>
      eb.selectFrom('audit_event').select('seq').where('practice_id', '=', practiceId),
    );
  }
  const result = await query.executeTakeFirst();
  return Number(result.numDeletedRows);
}
