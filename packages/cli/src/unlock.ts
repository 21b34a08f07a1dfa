import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  type Keyring,
  openStore,
  parseKeyFile,
  type Store,
  type UnlockSource,
  unlockKeyring,
} from '@alcove/store';
import { CliError, type CliIo, storeConfigFor } from './context.ts';

/**
 * How this process unlocks Alcove, from the most unattended to the most guarded:
 *
 * - ALCOVE_KEY (base64) or a key file (--key-file, ALCOVE_KEY_FILE): for a server that
 *   starts on its own. Whoever can read the variable or the file can read every record:
 *   keep the file outside the data folder and out of backups, readable by Alcove only.
 * - A passphrase with a secret-key file (--secret-key-file, ALCOVE_SECRET_KEY_FILE,
 *   default ~/.config/alcove/secret-key): for a laptop. Both are needed, so a stolen
 *   database alone cannot be brute-forced, and neither alone opens anything. The
 *   passphrase comes from ALCOVE_PASSPHRASE or is asked for at the terminal.
 */
export interface UnlockOptions {
  keyFile?: string;
  secretKeyFile?: string;
}

export function defaultSecretKeyFile(env: CliIo['env']): string {
  const base = env.XDG_CONFIG_HOME?.trim() || path.join(os.homedir(), '.config');
  return path.join(base, 'alcove', 'secret-key');
}

export function readKeyFile(file: string, what: string): Buffer {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new CliError(`Cannot read the ${what} at ${file}.`);
  }
  try {
    return parseKeyFile(text);
  } catch {
    throw new CliError(`The ${what} at ${file} is not one that alcove init wrote.`);
  }
}

export async function unlockSource(io: CliIo, options: UnlockOptions): Promise<UnlockSource> {
  const keyFile = options.keyFile ?? io.env.ALCOVE_KEY_FILE?.trim();
  if (keyFile) return { method: 'key-file', key: readKeyFile(keyFile, 'key file') };
  const inline = io.env.ALCOVE_KEY?.trim();
  if (inline) {
    try {
      return { method: 'key-file', key: parseKeyFile(inline) };
    } catch {
      throw new CliError('ALCOVE_KEY is not a key that alcove init wrote (32 bytes, base64).');
    }
  }
  const secretKeyFile =
    options.secretKeyFile ?? (io.env.ALCOVE_SECRET_KEY_FILE?.trim() || defaultSecretKeyFile(io.env));
  const secretKey = readKeyFile(secretKeyFile, 'secret-key file');
  const passphrase = io.env.ALCOVE_PASSPHRASE ?? (await io.prompt('Practice passphrase: ', { secret: true }));
  return { method: 'passphrase', passphrase, secretKey };
}

/**
 * Writes a new secret to a file only its owner can read, refusing to overwrite one, and
 * syncs it (and its folder) to disk: a database that a key opens is never committed before
 * the key itself is durable.
 */
export function writeNewKeyFile(file: string, key: Buffer): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  let fd: number;
  try {
    fd = fs.openSync(file, 'wx', 0o600);
  } catch {
    throw new CliError(
      `${file} exists already: Alcove never overwrites a key. Move it away or choose another path.`,
    );
  }
  try {
    fs.writeSync(fd, `${key.toString('base64')}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  syncFolder(path.dirname(file));
}

/** Makes a file's creation, removal or renaming in `dir` durable (Linux, macOS). */
export function syncFolder(dir: string): void {
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

/** A key must live outside the data folder, or a copy of the folder is a copy of the key. */
export function assertOutside(file: string, dataDir: string | undefined): void {
  if (dataDir === undefined) return;
  const relative = path.relative(path.resolve(dataDir), path.resolve(file));
  if (!relative.startsWith('..') && !path.isAbsolute(relative)) {
    throw new CliError(
      `Keep the key outside the data folder (${dataDir}): a copy of the folder must not open itself.`,
    );
  }
}

/**
 * Opens the store named by --data (or the environment), unlocks its keyring, runs `work`,
 * and closes the store whatever happens. `lock: false` for commands that only read beside
 * a running Alcove.
 */
export async function withUnlockedStore<T>(
  io: CliIo,
  options: UnlockOptions & { data?: string },
  open: { lock: boolean },
  work: (store: Store, keyring: Keyring) => Promise<T>,
): Promise<T> {
  const store = await openStore(storeConfigFor(io, options.data), { lock: open.lock });
  try {
    const keyring = await unlockKeyring(store.db, await unlockSource(io, options));
    return await work(store, keyring);
  } finally {
    await store.close();
  }
}
