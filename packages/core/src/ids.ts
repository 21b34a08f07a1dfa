/**
 * Record identifiers: random UUIDs (v4) from the platform's CSPRNG. They carry no time,
 * order or meaning, so an identifier in a URL or a log line reveals nothing about a client.
 */
export function newId(): string {
  return globalThis.crypto.randomUUID();
}
