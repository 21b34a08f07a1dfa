import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { StoreConfig } from '../config.ts';

/**
 * The engines a storage test runs on: a fresh SQLite data folder always, and a fresh
 * schema on the PostgreSQL server named by ALCOVE_TEST_DATABASE_URL when it is set.
 * Never a mocked database.
 */
export interface TestEngine {
  readonly name: 'sqlite' | 'postgres';
  /** A new, empty database for one test. */
  create(): Promise<TestDatabase>;
}

export interface TestDatabase {
  readonly config: StoreConfig;
  /** Removes the folder or drops the schema. */
  dispose(): Promise<void>;
}

export const testDatabaseUrl: string | undefined = process.env.ALCOVE_TEST_DATABASE_URL?.trim() || undefined;

export function tempDir(prefix = 'alcove-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

const sqliteEngine: TestEngine = {
  name: 'sqlite',
  async create() {
    const dataDir = tempDir();
    return {
      config: { engine: 'sqlite', dataDir },
      async dispose() {
        fs.rmSync(dataDir, { recursive: true, force: true });
      },
    };
  },
};

function postgresEngine(connectionString: string): TestEngine {
  return {
    name: 'postgres',
    async create() {
      const schema = `alcove_test_${randomBytes(6).toString('hex')}`;
      await adminQuery(connectionString, `CREATE SCHEMA ${schema}`);
      return {
        config: { engine: 'postgres', connectionString, schema },
        async dispose() {
          await adminQuery(connectionString, `DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        },
      };
    },
  };
}

async function adminQuery(connectionString: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export const testEngines: readonly TestEngine[] =
  testDatabaseUrl === undefined ? [sqliteEngine] : [sqliteEngine, postgresEngine(testDatabaseUrl)];
