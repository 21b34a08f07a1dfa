import path from 'node:path';
import { openStore, unlockKeyring } from '@alcove/store';
import { CliError, type CliIo, storeConfigFor } from '../context.ts';
import { defaultSecretKeyFile, readKeyFile } from '../unlock.ts';

/**
 * `alcove recover`: the passphrase is forgotten; the recovery kit unlocks, and a new
 * passphrase (with the secret-key file) replaces the old one. Nothing is lost.
 */
export async function recoverCommand(
  io: CliIo,
  options: { data?: string; secretKeyFile?: string },
): Promise<void> {
  const kit =
    io.env.ALCOVE_RECOVERY_KIT ?? (await io.prompt('Recovery kit (ALCOVE-RK1 …): ', { secret: true }));
  const store = await openStore(storeConfigFor(io, options.data));
  try {
    const keyring = await unlockKeyring(store.db, { method: 'recovery-kit', kit });
    const secretKeyFile = path.resolve(
      options.secretKeyFile ?? (io.env.ALCOVE_SECRET_KEY_FILE?.trim() || defaultSecretKeyFile(io.env)),
    );
    const secretKey = readKeyFile(secretKeyFile, 'secret-key file');
    const passphrase =
      io.env.ALCOVE_NEW_PASSPHRASE ?? (await io.prompt('New practice passphrase: ', { secret: true }));
    if (passphrase.length < 12)
      throw new CliError('The practice passphrase needs at least 12 characters.', 2);
    await store.db
      .transaction()
      .execute((trx) => keyring.replaceUnlock(trx, { method: 'passphrase', passphrase, secretKey }));
    io.out(
      'The new passphrase is set; the old one no longer unlocks Alcove. The recovery kit still works: keep it safe.',
    );
  } finally {
    await store.close();
  }
}
