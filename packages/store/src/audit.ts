import { createHash } from 'node:crypto';
import type { CompiledQuery, Kysely, QueryResult, Selectable, Transaction } from 'kysely';
import { type AuditSource, currentAuditSource } from './audit-source.ts';
import { crashPoint } from './crash-points.ts';
import { deferAuditEvents } from './group-commit.ts';
import type { AuditEventContextTable, AuditEventTable, AuditHeadTable, Database } from './schema.ts';

/**
 * The audit log: append-only and hash-chained. Each event's hash covers its own fields
 * and the previous event's hash; checkpoints (audit-checkpoints.ts) sign the head of the
 * chain with a key that is not in the database in clear (the keyring's audit-signing
 * secret, wrapped by the master key). `verifyAuditLog` (audit-verify.ts) finds any changed,
 * deleted, inserted or reordered event, and a truncation back to the newest checkpoint.
 * Events hold ids and verbs only: no clinical text, no identity in clear. This file appends
 * events and reads them back.
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
 * Signing a checkpoint takes it too (audit-checkpoints.ts).
 */
export function lockHeadQuery(db: Kysely<Database>) {
  return db
    .updateTable('audit_head')
    .set((eb) => ({ seq: eb.ref('seq') }))
    .where('id', '=', 1)
    .returningAll();
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
