import { AlcoveError, newId, type RecipientKind, type WithheldReason } from '@alcove/core';
import type { Kysely, Transaction } from 'kysely';
import { openAccountField } from './accounts.ts';
import { type Binding, openText, sealText } from './crypto/aead.ts';
import { recordIntegrityFailures } from './integrity.ts';
import type { Keyring } from './keyring.ts';
import { clientKey } from './record-keys.ts';
import type { Database } from './schema.ts';
import { type Opened, openSealedText, SHREDDED } from './sealed.ts';
import { MAIL_SETTING } from './settings.ts';
import type { Store } from './store.ts';

/**
 * One outbox for everything Alcove sends. A message is written in the same transaction as
 * the act that causes it, so it is never lost; a sender (packages/server/src/mail.ts)
 * delivers it later and retries on failure. Recipient, subject and text are sealed under
 * the client's key, so shredding a client shreds their messages too. A message to a staff
 * member or to the practice itself (`enqueuePracticeMessage`) is sealed under the practice's
 * key instead, never a client's; the contact rules, which protect clients, do not apply.
 *
 * Several servers may send from one database: a sender claims what it sends (a lease, see
 * `claimDueMessages`), so no two live senders send the same message, and records the
 * outcome only while it still holds the claim. A sender that dies after the mail server
 * accepted a message but before the outcome was recorded leaves a claim that runs out: the
 * message is sent again, with the same Message-ID (`messageIdOf`). At least once, then,
 * and never twice from two live servers.
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

/** A staff or practice message's binding: under the practice key, at its version. */
function practiceBinding(practiceId: string, messageId: string, version: number): Binding {
  return binding(practiceId, messageId, `practice/v${version}`);
}

/** Why a message was not sent, as its last error: words only, never its address or content. */
export const UNREADABLE_MESSAGE_ERRORS = {
  tampered: 'This message failed its integrity check.',
  shredded: 'The message can no longer be read: its client’s key was destroyed.',
} as const;

/** A claimed message's envelope, opened (sealed.ts): read, shredded or tampered. */
async function openEnvelope(
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
 * Nothing can be sent of a claimed message that cannot be read: it is marked failed, with
 * why. One that failed its integrity check is audited and raised as a finding too.
 */
async function failUnreadableMessage(
  db: Kysely<Database>,
  input: {
    message: { id: string; practice_id: string };
    token: string;
    opened: Exclude<Opened<Envelope>, { ok: true }>;
    now: string;
  },
): Promise<void> {
  const { message, opened } = input;
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('outbox_message')
      .set({
        status: 'failed',
        next_attempt_at: null,
        last_error: UNREADABLE_MESSAGE_ERRORS[opened.reason],
        lease_token: null,
        lease_until: null,
      })
      .where('id', '=', message.id)
      .where('lease_token', '=', input.token)
      .execute();
    if (opened.reason === 'tampered') {
      await recordIntegrityFailures(trx, {
        practiceId: message.practice_id,
        places: [opened.place],
        reader: { actorId: null, purpose: 'administration', at: input.now },
      });
    }
  });
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

export interface DueMessage {
  readonly id: string;
  readonly practiceId: string;
  readonly attempts: number;
  readonly envelope: Envelope;
}

/**
 * How long a sender's claim on the messages it takes lasts. A sender starts a message only
 * while enough of its claim is left to send it and record the outcome (server/src/mail.ts);
 * a claim that runs out (its sender died mid-send) makes its messages due again.
 */
export const LEASE_MS = 5 * 60_000;

/** Messages one sender has claimed: nobody else takes them until `until`, unless they are released. */
export interface Claim {
  /** This claim's own token: an outcome is recorded only while the message still carries it. */
  readonly token: string;
  /** When the claim runs out. */
  readonly until: string;
  /** The messages claimed and opened for sending, oldest first. */
  readonly messages: readonly DueMessage[];
}

/**
 * The Message-ID every attempt at a message carries, the same on each: a retry after a
 * crash is recognisable as the same message by the receiving server and by people. It is
 * made of the outbox id (random) alone: no client data, and no setting that could change
 * between attempts.
 */
export function messageIdOf(id: string): string {
  return `<${id}@alcove.invalid>`;
}

/**
 * Claims up to `limit` queued messages whose next attempt is due and that nobody holds (no
 * claim, or one that has run out), of practices that have set up e-mail, and opens them for
 * sending. One short transaction: on PostgreSQL the rows are picked `FOR UPDATE SKIP
 * LOCKED`, so two servers claiming at once never take the same message (each skips the
 * rows the other is claiming); on SQLite there is one writer at a time. It resolves only
 * once the claim is durable (group commit acknowledges nothing before its commit), so a
 * message is never sent under a claim that a crash could undo.
 */
