/** The data folder is held by another running Alcove (or another command). */
export class DataFolderInUseError extends Error {
  readonly dataDir: string;
  readonly holderPid: number | undefined;

  constructor(dataDir: string, holderPid: number | undefined) {
    const who = holderPid === undefined ? 'another Alcove process' : `Alcove process ${holderPid}`;
    super(
      `The data folder ${dataDir} is in use by ${who}. ` +
        'Only one Alcove may write to a data folder at a time: stop the other one first, ' +
        'or use another folder with --data.',
    );
    this.name = 'DataFolderInUseError';
    this.dataDir = dataDir;
    this.holderPid = holderPid;
  }
}

/** A migration failed; the database is left at the last migration that succeeded. */
export class MigrationError extends Error {
  constructor(migrationName: string | undefined, cause: unknown) {
    super(`Migration ${migrationName ?? '(unknown)'} failed`, { cause });
    this.name = 'MigrationError';
  }
}

/**
 * Migrations stopped on request (Ctrl+C, SIGTERM) between two migrations: every migration
 * that ran committed whole, and the next run carries on from `current`.
 */
export class MigrationsStoppedError extends Error {
  /** The newest migration in force. */
  readonly current: string | undefined;
  /** The migrations still to run, in the order they would have run. */
  readonly remaining: readonly string[];

  constructor(current: string | undefined, remaining: readonly string[]) {
    super(
      `Migrations stopped at ${current ?? 'the start'}, with ${remaining.length} still to run (${remaining.join(', ')}); none is half-applied`,
    );
    this.name = 'MigrationsStoppedError';
    this.current = current;
    this.remaining = remaining;
  }
}

/**
 * Whether a database error is a unique constraint refusing a row: PostgreSQL's SQLSTATE
 * 23505, SQLite's SQLITE_CONSTRAINT_UNIQUE (or PRIMARYKEY). Two requests that both checked
 * first and both inserted: the loser's answer is a conflict, never an internal error.
 */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null || !('code' in error)) return false;
  const { code } = error as { code: unknown };
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
