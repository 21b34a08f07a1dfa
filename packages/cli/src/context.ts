import os from 'node:os';
import path from 'node:path';
import { type Clock, clockFrom, systemClock } from '@alcove/core';
import { resolveStoreConfig, type StoreConfig } from '@alcove/store';

/** What a command may touch of the outside world; tests pass their own. */
export interface CliIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  /** Resolves when the user asks a long-running command (serve) to stop. */
  readonly stopSignal: () => Promise<string>;
  /**
   * While work that must not be cut in half runs (migrations, a restore): Ctrl+C and SIGTERM
   * call `listener` instead of ending the process, until the returned function is called.
   */
  readonly onStopSignal?: (listener: (signal: string) => void) => () => void;
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

/**
 * The clock a command runs on: the computer's, or, where `ALCOVE_TEST_NOW` holds an ISO
 * instant, one that starts there and runs on in real time. The variable is for tests (a
 * spawned server put in August to try British Summer Time); `alcove serve` says so when it
 * is set. A value that is not an instant is refused rather than ignored.
 */
export function clockFor(io: CliIo): Clock {
  const start = io.env.ALCOVE_TEST_NOW?.trim();
  if (start === undefined || start === '') return systemClock;
  const at = new Date(start);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(start) || Number.isNaN(at.getTime()))
    throw new CliError('ALCOVE_TEST_NOW must be an ISO instant, like 2026-08-14T09:00:00+01:00.', 2);
  return clockFrom(at);
}
