import { createHash } from 'node:crypto';
import fs from 'node:fs';
import readline from 'node:readline';
import { type Kysely, SqliteAdapter, sql } from 'kysely';
import { type AuditVerifyOptions, verifyAuditLog } from './audit-verify.ts';
import {
  BACKUP_TABLES,
  type BackupHeader,
  type BackupTable,
  BadBackupError,
  chunkBinding,
} from './backup.ts';
import { crashPoint } from './crash-points.ts';
import { type Binding, openText, TamperedError } from './crypto/aead.ts';
import { type Keyring, unlockKeyring } from './keyring.ts';
import { holdMigrationLock, migrateToLatest, migrateWithin } from './migrate.ts';
import { migrations } from './migrations/index.ts';
import type { Database } from './schema.ts';
import type { Store } from './store.ts';
import type { UnlockSource } from './unlock.ts';
import type { WitnessEntry } from './witness.ts';

/**
 * Restoring a backup (backup.ts) into an empty database, in one transaction, verified before
 * it commits (`verifyEncryptedData`: every sealed field opens, and the audit log verifies).
 */
async function* lines(file: string): AsyncGenerator<string> {
  const input = fs.createReadStream(file, { encoding: 'utf8' });
  const reader = readline.createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  try {
    for await (const line of reader) yield line;
  } finally {
    reader.close();
    input.destroy();
  }
}

function parseHeader(line: string | undefined): BackupHeader {
  try {
    const header = JSON.parse(line ?? '') as BackupHeader;
    if (header.format !== 'alcove-backup' || header.version !== 1 || !Array.isArray(header.unlocks))
      throw new Error();
    return header;
  } catch {
    throw new BadBackupError('it is not an Alcove backup, or its first line is damaged');
  }
}

export interface RestoreReport {
  readonly rows: Record<string, number>;
  readonly verified: VerifyReport;
}

export interface VerifyReport {
  readonly decrypted: number;
  readonly destroyed: number;
  readonly auditEvents: number;
  readonly problems: readonly string[];
}

/** The restored data did not verify: the restore was rolled back and nothing was written. */
export class RestoreNotVerifiedError extends Error {
  readonly verified: VerifyReport;
  constructor(verified: VerifyReport) {
    super('The restored data did not verify; it has not been kept. Nothing was written.');
    this.name = 'RestoreNotVerifiedError';
    this.verified = verified;
  }
}

export interface RestoreOptions {
  /** Stops the restore: its transaction rolls back and nothing is written (Ctrl+C). */
  readonly signal?: AbortSignal;
}

/**
 * Restores a backup into an empty database (a new data folder, or an empty PostgreSQL
 * database) in one transaction: the migrations up to the backup's schema, every row, the
 * migrations since, and the verification. A backup that is damaged or does not verify, a
 * restore that is stopped, and a process killed at any moment all leave the target as it
 * was found (empty), so the same restore can simply be run again.
 */
export async function restoreBackup(
  file: string,
  source: UnlockSource,
  target: Store,
  onProgress?: (done: number, total: number) => void,
  options: RestoreOptions = {},
): Promise<RestoreReport> {
  const size = fs.statSync(file).size;
  const iterator = lines(file);
  const first = await iterator.next();
  const headerLine = first.done ? undefined : first.value;
  const header = parseHeader(headerLine);
  const headerHash = createHash('sha256')
    .update(headerLine ?? '')
    .digest('hex');
  if (!(header.schemaVersion in migrations)) {
    throw new BadBackupError(
      `it was made by a newer Alcove (schema ${header.schemaVersion}); upgrade Alcove first`,
    );
  }
  if (!(await isEmptyDatabase(target.db))) throw notEmpty();
  // Unlock with the backup's own copy of the keyring rows.
  const scratch = await unlockFromHeader(header, source);

  const rows: Record<string, number> = {};
  let manifest: Record<string, number> | undefined;
  // The witness's newest entry when the backup was taken: the restored log must reach it.
  let carried: WitnessEntry | undefined;
  let bytes = headerLine?.length ?? 0;
  // One transaction: a solo transaction of the group-commit driver, never a member of a batch.
  const verified = await target.db
    .transaction()
    .setAccessMode('read write')
    .execute(async (trx) => {
      // Of two restores (or a restore and a starting server) on one PostgreSQL database,
      // one goes first; the other then finds the database no longer empty.
      await holdMigrationLock(trx);
      if (!(await isEmptyDatabase(trx))) throw notEmpty();
      await migrateWithin(trx, { to: header.schemaVersion });
      // The target's fresh audit head is replaced by the backup's.
      await trx.deleteFrom('audit_head').execute();
      let key: Buffer | undefined;
      let index = 0;
      let sawLast = false;
      for await (const line of iterator) {
        options.signal?.throwIfAborted();
        if (sawLast) throw new BadBackupError('there is data after its last part');
        if (line === '') continue;
        bytes += line.length + 1;
        key ??= scratch.backupKey;
        let text: string;
        try {
          text = openText(key, line, chunkBinding(header, headerHash, index, false));
        } catch (error) {
          if (!(error instanceof TamperedError)) throw error;
          try {
            text = openText(key, line, chunkBinding(header, headerHash, index, true));
            sawLast = true;
          } catch {
            throw new BadBackupError(`part ${index + 1} is damaged or out of place`);
          }
        }
        index += 1;
        for (const record of text.split('\n')) {
          if (record === '') continue;
          const [table, row] = JSON.parse(record) as [string, Record<string, unknown>];
          if (table === 'manifest') {
            manifest = (row as { rows: Record<string, number> }).rows;
            continue;
          }
          if (table === 'witness') {
            carried = row as unknown as WitnessEntry;
            continue;
          }
          if (!(BACKUP_TABLES as readonly string[]).includes(table))
            throw new BadBackupError(`it names an unknown table`);
          await trx
            .insertInto(table as BackupTable)
            .values(row as never)
            .execute();
          rows[table] = (rows[table] ?? 0) + 1;
        }
        crashPoint('restore.rows');
        onProgress?.(bytes, size);
      }
      if (!sawLast || manifest === undefined) throw new BadBackupError('it is cut short');
      for (const table of BACKUP_TABLES) {
        if ((rows[table] ?? 0) !== (manifest[table] ?? 0))
          throw new BadBackupError(`the ${table} rows do not match its manifest`);
      }
      await migrateWithin(trx);
      options.signal?.throwIfAborted();
      // Verified before it commits: what does not verify is never kept.
      const report = await verifyEncryptedData(trx, await unlockKeyring(trx, source), { carried });
      if (report.problems.length > 0) throw new RestoreNotVerifiedError(report);
      options.signal?.throwIfAborted();
      crashPoint('restore.before-commit');
      return report;
    });
  return { rows, verified };
}