export async function claimDueMessages(
  store: Pick<Store, 'db' | 'engine'>,
  keyring: Keyring,
  input: { now: string; limit?: number; leaseMs?: number },
): Promise<Claim> {
  const { now } = input;
  const token = newId();
  const until = new Date(Date.parse(now) + (input.leaseMs ?? LEASE_MS)).toISOString();
  const rows = await store.db.transaction().execute(async (trx) => {
    let due = trx
      .selectFrom('outbox_message')
      .select('outbox_message.id')
      .where('outbox_message.status', '=', 'queued')
      .where('outbox_message.next_attempt_at', '<=', now)
      .where((eb) =>
        eb.or([eb('outbox_message.lease_until', 'is', null), eb('outbox_message.lease_until', '<=', now)]),
      )
      // A practice that has not set up e-mail keeps its messages waiting, unclaimed.
      .where((eb) =>
        eb.exists(
          eb
            .selectFrom('practice_setting')
            .select('practice_setting.key')
            .whereRef('practice_setting.practice_id', '=', 'outbox_message.practice_id')
            .where('practice_setting.key', '=', MAIL_SETTING),
        ),
      )
      .orderBy('outbox_message.created_at')
      .orderBy('outbox_message.id')
      .limit(input.limit ?? 20);
    if (store.engine === 'postgres') due = due.forUpdate().skipLocked();
    // The ids first, then the lease on exactly those rows: a subquery with a limit inside the
    // UPDATE may be run more than once by PostgreSQL and take more rows than the limit.
    const ids = (await due.execute()).map((r) => r.id);
    if (ids.length === 0) return [];
    return (
      trx
        .updateTable('outbox_message')
        .set({ lease_token: token, lease_until: until })
        .where('id', 'in', ids)
        // Checked again on the row itself, though the rows are locked (PostgreSQL) or this is
        // the one writer (SQLite).
        .where('status', '=', 'queued')
        .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', now)]))
        .returning([
          'id',
          'practice_id',
          'client_id',
          'recipient_kind',
          'attempts',
          'envelope_sealed',
          'created_at',
        ])
        .execute()
    );
  });
  rows.sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id));
  const messages: DueMessage[] = [];
  for (const row of rows) {
    // A database that fails here throws (the claim runs out and the message is due again):
    // it is never taken for a message that can no longer be read.
    const opened = await openEnvelope(store.db, keyring, row);
    if (!opened.ok) {
      await failUnreadableMessage(store.db, { message: row, token, opened, now });
      continue;
    }
    messages.push({
      id: row.id,
      practiceId: row.practice_id,
      attempts: row.attempts,
      envelope: opened.value,
    });
  }
  return { token, until, messages };
}

/** Gives claimed messages back unsent, to be taken again at once (by this sender or another). */
export async function releaseClaim(
  db: Kysely<Database>,
  token: string,
  ids: readonly string[],
): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable('outbox_message')
    .set({ lease_token: null, lease_until: null })
    .where('id', 'in', [...ids])
    .where('lease_token', '=', token)
    .execute();
}

/**
 * Records that a claimed message was delivered, if the message still carries the claim's
 * token; false, and nothing written, when another sender has claimed it since (this
 * sender's claim ran out). A claim that ran out but that nobody took since still counts:
 * the message was delivered, and recording it saves sending it again.
 */
export async function markDelivered(
  db: Kysely<Database>,
  token: string,
  id: string,
  how: 'sent' | 'captured',
  now: string,
): Promise<boolean> {
  const result = await db
    .updateTable('outbox_message')
    .set((eb) => ({
      status: how,
      sent_at: now,
      next_attempt_at: null,
      last_error: null,
      attempts: eb('attempts', '+', 1),
      lease_token: null,
      lease_until: null,
    }))
    .where('id', '=', id)
    .where('status', '=', 'queued')
    .where('lease_token', '=', token)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/**
 * Records a failed attempt under a claim, as `markDelivered` does (undefined, and nothing
 * written, when the claim was lost). `error` is a short description with no address or
 * content (the SMTP reply code, or "connection refused"). After the last retry the message
 * is marked failed, and stays in the outbox until someone sends it again.
 */
export async function markAttemptFailed(
  db: Kysely<Database>,
  token: string,
  id: string,
  error: string,
  now: string,
): Promise<OutboxStatus | undefined> {
  const row = await db
    .selectFrom('outbox_message')
    .select('attempts')
    .where('id', '=', id)
    .where('status', '=', 'queued')
    .where('lease_token', '=', token)
    .executeTakeFirst();
  if (row === undefined) return undefined;
  const attempts = row.attempts + 1;
  const wait = RETRY_MINUTES[attempts - 1];
  const status: OutboxStatus = wait === undefined ? 'failed' : 'queued';
  const result = await db
    .updateTable('outbox_message')
    .set({
      status,
      attempts,
      last_error: error.slice(0, 200),
      next_attempt_at: wait === undefined ? null : new Date(Date.parse(now) + wait * 60_000).toISOString(),
      lease_token: null,
      lease_until: null,
    })
    .where('id', '=', id)
    .where('status', '=', 'queued')
    .where('lease_token', '=', token)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n ? status : undefined;
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
