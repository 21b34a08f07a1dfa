import type { MailSettings } from '@alcove/core';
import {
  dueMessages,
  type Keyring,
  mailSettingsOf,
  markAttemptFailed,
  markDelivered,
  recordAuditEvent,
  type Store,
} from '@alcove/store';
import nodemailer from 'nodemailer';

/**
 * Sends what the outbox holds. Each message goes through the practice's own settings:
 * captured (kept in the outbox, never sent) or its SMTP server. A failed attempt is
 * recorded with a short reason that names no address, and retried later (store/outbox.ts
 * has the schedule); a practice with no e-mail set up keeps its messages queued.
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
  };
  const text = (code !== undefined ? words[code] : undefined) ?? 'The message could not be sent';
  return reply === undefined ? text : `${text} (SMTP ${reply})`;
}

export function createMailer(store: Store, keyring: Keyring, options: { now?: () => Date } = {}): Mailer {
  const now = options.now ?? (() => new Date());
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;

  async function drainOnce(): Promise<number> {
    const at = now().toISOString();
    const due = await dueMessages(store.db, keyring, at);
    // A message queued by a request's transaction is sent only once that transaction is durable.
    await store.settled();
    const settingsOf = new Map<string, MailSettings | undefined>();
    let delivered = 0;
    for (const message of due) {
      if (!settingsOf.has(message.practiceId)) {
        settingsOf.set(message.practiceId, await mailSettingsOf(store.db, keyring, message.practiceId));
      }
      const settings = settingsOf.get(message.practiceId);
      if (settings === undefined) continue; // not set up: the message waits, and the outbox says so
      const event = {
        practiceId: message.practiceId,
        action: 'message.send',
        recordType: 'outbox',
        recordId: message.id,
        purpose: 'administration',
      };
      if (settings.mode === 'capture') {
        await markDelivered(store.db, message.id, 'captured', at);
        await recordAuditEvent(store.db, { ...event, outcome: 'ok' });
        delivered += 1;
        continue;
      }
      const transport = transportFor(settings);
      try {
        await transport.sendMail({
          from: settings.from,
          to: message.envelope.to,
          subject: message.envelope.subject,
          text: message.envelope.text,
        });
        await markDelivered(store.db, message.id, 'sent', now().toISOString());
        await recordAuditEvent(store.db, { ...event, outcome: 'ok' });
        delivered += 1;
      } catch (error) {
        await markAttemptFailed(store.db, message.id, describeSendError(error), now().toISOString());
        await recordAuditEvent(store.db, { ...event, outcome: 'failed' });
      } finally {
        transport.close();
      }
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
