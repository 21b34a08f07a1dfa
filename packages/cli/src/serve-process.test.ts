import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { tempDir } from '@alcove/store/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from './main.ts';
import { captureIo } from './testing/io.ts';

/** `alcove serve` as a user runs it: a separate process, killed the way a crash kills it. */
const bin = path.join(import.meta.dirname, 'bin.ts');

interface Running {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly exited: Promise<number | null>;
}

function start(dataDir: string): Running {
  const child = spawn(process.execPath, [bin, 'serve', '--data', dataDir, '--port', '0', '--no-web'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ALCOVE_DATA: '', DATABASE_URL: '', ALCOVE_KEY_FILE: `${dataDir}.key` },
  });
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

async function urlOf(running: Running): Promise<string> {
  const start = Date.now();
  for (;;) {
    const match = running.stdout().match(/running at (http:\/\/\S+) /);
    if (match?.[1] !== undefined) return match[1];
    if (running.child.exitCode !== null) throw new Error(`serve exited: ${running.stderr()}`);
    if (Date.now() - start > 30_000) throw new Error('serve did not start');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('alcove serve, process by process', () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
  });

  it('refuses a second server on a folder in use, and restarts after kill -9 with no clean-up', async () => {
    const dataDir = tempDir();
    expect(await main(['demo', '--data', dataDir], captureIo())).toBe(0);
    const first = start(dataDir);
    children.push(first.child);
    const url = await urlOf(first);
    expect((await fetch(`${url}/api/v1/health`)).status).toBe(200);

    const second = start(dataDir);
    children.push(second.child);
    expect(await second.exited).toBe(1);
    expect(second.stderr()).toContain(`is in use by Alcove process ${first.child.pid}`);
    // The first is unharmed.
    expect((await fetch(`${url}/api/v1/health`)).status).toBe(200);

    first.child.kill('SIGKILL');
    await first.exited;

    const third = start(dataDir);
    children.push(third.child);
    const thirdUrl = await urlOf(third);
    expect((await fetch(`${thirdUrl}/api/v1/health`)).status).toBe(200);

    third.child.kill('SIGTERM');
    expect(await third.exited).toBe(0);
    expect(third.stdout()).toContain('Stopping (SIGTERM)');
  });
});
