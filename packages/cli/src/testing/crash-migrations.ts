import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  BACKUP_TABLES,
  currentMigration,
  LATEST_MIGRATION,
  MIGRATION_NAMES,
  migrateTo,
  migrateToLatest,
  openStore,
  SQLITE_FILE,
  type Store,
  type StoreConfig,
} from '@alcove/store';
import Database from 'better-sqlite3';
import pg from 'pg';
import { main } from '../main.ts';
import { captureIo } from './io.ts';

/**
 * The crash harness, part two (issue 15): real `alcove` processes killed with SIGKILL at
 * named points inside migrations and inside a restore (store/crash-points.ts,
 * ALCOVE_CRASH_AT), on SQLite and on PostgreSQL, then the same command run again. It must
 * succeed, and what it leaves must be complete: every migration applied, SQLite's
 * integrity check "ok", the audit chain verified, and a restore's (or an upgrade's) rows all
 * there. Three scenarios:
 *
 * - a fresh `alcove init`, killed inside a migration (or between its key file and its
 *   practice), then run again;
 * - an upgrade: a demo at the migration before the newest, `alcove serve` killed inside the
 *   newest migration, then started again (the plain demo in CI; `--scale solo` in a
 *   benchmark run, so that the migration has real tables to change);
 * - `alcove restore` of a backup into a new folder or an empty PostgreSQL database, killed
 *   inside its migrations, among its rows or just before it commits, then run again.
 *
 * On the way it makes the backup it restores, killing `alcove backup` once just before it
 * renames its finished file: the next backup must clear away the `.partial` file it left.
 */
export interface InterruptionOptions {
  readonly engine: 'sqlite' | 'postgres';
  /** PostgreSQL: a server to make (and drop) fresh databases on, e.g. ALCOVE_TEST_DATABASE_URL. */
  readonly databaseUrl?: string;
  /** Kills of each scenario (fresh init, upgrade, restore); each at the next point in its list. */
  readonly kills: number;
  /** The dataset upgraded and restored: the plain demo by default, or the generated solo caseload. */
  readonly scale?: 'solo';
  /** Where in each scenario's list of points the kills start (default 0), so that runs can share them out. */
  readonly firstPoint?: number;
  readonly progress?: (done: number, total: number) => void;
}

export interface InterruptionRun {
  readonly scenario: 'init' | 'upgrade' | 'restore' | 'backup';
  /** The ALCOVE_CRASH_AT value the process died at. */
  readonly point: string;
  /** What was wrong afterwards, if anything (an empty list is a pass). */
  readonly problems: readonly string[];
}

export interface InterruptionReport {
  readonly engine: 'sqlite' | 'postgres';
  readonly runs: readonly InterruptionRun[];
}

const bin = path.join(import.meta.dirname, '..', 'bin.ts');
const INIT_PASSWORD = 'crash harness passphrase, fictional 2026';

/** Where one database lives: a data folder or a PostgreSQL database, its key file and its audit witness. */
interface Target {
  readonly dataDir?: string;
  readonly databaseUrl?: string;
  readonly keyFile: string;
  /** Each database its own: copies of one installation share its id, and would share a witness. */
  readonly witness: string;
}

