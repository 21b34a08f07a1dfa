import { AlcoveError, newId, type WithheldReason } from '@alcove/core';
import type { Kysely, Transaction } from 'kysely';
import { type Binding, openText, sealText } from './crypto/aead.ts';
import type { Keyring } from './keyring.ts';
import { clientKey } from './record-keys.ts';
import type { Database } from './schema.ts';

/**
 * One outbox for everything Alcove sends. A message is written in the same transaction as
 * the act that causes it, so it is never lost; a sender (packages/server/src/mail.ts)
 * delivers it later and retries on failure. Recipient, subject and text are sealed under
 * the client's key, so shredding a client shreds their messages too.
 */
export type OutboxStatus = 'queued' | 'sent' | 'captured' | 'failed' | 'withheld';

/** Minutes to wait after the 1st, 2nd, … failed attempt; after the last the message is failed. */
export const RETRY_MINUTES = [1, 5, 15, 60, 240, 720] as const;

export interface Envelope {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
}

function binding(practiceId: string, messageId: string, keyId: string): Binding {
  return { practiceId, record: `outbox/${messageId}`, field: 'envelope', keyId };
}

/**
 * Queues a message to a client, or records that it was withheld (and why) when the contact
 * rules forbid the channel: a withheld message is shown to the practitioner, never dropped.
 */
export async function enqueueMessage(
  trx: Transaction<Database>,
  keyring: Keyring,
  input: {
    practiceId: string;
    clientId: string;
    purpose: string;
    envelope: Envelope;
    withheld?: WithheldReason | undefined;
    createdBy: string | null;
    now: string;
  },
): Promise<{ id: string; status: OutboxStatus }> {
  const id = newId();
  const { keyId, key } = await clientKey(trx, keyring, input.practiceId, input.clientId);
  const envelope = input.withheld === undefined ? input.envelope : { ...input.envelope, to: '' };
  const status: OutboxStatus = input.withheld === undefined ? 'queued' : 'withheld';
  await trx
    .insertInto('outbox_message')
    .values({
      id,
      practice_id: input.practiceId,
      client_id: input.clientId,
      purpose: input.purpose,
      envelope_sealed: sealText(key, JSON.stringify(envelope), binding(input.practiceId, id, keyId)),
      status,
      withheld_reason: input.withheld ?? null,
      next_attempt_at: status === 'queued' ? input.now : null,
      last_error: null,
      created_by: input.createdBy,
      created_at: input.now,
      sent_at: null,
    })
    .execute();
  return { id, status };
}

export interface DueMessage {
  readonly id: string;
  readonly practiceId: string;
  readonly attempts: number;
  readonly envelope: Envelope;
}

/** Queued messages whose next attempt is due, oldest first, opened for sending. */
export async function dueMessages(
  db: Kysely<Database>,
  keyring: Keyring,
  now: string,
  limit = 20,
): Promise<DueMessage[]> {
  const rows = await db
    .selectFrom('outbox_message')
    .select(['id', 'practice_id', 'client_id', 'attempts', 'envelope_sealed'])
    .where('status', '=', 'queued')
    .where('next_attempt_at', '<=', now)
    .orderBy('created_at')
    .limit(limit)
    .execute();
  const due: DueMessage[] = [];
  for (const row of rows) {
    try {
      if (row.client_id === null) throw new Error('no recipient');
      const { keyId, key } = await clientKey(db, keyring, row.practice_id, row.client_id);
      due.push({
        id: row.id,
        practiceId: row.practice_id,
        attempts: row.attempts,
        envelope: JSON.parse(openText(key, row.envelope_sealed, binding(row.practice_id, row.id, keyId))),
      });
    } catch {
      // The client's key is gone (the record was shredded): nothing can be sent.
      await db
        .updateTable('outbox_message')
        .set({ status: 'failed', next_attempt_at: null, last_error: 'The message can no longer be read.' })
        .where('id', '=', row.id)
        .execute();
    }
  }
  return due;
}

