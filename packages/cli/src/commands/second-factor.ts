import { resetSecondFactor } from '@alcove/store';
import type { CliIo } from '../context.ts';
import { actOnAccount, type PeopleOptions } from './people.ts';

/**
 * `alcove people reset-second-factor --email <address>` (issue 16, finding 2): someone lost
 * their phone and their recovery codes. Run on the machine that holds the data and its key,
 * by whoever looks after it, once they know it is that person asking. The authenticator and
 * every recovery code are removed, every session ends and every API token is revoked, in one
 * transaction, audited in each of the account's practices (ids only). The next sign-in, with
 * the password, enrols a new authenticator and gives new recovery codes.
 */
export async function resetSecondFactorCommand(
  io: CliIo,
  options: PeopleOptions & { email: string },
): Promise<void> {
  const ended = await actOnAccount(io, options, 'mfa.reset', resetSecondFactor);
  io.out(
    `The authenticator and recovery codes of that account are removed; ${ended.sessions} session(s) ended and ${ended.tokens} API token(s) revoked. Its next sign-in sets up a new authenticator.`,
  );
}
