import { AlcoveError, newId, type RecipientKind, type WithheldReason } from '@alcove/core';
import type { Kysely, Transaction } from 'kysely';
import { openAccountField } from './accounts.ts';
import { type Binding, openText, sealText } from './crypto/aead.ts';
import type { Keyring } from './keyring.ts';
import { clientKey } from './record-keys.ts';
import type { Database } from './schema.ts';
import { type Opened, openSealedText, SHREDDED } from './sealed.ts';

/**
 * One outbox for everything Alcove sends. A message is written in the same transaction as
 * the act that causes it, so it is never lost; a sender (packages/server/src/mail.ts)
 * delivers it later and retries on failure (outbox-sending.ts). Recipient, subject and
 * text are sealed under the client's key, so shredding a client shreds their messages too.
 * A message to a staff member or to the practice itself (`enqueuePracticeMessage`) is
 * sealed under the practice's key instead, never a client's; the contact rules, which
 * protect clients, do not apply. This file writes messages and reads them back.
 */
export type OutboxStatus = 'queued' | 'sent' | 'captured' | 'failed' | 'withheld';

export interface Envelope {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
}

function binding(practiceId: string, messageId: string, keyId: string): Binding {
  return { practiceId, record: `outbox/${messageId}`, field: 'envelope', keyId };
}

/** A staff or practice message's binding: under the practice key, at its version. */
function practiceBinding(practiceId: string, messageId: string, version: number): Binding {
  return binding(practiceId, messageId, `practice/v${version}`);
}