export async function markDelivered(
  db: Kysely<Database>,
  id: string,
  how: 'sent' | 'captured',
  now: string,
): Promise<void> {
  await db
    .updateTable('outbox_message')
    .set((eb) => ({
      status: how,
      sent_at: now,
      next_attempt_at: null,
      last_error: null,
      attempts: eb('attempts', '+', 1),
    }))
    .where('id', '=', id)
    .where('status', '=', 'queued')
    .execute();
}

/**
 * Records a failed attempt. `error` is a short description with no address or content
 * (the SMTP reply code, or "connection refused"). After the last retry the message is
 * marked failed, and stays in the outbox until someone sends it again.
 */
export async function markAttemptFailed(
  db: Kysely<Database>,
  id: string,
  error: string,
  now: string,
): Promise<OutboxStatus> {
  const row = await db
    .selectFrom('outbox_message')
    .select('attempts')
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
  const attempts = row.attempts + 1;
  const wait = RETRY_MINUTES[attempts - 1];
  const status: OutboxStatus = wait === undefined ? 'failed' : 'queued';
  await db
    .updateTable('outbox_message')
    .set({
      status,
      attempts,
      last_error: error.slice(0, 200),
      next_attempt_at: wait === undefined ? null : new Date(Date.parse(now) + wait * 60_000).toISOString(),
    })
    .where('id', '=', id)
    .where('status', '=', 'queued')
    .execute();
  return status;
}

/** Puts a failed message back in the queue, to be sent at once. */
export async function retryMessage(
  trx: Transaction<Database>,
  practiceId: string,
  id: string,
  now: string,
): Promise<void> {
  const row = await trx
    .selectFrom('outbox_message')
    .select('status')
    .where('practice_id', '=', practiceId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (row === undefined) throw new AlcoveError('not-found', 'There is no such message.');
  if (row.status !== 'failed') {
    throw new AlcoveError('conflict', 'Only a message that failed can be sent again.');
  }
  await trx
    .updateTable('outbox_message')
    .set({ status: 'queued', next_attempt_at: now })
    .where('id', '=', id)
    .execute();
}

export interface OutboxEntry {
  readonly id: string;
  readonly clientId: string | null;
  readonly purpose: string;
  readonly status: OutboxStatus;
  readonly withheldReason: WithheldReason | null;
  readonly attempts: number;
  readonly nextAttemptAt: string | null;
  readonly lastError: string | null;
  readonly createdAt: string;
  readonly sentAt: string | null;
}

/** The practice's messages, newest first; optionally only those to some clients. */
export async function listOutbox(
  db: Kysely<Database>,
  practiceId: string,
  clientIds?: readonly string[],
  limit = 200,
): Promise<OutboxEntry[]> {
  if (clientIds !== undefined && clientIds.length === 0) return [];
  let query = db
    .selectFrom('outbox_message')
    .select([
      'id',
      'client_id',
      'purpose',
      'status',
      'withheld_reason',
      'attempts',
      'next_attempt_at',
      'last_error',
      'created_at',
      'sent_at',
    ])
    .where('practice_id', '=', practiceId);
  if (clientIds !== undefined) query = query.where('client_id', 'in', [...clientIds]);
  const rows = await query.orderBy('created_at', 'desc').orderBy('id').limit(limit).execute();
  return rows.map((r) => ({
    id: r.id,
    clientId: r.client_id,
    purpose: r.purpose,
    status: r.status as OutboxStatus,
    withheldReason: r.withheld_reason as WithheldReason | null,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    lastError: r.last_error,
    createdAt: r.created_at,
    sentAt: r.sent_at,
  }));
}

/** The message as it was written, for the practitioner or a test to read back. */
export async function readEnvelope(
  db: Kysely<Database>,
  keyring: Keyring,
  practiceId: string,
  id: string,
): Promise<Envelope | undefined> {
  const row = await db
    .selectFrom('outbox_message')
    .select(['client_id', 'envelope_sealed'])
    .where('practice_id', '=', practiceId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (row === undefined || row.client_id === null) return undefined;
  const { keyId, key } = await clientKey(db, keyring, practiceId, row.client_id);
  return JSON.parse(openText(key, row.envelope_sealed, binding(practiceId, id, keyId)));
}
