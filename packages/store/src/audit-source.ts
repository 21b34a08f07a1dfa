import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Where the request that caused an audit event came from: its address and user agent.
 * The server enters it once per request (`withAuditSource`); every event appended inside
 * takes it without each call passing it along. It is kept beside the event, outside the
 * hash chain (`audit_event_context`), so it can be deleted when log retention ends.
 */
export interface AuditSource {
  readonly address: string | null;
  readonly userAgent: string | null;
}

/** Longest user agent kept; longer ones are cut (a header can be kilobytes of anything). */
export const USER_AGENT_MAX = 256;
/** Longest address kept (an IPv6 address with a zone fits well inside). */
export const ADDRESS_MAX = 64;

const storage = new AsyncLocalStorage<AuditSource>();

/** An address and user agent as they are stored: trimmed to their limits, empty as null. */
export function auditSource(
  address: string | null | undefined,
  userAgent: string | null | undefined,
): AuditSource {
  const cut = (value: string | null | undefined, max: number) => {
    const trimmed = value?.trim();
    return trimmed === undefined || trimmed === '' ? null : trimmed.slice(0, max);
  };
  return { address: cut(address, ADDRESS_MAX), userAgent: cut(userAgent, USER_AGENT_MAX) };
}

/** Runs `fn` with `source` as the source of every audit event appended inside it. */
export function withAuditSource<T>(source: AuditSource, fn: () => T): T {
  return storage.run(source, fn);
}

/** The source of the request being served, if any (a CLI command has none). */
export function currentAuditSource(): AuditSource | undefined {
  return storage.getStore();
}
