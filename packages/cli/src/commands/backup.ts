import fs from 'node:fs';
import path from 'node:path';
import {
  BadBackupError,
  backupFileName,
  DataFolderInUseError,
  describeStore,
  lockDataFolder,
  openStore,
  RestoreNotVerifiedError,
  removeInterruptedBackups,
  restoreBackup,
  type StoreConfig,
  unlockKeyring,
  witnessRestore,
  writeBackup,
} from '@alcove/store';
import { CliError, type CliIo, storeConfigFor } from '../context.ts';
import { StopRequests } from '../stopping.ts';
import { syncFolder, type UnlockOptions, unlockSource, withUnlockedStore } from '../unlock.ts';
import { type WitnessOptions, witnessFileFor } from '../witness.ts';
import { dataFolderOf } from './audit.ts';

/**
 * `alcove backup`: an online, consistent, encrypted backup. It reads beside a running
 * Alcove (one read transaction; no lock taken), so it can run while clients are seen.
 */
export async function backupCommand(
  io: CliIo,
  options: UnlockOptions & WitnessOptions & { data?: string; out?: string },
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
  // What an interrupted backup left in the same folder (its process is gone) goes first.
  const removed = removeInterruptedBackups(path.dirname(file));
  if (removed.length > 0) {
    io.out(
      `Removed ${removed.length} unfinished file(s) an interrupted alcove backup left: ${removed.join(', ')}.`,
    );
  }
  await withUnlockedStore(io, options, { lock: false }, async (store, keyring) => {
    const bar = io.progress?.('Backing up');
    // The backup carries the witness's newest entry (store/witness.ts).
    const witness = await witnessFileFor(io, options, store, keyring, dataFolderOf(config));
    const report = await writeBackup(store.db, keyring, file, (done, total) => bar?.update(done, total), {
      witness,
    });
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
 * DATABASE_URL, an empty PostgreSQL database) and verifies it, in one transaction. A
 * damaged backup, one that does not verify, Ctrl+C and a kill all leave nothing behind that
 * the same command, run again, does not clear away itself: the restore can simply be run
 * again.
 */
export async function restoreCommand(
  io: CliIo,
  file: string,
  options: UnlockOptions & WitnessOptions & { into?: string },
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
    // Restored into a folder of its own first, and moved into place only once verified. What
    // an interrupted restore into the same folder left is cleared away first.
    removeInterruptedRestores(io, finalDir);
    config = { engine: 'sqlite', dataDir: partialFolderOf(finalDir) };
  }
  const source = await unlockSource(io, options);
  const store = await openStore(config);
  const stops = new StopRequests(io, 'stopping the restore: it rolls back, and nothing is written...');
  let ok = false;
  try {
    const bar = io.progress?.('Restoring');
    const report = await restoreBackup(
      path.resolve(file),
      source,
      store,
      (done, total) => bar?.update(done, total),
      { signal: stops.abortSignal },
    );
    bar?.stop();
    const rows = Object.values(report.rows).reduce((a, b) => a + b, 0);
    io.out(
      `Restored ${rows} rows; verified: ${report.verified.decrypted} encrypted fields and keys open, ${report.verified.destroyed} were destroyed before the backup, the audit chain of ${report.verified.auditEvents} events is intact.`,
    );
    // The log was put back to the backup's head legitimately: the witness is told so, and
    // signs it, so that verification passes now while a silent rollback does not.
    const keyring = await unlockKeyring(store.db, source);
    const witness = await witnessFileFor(io, options, store, keyring, finalDir);
    const entry = await witnessRestore(store.db, keyring, witness);
    io.out(`Appended "restored to event ${entry.seq}" to the audit witness ${witness}.`);
    ok = true;
  } catch (error) {
    if (stops.signal !== undefined) {
      throw stops.error('The restore was rolled back and nothing was written: run the same command again.');
    }
    if (error instanceof BadBackupError) throw new CliError(error.message, 3);
    if (error instanceof RestoreNotVerifiedError) {
      for (const problem of error.verified.problems.slice(0, 20)) io.err(`- ${problem}`);
      throw new CliError(error.message, 3);
    }
    throw error;
  } finally {
    stops.dispose();
    await store.close();
    if (config.engine === 'sqlite' && finalDir !== undefined) {
      if (ok) {
        // The folder asked for is empty (or absent): rmdir refuses anything else.
        if (fs.existsSync(finalDir)) fs.rmdirSync(finalDir);
        fs.renameSync(config.dataDir, finalDir);
        syncFolder(path.dirname(finalDir));
        io.out(`The restored data folder is ${finalDir}.`);
      } else {
        fs.rmSync(config.dataDir, { recursive: true, force: true });
      }
    }
  }
}

function partialFolderOf(finalDir: string): string {
  return `${finalDir}.partial`;
}

/**
 * Removes what an interrupted restore into `finalDir` left: `DIR.partial` (and the
 * `DIR.partial-<pid>` folders of earlier versions), unless a restore still running holds it.
 */
function removeInterruptedRestores(io: CliIo, finalDir: string): void {
  const parent = path.dirname(finalDir);
  if (!fs.existsSync(parent)) return;
  const base = path.basename(finalDir);
  const pattern = new RegExp(`^${escapeRegExp(base)}\\.partial(-\\d+)?$`);
  for (const name of fs.readdirSync(parent)) {
    if (!pattern.test(name)) continue;
    const folder = path.join(parent, name);
    if (!fs.statSync(folder).isDirectory()) continue;
    let lock: ReturnType<typeof lockDataFolder>;
    try {
      lock = lockDataFolder(folder);
    } catch (error) {
      if (error instanceof DataFolderInUseError) {
        throw new CliError(
          `Another alcove restore into ${finalDir} is running${error.holderPid === undefined ? '' : ` (process ${error.holderPid})`}. Nothing was changed.`,
        );
      }
      throw error;
    }
    try {
      fs.rmSync(folder, { recursive: true, force: true });
    } finally {
      lock.release();
    }
    io.out(`Removed ${folder}, which an interrupted restore left.`);
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
