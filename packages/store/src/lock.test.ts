import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DataFolderInUseError } from './errors.ts';
import { lockDataFolder, PID_FILE } from './lock.ts';
import { openStore } from './store.ts';
import { tempDir } from './testing/engines.ts';

const holderScript = path.join(import.meta.dirname, 'testing', 'hold-lock.ts');

/** Starts a separate process that takes the lock and waits; resolves once it holds it. */
function startHolder(dataDir: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [holderScript, dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the lock holder exited early (${code})`)));
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      if (chunk.includes('locked')) resolve(child);
    });
  });
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

describe('the data folder lock', () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
  });

  it('refuses a second holder in the same process, and frees on release', () => {
    const dataDir = tempDir();
    const first = lockDataFolder(dataDir);
    expect(() => lockDataFolder(dataDir)).toThrow(DataFolderInUseError);
    first.release();
    const again = lockDataFolder(dataDir);
    again.release();
    expect(fs.existsSync(path.join(dataDir, PID_FILE))).toBe(false);
  });

  it('refuses a second process with a message naming the holder, and is free again after SIGKILL', async () => {
    const dataDir = tempDir();
    const holder = await startHolder(dataDir);
    children.push(holder);

    let refusal: unknown;
    try {
      await openStore({ engine: 'sqlite', dataDir });
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(DataFolderInUseError);
    expect((refusal as DataFolderInUseError).holderPid).toBe(holder.pid);
    expect((refusal as Error).message).toContain('is in use by Alcove process');

    await killed(holder);
    // No clean-up: the kernel dropped the lock with the process; the stale pid file is harmless.
    const store = await openStore({ engine: 'sqlite', dataDir });
    await store.close();
  });

  it('does not stop a reader from opening the database while it is held (room for online backup)', async () => {
    const dataDir = tempDir();
    const store = await openStore({ engine: 'sqlite', dataDir });
    try {
      const reader = await openStore({ engine: 'sqlite', dataDir }, { lock: false });
      await reader.close();
    } finally {
      await store.close();
    }
  });
});
