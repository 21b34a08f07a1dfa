import fs from 'node:fs';
import path from 'node:path';
import {
  BadBackupError,
  backupFileName,
  describeStore,
  openStore,
  restoreBackup,
  type StoreConfig,
  writeBackup,
} from '@alcove/store';
import { CliError, type CliIo, storeConfigFor } from '../context.ts';
import { type UnlockOptions, unlockSource, withUnlockedStore } from '../unlock.ts';

/**
 * `alcove backup`: an online, consistent, encrypted backup. It reads beside a running
 * Alcove (one read transaction; no lock taken), so it can run while clients are seen.
 */
export async function backupCommand(
  io: CliIo,
  options: UnlockOptions & { data?: string; out?: string },
): Promise<void> {
  const config = storeConfigFor(io, options.data);
  const file = path.resolve(options.out ?? backupFileName(process.cwd()));
  if (config.engine === 'sqlite') {
    const relative = path.relative(path.resolve(config.dataDir), file);
    if (!relative.startsWith('..') && !path.isAbsolute(relative)) {
      throw new CliError('Write the backup outside the data folder.', 2);
    }
  }
  if (fs.existsSync(file)) throw new CliError(`${file} exists already: Alcove never overwrites a backup.`, 2);
  await withUnlockedStore(io, options, { lock: false }, async (store, keyring) => {
    const bar = io.progress?.('Backing up');
    const report = await writeBackup(store.db, keyring, file, (done, total) => bar?.update(done, total));
    bar?.stop();
    const rows = Object.values(report.rows).reduce((a, b) => a + b, 0);
    io.out(
      `Backed up ${rows} rows from ${describeStore(config)} to ${file} (${Math.ceil(report.bytes / 1024)} KiB, encrypted).`,
    );
    io.out('It opens with the same passphrase, key file or recovery kit as this Alcove.');
  });
}

/**
 * `alcove restore FILE --into DIR`: restores into a new data folder (or, with
 * DATABASE_URL, an empty PostgreSQL database) and verifies it. A damaged backup is
 * refused and leaves nothing behind.
 */
export async function restoreCommand(
  io: CliIo,
  file: string,
  options: UnlockOptions & { into?: string },
): Promise<void> {
  if (!fs.existsSync(file)) throw new CliError(`There is no backup at ${file}.`, 2);
  const postgres = io.env.DATABASE_URL?.trim();
  let config: StoreConfig;
  let finalDir: string | undefined;
  if (postgres) {
    config = storeConfigFor(io, undefined);
  } else {
    if (options.into === undefined) throw new CliError('Say where to restore to: --into NEW_FOLDER.', 2);
    finalDir = path.resolve(options.into);
    if (fs.existsSync(finalDir) && fs.readdirSync(finalDir).length > 0) {
      throw new CliError(`${finalDir} is not empty: restore into a new folder. Nothing was changed.`, 2);
    }
    // Restored into a folder of its own first, and moved into place only once verified.
    config = { engine: 'sqlite', dataDir: `${finalDir}.partial-${process.pid}` };
  }
  const source = await unlockSource(io, options);
  const store = await openStore(config);
  let ok = false;
  try {
    const bar = io.progress?.('Restoring');
    const report = await restoreBackup(path.resolve(file), source, store, (done, total) =>
      bar?.update(done, total),
    );
    bar?.stop();
    if (report.verified.problems.length > 0) {
      for (const problem of report.verified.problems.slice(0, 20)) io.err(`- ${problem}`);
      throw new CliError('The restored data did not verify; it has not been kept.', 3);
    }
    const rows = Object.values(report.rows).reduce((a, b) => a + b, 0);
    io.out(
      `Restored ${rows} rows; verified: ${report.verified.decrypted} encrypted fields and keys open, ${report.verified.destroyed} were destroyed before the backup, the audit chain of ${report.verified.auditEvents} events is intact.`,
    );
    ok = true;
  } catch (error) {
    if (error instanceof BadBackupError) throw new CliError(error.message, 3);
    throw error;
  } finally {
    await store.close();
    if (config.engine === 'sqlite' && finalDir !== undefined) {
      if (ok) {
        fs.rmSync(finalDir, { recursive: true, force: true });
        fs.renameSync(config.dataDir, finalDir);
        io.out(`The restored data folder is ${finalDir}.`);
      } else {
        fs.rmSync(config.dataDir, { recursive: true, force: true });
      }
    }
  }
}
