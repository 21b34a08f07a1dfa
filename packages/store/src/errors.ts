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
