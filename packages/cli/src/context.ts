import os from 'node:os';
import path from 'node:path';
import { resolveStoreConfig, type StoreConfig } from '@alcove/store';

/** What a command may touch of the outside world; tests pass their own. */
export interface CliIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  /** Resolves when the user asks a long-running command (serve) to stop. */
  readonly stopSignal: () => Promise<string>;
  /** Asks at the terminal; `secret` hides what is typed. Fails when there is no terminal. */
  readonly prompt: (question: string, options?: { secret?: boolean }) => Promise<string>;
  /** A progress bar for long work (a no-op where output is not a terminal). */
  readonly progress?: (label: string) => { update(done: number, total: number): void; stop(): void };
}

/** A clear sentence for the user; the CLI prints it and exits with `exitCode`. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

export function defaultDataDir(env: CliIo['env']): string {
  const base = env.XDG_DATA_HOME?.trim() || path.join(os.homedir(), '.local', 'share');
  return path.join(base, 'alcove');
}

export function storeConfigFor(io: CliIo, dataDir: string | undefined): StoreConfig {
  return resolveStoreConfig(
    { DATABASE_URL: io.env.DATABASE_URL, ALCOVE_DATA: io.env.ALCOVE_DATA },
    {
      dataDir: dataDir === undefined ? undefined : path.resolve(dataDir),
      defaultDataDir: defaultDataDir(io.env),
    },
  );
}
