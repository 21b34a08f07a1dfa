import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { type Kysely, SqliteAdapter, sql } from 'kysely';
import { type AuditVerifyOptions, verifyAuditLog } from './audit.ts';
import { crashPoint } from './crash-points.ts';
import { type Binding, openText, sealText, TamperedError } from './crypto/aead.ts';
import { type Keyring, type UnlockSource, unlockKeyring } from './keyring.ts';
import { currentMigration, holdMigrationLock, migrateToLatest, migrateWithin } from './migrate.ts';
import { migrations } from './migrations/index.ts';
import type { Database } from './schema.ts';
import type { Store } from './store.ts';
import { readWitness, type WitnessEntry, witnessKey } from './witness.ts';

/**
 * Encrypted, verified backups.
 *
 * A backup is one consistent snapshot (a single read transaction: SQLite's WAL snapshot,
 * PostgreSQL's repeatable read), written as JSON lines of every table, sealed in chunks
 * with AES-256-GCM under a key derived from the master key and the backup's own salt.
 * The header, in clear, carries only what the database already keeps in clear: the
 * wrapped master key rows that let the same passphrase, key file or recovery kit unlock
 * it. Each chunk's binding names its index, whether it is the last, and the header's
 * hash, so a changed, reordered, dropped or truncated chunk, or a changed header, is
 * refused. The format is the same from either engine, and restores into either.
 */

/** Tables in the order a restore inserts them (foreign keys first). */
export const BACKUP_TABLES = [
  'practice',
  'keyring_unlock',
  'keyring_secret',
  'practice_key',
  'data_key',
  'app_user',
  'membership',
  'recovery_code',
  // Password resets (hashes; an hour's life) come back too: a restore keeps what the log audited.
  'password_reset',
  // Not user_session: sessions are not restored; everyone signs in again after a restore.
  // Not auth_failure either: the counts of failed sign-ins and codes start again.
  'api_token',
  'client',
  'personal_connection',
  'intake_decision',
  'person',
  'care_case',
  'participant',
  'entry',
  'passage',
  'contract',
  'contract_signature',
  'therapy_session',
  'consent',
  'gillick_assessment',
  'contract_template',
  'portal_invitation',
  'staff_invitation',
  'outbox_message',
  'supervision_presentation',
  'disclosure',
  'referral',
  'dual_relationship',
  'supervision_session',
  'release_request',
  'release',
  'audit_event',
  'audit_event_context',
  'audit_head',
  'audit_checkpoint',
  'profile_version',
  'clause_override',
  'practice_setting',
] as const satisfies readonly (keyof Database)[];
type BackupTable = (typeof BACKUP_TABLES)[number];

const ORDER_BY: Partial<Record<BackupTable, string>> = { audit_event: 'seq', audit_checkpoint: 'seq' };
const CHUNK_BYTES = 512 * 1024;

interface BackupHeader {
  readonly format: 'alcove-backup';
  readonly version: 1;
  readonly id: string;
  readonly createdAt: string;
  readonly schemaVersion: string;
  readonly salt: string;
  readonly unlocks: readonly Record<string, unknown>[];
}

/** A backup that cannot be used: damaged, changed, cut short, or not a backup at all. */
export class BadBackupError extends Error {
  constructor(detail: string) {
    super(`This backup cannot be restored: ${detail}. Nothing was written.`);
    this.name = 'BadBackupError';
  }
}

function chunkBinding(header: BackupHeader, headerHash: string, index: number, last: boolean): Binding {
  return {
    practiceId: 'installation',
    record: `backup/${header.id}/${headerHash}`,
    field: `chunk/${index}/${last ? 'last' : 'more'}`,
    keyId: 'backup',
  };
}

export interface BackupReport {
  readonly file: string;
  readonly rows: Record<string, number>;
  readonly bytes: number;
}

/**
 * A backup is written to `FILE.partial-<host>-<pid>-<random>` and renamed to FILE once it
 * is complete and synced. The name says which process on which computer writes it, so that
 * one an interrupted backup left can be told from one still being written.
 */
const HOST_TAG = createHash('sha256').update(os.hostname()).digest('hex').slice(0, 8);
const PARTIAL = /^.+\.partial-([0-9a-f]{8})-(\d+)-[0-9a-f]{8}$/;
const HEADER_START = '{"format":"alcove-backup"';

