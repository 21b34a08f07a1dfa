import type { Role } from '@alcove/core';
import { hashPassword, passwordProblem } from '@alcove/server';
import {
  addMembership,
  appendAuditEvent,
  createKeyring,
  createUser,
  hasKeyring,
  insertPractice,
  type Keyring,
  listPractices,
  migrateToLatest,
  type Practice,
  type Store,
  type UnlockSource,
} from '@alcove/store';
import { CliError } from './context.ts';

export interface FirstUser {
  readonly email: string;
  readonly name: string;
  readonly password: string;
  readonly roles: readonly Role[];
}

export interface Installation {
  readonly keyring: Keyring;
  readonly recoveryKit: string;
  readonly practice: Practice;
  readonly userId: string;
}

/**
 * A new installation in one transaction: its keys, a practice with its key, and the first
 * account. Either all of it is written or none of it.
 */
export async function setUpInstallation(
  store: Store,
  input: { practiceName: string; demo: boolean; unlock: readonly UnlockSource[]; firstUser: FirstUser },
): Promise<Installation> {
  const problem = passwordProblem(input.firstUser.password, [
    input.firstUser.email,
    input.firstUser.name,
    input.practiceName,
  ]);
  if (problem !== undefined) throw new CliError(`The password for ${input.firstUser.email}: ${problem}`, 2);
  await migrateToLatest(store.db);
  if ((await hasKeyring(store.db)) || (await listPractices(store.db)).length > 0) {
    throw new CliError('This database already holds a practice. Nothing was changed.');
  }
  const passwordHash = await hashPassword(input.firstUser.password);
  return store.db.transaction().execute(async (trx) => {
    const { keyring, recoveryKit } = await createKeyring(trx, input.unlock);
    const practice = await insertPractice(trx, { name: input.practiceName, demo: input.demo }, keyring);
    const { id: userId } = await createUser(trx, keyring, {
      email: input.firstUser.email,
      name: input.firstUser.name,
      passwordHash,
    });
    for (const role of input.firstUser.roles)
      await addMembership(trx, { userId, practiceId: practice.id, role });
    await appendAuditEvent(trx, {
      actorId: userId,
      practiceId: practice.id,
      action: 'practice.create',
      outcome: 'ok',
      recordType: 'practice',
      recordId: practice.id,
      purpose: 'setup',
    });
    return { keyring, recoveryKit, practice, userId };
  });
}

export function recoveryKitNotice(kit: string): string[] {
  return [
    '',
    'RECOVERY KIT: print this or write it down, and keep it somewhere safe, away from this computer.',
    '',
    `    ${kit}`,
    '',
    'With it, a forgotten passphrase loses nothing (alcove recover). Without the passphrase,',
    'the key file and this kit, nobody can read these records again: not you, not us.',
    '',
  ];
}
