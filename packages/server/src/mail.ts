import type { MailSettings } from '@alcove/core';
import {
  appendAuditEvent,
  type Claim,
  claimDueMessages,
  type Envelope,
  type Keyring,
  LEASE_MS,
  mailSettingsOf,
  markAttemptFailed,
  markDelivered,
  messageIdOf,
  releaseClaim,
  type Store,
} from '@alcove/store';
import nodemailer from 'nodemailer';

/**
 * Sends what the outbox holds. Each message goes through the practice's own settings:
 * captured (kept in the outbox, never sent) or its SMTP server. A failed attempt is
 * recorded with a short reason that names no address, and retried later (store/outbox-sending.ts
 * has the schedule); a practice with no e-mail set up keeps its messages queued.
 *
 * Several servers may share one database: the sender claims a few messages at a time (a
 * lease, store/outbox-sending.ts `claimDueMessages`), sends them outside any transaction, each with
 * its stable Message-ID, and records each outcome only while it still holds the claim. A
 * message is started only while enough of the claim is left to send it (at most
 * SEND_LIMIT_MS) and record the outcome, so no other server can take it while it is being
 * sent; if this process dies mid-send, the claim runs out and the message is sent again,
 * with the same Message-ID.
 */
export interface Mailer {
  /** Sends every message that is due; resolves with how many were delivered. */
  drain(): Promise<number>;
  /** Starts sending every `intervalMs`. */
  start(intervalMs?: number): void;
  /** Once started: send now, without waiting for the next turn (after something is queued). */
  kick(): void;
  stop(): Promise<void>;
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '::1']);

/** Messages claimed at a time: a second server takes the next ones meanwhile. */
export const CLAIM_BATCH = 10;
/** The longest one message may take to send: a send still going then is abandoned (and retried). */
export const SEND_LIMIT_MS = 60_000;
/** Time kept in hand after a send for recording its outcome before the claim runs out. */
const RECORD_MARGIN_MS = 60_000;
/** Claims in one drain at most; what is left waits for the next turn. */
const MAX_CLAIMS = 20;

function transportFor(settings: Extract<MailSettings, { mode: 'smtp' }>) {
  return nodemailer.createTransport({
    host: settings.host,
    port: settings.port,
    secure: settings.secure,
    // Over the network, STARTTLS is required: no message leaves in clear.
    requireTLS: !settings.secure && !LOCAL_HOSTS.has(settings.host),
    ...(settings.username === undefined
      ? {}
      : { auth: { user: settings.username, pass: settings.password ?? '' } }),
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
    tls: { minVersion: 'TLSv1.2' },
  });
}

/** What went wrong, in words that carry no address or content. */
export function describeSendError(error: unknown): string {
  const e = error as { code?: unknown; responseCode?: unknown };
  const code = typeof e.code === 'string' ? e.code : undefined;
  const reply = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  const words: Record<string, string> = {
    ECONNECTION: 'Could not connect to the mail server',
    ETIMEDOUT: 'The mail server did not answer in time',
    ESOCKET: 'The connection to the mail server failed',
    EAUTH: 'The mail server refused the user name or password',
    ETLS: 'A secure connection to the mail server could not be made',
    EENVELOPE: 'The mail server refused the sender or recipient',
    EMESSAGE: 'The mail server refused the message',
    EABORT: 'The mail server took too long',
  };
  const text = (code !== undefined ? words[code] : undefined) ?? 'The message could not be sent';
  return reply === undefined ? text : `${text} (SMTP ${reply})`;
}

/**
 * One attempt at one message, through the practice's SMTP server, carrying the message's
 * stable Message-ID. Resolves with what went wrong (no address, no content), or undefined
 * once the server has accepted it.
 */