/** A message's envelope, opened (sealed.ts): read, shredded or tampered (outbox-sending.ts opens what it claims). */
export async function openEnvelope(
  db: Kysely<Database>,
  keyring: Keyring,
  row: {
    id: string;
    practice_id: string;
    client_id: string | null;
    envelope_sealed: string;
    recipient_kind: string;
  },
): Promise<Opened<Envelope>> {
  if (row.recipient_kind !== 'client') {
    const practiceKey = await keyring.practiceKey(db, row.practice_id);
    return openSealedText(
      practiceKey.key,
      row.envelope_sealed,
      practiceBinding(row.practice_id, row.id, practiceKey.version),
      (json) => JSON.parse(json) as Envelope,
    );
  }
  if (row.client_id === null) return SHREDDED;
  const client = await db
    .selectFrom('client')
    .select('key_id')
    .where('practice_id', '=', row.practice_id)
    .where('id', '=', row.client_id)
    .executeTakeFirst();
  if (client === undefined) return SHREDDED;
  // A key that failed its check fails this message alone (as tampered), never the batch.
  const key = (await keyring.dataKeysOrTampered(db, row.practice_id, [client.key_id])).get(client.key_id);
  return openSealedText(
    key,
    row.envelope_sealed,
    binding(row.practice_id, row.id, client.key_id),
    (json) => JSON.parse(json) as Envelope,
  );
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

/** Whom a message that is not to a client is for: one staff member, or the practice itself. */
export type PracticeRecipient =
  | { kind: 'staff'; userId: string }
  | { kind: 'practice' }
  /** Someone invited to the practice's staff, with no account here yet: the envelope's address (issue 16). */
  | { kind: 'invitee' };

/** A staff member's (or the practice's) name and address, opened from their account. */
export interface StaffAddress {
  readonly userId: string;
  readonly name: string;
  readonly email: string;
}

async function staffAddress(
  db: Kysely<Database>,
  keyring: Keyring,
  row: { id: string; name_sealed: string; email_sealed: string },
): Promise<StaffAddress> {
  return {
    userId: row.id,
    name: await openAccountField(db, keyring, row.id, 'name', row.name_sealed),
    email: await openAccountField(db, keyring, row.id, 'email', row.email_sealed),
  };
}

/**
 * Where a message to a staff member or to the practice goes: the staff member's own account
 * address (a member of the practice, not a client, account not disabled); for the practice,
 * its first administrator's (the owner's). Undefined when there is nobody to write to.
 */
export async function practiceRecipientAddress(
  db: Kysely<Database>,
  keyring: Keyring,
  practiceId: string,
  recipient: PracticeRecipient,
): Promise<StaffAddress | undefined> {
  if (recipient.kind === 'invitee') return undefined;
  let query = db
    .selectFrom('membership')
    .innerJoin('app_user', 'app_user.id', 'membership.user_id')
    .select(['app_user.id', 'app_user.name_sealed', 'app_user.email_sealed'])
    .where('membership.practice_id', '=', practiceId)
    .where('membership.client_id', 'is', null)
    .where('app_user.disabled_at', 'is', null);
  query =
    recipient.kind === 'staff'
      ? query.where('app_user.id', '=', recipient.userId).where('membership.role', '!=', 'client')
      : query.where('membership.role', '=', 'administrator');
  const row = await query
    .orderBy('membership.created_at')
    .orderBy('membership.id')
    .limit(1)
    .executeTakeFirst();
  return row === undefined ? undefined : staffAddress(db, keyring, row);
}

/**
 * Queues a message to a staff member or to the practice, sealed under the practice's key.
 * The contact rules (core/contact.ts) are for clients and are not asked: nothing is
 * withheld. With `onceKey`, a message that was queued under the same key before (by this
 * server or another, at any time) is not queued again: undefined is returned, and nothing
 * written.
 */
export async function enqueuePracticeMessage(
  trx: Transaction<Database>,
  keyring: Keyring,
  input: {
    practiceId: string;
    recipient: PracticeRecipient;
    purpose: string;
    envelope: Envelope;
    onceKey?: string | undefined;
    createdBy: string | null;
    now: string;
  },
): Promise<{ id: string; status: OutboxStatus } | undefined> {
  const id = newId();
  const practiceKey = await keyring.practiceKey(trx, input.practiceId);
  const result = await trx
    .insertInto('outbox_message')
    .values({
      id,
      practice_id: input.practiceId,
      client_id: null,
      recipient_kind: input.recipient.kind,
      recipient_user_id: input.recipient.kind === 'staff' ? input.recipient.userId : null,
      once_key: input.onceKey ?? null,
      purpose: input.purpose,
      envelope_sealed: sealText(
        practiceKey.key,
        JSON.stringify(input.envelope),
        practiceBinding(input.practiceId, id, practiceKey.version),
      ),
      status: 'queued',
      withheld_reason: null,
      next_attempt_at: input.now,
      last_error: null,
      created_by: input.createdBy,
      created_at: input.now,
      sent_at: null,
    })
    // The unique (practice, once_key): a second server queueing the same message waits for
    // the first's commit and then inserts nothing.
    .onConflict((oc) => oc.columns(['practice_id', 'once_key']).doNothing())
    .executeTakeFirst();
  if (result.numInsertedOrUpdatedRows === 0n) return undefined;
  return { id, status: 'queued' };
}

/**
 * When a practice key is rotated (keyring.ts), the staff and practice messages sealed under
 * it are sealed again under the new one, in the rotation's transaction.
 */
export async function resealPracticeMessages(
  trx: Transaction<Database>,
  practiceId: string,
  from: { version: number; key: Buffer },
  to: { version: number; key: Buffer },
): Promise<number> {
  const rows = await trx
    .selectFrom('outbox_message')
    .select(['id', 'envelope_sealed'])
    .where('practice_id', '=', practiceId)
    .where('recipient_kind', '!=', 'client')
    .execute();
  for (const row of rows) {
    const text = openText(from.key, row.envelope_sealed, practiceBinding(practiceId, row.id, from.version));
    await trx
      .updateTable('outbox_message')
      .set({ envelope_sealed: sealText(to.key, text, practiceBinding(practiceId, row.id, to.version)) })
      .where('id', '=', row.id)
      .execute();
  }
  return rows.length;
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
    .set({ status: 'queued', next_attempt_at: now, lease_token: null, lease_until: null })
    .where('id', '=', id)
    .execute();
}

export interface OutboxEntry {
  readonly id: string;
  readonly recipientKind: RecipientKind;
  /** The staff member a staff message is for. */
  readonly recipientUserId: string | null;
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
      'recipient_kind',
      'recipient_user_id',
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
    recipientKind: r.recipient_kind as RecipientKind,
    recipientUserId: r.recipient_user_id,
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
    .select(['client_id', 'recipient_kind', 'envelope_sealed'])
    .where('practice_id', '=', practiceId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (row === undefined) return undefined;
  if (row.recipient_kind !== 'client') {
    const practiceKey = await keyring.practiceKey(db, practiceId);
    return JSON.parse(
      openText(practiceKey.key, row.envelope_sealed, practiceBinding(practiceId, id, practiceKey.version)),
    );
  }
  if (row.client_id === null) return undefined;
  const { keyId, key } = await clientKey(db, keyring, practiceId, row.client_id);
  return JSON.parse(openText(key, row.envelope_sealed, binding(practiceId, id, keyId)));
}
