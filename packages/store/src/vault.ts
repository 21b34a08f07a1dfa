import type { Kysely } from 'kysely';
import type { Keyring } from './keyring.ts';
import type { Database } from './schema.ts';

/**
 * The database and the unlocked keyring together: what a read that opens sealed records
 * needs. The record functions (clients.ts, cases.ts, entries.ts, client-record.ts,
 * shredding.ts and the rest) trust their caller to have decided access (the server's
 * request context does, through `can`); none of them is reachable from a route handler
 * directly.
 */
export interface Vault {
  readonly db: Kysely<Database>;
  readonly keyring: Keyring;
}
