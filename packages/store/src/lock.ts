import fs from 'node:fs';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import { DataFolderInUseError } from './errors.ts';

export const LOCK_FILE = 'alcove.lock';
export const PID_FILE = 'alcove.pid';

export interface DataFolderLock {
  release(): void;
}

/**
 * Takes the data folder's writer lock, or throws DataFolderInUseError at once.
 *
 * The lock is SQLite's own exclusive lock on a small file beside the database: an OS
 * (fcntl) lock, which the kernel drops when the process ends in any way, SIGKILL
 * included, so a crash never leaves a stale lock to clean up. It covers the lock file
 * only, never the database, so an online backup can still read the database while
 * Alcove runs.
 */
export function lockDataFolder(dataDir: string): DataFolderLock {
  const lockPath = path.join(dataDir, LOCK_FILE);
  const pidPath = path.join(dataDir, PID_FILE);
  const db = new Sqlite(lockPath, { timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
  } catch (error) {
    db.close();
    if (isBusy(error)) {
      throw new DataFolderInUseError(dataDir, readPid(pidPath));
    }
    throw error;
  }
  // For the message a second process prints; the lock itself is the OS lock above.
  fs.writeFileSync(pidPath, `${process.pid}\n`, { mode: 0o600 });
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      fs.rmSync(pidPath, { force: true });
      db.close();
    },
  };
}

function isBusy(error: unknown): boolean {
  return (
    error instanceof Error &&
    'code' in error &&
    (error.code === 'SQLITE_BUSY' || error.code === 'SQLITE_LOCKED')
  );
}

function readPid(pidPath: string): number | undefined {
  try {
    const pid = Number.parseInt(fs.readFileSync(pidPath, 'utf8').trim(), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