async function send(
  settings: Extract<MailSettings, { mode: 'smtp' }>,
  id: string,
  envelope: Envelope,
): Promise<string | undefined> {
  const transport = transportFor(settings);
  try {
    await transport.sendMail({
      from: settings.from,
      to: envelope.to,
      subject: envelope.subject,
      text: envelope.text,
      // The same on every attempt: a message sent again after a crash is known for the same one.
      messageId: messageIdOf(id),
      // Abandoned well before the claim runs out (see SEND_LIMIT_MS).
      signal: AbortSignal.timeout(SEND_LIMIT_MS),
    });
    return undefined;
  } catch (error) {
    return describeSendError(error);
  } finally {
    transport.close();
  }
}

export function createMailer(store: Store, keyring: Keyring, options: { now?: () => Date } = {}): Mailer {
  const now = options.now ?? (() => new Date());
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;

  async function drainOnce(): Promise<number> {
    const settingsOf = new Map<string, MailSettings | undefined>();
    let delivered = 0;
    for (let round = 0; round < MAX_CLAIMS; round += 1) {
      // Durable once it resolves (group commit answers nothing before its commit). On SQLite
      // it also commits what the open batch had queued: nothing is sent before the request
      // that queued it is durable.
      const claim = await claimDueMessages(store, keyring, {
        now: now().toISOString(),
        limit: CLAIM_BATCH,
        leaseMs: LEASE_MS,
      });
      for (const message of claim.messages) {
        if (!settingsOf.has(message.practiceId)) {
          settingsOf.set(message.practiceId, await mailSettingsOf(store.db, keyring, message.practiceId));
        }
      }
      // SQLite: the settings just read may come from a batch still open; send nothing read from it.
      await store.settled();
      delivered += await sendClaimed(claim, settingsOf);
      if (claim.messages.length < CLAIM_BATCH) break;
    }
    return delivered;
  }

  async function sendClaimed(
    claim: Claim,
    settingsOf: Map<string, MailSettings | undefined>,
  ): Promise<number> {
    let delivered = 0;
    for (const [index, message] of claim.messages.entries()) {
      // Too little of the claim left to send this one and record it: give the rest back,
      // before another server could take them while they are being sent.
      if (Date.parse(claim.until) - now().getTime() < SEND_LIMIT_MS + RECORD_MARGIN_MS) {
        await releaseClaim(
          store.db,
          claim.token,
          claim.messages.slice(index).map((m) => m.id),
        );
        break;
      }
      const settings = settingsOf.get(message.practiceId);
      if (settings === undefined) {
        // The practice's e-mail was unset since the claim: the message waits, unclaimed.
        await releaseClaim(store.db, claim.token, [message.id]);
        continue;
      }
      const event = {
        practiceId: message.practiceId,
        action: 'message.send',
        recordType: 'outbox',
        recordId: message.id,
        purpose: 'administration',
      };
      if (settings.mode === 'capture') {
        const at = now().toISOString();
        const captured = await store.db.transaction().execute(async (trx) => {
          if (!(await markDelivered(trx, claim.token, message.id, 'captured', at))) return false;
          await appendAuditEvent(trx, { ...event, outcome: 'ok' });
          return true;
        });
        if (captured) delivered += 1;
        continue;
      }
      const failure = await send(settings, message.id, message.envelope);
      const at = now().toISOString();
      // The attempt is audited whatever became of the claim: it was made.
      const recorded = await store.db.transaction().execute(async (trx) => {
        await appendAuditEvent(trx, { ...event, outcome: failure === undefined ? 'ok' : 'failed' });
        return failure === undefined
          ? markDelivered(trx, claim.token, message.id, 'sent', at)
          : (await markAttemptFailed(trx, claim.token, message.id, failure, at)) !== undefined;
      });
      if (recorded && failure === undefined) delivered += 1;
    }
    return delivered;
  }

  function drain(): Promise<number> {
    // One drain at a time: a message is never sent twice by overlapping runs.
    running ??= drainOnce().finally(() => {
      running = undefined;
    });
    return running;
  }

  return {
    drain,
    start(intervalMs = 5_000) {
      timer ??= setInterval(() => {
        drain().catch(() => undefined);
      }, intervalMs);
    },
    kick() {
      if (timer !== undefined) drain().catch(() => undefined);
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      await running;
    },
  };
}
