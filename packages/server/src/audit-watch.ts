import { type AuditWitnessCheck, systemClock } from '@alcove/core';
import { checkAuditWitness, type Keyring, queueAuditDigests, type Store } from '@alcove/store';

/**
 * The audit log's daily watch (issue 15): compares the log with this server's witness as
 * `alcove audit verify` does and records what it found (a finding on the obligations page
 * when it is not ok), and queues the daily digest for practices that turned it on.
 *
 * `alcove serve` makes the quick check as it starts, before it appends to the witness (which
 * would re-create a deleted one), then starts the timer: a turn at once, then one every
 * AUDIT_WATCH_INTERVAL_MS. A turn checks the whole log when a day has gone by since this
 * server last checked, and queues today's digest (the outbox keeps it to one per practice
 * per London day, whichever server queues it). Tests call `check` and `digest` directly.
 */
export interface AuditWatch {
  /**
   * Checks the log against the witness now and records the outcome: in full (every event,
   * as `alcove audit verify`), or `quick` (the event at the newest witnessed checkpoint, for
   * when a server starts). Undefined when this server keeps no witness.
   */
  check(mode?: 'full' | 'quick'): Promise<AuditWitnessCheck | undefined>;
  /** Queues today's digest where it is due; resolves with the messages queued. */
  digest(): Promise<string[]>;
  /** One turn of the timer. */
  turn(): Promise<void>;
  /** A turn now, then one every `intervalMs`. */
  start(intervalMs?: number): void;
  stop(): Promise<void>;
}

/** A turn an hour: the digest goes out within the first hour of each London day. */
export const AUDIT_WATCH_INTERVAL_MS = 60 * 60_000;
/** The check runs once a day (and when the server starts). */
export const AUDIT_CHECK_EVERY_MS = 24 * 60 * 60_000;

export function createAuditWatch(
  store: Store,
  keyring: Keyring,
  options: {
    witness?: string | undefined;
    now?: (() => Date) | undefined;
    /** Told when a digest was queued, to send it at once. */
    onQueued?: () => void;
    onError?: (error: unknown) => void;
  } = {},
): AuditWatch {
  const now = options.now ?? systemClock;
  let lastCheck: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  async function check(mode: 'full' | 'quick' = 'full'): Promise<AuditWitnessCheck | undefined> {
    if (options.witness === undefined) return undefined;
    const at = now();
    const { check } = await checkAuditWitness(store.db, keyring, {
      witness: options.witness,
      now: at.toISOString(),
      quick: mode === 'quick',
    });
    lastCheck = at.getTime();
    return check;
  }

  async function digest(): Promise<string[]> {
    const queued = await queueAuditDigests(store.db, keyring, now());
    if (queued.length > 0) options.onQueued?.();
    return queued;
  }

  async function turnOnce(): Promise<void> {
    if (lastCheck === undefined || now().getTime() - lastCheck >= AUDIT_CHECK_EVERY_MS) await check();
    await digest();
  }

  function turn(): Promise<void> {
    // One turn at a time: a slow check (a long log) never overlaps the next.
    running ??= turnOnce().finally(() => {
      running = undefined;
    });
    return running;
  }

  const guarded = () => {
    turn().catch((error: unknown) => options.onError?.(error));
  };

  return {
    check,
    digest,
    turn,
    start(intervalMs = AUDIT_WATCH_INTERVAL_MS) {
      if (timer !== undefined) return;
      guarded();
      timer = setInterval(guarded, intervalMs);
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      await running?.catch(() => undefined);
    },
  };
}
