import { isDay, startOfDay } from '@alcove/core';
import { deleteAuditContextBefore, type StoreConfig, verifyAuditLog, writeCheckpoint } from '@alcove/store';
import { CliError, type CliIo, storeConfigFor } from '../context.ts';
import { type UnlockOptions, withUnlockedStore } from '../unlock.ts';
import { type WitnessOptions, witnessFileFor } from '../witness.ts';

export type AuditOptions = UnlockOptions & WitnessOptions & { data?: string };

export function dataFolderOf(config: StoreConfig): string | undefined {
  return config.engine === 'sqlite' ? config.dataDir : undefined;
}

/**
 * `alcove audit verify`: reads the whole log and checks every link and checkpoint, and
 * compares it with the newest checkpoint witnessed outside the database (witness.ts).
 * Runs beside a running Alcove (it only reads), so it does not take the data folder's lock.
 * Exits 3 when anything was changed, removed, added or reordered, or the log ends before
 * (or disagrees with) the witness; a witness that is missing or behind is a warning.
 */
export async function auditVerifyCommand(io: CliIo, options: AuditOptions): Promise<void> {
  const dataDir = dataFolderOf(storeConfigFor(io, options.data));
  await withUnlockedStore(io, options, { lock: false }, async (store, keyring) => {
    const witness = await witnessFileFor(io, options, store, keyring, dataDir);
    const bar = io.progress?.('Verifying the audit log');
    const result = await verifyAuditLog(store.db, keyring, (done, total) => bar?.update(done, total), {
      witness,
    }).catch((error: NodeJS.ErrnoException) => {
      bar?.stop();
      // A witness that cannot be read (a folder put in its place, no permission) is no witness.
      if (error?.path === witness && typeof error.code === 'string')
        throw new CliError(
          `Cannot read the audit witness at ${witness} (${error.code}): the log could not be compared with it. Was it replaced? Give the witness file with --witness or ALCOVE_WITNESS.`,
          3,
        );
      throw error;
    });
    bar?.stop();
    const newest = result.witness?.newest;
    const compared =
      result.witness?.exists !== true
        ? `No witness was found at ${witness}.`
        : newest === undefined
          ? `The witness ${witness} holds no checkpoint yet.`
          : `Compared with the witness ${witness}: its newest entry is ${newest.kind === 'restored' ? 'a restore to' : 'the checkpoint at'} event ${newest.seq}.`;
    for (const warning of result.warnings) io.err(`Warning: ${warning}`);
    if (!result.ok) {
      for (const problem of result.problems.slice(0, 50)) io.err(`- ${problem}`);
      if (result.problems.length > 50) io.err(`… and ${result.problems.length - 50} more`);
      io.err(compared);
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
    io.out(compared);
  });
}

/** `alcove audit checkpoint`: signs the head now (serve does it every few seconds) and witnesses it. */
export async function auditCheckpointCommand(io: CliIo, options: AuditOptions): Promise<void> {
  const dataDir = dataFolderOf(storeConfigFor(io, options.data));
  await withUnlockedStore(io, options, { lock: false }, async (store, keyring) => {
    const witness = await witnessFileFor(io, options, store, keyring, dataDir);
    const seq = await writeCheckpoint(store.db, keyring, undefined, witness);
    io.out(
      seq === undefined
        ? `Nothing new to sign; the witness is ${witness}.`
        : `Signed a checkpoint at event ${seq} and witnessed it in ${witness}.`,
    );
  });
}

/**
 * `alcove audit forget-context --before <day>`: when the practice's log retention ends,
 * deletes the source addresses and user agents kept beside events from before that day
 * (London time). The events and their hash chain stay whole: `audit verify` still passes.
 */
export async function auditForgetContextCommand(
  io: CliIo,
  options: UnlockOptions & { data?: string; before: string },
): Promise<void> {
  if (!isDay(options.before)) throw new CliError('Give --before as a day, like 2025-12-01.', 2);
  await withUnlockedStore(io, options, { lock: false }, async (store) => {
    const deleted = await deleteAuditContextBefore(store.db, startOfDay(options.before));
    io.out(
      `Deleted the address and browser of ${deleted} audit event${deleted === 1 ? '' : 's'} from before ${options.before}; the events themselves are kept.`,
    );
  });
}
