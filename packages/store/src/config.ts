import type { Engine } from '@alcove/core';

/** Where Alcove keeps its records: an embedded SQLite file, or a PostgreSQL server. */
export type StoreConfig =
  | { readonly engine: 'sqlite'; readonly dataDir: string }
  | {
      readonly engine: 'postgres';
      readonly connectionString: string;
      /** Tests only: run in this schema (search_path), so suites can run side by side. */
      readonly schema?: string;
    };

export const SQLITE_FILE = 'alcove.sqlite';

export interface StoreEnvironment {
  readonly DATABASE_URL?: string | undefined;
  readonly ALCOVE_DATA?: string | undefined;
}

/**
 * PostgreSQL when DATABASE_URL is set; otherwise SQLite in the data folder given by
 * --data, ALCOVE_DATA, or the default.
 */
export function resolveStoreConfig(
  env: StoreEnvironment,
  options: { dataDir?: string | undefined; defaultDataDir: string },
): StoreConfig {
  const url = env.DATABASE_URL?.trim();
  if (url) {
    return { engine: 'postgres', connectionString: url };
  }
  const dataDir = options.dataDir ?? env.ALCOVE_DATA?.trim() ?? options.defaultDataDir;
  return { engine: 'sqlite', dataDir: dataDir === '' ? options.defaultDataDir : dataDir };
}

export function describeStore(config: StoreConfig): string {
  return config.engine === 'sqlite'
    ? `SQLite in ${config.dataDir}`
    : `PostgreSQL (${redactUrl(config.connectionString)})`;
}

/** A connection string without its password, for messages. */
export function redactUrl(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    if (url.password) url.password = '****';
    return url.toString();
  } catch {
    return 'connection string not shown';
  }
}

export function engineOf(config: StoreConfig): Engine {
  return config.engine;
}
