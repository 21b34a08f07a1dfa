import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  currentMigration,
  LATEST_MIGRATION,
  MIGRATION_NAMES,
  migrateTo,
  migrateToLatest,
  openStore,
  unlockKeyring,
} from '@alcove/store';
import { tempDir } from '@alcove/store/testing';
import { describe, expect, it } from 'vitest';
import type { CliIo } from './context.ts';
import { main } from './main.ts';
import { type CapturedIo, captureIo } from './testing/io.ts';

/**
 * Issue 15: Ctrl+C, SIGTERM or a kill while a command migrates, creates a practice or
 * restores leaves nothing half-done, and the same command run again finishes the job.
 */
const bin = path.join(import.meta.dirname, 'bin.ts');

interface Ended {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `alcove ARGS` as a process of its own (a crash point in ALCOVE_CRASH_AT only reaches one). */
function alcove(args: readonly string[], env: Record<string, string>): Promise<Ended> {
  const child = spawn(process.execPath, [bin, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ALCOVE_DATA: '', DATABASE_URL: '', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  return new Promise((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
}

/** The migration the n-th statement of a full run belongs to. */
async function migrationOfStatement(n: number): Promise<string> {
  const dataDir = tempDir();
  const store = await openStore({ engine: 'sqlite', dataDir });
  const order: string[] = [];
  try {
    await migrateToLatest(store.db, { onStatement: (name) => order.push(name) });
  } finally {
    await store.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  const name = order[n - 1];
  if (name === undefined) throw new Error(`a full run has only ${order.length} statements`);
  return name;
}

async function migrationOf(dataDir: string): Promise<string | undefined> {
  const store = await openStore({ engine: 'sqlite', dataDir }, { lock: false });
  try {
    return await currentMigration(store.db);
  } finally {
    await store.close();
  }
}

const initArgs = (dataDir: string, keyFile: string) => [
  'init',
  '--data',
  dataDir,
  '--practice-name',
  'Interrupted Practice (fictional)',
  '--email',
  'interrupted@example.test',
  '--name',
  'Ira Interrupted (fictional)',
  '--key-file',
  keyFile,
];
const initEnv = { ALCOVE_INIT_PASSWORD: 'a long fictional passphrase' };

describe('commands interrupted (issue 15)', () => {
  it('Ctrl+C during alcove migrate lets the migration under way commit, stops with a clear message, and the next run finishes', async () => {
    const dataDir = tempDir();
    const under = await migrationOfStatement(12);
    // SIGINT arrives after the 12th statement, in the middle of a migration.
    const stopped = await alcove(['migrate', '--data', dataDir], {
      ALCOVE_CRASH_AT: 'migration.statement:12:SIGINT',
    });
    expect(stopped.code, stopped.stderr).toBe(130);
    expect(stopped.stderr).toContain(
      'SIGINT: stopping once the migration under way has committed or rolled back (a migration is never left half-applied)',
    );
    expect(stopped.stderr).toContain(`Stopped (SIGINT). The database is at migration ${under}`);
    expect(stopped.stderr).toContain('none is half-applied. Run alcove migrate again to apply the rest.');
    expect(await migrationOf(dataDir)).toBe(under);

    const again = captureIo();
    expect(await main(['migrate', '--data', dataDir], again)).toBe(0);
    expect(again.stdout.join('\n')).toContain(
      `${MIGRATION_NAMES.length - MIGRATION_NAMES.indexOf(under) - 1} migration(s)`,
    );
    expect(await migrationOf(dataDir)).toBe(LATEST_MIGRATION);
  });

  it('SIGTERM during the migrations of alcove serve stops it before it starts, and it starts next time', async () => {
    const dataDir = tempDir();
    expect(await main(['demo', '--data', dataDir], captureIo())).toBe(0);
    const env = { ALCOVE_KEY_FILE: `${dataDir}.key` };
    // Back to the schema before the newest: serve has one migration to apply.
    const store = await openStore({ engine: 'sqlite', dataDir });
    await migrateTo(store.db, MIGRATION_NAMES.at(-2) ?? '');
    await store.close();

    const stopped = await alcove(['serve', '--data', dataDir, '--port', '0', '--no-web'], {
      ...env,
      ALCOVE_CRASH_AT: 'migration.statement:1:SIGTERM',
    });
    expect(stopped.code, stopped.stderr).toBe(143);
    expect(stopped.stdout).not.toContain('running at');
    expect(stopped.stderr).toContain('Stopped (SIGTERM).');
    expect(stopped.stderr).toContain('Alcove did not start');
    // The migration under way was the last: it committed whole.
    expect(await migrationOf(dataDir)).toBe(LATEST_MIGRATION);

    const server = captureIo(env);
    const running = main(['serve', '--data', dataDir, '--port', '0', '--no-web'], server);
    for (let i = 0; i < 400 && !server.stdout.join('\n').includes('running at'); i += 1)
      await new Promise((r) => setTimeout(r, 25));
    expect(server.stdout.join('\n')).toContain('running at');
    server.stop();
    expect(await running).toBe(0);
  });

  it('init killed between its key file and its practice: the next init uses that key file and finishes', async () => {
    const dataDir = tempDir();
    const keyFile = path.join(tempDir('alcove-keys-'), 'practice.key');
    const killed = await alcove(initArgs(dataDir, keyFile), {
      ...initEnv,
      ALCOVE_CRASH_AT: 'init.after-key-file',
    });
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    expect(fs.existsSync(keyFile)).toBe(true);
    expect(fs.existsSync(`${keyFile}.init-pending`)).toBe(true);

    const again = captureIo(initEnv);
    expect(await main(initArgs(dataDir, keyFile), again)).toBe(0);
    expect(again.stdout.join('\n')).toContain(
      `Using the key file an interrupted alcove init left: ${keyFile}.`,
    );
    expect(again.stdout.join('\n')).toMatch(/ALCOVE-RK1 /);
    expect(fs.existsSync(`${keyFile}.init-pending`)).toBe(false);
    const verify = captureIo({ ALCOVE_KEY_FILE: keyFile });
    expect(await main(['audit', 'verify', '--data', dataDir], verify)).toBe(0);
  });

  it('a key file left for another database, or one with no marker, is refused and never overwritten', async () => {
    const keyDir = tempDir('alcove-keys-');
    const keyFile = path.join(keyDir, 'practice.key');
    const first = tempDir();
    const killed = await alcove(initArgs(first, keyFile), {
      ...initEnv,
      ALCOVE_CRASH_AT: 'init.after-key-file',
    });
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    const key = fs.readFileSync(keyFile, 'utf8');

    const other = captureIo(initEnv);
    expect(await main(initArgs(tempDir(), keyFile), other)).toBe(1);
    expect(other.stderr.join('\n')).toContain(`was left by an interrupted alcove init of SQLite in ${first}`);
    expect(fs.readFileSync(keyFile, 'utf8')).toBe(key);

    fs.rmSync(`${keyFile}.init-pending`);
    const unmarked = captureIo(initEnv);
    expect(await main(initArgs(first, keyFile), unmarked)).toBe(1);
    expect(unmarked.stderr.join('\n')).toContain('exists already: Alcove never overwrites a key');
    expect(fs.readFileSync(keyFile, 'utf8')).toBe(key);
  });

  it('init stopped after its practice committed, before it finished: the next init prints a new recovery kit', async () => {
    const dataDir = tempDir();
    const keyFile = path.join(tempDir('alcove-keys-'), 'practice.key');
    const first = captureIo(initEnv);
    expect(await main(initArgs(dataDir, keyFile), first)).toBe(0);
    const firstKit = first.stdout.join('\n').match(/ALCOVE-RK1 \S+/)?.[0] ?? '';
    // The state a kill just after the commit leaves: the practice, and the marker still there.
    fs.writeFileSync(
      `${keyFile}.init-pending`,
      JSON.stringify({ store: `SQLite in ${dataDir}`, pid: 1, startedAt: '2026-12-01T09:00:00.000Z' }),
    );

    const again = captureIo(initEnv);
    expect(await main(initArgs(dataDir, keyFile), again)).toBe(0);
    const out = again.stdout.join('\n');
    expect(out).toContain('was stopped before it finished');
    const newKit = out.match(/ALCOVE-RK1 \S+/)?.[0] ?? '';
    expect(newKit).not.toBe('');
    expect(newKit).not.toBe(firstKit);
    expect(fs.existsSync(`${keyFile}.init-pending`)).toBe(false);
    const store = await openStore({ engine: 'sqlite', dataDir });
    try {
      await expect(unlockKeyring(store.db, { method: 'recovery-kit', kit: newKit })).resolves.toBeDefined();
      await expect(unlockKeyring(store.db, { method: 'recovery-kit', kit: firstKit })).rejects.toThrow();
      expect((await store.db.selectFrom('practice').select('id').execute()).length).toBe(1);
    } finally {
      await store.close();
    }
  });

  it('restore clears away the folders an interrupted restore left; Ctrl+C rolls a restore back, and it then runs again', async () => {
    const dataDir = tempDir();
    expect(await main(['demo', '--data', dataDir], captureIo())).toBe(0);
    const env = { ALCOVE_KEY_FILE: `${dataDir}.key` };
    const out = path.join(tempDir('alcove-backups-'), 'demo.alcove');
    expect(await main(['backup', '--data', dataDir, '--out', out], captureIo(env))).toBe(0);

    const into = path.join(tempDir('alcove-restore-'), 'restored');
    // Ctrl+C as soon as the restore listens for it: rolled back, nothing left.
    const interrupted = ctrlCAtOnce(captureIo(env));
    expect(await main(['restore', out, '--into', into], interrupted)).toBe(130);
    expect(interrupted.stderr.join('\n')).toContain(
      'The restore was rolled back and nothing was written: run the same command again.',
    );
    expect(fs.readdirSync(path.dirname(into))).toEqual([]);

    // What a killed restore (this version's, and an earlier one's) left beside the target.
    for (const left of [`${into}.partial`, `${into}.partial-4242`]) {
      fs.mkdirSync(left);
      fs.writeFileSync(path.join(left, 'alcove.sqlite'), 'cut short');
    }
    const restore = captureIo(env);
    expect(await main(['restore', out, '--into', into], restore)).toBe(0);
    expect(restore.stdout.join('\n')).toContain(
      `Removed ${into}.partial, which an interrupted restore left.`,
    );
    expect(fs.readdirSync(path.dirname(into))).toEqual(['restored']);
    expect(await main(['audit', 'verify', '--data', into], captureIo(env))).toBe(0);
  });
});

/** An io whose user presses Ctrl+C the moment the command starts listening for it. */
function ctrlCAtOnce(io: CapturedIo): CapturedIo {
  const onStopSignal: CliIo['onStopSignal'] = (listener) => {
    queueMicrotask(() => listener('SIGINT'));
    return io.onStopSignal?.(listener) ?? (() => {});
  };
  return { ...io, onStopSignal };
}
