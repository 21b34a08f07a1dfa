import { type MigrationReport, MigrationsStoppedError, migrateToLatest, type Store } from '@alcove/store';
import { CliError, type CliIo } from './context.ts';

/**
 * Ctrl+C (SIGINT) and SIGTERM while a command does work that must not be cut in half:
 * migrations, `init` before its practice commits, a restore. The signal is noted rather
 * than ending the process; the work stops at its next safe point (the migration under way
 * has committed or rolled back; the restore's transaction has rolled back) and the command
 * exits with a sentence saying where things stand. A kill (SIGKILL, a power cut) is safe as
 * well: each migration and a whole restore are one transaction each. Nothing is noted where
 * the terminal does not offer it (tests that pass their own `CliIo` without it).
 */
export class StopRequests {
  #signal: string | undefined;
  readonly #off: (() => void) | undefined;
  readonly #abort = new AbortController();

  /** `notice` is printed at the first signal: what happens now. */
  constructor(io: CliIo, notice: string) {
    this.#off = io.onStopSignal?.((signal) => {
      if (this.#signal === undefined) {
        this.#signal = signal;
        io.err(`${signal}: ${notice}`);
        this.#abort.abort(new Error(`Stopped (${signal})`));
      }
    });
  }

  /** The signal that asked to stop, if one has. */
  get signal(): string | undefined {
    return this.#signal;
  }

  /** Aborted at the first signal (for work that takes an AbortSignal: a restore). */
  get abortSignal(): AbortSignal {
    return this.#abort.signal;
  }

  /** The CliError that ends the command, with the shell's code for the signal (128 + its number). */
  error(message: string): CliError {
    return new CliError(`Stopped (${this.#signal ?? 'on request'}). ${message}`, exitCodeOf(this.#signal));
  }

  /** Lets signals end the process again. */
  dispose(): void {
    this.#off?.();
  }
}

function exitCodeOf(signal: string | undefined): number {
  return signal === 'SIGTERM' ? 143 : 130;
}

/**
 * Brings the database to the newest schema for a command (`serve`, `init`, `migrate`): each
 * migration in its own transaction; a stop asked for meanwhile takes effect once the
 * migration under way has committed or rolled back.
 */
export async function migrateForCommand(
  db: Store['db'],
  stops: StopRequests,
  again: string,
): Promise<MigrationReport> {
  try {
    return await migrateToLatest(db, { stopRequested: () => stops.signal !== undefined });
  } catch (error) {
    if (!(error instanceof MigrationsStoppedError)) throw error;
    const applied = error.current === undefined ? 'no migration yet' : `migration ${error.current}`;
    throw stops.error(
      `The database is at ${applied}, with ${error.remaining.length} migration(s) still to apply (${error.remaining.join(', ')}); none is half-applied. ${again}`,
    );
  }
}

/** The notice printed at the first signal during migrations. */
export const MIGRATION_STOP_NOTICE =
  'stopping once the migration under way has committed or rolled back (a migration is never left half-applied)...';
