import { verifyAuditLog, writeCheckpoint } from '@alcove/store';
import { CliError, type CliIo } from '../context.ts';
import { type UnlockOptions, withUnlockedStore } from '../unlock.ts';

/**
 * `alcove audit verify`: reads the whole log and checks every link and checkpoint. Runs
 * beside a running Alcove (it only reads), so it does not take the data folder's lock.
 */
export async function auditVerifyCommand(
  io: CliIo,
  options: UnlockOptions & { data?: string },
): Promise<void> {
  await withUnlockedStore(io, options, { lock: false }, async (store, keyring) => {
    const bar = io.progress?.('Verifying the audit log');
    const result = await verifyAuditLog(store.db, keyring, (done, total) => bar?.update(done, total));
    bar?.stop();
    if (!result.ok) {
      for (const problem of result.problems.slice(0, 50)) io.err(`- ${problem}`);
      if (result.problems.length > 50) io.err(`… and ${result.problems.length - 50} more`);
      throw new CliError(
        `The audit log has been tampered with: ${result.problems.length} problem(s) found.`,
        3,
      );
    }
    io.out(
      `The audit log is intact: ${result.events} events, ${result.checkpoints} signed checkpoint(s)` +
        (result.unsignedTail > 0
          ? `; the newest ${result.unsignedTail} event(s) are chained but not yet signed.`
          : '.'),
    );
  });
}

/** `alcove audit checkpoint`: signs the head now (serve does it every few seconds). */
export async function auditCheckpointCommand(
  io: CliIo,
  options: UnlockOptions & { data?: string },
): Promise<void> {
  await withUnlockedStore(io, options, { lock: false }, async (store, keyring) => {
    const seq = await writeCheckpoint(store.db, keyring);
    io.out(seq === undefined ? 'Nothing new to sign.' : `Signed a checkpoint at event ${seq}.`);
  });
}
