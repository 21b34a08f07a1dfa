import fs from 'node:fs';
import path from 'node:path';
import { listPractices, openStore, SQLITE_FILE } from '@alcove/store';
import { tempDir } from '@alcove/store/testing';
import { describe, expect, it } from 'vitest';
import { DEMO_PRACTICE_NAME } from './commands/demo.ts';
import { main } from './main.ts';
import { captureIo } from './testing/io.ts';

async function practicesIn(dataDir: string) {
  const store = await openStore({ engine: 'sqlite', dataDir });
  try {
    return await listPractices(store.db);
  } finally {
    await store.close();
  }
}

describe('alcove', () => {
  it('prints its version', async () => {
    const io = captureIo();
    expect(await main(['--version'], io)).toBe(0);
    expect(io.stdout.join('\n')).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('lists its commands in --help', async () => {
    const io = captureIo();
    expect(await main(['--help'], io)).toBe(0);
    const help = io.stdout.join('\n');
    for (const command of ['init', 'serve', 'migrate', 'demo']) expect(help).toContain(command);
  });

  it('refuses an unknown command with a non-zero exit and a hint', async () => {
    const io = captureIo();
    expect(await main(['frobnicate'], io)).not.toBe(0);
    expect(io.stderr.join('\n')).toContain("unknown command 'frobnicate'");
  });

  it('init creates a practice once, and refuses to create a second', async () => {
    const dataDir = tempDir();
    const io = captureIo();
    expect(await main(['init', '--data', dataDir, '--practice-name', 'Test Practice (fictional)'], io)).toBe(
      0,
    );
    expect((await practicesIn(dataDir)).map((p) => p.name)).toEqual(['Test Practice (fictional)']);

    const again = captureIo();
    expect(await main(['init', '--data', dataDir, '--practice-name', 'Another (fictional)'], again)).toBe(1);
    expect(again.stderr.join('\n')).toContain('already holds a practice');
    expect(await practicesIn(dataDir)).toHaveLength(1);
  });

  it('init refuses a blank practice name and writes nothing', async () => {
    const dataDir = tempDir();
    const io = captureIo();
    expect(await main(['init', '--data', dataDir, '--practice-name', '   '], io)).toBe(2);
    expect(io.stderr.join('\n')).toContain('Give the practice a name');
    expect(fs.existsSync(path.join(dataDir, SQLITE_FILE))).toBe(false);
  });

  it('takes the data folder from ALCOVE_DATA when --data is not given', async () => {
    const dataDir = tempDir();
    const io = captureIo({ ALCOVE_DATA: dataDir });
    expect(await main(['demo'], io)).toBe(0);
    expect(io.stdout.join('\n')).toContain(dataDir);
    expect(await practicesIn(dataDir)).toHaveLength(1);
  });

  it('demo creates the fictional practice once and is safe to run again', async () => {
    const dataDir = tempDir();
    expect(await main(['demo', '--data', dataDir], captureIo())).toBe(0);
    const io = captureIo();
    expect(await main(['demo', '--data', dataDir], io)).toBe(0);
    expect(io.stdout.join('\n')).toContain('already here');
    const practices = await practicesIn(dataDir);
    expect(practices).toEqual([expect.objectContaining({ name: DEMO_PRACTICE_NAME, demo: true })]);
  });

  it('demo never adds fictional data beside a real practice', async () => {
    const dataDir = tempDir();
    await main(['init', '--data', dataDir, '--practice-name', 'Real Practice (fictional)'], captureIo());
    const io = captureIo();
    expect(await main(['demo', '--data', dataDir], io)).toBe(1);
    expect(io.stderr.join('\n')).toContain('never added to real records');
    expect(await practicesIn(dataDir)).toHaveLength(1);
  });

  it('migrate applies the migrations, then says the database is up to date', async () => {
    const dataDir = tempDir();
    const first = captureIo();
    expect(await main(['migrate', '--data', dataDir], first)).toBe(0);
    expect(first.stdout.join('\n')).toContain('0001-practice');
    const second = captureIo();
    expect(await main(['migrate', '--data', dataDir], second)).toBe(0);
    expect(second.stdout.join('\n')).toContain('up to date');
  });

  it('serve refuses a port that is not a number', async () => {
    const io = captureIo();
    expect(await main(['serve', '--data', tempDir(), '--port', 'eighty'], io)).toBe(2);
    expect(io.stderr.join('\n')).toContain('port must be a whole number');
  });

  it('serve answers on the port it prints, and stops cleanly when asked', async () => {
    const dataDir = tempDir();
    const io = captureIo();
    const running = main(['serve', '--data', dataDir, '--port', '0', '--no-web'], io);
    const url = await waitFor(() => io.stdout.join('\n').match(/running at (http:\/\/\S+) /)?.[1]);
    const health = await fetch(`${url}/api/v1/health`);
    expect(health.status).toBe(200);
    io.stop();
    expect(await running).toBe(0);
    // The lock went with it: another command can take the folder at once.
    expect(await main(['migrate', '--data', dataDir], captureIo())).toBe(0);
  });
});

async function waitFor<T>(probe: () => T | undefined, timeoutMs = 15_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
