import { newId } from '@alcove/core';
import type { Kysely } from 'kysely';
import { recordIntegrityFailures } from './integrity.ts';
import type { Keyring } from './keyring.ts';
import { type Envelope, type OutboxStatus, openEnvelope } from './outbox.ts';
import type { Database } from './schema.ts';
import type { Opened } from './sealed.ts';
import { MAIL_SETTING } from './settings.ts';
import type { Store } from './store.ts';

/**
 * Sending what the outbox (outbox.ts) holds: claiming what is due, recording each attempt,
 * and the retry schedule. Several servers may send from one database: a sender claims what
 * it sends (a lease, see `claimDueMessages`), so no two live senders send the same message,
 * and records the outcome only while it still holds the claim. A sender that dies after the
 * mail server accepted a message but before the outcome was recorded leaves a claim that
 * runs out: the message is sent again, with the same Message-ID (`messageIdOf`). At least
 * once, then, and never twice from two live servers.
 */
/** Minutes to wait after the 1st, 2nd, … failed attempt; after the last the message is failed. */
export const RETRY_MINUTES = [1, 5, 15, 60, 240, 720] as const;

/** Why a message was not sent, as its last error: words only, never its address or content. */
export const UNREADABLE_MESSAGE_ERRORS = {
  tampered: 'This message failed its integrity check.',
  shredded: 'The message can no longer be read: its client’s key was destroyed.',
} as const;
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
