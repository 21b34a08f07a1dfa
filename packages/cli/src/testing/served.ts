import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { DEMO_ACCOUNTS, DEMO_PASSWORD } from '../commands/demo.ts';
import { main } from '../main.ts';
import { captureIo } from './io.ts';

/**
 * A real `alcove serve` process on a demo installation, for the crash harness and the
 * benchmarks: started, signed into like a person would (password, then the authenticator
 * code), and stopped or killed.
 */
const bin = path.join(import.meta.dirname, '..', 'bin.ts');

/** Where a demo lives: a SQLite folder, or a PostgreSQL database; and its key file. */
export interface Installation {
  readonly dataDir?: string;
  readonly databaseUrl?: string;
  readonly keyFile: string;
}

export function installationEnv(inst: Installation): Record<string, string> {
  return { ALCOVE_DATA: '', DATABASE_URL: inst.databaseUrl ?? '', ALCOVE_KEY_FILE: inst.keyFile };
}

/** The `--data` argument a command needs for this installation (none on PostgreSQL). */
export function dataArgs(inst: Installation): string[] {
  return inst.dataDir === undefined ? [] : ['--data', inst.dataDir];
}

export interface Server {
  readonly child: ChildProcess;
  readonly url: string;
  readonly exited: Promise<void>;
  /** When the process was spawned (performance.now()). */
  readonly spawnedAt: number;
}

const running = new Set<ChildProcess>();

/** Kills every server this process started that is still running (after a failure). */
export function killStrayServers(): void {
  for (const child of running) child.kill('SIGKILL');
}

export async function startServer(inst: Installation, env: Record<string, string> = {}): Promise<Server> {
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, [bin, 'serve', ...dataArgs(inst), '--port', '0', '--no-web'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...installationEnv(inst), ...env },
  });
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  running.add(child);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      running.delete(child);
      resolve();
    }),
  );
  const started = Date.now();
  for (;;) {
    const match = out.match(/running at (http:\/\/\S+) /);
    if (match?.[1] !== undefined) return { child, url: match[1], exited, spawnedAt };
    // A process killed by a signal has no exit code, only a signal.
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`serve exited (${child.signalCode ?? child.exitCode}): ${err}`);
    if (Date.now() - started > 60_000) throw new Error('serve did not start');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export async function stopServer(server: Server): Promise<void> {
  server.child.kill('SIGTERM');
  await server.exited;
}

export interface SignedIn {
  readonly cookie: string;
  readonly csrf: string;
}

/** Signs in as the demo practitioner: password, then the authenticator's current code. */
export async function signIn(
  server: Server,
  inst: Installation,
  env: Record<string, string> = {},
): Promise<SignedIn> {
  const first = await fetch(`${server.url}/api/v1/auth/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: DEMO_ACCOUNTS[0].email, password: DEMO_PASSWORD }),
  });
  if (!first.ok) throw new Error(`sign-in failed: ${first.status}`);
  const pending = {
    cookie: (first.headers.get('set-cookie') ?? '').split(';')[0] ?? '',
    csrf: ((await first.json()) as { csrfToken: string }).csrfToken,
  };
  const codeIo = captureIo({ ...installationEnv(inst), ...env });
  if ((await main(['demo', 'code', ...dataArgs(inst), '--key-file', inst.keyFile], codeIo)) !== 0)
    throw new Error(`demo code failed: ${codeIo.stderr.join(' ')}`);
  const challenge = await fetch(`${server.url}/api/v1/auth/mfa/challenge`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie: pending.cookie, 'x-csrf-token': pending.csrf },
    body: JSON.stringify({ code: codeIo.stdout.join('').trim() }),
  });
  if (!challenge.ok) throw new Error(`sign-in failed at the code: ${challenge.status}`);
  return {
    cookie: (challenge.headers.get('set-cookie') ?? '').split(';')[0] ?? '',
    csrf: ((await challenge.json()) as { csrfToken: string }).csrfToken,
  };
}