function notEmpty(): BadBackupError {
  return new BadBackupError(
    'the target database is not empty; restore into a new data folder or an empty database',
  );
}

/** True when the database has no tables yet (a new folder or an empty schema). */
async function isEmptyDatabase(db: Kysely<Database>): Promise<boolean> {
  // Kysely's introspection sees every schema on PostgreSQL; ask about the current one only.
  const query =
    db.getExecutor().adapter instanceof SqliteAdapter
      ? sql<{ n: number | string }>`select count(*) as n from sqlite_master where type = 'table'`
      : sql<{
          n: number | string;
        }>`select count(*) as n from information_schema.tables where table_schema = current_schema()`;
  return Number((await query.execute(db)).rows[0]?.n) === 0;
}

async function unlockFromHeader(header: BackupHeader, source: UnlockSource): Promise<{ backupKey: Buffer }> {
  // A throwaway in-memory view: unlock against the header's rows without touching the target.
  const { default: Sqlite } = await import('better-sqlite3');
  const { Kysely, SqliteDialect } = await import('kysely');
  const memory = new Kysely<Database>({ dialect: new SqliteDialect({ database: new Sqlite(':memory:') }) });
  try {
    await migrateToLatest(memory);
    for (const row of header.unlocks)
      await memory
        .insertInto('keyring_unlock')
        .values(row as never)
        .execute();
    const keyring = await unlockKeyring(memory, source);
    return { backupKey: keyring.backupKeyFor(header.salt) };
  } finally {
    await memory.destroy();
  }
}

/** Opens every sealed field: data keys, identities, passages, account fields. */
export async function verifyEncryptedData(
  db: Kysely<Database>,
  keyring: Keyring,
  audit: AuditVerifyOptions = {},
): Promise<VerifyReport> {
  const problems: string[] = [];
  let decrypted = 0;
  let destroyed = 0;
  // A field under a destroyed key is expected to be unreadable; any other failure is a problem.
  const open = (key: Buffer | undefined, sealed: string, binding: Binding, what: string) => {
    if (key === undefined) {
      destroyed += 1;
      return;
    }
    try {
      openText(key, sealed, binding);
      decrypted += 1;
    } catch {
      problems.push(`${what} does not decrypt`);
    }
  };
  const practices = await db.selectFrom('practice').select('id').execute();
  for (const { id: practiceId } of practices) {
    const keyRows = await db
      .selectFrom('data_key')
      .select(['id', 'wrapped'])
      .where('practice_id', '=', practiceId)
      .execute();
    let keys: Map<string, Buffer>;
    try {
      keys = await keyring.dataKeys(
        db,
        practiceId,
        keyRows.map((k) => k.id),
      );
    } catch {
      problems.push(`practice ${practiceId}: a data key does not open`);
      continue;
    }
    decrypted += keys.size;
    destroyed += keyRows.filter((k) => k.wrapped === null).length;
    for (const c of await db
      .selectFrom('client')
      .selectAll()
      .where('practice_id', '=', practiceId)
      .execute()) {
      open(
        keys.get(c.key_id),
        c.identity_sealed,
        { practiceId, record: `client/${c.id}`, field: 'identity', keyId: c.key_id },
        `client ${c.id}`,
      );
    }
    const passages = await db
      .selectFrom('passage')
      .innerJoin('entry', 'entry.id', 'passage.entry_id')
      .innerJoin('care_case', 'care_case.id', 'entry.case_id')
      .select(['passage.id', 'passage.key_id', 'passage.body_sealed'])
      .where('care_case.practice_id', '=', practiceId)
      .execute();
    for (const p of passages) {
      open(
        keys.get(p.key_id),
        p.body_sealed,
        { practiceId, record: `passage/${p.id}`, field: 'body', keyId: p.key_id },
        `passage ${p.id}`,
      );
    }
  }
  const accounts = await keyring.secret(db, 'accounts');
  for (const u of await db.selectFrom('app_user').selectAll().execute()) {
    for (const [field, sealed] of [
      ['email', u.email_sealed],
      ['name', u.name_sealed],
      ['totp', u.totp_secret_sealed],
    ] as const) {
      if (sealed === null) continue;
      open(
        accounts,
        sealed,
        { practiceId: 'installation', record: `user/${u.id}`, field, keyId: 'accounts' },
        `account ${u.id} ${field}`,
      );
    }
  }
  const log = await verifyAuditLog(db, keyring, undefined, audit);
  problems.push(...log.problems.map((p) => `audit log: ${p}`));
  return { decrypted, destroyed, auditEvents: log.events, problems };
}
