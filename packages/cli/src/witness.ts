import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Keyring, type Store, witnessFileName, witnessKey } from '@alcove/store';
import { CliError, type CliIo } from './context.ts';
import { defaultSecretKeyFile, type UnlockOptions } from './unlock.ts';

/** `--witness FILE` (or ALCOVE_WITNESS): where the audit witness is kept. */
export interface WitnessOptions {
  witness?: string;
}

/** The user's state folder for Alcove: $XDG_STATE_HOME/alcove, default ~/.local/state/alcove. */
export function stateFolder(env: CliIo['env']): string {
  const base = env.XDG_STATE_HOME?.trim() || path.join(os.homedir(), '.local', 'state');
  return path.join(base, 'alcove');
}

/**
 * Where this process keeps the audit witness (store/witness.ts), outside the data folder:
 * --witness or ALCOVE_WITNESS; otherwise beside the file that unlocks Alcove (the key file,
 * or with a passphrase the secret-key file), or, when the key comes from ALCOVE_KEY, in
 * the user's state folder. The default name is the installation's own, so witnesses of
 * several installations can share a folder.
 */
export async function witnessFileFor(
  io: CliIo,
  options: UnlockOptions & WitnessOptions,
  store: Store,
  keyring: Keyring,
  dataDir: string | undefined,
): Promise<string> {
  const given = options.witness ?? io.env.ALCOVE_WITNESS?.trim();
  let file: string;
  if (given) {
    file = path.resolve(given);
  } else {
    const name = witnessFileName(await witnessKey(store.db, keyring));
    const keyFile = options.keyFile ?? io.env.ALCOVE_KEY_FILE?.trim();
    if (keyFile) file = path.join(path.dirname(path.resolve(keyFile)), name);
    else if (io.env.ALCOVE_KEY?.trim()) file = path.join(stateFolder(io.env), name);
    else {
      const secretKeyFile =
        options.secretKeyFile ?? (io.env.ALCOVE_SECRET_KEY_FILE?.trim() || defaultSecretKeyFile(io.env));
      file = path.join(path.dirname(path.resolve(secretKeyFile)), name);
    }
  }
  if (dataDir !== undefined) {
    // Through symbolic links: a witness linked into the data folder is in it.
    const relative = path.relative(realPath(dataDir), realPath(file));
    const outside = relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative);
    if (!outside) {
      throw new CliError(
        `Keep the audit witness outside the data folder (${dataDir}): whoever can rewrite the database must not be able to rewrite its witness unnoticed.`,
        2,
      );
    }
  }
  return file;
}

/** The real path of a file or folder; for one that does not exist yet, its nearest existing folder's, joined with the rest. */
function realPath(file: string): string {
  const resolved = path.resolve(file);
  try {
    return fs.realpathSync(resolved);
  } catch {
    const parent = path.dirname(resolved);
    if (parent === resolved) return resolved;
    return path.join(realPath(parent), path.basename(resolved));
  }
}
