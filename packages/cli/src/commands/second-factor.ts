import { ALCOVE_VERSION } from '@alcove/server';
import {
  appendAuditEvent,
  auditSource,
  findUserByEmail,
  membershipsOf,
  resetSecondFactor,
  withAuditSource,
} from '@alcove/store';
import { CliError, type CliIo, clockFor } from '../context.ts';
import { withUnlockedStore } from '../unlock.ts';
import type { PeopleOptions } from './people.ts';

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
  await withUnlockedStore(io, options, { lock: false }, async (store, keyring) => {
    const user = await findUserByEmail(store.db, keyring, options.email);
    // The address is not repeated: the terminal may be logged, or shared.
    if (user === undefined) throw new CliError('No account has that e-mail address.');
    const practiceIds = [...new Set((await membershipsOf(store.db, user.id)).map((m) => m.practiceId))];
    const now = clockFor(io)().toISOString();
    const ended = await withAuditSource(auditSource(null, `alcove-cli/${ALCOVE_VERSION}`), () =>
      store.db.transaction().execute(async (trx) => {
        const result = await resetSecondFactor(trx, user.id, now);
        for (const practiceId of practiceIds.length === 0 ? [null] : practiceIds) {
          await appendAuditEvent(trx, {
            practiceId,
            action: 'mfa.reset',
            outcome: 'ok',
            recordType: 'user',
            recordId: user.id,
            purpose: 'security',
            at: now,
          });
        }
        return result;
      }),
    );
    io.out(
      `The authenticator and recovery codes of that account are removed; ${ended.sessions} session(s) ended and ${ended.tokens} API token(s) revoked. Its next sign-in sets up a new authenticator.`,
    );
  });
}
