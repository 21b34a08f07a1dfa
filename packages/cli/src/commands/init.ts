import fs from 'node:fs';
import path from 'node:path';
import { practiceNameSchema } from '@alcove/core';
import { passwordProblem } from '@alcove/server';
import { describeStore, newKeyFileSecret, openStore, type UnlockSource } from '@alcove/store';
import { CliError, type CliIo, storeConfigFor } from '../context.ts';
import { recoveryKitNotice, setUpInstallation } from '../setup.ts';
import { assertOutside, defaultSecretKeyFile, readKeyFile, writeNewKeyFile } from '../unlock.ts';

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
  const weak = passwordProblem(password);
  if (weak !== undefined) throw new CliError(`The password for ${options.email}: ${weak}`, 2);

  let unlock: UnlockSource;
  let createdKeyFile: string | undefined;
  if (options.keyFile !== undefined) {
    const file = path.resolve(options.keyFile);
    assertOutside(file, dataDir);
    unlock = { method: 'key-file', key: newKeyFileSecret() };
    createdKeyFile = file;
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
    unlock = { method: 'passphrase', passphrase, secretKey };
  }

  // The key file first (it refuses to overwrite), so a database is never left without one.
  if (createdKeyFile !== undefined && unlock.method === 'key-file')
    writeNewKeyFile(createdKeyFile, unlock.key);
  const store = await openStore(config);
  try {
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
    if (createdKeyFile !== undefined) {
      io.out(
        `Wrote the key file: ${createdKeyFile}. Alcove starts with --key-file ${createdKeyFile} (or ALCOVE_KEY_FILE).`,
      );
    }
    io.out(`Created the practice "${installed.practice.name}" in ${describeStore(config)}.`);
    for (const line of recoveryKitNotice(installed.recoveryKit)) io.out(line);
    io.out('Start it with: alcove serve');
  } catch (error) {
    if (createdKeyFile !== undefined) fs.rmSync(createdKeyFile, { force: true });
    throw error;
  } finally {
    await store.close();
  }
}
