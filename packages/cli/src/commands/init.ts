import fs from 'node:fs';
import path from 'node:path';
import { practiceNameSchema } from '@alcove/core';
import { passwordProblem } from '@alcove/server';
import {
  crashPoint,
  describeStore,
  hasKeyring,
  listPractices,
  newKeyFileSecret,
  openStore,
  parseKeyFile,
  type Store,
  type StoreConfig,
  UnlockError,
  type UnlockSource,
  unlockKeyring,
} from '@alcove/store';
import { CliError, type CliIo, storeConfigFor } from '../context.ts';
import { recoveryKitNotice, setUpInstallation } from '../setup.ts';
import { migrateForCommand, StopRequests } from '../stopping.ts';
import { assertOutside, defaultSecretKeyFile, readKeyFile, syncFolder, writeNewKeyFile } from '../unlock.ts';

export interface InitOptions {
  data?: string;
  practiceName: string;
  email: string;
  name: string;
  keyFile?: string;
  secretKeyFile?: string;
}

/**
 * A new practice: its keys, how it is unlocked, and the first practitioner's account
 * (also its administrator). Prints the recovery kit once.
 *
 * An init that is interrupted (Ctrl+C, a kill, a power cut) can simply be run again: its
 * migrations each committed whole or not at all, the practice is one transaction, and a new
 * key file is written beside a marker (`KEYFILE.init-pending`) until the practice that uses
 * it is created and its recovery kit printed. The next run with the same key file and the
 * same database uses the key file it finds rather than refusing it, and, if the practice was
 * created but the run was stopped before the end, prints a new recovery kit (the first may
 * never have been shown).
 */
export async function initCommand(io: CliIo, options: InitOptions): Promise<void> {
  const name = practiceNameSchema.safeParse(options.practiceName);
  if (!name.success) {
    throw new CliError(`--practice-name: ${name.error.issues[0]?.message ?? 'not valid'}.`, 2);
  }
  const config = storeConfigFor(io, options.data);
  const dataDir = config.engine === 'sqlite' ? config.dataDir : undefined;
  const password =
    io.env.ALCOVE_INIT_PASSWORD ?? (await io.prompt(`Password for ${options.email}: `, { secret: true }));
  const weak = passwordProblem(password, [options.email, options.name, options.practiceName]);
  if (weak !== undefined) throw new CliError(`The password for ${options.email}: ${weak}`, 2);

  let keyFile: string | undefined;
  let passphraseUnlock: UnlockSource | undefined;
  if (options.keyFile !== undefined) {
    keyFile = path.resolve(options.keyFile);
    assertOutside(keyFile, dataDir);
  } else {
    const secretKeyFile = path.resolve(
      options.secretKeyFile ?? (io.env.ALCOVE_SECRET_KEY_FILE?.trim() || defaultSecretKeyFile(io.env)),
    );
    assertOutside(secretKeyFile, dataDir);
    let secretKey: Buffer;
    try {
      secretKey = readKeyFile(secretKeyFile, 'secret-key file');
    } catch {
      secretKey = newKeyFileSecret();
      writeNewKeyFile(secretKeyFile, secretKey);
      io.out(`Wrote a new secret-key file: ${secretKeyFile}. Keep a copy with the recovery kit.`);
    }
    const passphrase =
      io.env.ALCOVE_PASSPHRASE ?? (await io.prompt('Choose the practice passphrase: ', { secret: true }));
    if (passphrase.length < 12)
      throw new CliError('The practice passphrase needs at least 12 characters.', 2);
    passphraseUnlock = { method: 'passphrase', passphrase, secretKey };
  }

  const store = await openStore(config);
  const stops = new StopRequests(
    io,
    'stopping before the practice is created (a migration under way commits or rolls back first)...',
  );
  /** The key file this run wrote or took over, while no practice is known to use it. */
  let ownKey: { file: string; key: Buffer } | undefined;
  try {
    await migrateForCommand(store.db, stops, 'Run the same alcove init again to finish.');
    const holdsPractice = (await hasKeyring(store.db)) || (await listPractices(store.db)).length > 0;
    let unlock: UnlockSource;
    if (keyFile !== undefined) {
      const left = keyLeftByInterruptedInit(keyFile, config);
      if (holdsPractice) {
        if (left !== undefined && (await finishInterruptedInit(io, store, config, keyFile, left))) return;
        throw new CliError('This database already holds a practice. Nothing was changed.');
      }
      let key: Buffer;
      if (left !== undefined) {
        key = left;
        io.out(`Using the key file an interrupted alcove init left: ${keyFile}.`);
      } else {
        // The marker first, then the key file (which refuses to overwrite), both synced, and
        // only then the practice: a database is never left without its key, and a key file
        // without a practice is known for what it is.
        key = newKeyFileSecret();
        writePendingMarker(keyFile, config);
        writeNewKeyFile(keyFile, key);
      }
      ownKey = { file: keyFile, key };
      unlock = { method: 'key-file', key };
      crashPoint('init.after-key-file');
    } else {
      if (holdsPractice) throw new CliError('This database already holds a practice. Nothing was changed.');
      unlock = passphraseUnlock as UnlockSource;
    }
    if (stops.signal !== undefined) {
      throw stops.error(
        `The database is up to date and holds no practice yet; run the same alcove init again to create it${keyFile === undefined ? '' : ` (it uses ${keyFile})`}.`,
      );
    }
    const installed = await setUpInstallation(store, {
      practiceName: name.data,
      demo: false,
      unlock: [unlock],
      firstUser: {
        email: options.email,
        name: options.name,
        password,
        roles: ['practitioner', 'administrator'],
      },
    });
    // Created: whatever is asked now, the recovery kit is printed.
    ownKey = undefined;
    if (keyFile !== undefined) {
      io.out(
        `Wrote the key file: ${keyFile}. Alcove starts with --key-file ${keyFile} (or ALCOVE_KEY_FILE).`,
      );
    }
    io.out(`Created the practice "${installed.practice.name}" in ${describeStore(config)}.`);
    for (const line of recoveryKitNotice(installed.recoveryKit)) io.out(line);
    io.out('Start it with: alcove serve');
    if (keyFile !== undefined) removePendingMarker(keyFile);
  } catch (error) {
    // A key file this run wrote (or took over) goes, unless the database is known to use it.
    if (ownKey !== undefined && (await unusedBy(store, ownKey.key))) {
      fs.rmSync(ownKey.file, { force: true });
      removePendingMarker(ownKey.file);
    }
    throw error;
  } finally {
    stops.dispose();
    await store.close();
  }
}