function partialFileOf(file: string): string {
  return `${file}.partial-${HOST_TAG}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: a process of another user has that id; it is running.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the unfinished files that interrupted backups on this computer left in `dir`
 * (their process is gone), and returns their names. A file still being written, one from
 * another computer, and anything that is not the start of an Alcove backup are left alone.
 */
export function removeInterruptedBackups(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const removed: string[] = [];
  for (const name of fs.readdirSync(dir)) {
    const match = PARTIAL.exec(name);
    if (match === null || match[1] !== HOST_TAG || isRunning(Number(match[2]))) continue;
    const file = path.join(dir, name);
    try {
      const fd = fs.openSync(file, 'r');
      const start = Buffer.alloc(HEADER_START.length);
      const read = fs.readSync(fd, start, 0, start.length, 0);
      fs.closeSync(fd);
      if (!HEADER_START.startsWith(start.subarray(0, read).toString('utf8'))) continue;
      fs.rmSync(file);
      removed.push(name);
    } catch {
      // Gone already, or not ours to read: left alone.
    }
  }
  return removed;
}

/** Makes a rename in `dir` durable. */
function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Some systems cannot sync a folder; the file itself is synced.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Takes an online backup while Alcove runs: one read transaction, nothing locked for writers. */
export async function writeBackup(
  db: Kysely<Database>,
  keyring: Keyring,
  file: string,
  onProgress?: (done: number, total: number) => void,
  options: { readonly witness?: string | undefined } = {},
): Promise<BackupReport> {
  // The backup carries the witness's newest entry, read before the snapshot: a witnessed
  // checkpoint was committed before it was witnessed, so the snapshot holds its event.
  const carried: WitnessEntry | undefined =
    options.witness === undefined
      ? undefined
      : readWitness(options.witness, await witnessKey(db, keyring)).newest;
  const partial = partialFileOf(file);
  const out = fs.openSync(partial, 'wx', 0o600);
  try {
    const rows: Record<string, number> = {};
    await db
      .transaction()
      .setIsolationLevel('repeatable read')
      .execute(async (trx) => {
        const schemaVersion = (await currentMigration(trx)) ?? 'none';
        const header: BackupHeader = {
          format: 'alcove-backup',
          version: 1,
          id: randomBytes(12).toString('hex'),
          createdAt: new Date().toISOString(),
          schemaVersion,
          salt: randomBytes(16).toString('base64'),
          unlocks: await trx.selectFrom('keyring_unlock').selectAll().execute(),
        };
        const headerLine = JSON.stringify(header);
        const headerHash = createHash('sha256').update(headerLine).digest('hex');
        const key = keyring.backupKeyFor(header.salt);
        fs.writeSync(out, `${headerLine}\n`);

        const counts = await Promise.all(
          BACKUP_TABLES.map(async (table) =>
            Number(
              (
                await trx
                  .selectFrom(table)
                  .select((eb) => eb.fn.countAll().as('n'))
                  .executeTakeFirstOrThrow()
              ).n,
            ),
          ),
        );
        const total = counts.reduce((a, b) => a + b, 0);
        let done = 0;
        let buffer = '';
        let index = 0;
        const flush = (last: boolean) => {
          fs.writeSync(out, `${sealText(key, buffer, chunkBinding(header, headerHash, index, last))}\n`);
          buffer = '';
          index += 1;
        };
        for (const table of BACKUP_TABLES) {
          let query = trx.selectFrom(table).selectAll();
          const order = ORDER_BY[table];
          if (order !== undefined) query = query.orderBy(order as never);
          const tableRows = await query.execute();
          rows[table] = tableRows.length;
          for (const row of tableRows) {
            buffer += `${JSON.stringify([table, row])}\n`;
            done += 1;
            if (buffer.length >= CHUNK_BYTES) {
              flush(false);
              onProgress?.(done, total);
            }
          }
        }
        if (carried !== undefined) buffer += `${JSON.stringify(['witness', carried])}\n`;
        buffer += `${JSON.stringify(['manifest', { rows }])}\n`;
        flush(true);
        onProgress?.(done, total);
      });
    fs.fsyncSync(out);
    fs.closeSync(out);
    crashPoint('backup.before-rename');
    fs.renameSync(partial, file);
    syncDir(path.dirname(file));
    return { file, rows, bytes: fs.statSync(file).size };
  } catch (error) {
    try {
      fs.closeSync(out);
    } catch {
      // already closed
    }
    fs.rmSync(partial, { force: true });
    throw error;
  }
}

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

export function backupFileName(dir: string, now = new Date()): string {
  return path.join(dir, `alcove-backup-${now.toISOString().replace(/[:.]/g, '-')}.alcove`);
}
