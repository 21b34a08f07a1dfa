import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { crashPoint } from './crash-points.ts';
import { type Binding, sealText } from './crypto/aead.ts';
import type { Keyring } from './keyring.ts';
import { currentMigration } from './migrate.ts';
import type { Database } from './schema.ts';
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
 *
 * This file holds the format and writes a backup; restore.ts reads one back.
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
export type BackupTable = (typeof BACKUP_TABLES)[number];

const ORDER_BY: Partial<Record<BackupTable, string>> = { audit_event: 'seq', audit_checkpoint: 'seq' };
const CHUNK_BYTES = 512 * 1024;

/** A backup's first line, in clear (read back by restore.ts). */
export interface BackupHeader {
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

/** Where each sealed part of a backup is bound: its backup, its header, its place (also restore.ts). */
export function chunkBinding(
  header: BackupHeader,
  headerHash: string,
  index: number,
  last: boolean,
): Binding {
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

export function backupFileName(dir: string, now = new Date()): string {
  return path.join(dir, `alcove-backup-${now.toISOString().replace(/[:.]/g, '-')}.alcove`);
}