// ---------------------------------------------------------------- an init that was interrupted

interface PendingMarker {
  readonly store: string;
  readonly pid: number;
  readonly startedAt: string;
}

function markerOf(keyFile: string): string {
  return `${keyFile}.init-pending`;
}

function writePendingMarker(keyFile: string, config: StoreConfig): void {
  fs.mkdirSync(path.dirname(keyFile), { recursive: true, mode: 0o700 });
  const marker: PendingMarker = {
    store: describeStore(config),
    pid: process.pid,
    startedAt: new Date().toISOString(),
  };
  const fd = fs.openSync(markerOf(keyFile), 'w', 0o600);
  try {
    fs.writeSync(fd, `${JSON.stringify(marker)}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function removePendingMarker(keyFile: string): void {
  fs.rmSync(markerOf(keyFile), { force: true });
  syncFolder(path.dirname(keyFile));
}

function readPendingMarker(keyFile: string): PendingMarker | undefined {
  try {
    const marker = JSON.parse(fs.readFileSync(markerOf(keyFile), 'utf8')) as PendingMarker;
    return typeof marker.store === 'string' ? marker : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The key in a key file an interrupted init of this same database left (its marker is
 * beside it), or undefined when there is no key file. A key file with no marker is someone
 * else's, and is refused, never overwritten.
 */
function keyLeftByInterruptedInit(keyFile: string, config: StoreConfig): Buffer | undefined {
  if (!fs.existsSync(keyFile)) return undefined;
  const marker = readPendingMarker(keyFile);
  if (marker === undefined) {
    throw new CliError(
      `${keyFile} exists already: Alcove never overwrites a key. Move it away or choose another path.`,
    );
  }
  if (marker.store !== describeStore(config)) {
    throw new CliError(
      `${keyFile} was left by an interrupted alcove init of ${marker.store}: run that init again to finish it, or move the key file (and ${markerOf(keyFile)}) away.`,
    );
  }
  try {
    return parseKeyFile(fs.readFileSync(keyFile, 'utf8'));
  } catch {
    // Cut short as it was written: no database can use it (the practice is committed only
    // after the key file is synced), so a new key takes its place.
    fs.rmSync(keyFile, { force: true });
    return undefined;
  }
}

/**
 * The database holds a practice: if it is the one an interrupted init made with this key
 * file, that init is finished now (a new recovery kit, since the first may never have been
 * shown). False if the key file does not open this database.
 */
async function finishInterruptedInit(
  io: CliIo,
  store: Store,
  config: StoreConfig,
  keyFile: string,
  key: Buffer,
): Promise<boolean> {
  let keyring: Awaited<ReturnType<typeof unlockKeyring>>;
  try {
    keyring = await unlockKeyring(store.db, { method: 'key-file', key });
  } catch (error) {
    if (error instanceof UnlockError) return false;
    throw error;
  }
  const kit = await store.db.transaction().execute((trx) => keyring.newRecoveryKit(trx));
  const practices = await listPractices(store.db);
  io.out(
    `An earlier alcove init created the practice "${practices[0]?.name ?? ''}" in ${describeStore(config)} with the key file ${keyFile}, and was stopped before it finished.`,
  );
  io.out('Its recovery kit may never have been shown: here is a new one; any earlier kit no longer works.');
  for (const line of recoveryKitNotice(kit)) io.out(line);
  io.out('Start it with: alcove serve');
  removePendingMarker(keyFile);
  return true;
}

/** True only when the database is known not to use this key: never delete a key in doubt. */
async function unusedBy(store: Store, key: Buffer): Promise<boolean> {
  try {
    if (!(await hasKeyring(store.db))) return true;
    await unlockKeyring(store.db, { method: 'key-file', key });
    return false;
  } catch (error) {
    return error instanceof UnlockError;
  }
}