export async function runInterruptionHarness(options: InterruptionOptions): Promise<InterruptionReport> {
  if (options.engine === 'postgres' && options.databaseUrl === undefined)
    throw new Error('PostgreSQL needs a database URL');
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'alcove-interrupt-'));
  const databases = new PostgresDatabases(options.databaseUrl);
  const runs: InterruptionRun[] = [];
  const total = 1 + 3 * options.kills;
  const done = (run: InterruptionRun) => {
    runs.push(run);
    options.progress?.(runs.length, total);
  };
  try {
    const statements = await countStatements(base);
    const make = async (name: string, keyFile = path.join(base, `${name}.key`)): Promise<Target> => {
      const witness = path.join(base, `${name}.witness`);
      return options.engine === 'sqlite'
        ? { dataDir: path.join(base, name), keyFile, witness }
        : { databaseUrl: await databases.create(), keyFile, witness };
    };

    // The demo that is backed up, restored and upgraded.
    const source = await make('source');
    await demo(source, options.scale);
    const backupFile = path.join(base, 'backups', 'source.alcove');
    fs.mkdirSync(path.dirname(backupFile));
    done(await backupKilledAndAgain(source, backupFile));
    const latestCounts = await rowCounts(source);
    // Down to the migration before the newest: the upgrade starts there.
    const previous = MIGRATION_NAMES.at(-2);
    if (previous === undefined) throw new Error('There is no migration before the newest to upgrade from');
    await withStore(source, (store) => migrateTo(store.db, previous));
    const previousCounts = await rowCounts(source);

    const newest = statements.get(LATEST_MIGRATION ?? '') ?? 1;
    const everyStatement = [...statements.values()].reduce((a, b) => a + b, 0);
    const pick = (n: number) => 1 + Math.floor(Math.random() * n);
    const initPoints = [
      () => `migration.statement:${pick(everyStatement)}`,
      () => 'init.after-key-file',
      () => `migration.before-commit:${pick(MIGRATION_NAMES.length)}`,
      () => `migration.after-commit:${pick(MIGRATION_NAMES.length - 1)}`,
    ];
    const upgradePoints = [() => `migration.statement:${pick(newest)}`, () => 'migration.before-commit:1'];
    // The backup's parts: one line each after its header.
    const parts = fs.readFileSync(backupFile, 'utf8').trimEnd().split('\n').length - 1;
    const restorePoints = [
      () => `restore.rows:${pick(Math.max(1, parts - 1))}`,
      () => `migration.statement:${pick(everyStatement)}`,
      () => 'restore.before-commit',
    ];

    const at = <T>(list: readonly T[], kill: number) =>
      list[(kill + (options.firstPoint ?? 0)) % list.length] as T;
    for (let kill = 0; kill < options.kills; kill += 1) {
      const initPoint = at(initPoints, kill)();
      done(await initKilledAndAgain(await make(`init-${kill}`), initPoint));

      const upgraded = await make(`upgrade-${kill}`, source.keyFile);
      await copyDatabase(source, upgraded, databases);
      const upgradePoint = at(upgradePoints, kill)();
      done(await upgradeKilledAndAgain(upgraded, upgradePoint, previousCounts));

      const restored = await make(`restore-${kill}`, source.keyFile);
      const restorePoint = at(restorePoints, kill)();
      done(await restoreKilledAndAgain(restored, backupFile, restorePoint, latestCounts));
      if (options.engine === 'sqlite') {
        for (const dir of [`init-${kill}`, `upgrade-${kill}`, `restore-${kill}`])
          fs.rmSync(path.join(base, dir), { recursive: true, force: true });
      }
    }
    return { engine: options.engine, runs };
  } finally {
    killStrayProcesses();
    await databases.dropAll();
    fs.rmSync(base, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- the scenarios

async function initKilledAndAgain(target: Target, point: string): Promise<InterruptionRun> {
  const args = [
    'init',
    ...dataArgs(target),
    '--practice-name',
    'Crash Harness Practice (fictional)',
    '--email',
    'crash@example.invalid',
    '--name',
    'Casey Crash (fictional)',
    '--key-file',
    target.keyFile,
  ];
  const env = { ...envOf(target), ALCOVE_INIT_PASSWORD: INIT_PASSWORD };
  const problems: string[] = [];
  const killed = await runAlcove(args, { ...env, ALCOVE_CRASH_AT: point });
  if (killed.signal !== 'SIGKILL') problems.push(`init never reached ${point}: ${killed.stderr.trim()}`);
  const again = await runAgain(args, env);
  if (again.code !== 0) problems.push(`init again exited ${again.code}: ${again.stderr.trim()}`);
  else if (!again.stdout.includes('ALCOVE-RK1')) problems.push('init again printed no recovery kit');
  if (problems.length === 0) {
    problems.push(...(await completeness(target)));
    if (fs.existsSync(`${target.keyFile}.init-pending`))
      problems.push('the key file is still marked pending');
    const practices = await withStore(target, (store) =>
      store.db.selectFrom('practice').select('id').execute(),
    );
    if (practices.length !== 1) problems.push(`${practices.length} practices, not 1`);
  }
  return { scenario: 'init', point, problems };
}

async function upgradeKilledAndAgain(
  target: Target,
  point: string,
  before: Map<string, number>,
): Promise<InterruptionRun> {
  const args = ['serve', ...dataArgs(target), '--port', '0', '--no-web'];
  const problems: string[] = [];
  // Stopped if it ever gets as far as serving: then it never reached the point.
  const killed = await runAlcove(
    args,
    { ...envOf(target), ALCOVE_CRASH_AT: point },
    { stopOnceRunning: true },
  );
  if (killed.signal !== 'SIGKILL')
    problems.push(`serve never reached ${point} (${killed.code ?? killed.signal}): ${killed.stderr.trim()}`);
  const again = await runAgain(args, envOf(target), { stopOnceRunning: true });
  if (again.code !== 0)
    problems.push(
      `serve again exited ${again.code ?? again.signal}: ${again.stderr.trim()} ${again.stdout.trim()}`,
    );
  else if (!again.stdout.includes(`Applied migration(s): ${LATEST_MIGRATION}`))
    problems.push(`serve again did not apply ${LATEST_MIGRATION}: ${again.stdout.trim()}`);
  if (problems.length === 0) {
    problems.push(...(await completeness(target)));
    // Every row is still there (`serve` itself adds some: the audit events and checkpoint of
    // its start and stop).
    const after = await rowCounts(target);
    for (const [table, n] of before) {
      if ((after.get(table) ?? 0) < n)
        problems.push(`${table}: ${after.get(table)} rows after the upgrade, not ${n}`);
    }
  }
  return { scenario: 'upgrade', point, problems };
}

async function restoreKilledAndAgain(
  target: Target,
  file: string,
  point: string,
  expected: Map<string, number>,
): Promise<InterruptionRun> {
  const args = ['restore', file, ...(target.dataDir === undefined ? [] : ['--into', target.dataDir])];
  const problems: string[] = [];
  const killed = await runAlcove(args, { ...envOf(target), ALCOVE_CRASH_AT: point });
  if (killed.signal !== 'SIGKILL') problems.push(`restore never reached ${point}: ${killed.stderr.trim()}`);
  if (target.databaseUrl !== undefined) {
    // Left as it was found: no table at all, so the same restore is not refused.
    const tables = await postgresTableCount(target.databaseUrl);
    if (tables !== 0) problems.push(`the killed restore left ${tables} tables in the target`);
  } else if (target.dataDir !== undefined && fs.existsSync(target.dataDir)) {
    problems.push('the killed restore left the data folder in place');
  }
  const again = await runAgain(args, envOf(target));
  if (again.code !== 0) problems.push(`restore again exited ${again.code}: ${again.stderr.trim()}`);
  if (problems.length === 0) {
    problems.push(...(await completeness(target)));
    problems.push(...compareCounts(expected, await rowCounts(target), 'after the restore'));
    if (target.dataDir !== undefined) {
      const parent = path.dirname(target.dataDir);
      const left = fs
        .readdirSync(parent)
        .filter((name) => name.startsWith(`${path.basename(target.dataDir ?? '')}.partial`));
      if (left.length > 0) problems.push(`left behind: ${left.join(', ')}`);
    }
  }
  return { scenario: 'restore', point, problems };
}

async function backupKilledAndAgain(source: Target, file: string): Promise<InterruptionRun> {
  const point = 'backup.before-rename';
  const args = ['backup', ...dataArgs(source), '--out', file];
  const problems: string[] = [];
  const killed = await runAlcove(args, { ...envOf(source), ALCOVE_CRASH_AT: point });
  if (killed.signal !== 'SIGKILL') problems.push(`backup never reached ${point}: ${killed.stderr.trim()}`);
  const partials = () => fs.readdirSync(path.dirname(file)).filter((name) => name.includes('.partial-'));
  if (partials().length !== 1)
    problems.push(`the killed backup left ${partials().length} .partial files, not 1`);
  const again = await runAgain(args, envOf(source));
  if (again.code !== 0) problems.push(`backup again exited ${again.code}: ${again.stderr.trim()}`);
  if (!fs.existsSync(file)) problems.push('backup again wrote no backup');
  if (partials().length !== 0) problems.push(`left behind: ${partials().join(', ')}`);
  return { scenario: 'backup', point, problems };
}

// ---------------------------------------------------------------- what "complete" means

/** Every migration applied, SQLite's integrity check, and the audit chain verified. */
async function completeness(target: Target): Promise<string[]> {
  const problems: string[] = [];
  const current = await withStore(target, (store) => currentMigration(store.db));
  if (current !== LATEST_MIGRATION) problems.push(`the database is at ${current}, not ${LATEST_MIGRATION}`);
  if (target.dataDir !== undefined) {
    const db = new Database(path.join(target.dataDir, SQLITE_FILE), { readonly: true });
    try {
      const integrity = db.pragma('integrity_check', { simple: true });
      if (integrity !== 'ok') problems.push(`integrity_check: ${String(integrity)}`);
    } finally {
      db.close();
    }
  }
  const verify = captureIo(envOf(target));
  if ((await main(['audit', 'verify', ...dataArgs(target)], verify)) !== 0)
    problems.push(`the audit chain does not verify: ${verify.stderr.join(' ')} ${verify.stdout.join(' ')}`);
  return problems;
}

async function rowCounts(target: Target): Promise<Map<string, number>> {
  return withStore(target, async (store) => {
    const counts = new Map<string, number>();
    for (const table of BACKUP_TABLES) {
      try {
        const row = await store.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow();
        counts.set(table, Number(row.n));
      } catch {
        // A table the newest migration makes is not there yet before the upgrade.
      }
    }
    return counts;
  });
}

function compareCounts(expected: Map<string, number>, actual: Map<string, number>, when: string): string[] {
  const problems: string[] = [];
  for (const [table, n] of expected) {
    if (actual.get(table) !== n) problems.push(`${table}: ${actual.get(table)} rows ${when}, not ${n}`);
  }
  return problems;
}

// ---------------------------------------------------------------- databases

function configOf(target: Target): StoreConfig {
  return target.databaseUrl !== undefined
    ? { engine: 'postgres', connectionString: target.databaseUrl }
    : { engine: 'sqlite', dataDir: target.dataDir ?? '' };
}

async function withStore<T>(target: Target, work: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(configOf(target), { lock: false });
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

/** Statements per migration, counted on a scratch SQLite database. */
async function countStatements(base: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const dataDir = path.join(base, 'count');
  const store = await openStore({ engine: 'sqlite', dataDir });
  try {
    await migrateToLatest(store.db, { onStatement: (name) => counts.set(name, (counts.get(name) ?? 0) + 1) });
  } finally {
    await store.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  return counts;
}

async function demo(target: Target, scale: 'solo' | undefined): Promise<void> {
  const io = captureIo(envOf(target));
  const args = ['demo', ...dataArgs(target), '--key-file', target.keyFile];
  if (scale !== undefined) args.push('--scale', scale);
  if ((await main(args, io)) !== 0) throw new Error(`demo failed: ${io.stderr.join(' ')}`);
}

async function copyDatabase(from: Target, to: Target, databases: PostgresDatabases): Promise<void> {
  if (fs.existsSync(from.witness)) fs.copyFileSync(from.witness, to.witness);
  if (from.dataDir !== undefined && to.dataDir !== undefined) {
    fs.cpSync(from.dataDir, to.dataDir, { recursive: true });
    fs.rmSync(path.join(to.dataDir, 'alcove.pid'), { force: true });
    return;
  }
  if (from.databaseUrl === undefined || to.databaseUrl === undefined) throw new Error('Nothing to copy');
  await databases.copy(from.databaseUrl, to.databaseUrl);
}

/** Fresh PostgreSQL databases on one server, dropped at the end. */
class PostgresDatabases {
  readonly #admin: string | undefined;
  readonly #made: string[] = [];

  constructor(admin: string | undefined) {
    this.#admin = admin;
  }

  async create(): Promise<string> {
    const name = `alcove_crash_${randomBytes(5).toString('hex')}`;
    await this.#query(`create database ${name}`);
    this.#made.push(name);
    return this.#url(name);
  }

  /** Replaces `to` (made by create) with a copy of `from`. */
  async copy(from: string, to: string): Promise<void> {
    const source = new URL(from).pathname.slice(1);
    const target = new URL(to).pathname.slice(1);
    await this.#query(`drop database ${target} with (force)`);
    await this.#query(`create database ${target} template ${source}`);
  }

  async dropAll(): Promise<void> {
    for (const name of this.#made.splice(0))
      await this.#query(`drop database if exists ${name} with (force)`);
  }

  #url(name: string): string {
    const url = new URL(this.#admin ?? '');
    url.pathname = `/${name}`;
    return url.toString();
  }

  async #query(text: string): Promise<void> {
    const client = new pg.Client({ connectionString: this.#admin });
    await client.connect();
    try {
      await client.query(text);
    } finally {
      await client.end();
    }
  }
}

async function postgresTableCount(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>(
      'select count(*) as n from information_schema.tables where table_schema = current_schema()',
    );
    return Number(rows[0]?.n);
  } finally {
    await client.end();
  }
}

// ---------------------------------------------------------------- processes

function envOf(target: Target): Record<string, string> {
  return {
    ALCOVE_DATA: '',
    DATABASE_URL: target.databaseUrl ?? '',
    ALCOVE_KEY_FILE: target.keyFile,
    ALCOVE_WITNESS: target.witness,
  };
}

function dataArgs(target: Target): string[] {
  return target.dataDir === undefined ? [] : ['--data', target.dataDir];
}

interface Finished {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The same command again, run by this process (`main`, as `bin.ts` runs it, with no crash
 * point armed): a process of its own would only add its start-up time.
 */
async function runAgain(
  args: readonly string[],
  env: Record<string, string>,
  options: { stopOnceRunning?: boolean } = {},
): Promise<Finished> {
  const io = captureIo(env);
  const result = main(args, io);
  if (options.stopOnceRunning === true) {
    let settled = false;
    void result.finally(() => {
      settled = true;
    });
    const deadline = Date.now() + 120_000;
    while (!settled && !io.stdout.some((line) => line.includes('running at http')) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
    io.stop();
  }
  const code = await result;
  return { code, signal: null, stdout: io.stdout.join('\n'), stderr: io.stderr.join('\n') };
}

const running = new Set<ChildProcess>();

function killStrayProcesses(): void {
  for (const child of running) child.kill('SIGKILL');
}

/**
 * Runs `alcove ARGS` as a process of its own and waits for it to end; `stopOnceRunning`
 * sends SIGTERM once a server says it is running (as Ctrl+C would).
 */
async function runAlcove(
  args: readonly string[],
  env: Record<string, string>,
  options: { stopOnceRunning?: boolean } = {},
): Promise<Finished> {
  const { ALCOVE_CRASH_AT: _inherited, ...inherited } = process.env;
  const child = spawn(process.execPath, [bin, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...inherited, ...env },
  });
  running.add(child);
  let stdout = '';
  let stderr = '';
  let stopping = false;
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    if (options.stopOnceRunning === true && !stopping && /running at http/.test(stdout)) {
      // Once: a second SIGTERM while it stops would end it at once (as a second Ctrl+C would).
      stopping = true;
      child.kill('SIGTERM');
    }
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  // 'close': the process has ended and its output has all been read.
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.once('close', (c, s) => resolve([c, s])),
  );
  clearTimeout(timer);
  running.delete(child);
  return { code, signal, stdout, stderr };
}
